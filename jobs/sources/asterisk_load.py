"""One Asterisk ingest run against the database: restore the machine from the checkpoint and the open
contacts, then hand each batch (contacts, segments, quarantine, checkpoint) to the writer
(asterisk_store), so that the next batch is parsed while the database works."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jobs.runs import RunRecord
from jobs.sources import asterisk_store as store
from jobs.sources.asterisk_machine import AgentState, ContactState, QueueLogMachine
from jobs.sources.asterisk_parse import QueueEvent
from jobs.sources.asterisk_store import SOURCE, StoreSetup, Writer
from models import ingest
from models.db import SessionFactory, session_scope
from models.settings import Settings

FUTURE_SLACK_S = 86_400.0  # lines dated more than a day after `now` are corrupt (quarantined)
Reject = tuple[int, str, str]  # (line number, reason, raw text)


@dataclass
class IngestResult:
    """What one run did; `anomalies` totals `anomaly_counts` (rule 4 hits, rebuilt contacts, ...)."""

    lines_read: int = 0
    contacts_loaded: int = 0
    duplicates_skipped: int = 0
    quarantined: int = 0
    segments_loaded: int = 0
    anomalies: int = 0
    duplicate_lines: int = 0
    closed_stale: int = 0
    batch_id: int | None = None
    events: dict[str, int] = field(default_factory=dict)
    anomaly_counts: dict[str, int] = field(default_factory=dict)


class BatchLoader:
    """The state of one run: the machine, the counters and the writer (a thread or a child process)."""

    def __init__(
        self, factory: SessionFactory, settings: Settings, location: str, run: RunRecord, now: datetime
    ):
        self.factory, self.location, self.run, self.now = factory, location, run, now
        self.batch_id = run.batch_id
        self.stale_after_s = settings.stale_after_h * 3600.0
        self.machine = QueueLogMachine(stale_after_s=self.stale_after_s)
        self.agent_timezone = settings.timezone
        self.known: set[str] = set()  # contact keys whose stored row this run owns
        self.line_no = 0
        self.bytes_to_read = 0  # set by the caller once it knows: a big run writes from a child process
        self.result = IngestResult(batch_id=run.batch_id)
        self._writer: Writer | None = None
        self._in_flight = False

    def __enter__(self) -> BatchLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._writer is not None:
            self._writer.close()

    def resume(self, file_id: str, size: int, read: Callable[[int, int], bytes] | None = None) -> int:
        """Restore the machine (agent states from the checkpoint, open contacts from their rows) and
        return where to read from: the checkpoint offset, or 0 for another file (rotation), a shorter
        one (truncation) or one whose bytes before the offset changed (rewritten in place)."""
        with session_scope(self.factory) as session:
            point = ingest.read_checkpoint(session=session, source=SOURCE, location=self.location)
            state = json.loads(point.last_key) if point is not None and point.last_key else {}
            self.machine.clock = float(state.get("clock", 0.0))
            for code, data in state.get("agents", {}).items():
                self.machine.agents[code] = AgentState.restore(code, data)
            # This file's contacts all entered by its clock. Another file's later ones are left out:
            # a line of ours that names one is a known key to write_contacts, never counted twice.
            clock = self.machine.clock or self.now.timestamp()
            rows = ingest.load_recent_contacts(
                session=session,
                source=SOURCE,
                since=_dt(clock - self.stale_after_s),
                until=_dt(clock + FUTURE_SLACK_S),
            )
        for row in rows:
            contact = _contact_from_row(row)
            self.machine.restore_contact(contact)
            if contact.is_open:  # ended rows stay protected: only a later state may replace them
                self.known.add(contact.key)
        if point is None or point.file_id != file_id or point.offset > size:
            return 0
        tail = bytes.fromhex(state.get("tail", ""))
        if read is not None and tail and read(point.offset - len(tail), len(tail)) != tail:
            return 0
        self.line_no = int(state.get("line", 0))
        return point.offset

    def load(
        self,
        events: list[QueueEvent],
        rejects: list[Reject],
        *,
        file_id: str,
        offset: int,
        lines: int,
        tail: bytes = b"",
    ) -> None:
        """Apply a batch to the machine and hand its contacts and segments (plain tuples: cheap to
        pickle) and checkpoint to the writer (`tail`: the last bytes before `offset`, to recognise the
        same file on the next run)."""
        machine = self.machine
        machine.feed(events)
        machine.end_batch()
        contacts, segments = machine.take()
        self.line_no += lines
        state = {"v": 1, "line": self.line_no, "clock": machine.clock, "tail": tail.hex()}
        state["agents"] = {code: agent.snapshot() for code, agent in machine.agents.items()}
        facts = [
            (
                c.key,
                c.queue,
                c.agent,
                c.customer,
                c.entry,
                c.answered,
                c.ended,
                c.wait,
                c.talk,
                c.outcome,
                c.exit_reason,
                c.transferred,
                c.reconstructed,
                c.ring_no_answer,
            )
            for c in contacts
        ]
        seg_facts = [(s.agent, s.state, s.reason, s.start, s.end) for s in segments]
        quarantine = [
            {
                "source": SOURCE,
                "location": self.location,
                "line_no": line_no,
                "reason": reason,
                "raw": raw[:2000],
                "batch_id": self.batch_id,
                "created_at": self.now,
            }
            for line_no, reason, raw in rejects
        ]
        checkpoint = {
            "file_id": file_id,
            "offset": offset,
            "last_key": json.dumps(state, separators=(",", ":")),
        }
        self.wait()
        if self._writer is None:
            known = frozenset(self.known)
            setup = StoreSetup(
                self.location, self.now, known, self.batch_id, self.agent_timezone, store.COMMIT_LINES
            )
            self._writer = store.open_writer(self.factory, setup, bytes_to_read=self.bytes_to_read)
        self._writer.send((facts, seg_facts, quarantine, checkpoint, lines))
        self._in_flight = True

    def wait(self) -> None:
        """Block until the batch in flight is committed (re-raising its error), and count it."""
        if self._in_flight and self._writer is not None:
            self._in_flight = False
            counts = self._writer.receive()
            result = self.result
            result.lines_read += counts.lines
            result.contacts_loaded += counts.contacts
            result.segments_loaded += counts.segments
            result.duplicates_skipped += counts.duplicates
            result.quarantined += counts.quarantined

    def reject_file(self, reason: str, raw: str) -> None:
        """A file that cannot be read at all: one quarantine row, checkpoint untouched."""
        row = {"source": SOURCE, "location": self.location, "line_no": 1, "reason": reason, "raw": raw}
        with session_scope(self.factory) as session:
            stored = ingest.add_quarantine(
                session=session, rows=[{**row, "batch_id": self.batch_id, "created_at": self.now}]
            )
        self.result.quarantined += stored

    def finish(self) -> IngestResult:
        """Commit the last batches, close contacts waiting longer than stale_after at `now`; fill the
        result and the JobRun."""
        self.wait()
        if self._writer is not None:
            self._writer.flush()
        before = self.now.timestamp() - self.stale_after_s
        with session_scope(self.factory) as session:
            closed = ingest.close_stale_contacts(
                session=session, source=SOURCE, before=_dt(before), batch_id=self.batch_id
            )
        result, machine, run = self.result, self.machine, self.run
        result.closed_stale = closed
        result.events = dict(machine.events)
        result.anomaly_counts = dict(machine.anomalies)
        result.anomalies = sum(machine.anomalies.values())
        run.rows_in, run.rows_rejected = result.lines_read, result.quarantined
        run.rows_out = result.contacts_loaded + result.segments_loaded
        run.newest_event_at = _dt(machine.clock) if machine.clock else None
        run.detail.update({k: v for k, v in result.__dict__.items() if k != "batch_id"})
        run.detail["location"] = self.location
        return result


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _contact_from_row(row: dict[str, Any]) -> ContactState:
    """A stored contact back as machine state (the natural key holds callid and queue)."""
    callid, queue, _ = row["source_key"].rsplit("|", 2)
    answered, ended = row["answered_at"], row["ended_at"]
    return ContactState(
        key=row["source_key"],
        callid=callid,
        queue=queue,
        entry=row["offered_at"].timestamp(),
        customer=row["customer_key"],
        agent=row["agent"],
        answered=None if answered is None else answered.timestamp(),
        wait=row["wait_s"],
        talk=row["talk_s"],
        ended=None if ended is None else ended.timestamp(),
        outcome=row["outcome"],
        exit_reason=row["exit_reason"],
        transferred=bool(row["transferred"]),
        reconstructed=bool(row["reconstructed"]),
        ring_no_answer=int(row["ring_no_answer"] or 0),
    )
