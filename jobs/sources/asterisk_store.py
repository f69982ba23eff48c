"""The writing half of an Asterisk ingest run: contacts, segments, quarantine and the checkpoint after
them, committed together. It runs beside the parsing half, on a thread for small runs and in a child
process for big ones: parsing and the database each need a core, and a thread would share the parser's
GIL (measured: a 2M-line log took the sum of both halves, not the longer one)."""

from __future__ import annotations

import ctypes
import gc
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

from sqlmodel import Session

from models import ingest
from models.db import SessionFactory, make_engine, session_factory
from models.timegrid import interval_of

SOURCE = "asterisk"
PROCESS_MIN_BYTES = 24 << 20  # ~300k lines (~3 s): below this a child's start-up (~0.5 s) does not pay
# Lines per transaction. Each commit writes every page it dirtied, and new contacts land all over the
# (customer, time) index: committing every 50k-line batch rewrote that index ~40 times per 2M lines.
COMMIT_LINES = 200_000
Batch = tuple[Any, ...]  # the arguments of BatchStore.store


@dataclass
class StoreCounts:
    """What one stored batch added; `contacts` counts keys written for the first time in this run."""

    lines: int = 0
    contacts: int = 0
    segments: int = 0
    duplicates: int = 0
    quarantined: int = 0


@dataclass(frozen=True)
class StoreSetup:
    """What the writing half needs to know of its run (pickled to a child process)."""

    location: str
    now: datetime
    known: frozenset[str]  # contact keys whose stored row this run owns (see ingest.write_contacts)
    batch_id: int
    agent_timezone: str
    commit_lines: int


class BatchStore:
    """Writes the batches of one run. Batches share a transaction until COMMIT_LINES lines are in it:
    each batch carries its checkpoint, so whatever was committed last is a consistent place to resume,
    and a crash rolls back to it. `flush()` commits the rest."""

    def __init__(self, factory: SessionFactory, setup: StoreSetup) -> None:
        self.factory, self.setup = factory, setup
        self.known = set(setup.known)
        self.loaded: set[str] = set()
        self.dims = ingest.Dimensions(channel="voice", agent_timezone=setup.agent_timezone)
        self.session: Session | None = None
        self.encode: ingest.Encoder | None = None
        self.flag: Callable[[bool], Any] | None = None
        self.uncommitted = 0

    def store(
        self,
        facts: list[tuple[Any, ...]],
        seg_facts: list[tuple[Any, ...]],
        quarantine: list[dict[str, Any]],
        checkpoint: dict[str, Any],
        lines: int,
    ) -> StoreCounts:
        """One batch: `facts` as built by asterisk_load (queue name and agent code, times in epoch
        seconds), `seg_facts` (agent code, state, reason, start, end). On any error the open
        transaction is rolled back."""
        try:
            session = self._session()
            setup, encode, flag = self.setup, self.encode, self.flag
            assert encode is not None and flag is not None
            queues = self.dims.queue_ids(session=session, names={f[1] for f in facts})
            codes = {f[2] for f in facts if f[2]} | {s[0] for s in seg_facts}
            agents = self.dims.agent_ids(session=session, codes=codes)
            rows = [_contact_row(f, queues, agents, setup.batch_id, encode, flag) for f in facts]
            seg_rows = [
                (SOURCE, setup.batch_id, agents[code], state, reason, encode(start), encode(end))
                for code, state, reason, start, end in seg_facts
            ]
            written, duplicates = ingest.write_contacts(
                session=session, source=SOURCE, rows=rows, known=self.known
            )
            segments = ingest.write_segments(session=session, rows=seg_rows)
            stored = ingest.add_quarantine(session=session, rows=quarantine)
            ingest.save_checkpoint(
                session=session, source=SOURCE, location=setup.location, now=setup.now, **checkpoint
            )
            before = len(self.loaded)
            self.loaded.update(written)
            self.uncommitted += lines
            if self.uncommitted >= self.setup.commit_lines:
                self.flush()
        except BaseException:
            self.close()
            raise
        return StoreCounts(lines, len(self.loaded) - before, segments, duplicates, stored)

    def flush(self) -> None:
        if self.session is not None:
            self.session.commit()
        self.uncommitted = 0

    def close(self) -> None:
        """Roll back whatever was not flushed."""
        if self.session is not None:
            self.session.close()
            self.session = None

    def _session(self) -> Session:
        if self.session is None:
            self.session = self.factory()
            self.encode = ingest.stamp_encoder(session=self.session)  # memoised: instants recur
            self.flag = ingest.flag_encoder(session=self.session)
        return self.session


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

    def flush(self) -> None:
        self._pool.submit(self._store.flush).result()

    def close(self) -> None:
        self._pool.submit(self._store.close)
        self._pool.shutdown(wait=True)


