"""Load files of any source kind, the one path shared by `mirador ingest`, the scheduled source jobs
and the upload page: each file is parsed, then its rows, its quarantined records and its checkpoint
are written in one transaction (a crash never half-loads a file), under one recorded JobRun per
call, and the aggregates are refreshed (incrementally unless a reload moved stored facts)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobs.runs import recorded_run
from jobs.sources import amazon_connect, generic_csv, surveys
from jobs.sources.common import Parsed
from jobs.sources.load_result import MAX_LISTED, LoadResult, absorb, merge
from jobs.sources.store import RunWriter
from models import ingest, ingest_extra
from models.db import SessionFactory, session_scope
from models.settings import SURVEY_FIELDS, Settings

Progress = Callable[[str, float], None]
KINDS = ("asterisk", "connect", "surveys", "contacts", "states", "schedules")


@dataclass(frozen=True)
class Kind:
    job: str
    source: str  # Contact/segment source, and the quarantine's
    parse: Callable[..., Parsed]
    suffixes: tuple[str, ...] | None  # files a folder contributes (None: every file)


CSV = Kind(generic_csv.JOB, generic_csv.SOURCE, generic_csv.parse_generic, (".csv", ".txt"))
SOURCES = {
    "connect": Kind(amazon_connect.JOB, amazon_connect.SOURCE, amazon_connect.parse_connect, None),
    "surveys": Kind(surveys.JOB, surveys.QUARANTINE_SOURCE, surveys.parse_surveys, (".csv", ".txt")),
    "contacts": CSV,
    "states": CSV,
    "schedules": CSV,
}


def parse_mapping(text: str | None) -> dict[str, str] | None:
    """A survey mapping typed as JSON (`--mapping`, the upload page); blank gives None. Raises
    ValueError with a one-line reason."""
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"the mapping is not JSON: {exc}") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError('the mapping must be a JSON object of strings, e.g. {"csat": "Q1"}')
    unknown = sorted(set(value) - set(SURVEY_FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {unknown}; fields are {list(SURVEY_FIELDS)}")
    return value


def ingest_path(
    *,
    session_factory: SessionFactory,
    settings: Settings,
    kind: str,
    path: Path,
    now: datetime | None = None,
    mapping: dict[str, str] | None = None,
    only_changed: bool = False,
    refresh: bool = True,
    progress: Progress | None = None,
) -> LoadResult:
    """Load a file, or every file under a folder (oldest first), of one kind. `only_changed`
    (scheduled runs) skips files whose checkpoint says they were read as they are now."""
    now = now or datetime.now(UTC)
    path = Path(path).expanduser()
    if kind == "asterisk":
        result = _asterisk(session_factory, settings, path, now)
    else:
        files = list_files(path, SOURCES[kind].suffixes) if path.exists() else []
        result = ingest_files(
            session_factory=session_factory,
            settings=settings,
            kind=kind,
            files=files,
            now=now,
            mapping=mapping,
            only_changed=only_changed,
            checkpoint=True,
            progress=progress,
        )
        result.missing = not path.exists()
    if refresh:
        _refresh(session_factory, settings, now, result, progress)
    return result


def ingest_upload(
    *,
    session_factory: SessionFactory,
    settings: Settings,
    kind: str,
    uploads: list[tuple[str, bytes]],
    now: datetime | None = None,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Files sent through the upload page: kept under settings.upload_dir (the admin can open the
    original of any quarantined row), loaded like any other file, then the aggregates refreshed."""
    now = now or datetime.now(UTC)
    folder = Path(settings.upload_dir).expanduser() / kind
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, data in uploads:
        digest = hashlib.sha1(data).hexdigest()[:10]
        safe = re.sub(r"[^\w.-]+", "_", Path(name).name)[-80:] or "upload"
        target = folder / f"{now:%Y%m%dT%H%M%S}-{digest}-{safe}"
        target.write_bytes(data)
        saved.append(target)
    if kind == "asterisk":
        result = LoadResult(kind=kind)
        for target in saved:
            merge(result, _asterisk(session_factory, settings, target, now))
    else:
        result = ingest_files(
            session_factory=session_factory,
            settings=settings,
            kind=kind,
            files=saved,
            now=now,
            mapping=mapping,
            checkpoint=False,
            progress=progress,
        )
    _refresh(session_factory, settings, now, result, progress)
    return result


