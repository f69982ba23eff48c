"""The writing half of an Asterisk ingest run: each batch's contacts, segments, quarantine and checkpoint
in one transaction. It runs beside the parsing half, on a thread for small runs and in a child process
for big ones: parsing and the database each need a core, and a thread would share the parser's GIL
(measured: a 2M-line log took the sum of both halves, not the longer one)."""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from models import ingest
from models.db import SessionFactory, make_engine, session_factory, session_scope
from models.timegrid import interval_of

SOURCE = "asterisk"
PROCESS_MIN_BYTES = 24 << 20  # ~300k lines (~3 s): below this a child's start-up (~0.5 s) does not pay
Batch = tuple[Any, ...]  # the arguments of BatchStore.store


@dataclass
class StoreCounts:
    """What one stored batch added; `contacts` counts keys written for the first time in this run."""

    lines: int = 0
    contacts: int = 0
    segments: int = 0
    duplicates: int = 0
    quarantined: int = 0


class BatchStore:
    """Writes batches for one source file. `known` holds the contact keys whose stored row this run owns
    (see ingest.write_contacts); it grows as the run writes."""

    def __init__(
        self, factory: SessionFactory, location: str, now: datetime, known: set[str], batch_id: int
    ) -> None:
        self.factory, self.location, self.now, self.known = factory, location, now, known
        self.batch_id = batch_id
        self.loaded: set[str] = set()
        self.encode: ingest.Encoder | None = None

    def store(
        self,
        facts: list[tuple[Any, ...]],
        seg_facts: list[tuple[Any, ...]],
        quarantine: list[dict[str, Any]],
        checkpoint: dict[str, Any],
        lines: int,
    ) -> StoreCounts:
        """The batch's rows and the checkpoint after it, in one transaction: a crash never skips or
        repeats a line. `facts` are CONTACT_FACTS tuples, `seg_facts` (agent_id, state, reason,
        start, end), times in epoch seconds."""
        with session_scope(self.factory) as session:
            encode, flag, batch_id = (
                ingest.stamp_encoder(session=session),
                ingest.flag_encoder(session=session),
                self.batch_id,
            )
            rows = [_contact_row(f, batch_id, encode, flag) for f in facts]
            seg_rows = [
                (SOURCE, batch_id, agent_id, state, reason, encode(start), encode(end))
                for agent_id, state, reason, start, end in seg_facts
            ]
            written, duplicates = ingest.write_contacts(
                session=session, source=SOURCE, rows=rows, known=self.known
            )
            segments = ingest.write_segments(session=session, rows=seg_rows)
            stored = ingest.add_quarantine(session=session, rows=quarantine)
            ingest.save_checkpoint(
                session=session, source=SOURCE, location=self.location, now=self.now, **checkpoint
            )
        before = len(self.loaded)
        self.loaded.update(written)
        return StoreCounts(lines, len(self.loaded) - before, segments, duplicates, stored)


