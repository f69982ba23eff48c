"""The database side of one file-source run: queue and agent rows created on first sight, then each
file's facts written in the caller's transaction through models.ingest / models.ingest_extra,
reporting what was written, what was already there, and whether a full refresh is needed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from jobs.sources.common import ContactFact, Parsed, SegmentFact
from jobs.sources.connect_agents import build_segments
from models import ingest, ingest_extra
from models.db import SessionFactory, session_scope
from models.ingest import CONTACT_COLUMNS, Encoder
from models.settings import Settings
from models.timegrid import interval_of

KEY = CONTACT_COLUMNS.index("source_key")
PLACE = [CONTACT_COLUMNS.index(name) for name in ingest_extra.PLACE]  # where a contact is counted
NO_CHANGE = "agent event that changes no state (heartbeat or repeat)"


@dataclass
class Written:
    """What one file changed in the database."""

    tables: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    full_refresh: bool = False

    def add(self, table: str, rows: int) -> None:
        self.tables[table] = self.tables.get(table, 0) + rows


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class RunWriter:
    """One run's dimension caches and batch id; `write` stores one parsed file."""

    def __init__(self, factory: SessionFactory, settings: Settings, batch_id: int, source: str) -> None:
        self.factory, self.settings, self.batch_id, self.source = factory, settings, batch_id, source
        self.dims: dict[str, ingest.Dimensions] = {}
        self.agents = self._dims("voice")

    def _dims(self, channel: str) -> ingest.Dimensions:
        if channel not in self.dims:
            self.dims[channel] = ingest.Dimensions(channel=channel, agent_timezone=self.settings.timezone)
        return self.dims[channel]

    def prepare(self, parsed: Parsed) -> None:
        """Create the queues and agents the file names (committed on their own, like H6's loader)."""
        by_channel: dict[str, set[str]] = {}
        for contact in parsed.contacts:
            by_channel.setdefault(contact.channel, set()).add(contact.queue)
        codes = {c.agent for c in parsed.contacts if c.agent}
        codes |= {s.agent for s in parsed.segments} | {s.agent for s in parsed.schedules}
        codes |= {e.agent for e in parsed.events}  # type: ignore[attr-defined]
        with session_scope(self.factory) as session:
            for channel, names in sorted(by_channel.items()):
                self._dims(channel).queue_ids(session=session, names=names)
            self.agents.agent_ids(session=session, codes=codes)

    def queue(self, contact: ContactFact) -> tuple[int, int | None]:
        return self._dims(contact.channel).queues[contact.queue]

    def write(self, session: Session, parsed: Parsed) -> Written:
        written = Written()
        encode = ingest.stamp_encoder(session=session)
        if parsed.contacts:
            self._contacts(session, parsed.contacts, encode, written)
        if parsed.events:
            self._events(session, parsed, encode, written)
        if parsed.segments:
            self._segments(session, parsed.segments, encode, written)
        if parsed.schedules:
            self._schedules(session, parsed, encode, written)
        if parsed.surveys:
            self._surveys(session, parsed, encode, written)
        return written

    def _contacts(
        self, session: Session, facts: list[ContactFact], encode: Encoder, written: Written
    ) -> None:
        rows = [self.contact_row(c, encode) for c in facts]
        places = ingest_extra.contact_places(session=session, source=self.source, keys=[c.key for c in facts])
        for row in rows:
            stored = places.get(row[KEY])
            written.full_refresh |= stored is not None and tuple(stored) != tuple(row[i] for i in PLACE)
        count = ingest_extra.replace_contacts(session=session, rows=rows)
        written.add("contacts", count)
        written.duplicates += len(rows) - count

    def contact_row(self, c: ContactFact, encode: Encoder) -> tuple[Any, ...]:
        """A contact in models.ingest.CONTACT_COLUMNS order (handle time books where ACW ends)."""
        queue_id, touchpoint_id = self.queue(c)
        handled = c.outcome == "answered" and c.completed is not None
        values = {
            "source": self.source,
            "source_key": c.key,
            "batch_id": self.batch_id,
            "queue_id": queue_id,
            "channel": c.channel,
            "touchpoint_id": touchpoint_id,
            "agent_id": self.agents.agents[c.agent] if c.agent else None,
            "customer_key": c.customer,
            "offered_at": encode(c.offered),
            "answered_at": encode(c.answered),
            "ended_at": encode(c.ended),
            "completed_at": encode(c.completed),
            "offered_interval": interval_of(c.offered),
            "completed_interval": interval_of(c.completed) if handled else None,  # type: ignore[arg-type]
            "wait_s": c.wait,
            "talk_s": c.talk,
            "hold_s": c.hold,
            "acw_s": c.acw,
            "hold_count": c.hold_count,
            "outcome": c.outcome,
            "exit_reason": c.exit_reason,
            "transferred": c.transferred,
            "reconstructed": False,
            "survey_offered": False,
            "ring_no_answer": c.ring_no_answer,
            "source_updated_at": encode(c.updated),
        }
        return tuple(values[name] for name in CONTACT_COLUMNS)

    def _events(self, session: Session, parsed: Parsed, encode: Encoder, written: Written) -> None:
        """Connect agent events continue from each agent's latest stored segment."""
        ids = self.agents.agents
        codes = {e.agent for e in parsed.events}  # type: ignore[attr-defined]
        stored = ingest_extra.latest_segments(
            session=session, source=self.source, agent_ids=[ids[c] for c in codes]
        )
        by_id = {ids[c]: c for c in codes}
        known = {
            by_id[agent_id]: SegmentFact(
                by_id[agent_id],
                row["state"],
                row["start_at"].timestamp(),
                None if row["end_at"] is None else row["end_at"].timestamp(),
                row["reason"],
            )
            for agent_id, row in stored.items()
        }
        outcome = build_segments(parsed.events, known)  # type: ignore[arg-type]
        rows = [self._segment_row(s, encode) for s in outcome.segments]
        written.add("agent_states", ingest.write_segments(session=session, rows=rows))
        written.duplicates += outcome.late
        if outcome.unchanged:
            written.skipped[NO_CHANGE] = written.skipped.get(NO_CHANGE, 0) + outcome.unchanged

    def _segment_row(self, s: SegmentFact, encode: Encoder) -> tuple[Any, ...]:
        return (
            self.source,
            self.batch_id,
            self.agents.agents[s.agent],
            s.state,
            s.reason,
            encode(s.start),
            encode(s.end),
        )

    def _shortened(self, session: Session, facts: list[Any], *, schedules: bool) -> bool:
        """Does a reload end a stored segment earlier than before? (Then only a full refresh
        recounts the time it no longer covers.)"""
        ids = self.agents.agents
        starts = [f.start for f in facts]
        stored = ingest_extra.stored_ends(
            session=session,
            schedules=schedules,
            agent_ids={ids[f.agent] for f in facts},
            start=_dt(min(starts)),
            end=_dt(max(starts)),
        )
        for fact in facts:
            before = stored.get((ids[fact.agent], _dt(fact.start)))
            if before is not None and fact.end is not None and fact.end < before.timestamp() - 1e-6:
                return True
        return False

    def _segments(
        self, session: Session, facts: list[SegmentFact], encode: Encoder, written: Written
    ) -> None:
        written.full_refresh |= self._shortened(session, facts, schedules=False)
        rows = [self._segment_row(s, encode) for s in facts]
        count = ingest.write_segments(session=session, rows=rows)
        written.add("agent_states", count)
        written.duplicates += len(rows) - count

    def _schedules(self, session: Session, parsed: Parsed, encode: Encoder, written: Written) -> None:
        written.full_refresh |= self._shortened(session, parsed.schedules, schedules=True)
        ids = self.agents.agents
        rows = [
            (self.source, self.batch_id, ids[s.agent], s.activity, encode(s.start), encode(s.end), s.paid)
            for s in parsed.schedules
        ]
        count = ingest_extra.write_schedules(session=session, rows=rows)
        written.add("schedules", count)
        written.duplicates += len(rows) - count

    def _surveys(self, session: Session, parsed: Parsed, encode: Encoder, written: Written) -> None:
        """Each answer is credited to the contact it rates: the one its contact reference names,
        else the customer's latest contact before the answer (within repeat_window_days)."""
        answers: list[Any] = parsed.surveys
        by_reference = ingest_extra.contacts_by_reference(
            session=session, references=[a.contact for a in answers if a.contact]
        )
        wanted = [
            (a.customer, _dt(a.answered)) for a in answers if a.customer and a.contact not in by_reference
        ]
        by_customer = ingest_extra.contacts_by_customer(
            session=session, answers=wanted, window_s=self.settings.repeat_window_days * 86400.0
        )
        rows = []
        for a in answers:
            contact_id = by_reference.get(a.contact) if a.contact else None
            if contact_id is None and a.customer:
                contact_id = by_customer.get((a.customer, _dt(a.answered)))
            rows.append(
                (a.source, a.key, self.batch_id, contact_id, a.customer, encode(a.answered))
                + (a.csat, a.ces, a.nps, a.resolved, a.verbatim, a.language)
            )
        inserted, relinked = ingest_extra.write_surveys(session=session, rows=rows, batch_id=self.batch_id)
        linked = [row[3] for row in rows if row[3] is not None]
        ingest_extra.mark_surveys_offered(session=session, contact_ids=linked, batch_id=self.batch_id)
        written.add("surveys", inserted + relinked)
        written.duplicates += len(rows) - inserted - relinked
        parsed.detail["linked"] = len(linked)
        parsed.detail["unlinked"] = len(rows) - len(linked)
