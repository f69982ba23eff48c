"""The data-health page's read model (models/health.py) on SQLite and PostgreSQL, with expectations
worked out by hand from the runs written below."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from models import health
from models.db import SessionFactory, session_scope
from models.tables import Quarantine, SourceCheckpoint
from models.writes import finish_run, start_run

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def write_runs(factory: SessionFactory) -> None:
    """ingest: ok 0-90 s, failed 600-660 s; refresh: started at 100 s, still running."""
    first = start_run(factory, "ingest", now=at(0))
    finish_run(factory, first, status="ok", rows_in=10, rows_out=8, rows_rejected=2, now=at(90))
    running = start_run(factory, "refresh", now=at(100))
    assert running
    failed = start_run(factory, "ingest", now=at(600))
    finish_run(factory, failed, status="failed", error="ValueError: bad line\n  File x.py", now=at(660))


def test_recent_runs_newest_first_with_duration_and_error_first_line(factory: SessionFactory) -> None:
    write_runs(factory)
    with factory() as session:
        runs = health.recent_runs(session=session)
    assert list(runs["job"]) == ["ingest", "refresh", "ingest"]
    assert list(runs["status"]) == ["failed", "running", "ok"]
    durations = runs["duration_s"].tolist()
    assert durations[0] == 60 and pd.isna(durations[1]) and durations[2] == 90
    assert runs["error"].iloc[0] == "ValueError: bad line"
    assert pd.isna(runs["error"].iloc[2])
    assert runs[["rows_in", "rows_out", "rows_rejected"]].iloc[2].tolist() == [10, 8, 2]
    assert all(ts.tzinfo is not None for ts in runs["started_at"])


def test_recent_runs_limit(factory: SessionFactory) -> None:
    write_runs(factory)
    with factory() as session:
        assert len(health.recent_runs(session=session, limit=2)) == 2


def test_job_summary_last_success_and_lag(factory: SessionFactory) -> None:
    write_runs(factory)
    with factory() as session:
        jobs = health.job_summary(session=session, now=at(1000)).set_index("job")
    assert list(jobs.index) == ["ingest", "refresh"]
    ingest = jobs.loc["ingest"]
    assert (ingest["runs"], ingest["failed"], ingest["last_status"]) == (2, 1, "failed")
    assert ingest["last_success_at"] == at(90)
    assert ingest["success_lag_s"] == 910  # 1000 s - the ok run's finish at 90 s
    assert ingest["last_started_at"] == at(600)
    refresh = jobs.loc["refresh"]
    assert (refresh["runs"], refresh["failed"], refresh["last_status"]) == (1, 0, "running")
    assert pd.isna(refresh["last_success_at"]) and pd.isna(refresh["success_lag_s"])


def test_quarantine_counts_and_checkpoints(factory: SessionFactory) -> None:
    with session_scope(factory) as session:
        for line, (source, reason, seconds) in enumerate(
            [("asterisk", "bad time", 1), ("asterisk", "bad time", 5), ("csv", "no id", 3)]
        ):
            session.add(
                Quarantine(source=source, location="f", line_no=line, reason=reason, created_at=at(seconds))
            )
        session.add(SourceCheckpoint(source="asterisk", location="/q/log", offset=4096, updated_at=at(7)))
    with factory() as session:
        quarantine = health.quarantine_counts(session=session)
        checkpoints = health.source_checkpoints(session=session)
    assert quarantine[["source", "reason", "rows"]].values.tolist() == [
        ["asterisk", "bad time", 2],
        ["csv", "no id", 1],
    ]
    assert quarantine["last_seen_at"].iloc[0] == at(5)
    assert checkpoints[["source", "location", "offset"]].values.tolist() == [["asterisk", "/q/log", 4096]]
    assert checkpoints["updated_at"].iloc[0] == at(7)


def test_empty_database_gives_empty_frames_with_columns(factory: SessionFactory) -> None:
    with factory() as session:
        assert health.latest_run_id(session=session) == 0
        assert list(health.recent_runs(session=session).columns) == health.RUN_COLUMNS
        assert health.job_summary(session=session, now=T0).empty
        assert health.quarantine_counts(session=session).empty


def test_latest_run_id_follows_any_job(factory: SessionFactory) -> None:
    write_runs(factory)
    with factory() as session:
        assert health.latest_run_id(session=session) == 3