def ingest_files(
    *,
    session_factory: SessionFactory,
    settings: Settings,
    kind: str,
    files: list[Path],
    now: datetime,
    mapping: dict[str, str] | None = None,
    only_changed: bool = False,
    checkpoint: bool = True,
    progress: Progress | None = None,
) -> LoadResult:
    """The files of one kind under one JobRun, one transaction per file."""
    spec = SOURCES[kind]
    result = LoadResult(kind=kind)
    options = {"zone": settings.zone, "mapping": mapping or settings.survey_mapping or None, "kind": kind}
    with recorded_run(session_factory, spec.job, now=now) as run:
        writer = RunWriter(session_factory, settings, run.batch_id, spec.source)
        result.batch_ids.append(run.batch_id)
        newest: float | None = None
        known: dict[str, tuple[str | None, str | None]] = {}
        if only_changed:
            with session_scope(session_factory) as session:
                known = ingest_extra.file_versions(session=session, source=spec.source)
        for index, file in enumerate(files):
            if progress:
                progress(f"{file.name}", index / max(1, len(files)))
            location = str(file.resolve())
            try:
                stat = file.stat()
                version = f"{stat.st_size}:{stat.st_mtime_ns}"
                file_id = f"{stat.st_dev}:{stat.st_ino}"
                if only_changed and known.get(location) == (file_id, version):
                    result.unchanged_files += 1
                    continue
                data = file.read_bytes()
            except OSError as exc:
                _unreadable(session_factory, spec.source, location, run.batch_id, now, exc, result)
                continue
            parsed = spec.parse(data, **options)
            writer.prepare(parsed)
            with session_scope(session_factory) as session:
                written = writer.write(session, parsed)
                ingest.add_quarantine(
                    session=session, rows=_quarantine_rows(parsed, spec.source, location, run, now)
                )
                if checkpoint:
                    ingest.save_checkpoint(
                        session=session,
                        source=spec.source,
                        location=location,
                        file_id=file_id,
                        offset=stat.st_size,
                        last_key=version,
                        now=now,
                    )
            result.files += 1
            absorb(result, parsed, written, location)
            newest = max(filter(None, [newest, _newest(parsed)]), default=None)
        run.rows_in, run.rows_out, run.rows_rejected = result.records, result.loaded, result.quarantined
        run.newest_event_at = None if newest is None else datetime.fromtimestamp(newest, UTC)
        run.detail.update(
            {k: v for k, v in result.summary().items() if k not in ("refresh", "quarantine_reasons")}
        )
    return result


def list_files(path: Path, suffixes: tuple[str, ...] | None) -> list[Path]:
    """The file itself, or the visible files under a folder (Firehose's YYYY/MM/DD/HH layout
    included), oldest first: re-deliveries then apply in delivery order."""
    if path.is_file():
        return [path]
    found = [
        p
        for p in path.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
        and (suffixes is None or p.suffix.lower() in suffixes)
    ]
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, str(p)))


def _unreadable(
    factory: SessionFactory,
    source: str,
    location: str,
    batch_id: int,
    now: datetime,
    exc: OSError,
    result: LoadResult,
) -> None:
    reason = f"file cannot be read: {exc.strerror or type(exc).__name__}"
    row = {"source": source, "location": location, "line_no": None, "reason": reason, "raw": None}
    with session_scope(factory) as session:
        ingest.add_quarantine(session=session, rows=[{**row, "batch_id": batch_id, "created_at": now}])
    result.unreadable.append(f"{location}: {reason}")
    result.quarantined += 1


def _quarantine_rows(
    parsed: Parsed, source: str, location: str, run: Any, now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "source": source,
            "location": location,
            "line_no": r.line_no,
            "reason": r.reason,
            "raw": r.raw,
            "batch_id": run.batch_id,
            "created_at": now,
        }
        for r in parsed.rejected
    ]


def _newest(parsed: Parsed) -> float | None:
    times = [c.completed or c.ended or c.answered or c.offered for c in parsed.contacts]
    times += [s.end or s.start for s in parsed.segments] + [e.time for e in parsed.events]  # type: ignore[attr-defined]
    times += [a.answered for a in parsed.surveys]  # type: ignore[attr-defined]
    return max(times, default=None)


def _asterisk(factory: SessionFactory, settings: Settings, path: Path, now: datetime) -> LoadResult:
    """H6's queue_log loader (a .csv is the realtime table's export), reported like the others."""
    from jobs.sources.asterisk import ingest_queue_log, ingest_realtime_csv

    result = LoadResult(kind="asterisk", missing=not path.is_file())
    if result.missing:
        return result
    load = ingest_realtime_csv if path.suffix.lower() == ".csv" else ingest_queue_log
    done = load(session_factory=factory, settings=settings, path=path, now=now)
    result.files, result.records = 1, done.lines_read
    result.readable = max(0, done.lines_read - done.quarantined)
    result.tables = {"contacts": done.contacts_loaded, "agent_states": done.segments_loaded}
    result.loaded = done.contacts_loaded + done.segments_loaded
    result.duplicates = done.duplicates_skipped + done.duplicate_lines
    result.quarantined = done.quarantined
    result.batch_ids = [done.batch_id] if done.batch_id is not None else []
    with session_scope(factory) as session:
        kept = ingest_extra.quarantined_rows(session=session, batch_ids=result.batch_ids, limit=MAX_LISTED)
    result.rejected = [
        {"file": Path(r["location"]).name, "line": r["line_no"], "reason": r["reason"]} for r in kept
    ]
    return result


def _refresh(
    factory: SessionFactory, settings: Settings, now: datetime, result: LoadResult, progress: Progress | None
) -> None:
    """Fold the new rows into the aggregates (a full rebuild when a reload moved stored facts)."""
    from jobs import refresh

    if progress:
        progress("refreshing the aggregates", 0.95)
    result.refresh = refresh.run(
        session_factory=factory, settings=settings, now=now, full=result.full_refresh
    )
    if progress:
        progress("done", 1.0)
