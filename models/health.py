"""Read side of the data-health page: recent job runs, each job's last success and lag,
quarantined input rows by source and reason, and where each incremental reader stopped."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import case, func, select
from sqlmodel import Session

from models.tables import JobRun, Quarantine, SourceCheckpoint

RUN_COLUMNS = [
    "id",
    "job",
    "status",
    "started_at",
    "finished_at",
    "duration_s",
    "rows_in",
    "rows_out",
    "rows_rejected",
    "error",
]
JOB_COLUMNS = [
    "job",
    "runs",
    "failed",
    "last_started_at",
    "last_status",
    "last_success_at",
    "success_lag_s",
    "newest_event_at",
]
QUARANTINE_COLUMNS = ["source", "reason", "rows", "last_seen_at"]
CHECKPOINT_COLUMNS = ["source", "location", "offset", "last_key", "updated_at"]


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive (they were stored as UTC): make them aware again."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    start, end = _utc(start), _utc(end)
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def _first_line(text: str | None) -> str | None:
    return text.strip().splitlines()[0] if text and text.strip() else None


def recent_runs(*, session: Session, limit: int = 50) -> pd.DataFrame:
    """The newest job runs first, so an admin sees at a glance what ran, how long it took and why
    it failed (the error's first line; the full trace stays in the JobRun row)."""
    rows = session.execute(
        select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)  # type: ignore[union-attr]
    ).scalars()
    records = [
        {
            "id": run.id,
            "job": run.job,
            "status": run.status,
            "started_at": _utc(run.started_at),
            "finished_at": _utc(run.finished_at),
            "duration_s": _seconds_between(run.started_at, run.finished_at),
            "rows_in": run.rows_in,
            "rows_out": run.rows_out,
            "rows_rejected": run.rows_rejected,
            "error": _first_line(run.error),
        }
        for run in rows
    ]
    return pd.DataFrame.from_records(records, columns=RUN_COLUMNS)


def job_summary(*, session: Session, now: datetime) -> pd.DataFrame:
    """One row per job: how many runs and failures, the last run's status, and how long ago the
    last successful run finished (a job that keeps failing shows a growing lag, not a fresh time)."""
    totals = session.execute(
        select(
            JobRun.job,
            func.count().label("runs"),
            func.sum(case((JobRun.status == "failed", 1), else_=0)).label("failed"),
            func.max(JobRun.started_at).label("last_started_at"),
        ).group_by(JobRun.job)
    ).all()
    last_success = dict(
        session.execute(
            select(JobRun.job, func.max(JobRun.finished_at)).where(JobRun.status == "ok").group_by(JobRun.job)
        ).all()
    )
    newest_event = dict(
        session.execute(
            select(JobRun.job, func.max(JobRun.newest_event_at))
            .where(JobRun.status == "ok")
            .group_by(JobRun.job)
        ).all()
    )
    records = []
    for job, runs, failed, last_started_at in totals:
        last_status = session.execute(
            select(JobRun.status)
            .where(JobRun.job == job)
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())  # type: ignore[union-attr]
            .limit(1)
        ).scalar_one()
        success_at = last_success.get(job)
        records.append(
            {
                "job": job,
                "runs": int(runs),
                "failed": int(failed or 0),
                "last_started_at": _utc(last_started_at),
                "last_status": last_status,
                "last_success_at": _utc(success_at),
                "success_lag_s": _seconds_between(success_at, now),
                "newest_event_at": _utc(newest_event.get(job)),
            }
        )
    records.sort(key=lambda r: str(r["job"]))
    return pd.DataFrame.from_records(records, columns=JOB_COLUMNS)


def quarantine_counts(*, session: Session) -> pd.DataFrame:
    """Rejected input rows grouped by source and reason, largest first: what to fix upstream."""
    rows = session.execute(
        select(
            Quarantine.source,
            Quarantine.reason,
            func.count().label("rows"),
            func.max(Quarantine.created_at).label("last_seen_at"),
        )
        .group_by(Quarantine.source, Quarantine.reason)
        .order_by(func.count().desc(), Quarantine.source, Quarantine.reason)
    ).all()
    records = [
        {"source": source, "reason": reason, "rows": int(n), "last_seen_at": _utc(seen)}
        for source, reason, n, seen in rows
    ]
    return pd.DataFrame.from_records(records, columns=QUARANTINE_COLUMNS)


def source_checkpoints(*, session: Session) -> pd.DataFrame:
    """Where each incremental reader stopped, per source and file/stream (a reader that stopped
    moving while its file grows is the first thing to check when data looks stale)."""
    rows = session.execute(
        select(SourceCheckpoint).order_by(SourceCheckpoint.source, SourceCheckpoint.location)
    ).scalars()
    records = [
        {
            "source": cp.source,
            "location": cp.location,
            "offset": cp.offset,
            "last_key": cp.last_key,
            "updated_at": _utc(cp.updated_at),
        }
        for cp in rows
    ]
    return pd.DataFrame.from_records(records, columns=CHECKPOINT_COLUMNS)


def latest_run_id(*, session: Session) -> int:
    """Id of the newest job run of any kind (0 before the first): the data-health page's cache key,
    so a new seed, ingest or failure shows at once."""
    return int(session.execute(select(func.max(JobRun.id))).scalar() or 0)