class ProcessWriter:
    """The store in a child Python process with its own connection, fed pickled batches over a pipe.
    A plain subprocess running `serve()`, not multiprocessing: nothing of the
    caller's main module is re-imported (Streamlit, scripts without a __main__ guard)."""

    def __init__(self, url: str, setup: StoreSetup) -> None:
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
        self._put((os.getpid(), url, setup))

    def _put(self, message: object) -> None:
        try:
            pickle.dump(message, self._to, protocol=pickle.HIGHEST_PROTOCOL)
            self._to.flush()
        except BrokenPipeError:
            raise RuntimeError(self._died()) from None

    def send(self, batch: Batch) -> None:
        self._put(batch)

    def receive(self) -> StoreCounts:
        reply = self._reply()
        assert isinstance(reply, StoreCounts), reply
        return reply

    def flush(self) -> None:
        self._put(FLUSH)
        self._reply()

    def _reply(self) -> object:
        try:
            reply = pickle.load(self._from)
        except EOFError:
            raise RuntimeError(self._died()) from None
        if isinstance(reply, str):
            raise RuntimeError(f"the writer process failed:\n{reply}")
        return reply

    def _died(self) -> str:
        return f"the writer process ended unexpectedly (exit code {self._child.wait()})"

    def close(self) -> None:
        try:
            self._to.close()  # end of input: the child rolls back what was not flushed, and exits
        except BrokenPipeError:
            pass
        try:
            self._child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()
        finally:
            self._from.close()


Writer = ThreadWriter | ProcessWriter
FLUSH = "flush"  # the message that asks the child to commit


def _contact_row(
    facts: tuple[Any, ...],
    queues: dict[str, tuple[int, int | None]],
    agents: dict[str, int],
    batch_id: int,
    encode: ingest.Encoder,
    flag: Callable[[bool], Any],
) -> tuple[Any, ...]:
    """A contact in ingest.CONTACT_COLUMNS order. queue_log has no hold or after-call work: hold and
    acw stay unknown (None, never 0) and the contact completes when the talk ends."""
    (
        key,
        queue,
        agent,
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
    queue_id, touchpoint_id = queues[queue]
    return (
        SOURCE,
        key,
        batch_id,
        queue_id,
        "voice",
        touchpoint_id,
        agents[agent] if agent else None,
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


def open_writer(factory: SessionFactory, setup: StoreSetup, *, bytes_to_read: int) -> Writer:
    """A child process for a run with at least PROCESS_MIN_BYTES to read, a thread otherwise."""
    with factory() as session:
        url = session.get_bind().url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if bytes_to_read < PROCESS_MIN_BYTES or in_memory:  # another process cannot see a memory database
        return ThreadWriter(BatchStore(factory, setup))
    return ProcessWriter(url.render_as_string(hide_password=False), setup)


def serve() -> None:
    """The child's loop: one reply per message (a batch's counts, None for a flush, or the error's
    traceback as text)."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing else may write into the reply pipe
    requests = sys.stdin.buffer
    parent, url, setup = pickle.load(requests)
    _die_with(parent)
    # Batches are millions of acyclic tuples, as in the parent while it reads (asterisk._no_cyclic_gc):
    # the cyclic collector would only rescan them (6% of this process's time). It lives for one run.
    gc.disable()
    store = BatchStore(session_factory(make_engine(url)), setup)
    while True:
        try:
            batch = pickle.load(requests)
        except EOFError:
            store.close()
            return
        try:
            reply: object = store.flush() if batch == FLUSH else store.store(*batch)
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