class ThreadWriter:
    """The store on a thread of this process: for small runs and in-memory databases."""

    def __init__(self, store: BatchStore) -> None:
        self._store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asterisk-writer")
        self._pending: Future[StoreCounts] | None = None

    def send(self, batch: Batch) -> None:
        self._pending = self._pool.submit(self._store.store, *batch)

    def receive(self) -> StoreCounts:
        pending, self._pending = self._pending, None
        assert pending is not None, "receive() without send()"
        return pending.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class ProcessWriter:
    """The store in a child Python process with its own connection, fed pickled batches over a pipe.
    A plain subprocess running `serve()`, not multiprocessing: nothing of the
    caller's main module is re-imported (Streamlit, scripts without a __main__ guard)."""

    def __init__(self, url: str, location: str, now: datetime, known: set[str], batch_id: int) -> None:
        root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        self._child = subprocess.Popen(
            [sys.executable, "-c", "from jobs.sources.asterisk_store import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
        assert self._child.stdin is not None and self._child.stdout is not None
        self._to, self._from = self._child.stdin, self._child.stdout
        self._put((os.getpid(), url, location, now, known, batch_id))

    def _put(self, message: object) -> None:
        try:
            pickle.dump(message, self._to, protocol=pickle.HIGHEST_PROTOCOL)
            self._to.flush()
        except BrokenPipeError:
            raise RuntimeError(self._died()) from None

    def send(self, batch: Batch) -> None:
        self._put(batch)

    def receive(self) -> StoreCounts:
        try:
            reply = pickle.load(self._from)
        except EOFError:
            raise RuntimeError(self._died()) from None
        if isinstance(reply, str):
            raise RuntimeError(f"the writer process failed:\n{reply}")
        return reply  # type: ignore[no-any-return]

    def _died(self) -> str:
        return f"the writer process ended unexpectedly (exit code {self._child.wait()})"

    def close(self) -> None:
        try:
            self._to.close()  # end of input: the child exits
        except BrokenPipeError:
            pass
        if self._child.wait(timeout=60) != 0:
            self._child.kill()


Writer = ThreadWriter | ProcessWriter


def _contact_row(
    facts: tuple[Any, ...], batch_id: int, encode: ingest.Encoder, flag: Callable[[bool], Any]
) -> tuple[Any, ...]:
    """A contact in ingest.CONTACT_COLUMNS order. queue_log has no hold or after-call work: hold and
    acw stay unknown (None, never 0) and the contact completes when the talk ends."""
    (
        key,
        queue_id,
        touchpoint_id,
        agent_id,
        customer,
        entry,
        answered,
        ended,
        wait,
        talk,
        outcome,
        exit_reason,
        transferred,
        reconstructed,
        ring_no_answer,
    ) = facts
    completed = ended if outcome == "answered" and talk is not None else None
    return (
        SOURCE,
        key,
        batch_id,
        queue_id,
        "voice",
        touchpoint_id,
        agent_id,
        customer,
        encode(entry),
        encode(answered),
        encode(ended),
        encode(completed),
        interval_of(entry),
        None if completed is None else interval_of(completed),
        wait,
        talk,
        None,  # hold_s
        None,  # acw_s
        None,  # hold_count
        outcome,
        exit_reason,
        flag(transferred),
        flag(reconstructed),
        flag(False),  # survey_offered
        ring_no_answer,
        None,  # source_updated_at: queue_log lines carry no version
    )


def open_writer(
    factory: SessionFactory,
    location: str,
    now: datetime,
    known: set[str],
    *,
    batch_id: int,
    bytes_to_read: int,
) -> Writer:
    """A child process for a run with at least PROCESS_MIN_BYTES to read, a thread otherwise."""
    with factory() as session:
        url = session.get_bind().url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if bytes_to_read < PROCESS_MIN_BYTES or in_memory:  # another process cannot see a memory database
        return ThreadWriter(BatchStore(factory, location, now, known, batch_id))
    return ProcessWriter(url.render_as_string(hide_password=False), location, now, known, batch_id)


def serve() -> None:
    """The child's loop: one reply per batch (its counts, or the error's traceback as text)."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing else may write into the reply pipe
    requests = sys.stdin.buffer
    parent, url, location, now, known, batch_id = pickle.load(requests)
    _die_with(parent)
    store = BatchStore(session_factory(make_engine(url)), location, now, known, batch_id)
    while True:
        try:
            batch = pickle.load(requests)
        except EOFError:
            return
        try:
            reply: StoreCounts | str = store.store(*batch)
        except Exception:  # noqa: BLE001 - reported to the parent, which fails the run
            reply = traceback.format_exc()
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()
        if isinstance(reply, str):
            return


def _die_with(parent: int) -> None:
    """A killed run must not leave its writer behind (Linux: the kernel kills the child with its
    parent; the transaction it had open is rolled back, and the next run resumes from the last
    checkpoint)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent was gone before the line above
        os._exit(1)
