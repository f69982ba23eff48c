"""Load Asterisk queue_log (the file, or a CSV export of the realtime table) into contacts and agent
state segments: tail from a checkpoint, one transaction per batch of lines carrying its checkpoint,
bad lines quarantined, never failing on bad input (FORMATS.md 1, METRICS.md "Reading Asterisk
queue_log"). The job is recorded as JobRun "asterisk_queue_log"."""

from __future__ import annotations

import csv
import gc
import io
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobs.runs import recorded_run
from jobs.sources.asterisk_load import FUTURE_SLACK_S, BatchLoader, IngestResult, Reject
from jobs.sources.asterisk_parse import QueueEvent, parse_line, parse_realtime_row
from models.db import SessionFactory
from models.settings import Settings

__all__ = ["IngestResult", "ingest_queue_log", "ingest_realtime_csv"]

JOB = "asterisk_queue_log"
BATCH_LINES = 50_000  # lines per batch (checkpoint and timestamp sort, METRICS.md rule 1)
READ_BYTES = 4 << 20
CSV_NAMES = ("time", "callid", "queuename", "agent", "event")
TAIL_BYTES = 64  # remembered before the checkpoint offset: a file rewritten in place starts again


def ingest_queue_log(
    *, session_factory: SessionFactory, settings: Settings, path: Path, now: datetime | None = None
) -> IngestResult:
    """Read the complete lines added since the last run (from the start after rotation or truncation)."""
    now = now or datetime.now(UTC)
    location = str(Path(path).resolve())
    with recorded_run(session_factory, JOB, now=now) as run:
        with BatchLoader(session_factory, settings, location, run, now) as loader:
            try:
                stat = os.stat(location)
            except OSError as exc:
                run.detail["missing"] = f"{type(exc).__name__}: {exc}"
                return loader.result
            file_id = f"{stat.st_dev}:{stat.st_ino}"
            offset = loader.resume(file_id, stat.st_size, lambda start, size: _read_at(location, start, size))
            loader.bytes_to_read = stat.st_size - offset
            latest = now.timestamp() + FUTURE_SLACK_S
            with _no_cyclic_gc():
                for raw_lines, end in _read_batches(location, offset):
                    events, rejects, duplicates = _parse_lines(raw_lines, loader.line_no + 1, latest)
                    loader.result.duplicate_lines += duplicates
                    tail = (b"\n".join(raw_lines[-TAIL_BYTES:]) + b"\n")[-TAIL_BYTES:]
                    loader.load(events, rejects, file_id=file_id, offset=end, lines=len(raw_lines), tail=tail)
            return loader.finish()


def ingest_realtime_csv(
    *, session_factory: SessionFactory, settings: Settings, path: Path, now: datetime | None = None
) -> IngestResult:
    """Load the database form: columns time, callid, queuename, agent, event and data or data1..data5.
    The checkpoint offset counts data rows (a rewritten export starts again; known contacts are skipped)."""
    now = now or datetime.now(UTC)
    location = str(Path(path).resolve())
    with recorded_run(session_factory, JOB, now=now) as run:
        with BatchLoader(session_factory, settings, location, run, now) as loader:
            try:
                stat = os.stat(location)
                text = Path(location).read_bytes().decode("utf-8-sig", errors="replace")
            except OSError as exc:
                run.detail["missing"] = f"{type(exc).__name__}: {exc}"
                return loader.result
            file_id = f"{stat.st_dev}:{stat.st_ino}"
            reader = csv.DictReader(io.StringIO(text, newline=""))
            names = [(name or "").strip().lower() for name in reader.fieldnames or []]
            missing = [n for n in CSV_NAMES if n not in names]
            if "data" not in names and "data1" not in names:
                missing.append("data or data1..data5")
            if missing:
                loader.reject_file(f"missing columns {missing}", ",".join(names))
                return loader.finish()
            reader.fieldnames = names
            rows = list(reader)
            start = loader.resume(file_id, len(rows))
            for first in range(start, len(rows), BATCH_LINES):
                chunk = rows[first : first + BATCH_LINES]
                events, rejects = _parse_rows(chunk, first, settings, now.timestamp() + FUTURE_SLACK_S)
                loader.load(events, rejects, file_id=file_id, offset=first + len(chunk), lines=len(chunk))
            return loader.finish()


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Millions of short-lived, acyclic objects: the cyclic collector would rescan the live ones every
    few thousand allocations (a quarter of the run time); reference counting frees them anyway."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_at(location: str, start: int, size: int) -> bytes:
    with open(location, "rb") as handle:
        handle.seek(max(0, start))
        return handle.read(size)


def _read_batches(location: str, offset: int) -> Iterator[tuple[list[bytes], int]]:
    """Batches of complete lines and the byte offset after each; a last line without its newline is
    left for a later run."""
    with open(location, "rb") as handle:
        handle.seek(offset)
        pending: list[bytes] = []
        carry = b""
        while block := handle.read(READ_BYTES):
            parts = (carry + block).split(b"\n")
            carry = parts.pop()
            pending.extend(parts)
            while len(pending) >= BATCH_LINES:
                batch, pending = pending[:BATCH_LINES], pending[BATCH_LINES:]
                offset += sum(map(len, batch)) + len(batch)
                yield batch, offset
        if pending:
            yield pending, offset + sum(map(len, pending)) + len(pending)


def _parse_lines(
    raw_lines: list[bytes], first: int, latest: float = math.inf
) -> tuple[list[QueueEvent], list[Reject], int]:
    """Events, quarantined lines and the number of exact duplicates (rule 1) of one batch. Lines dated
    after `latest` are quarantined: one corrupt date would move the log clock ahead and close every
    open contact as stale."""
    bad: set[int] = set()
    try:
        lines = b"\n".join(raw_lines).decode("utf-8").split("\n")
    except UnicodeDecodeError:
        lines = []
        for index, raw in enumerate(raw_lines):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(raw.decode("utf-8", errors="replace"))
                bad.add(index)
    events: list[QueueEvent] = []
    rejects: list[Reject] = []
    seen: set[str] = set()
    duplicates = 0
    for index, line in enumerate(lines):
        if line in seen:
            duplicates += bool(line.strip())
            continue
        seen.add(line)
        parsed = "invalid UTF-8" if bad and index in bad else parse_line(line, first + index)
        if type(parsed) is QueueEvent:
            if parsed.time <= latest:
                events.append(parsed)
                continue
            parsed = f"time in the future: {parsed.time}"
        if parsed is not None:
            rejects.append((first + index, parsed, line))  # type: ignore[arg-type]
    return events, rejects, duplicates


def _parse_rows(
    rows: list[dict[str, Any]], first: int, settings: Settings, latest: float
) -> tuple[list[QueueEvent], list[Reject]]:
    events: list[QueueEvent] = []
    rejects: list[Reject] = []
    zone = settings.zone
    for index, row in enumerate(rows, start=first + 2):  # line 1 is the header
        raw = ",".join(str(v) for v in row.values() if v is not None)
        parsed = "invalid UTF-8" if "\ufffd" in raw else parse_realtime_row(row, zone, index)
        if isinstance(parsed, QueueEvent) and parsed.time > latest:
            parsed = f"time in the future: {parsed.time}"
        if isinstance(parsed, QueueEvent):
            events.append(parsed)
        elif parsed is not None:
            rejects.append((index, parsed, raw))
    return events, rejects
