"""Write side used by jobs: job-run records (whose ids are the batch ids facts carry) and
idempotent bulk upserts on natural keys, portable between SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from models.db import SessionFactory, session_scope
from models.tables import JobRun

CHUNK = 5000


def start_run(factory: SessionFactory, job: str, now: datetime | None = None) -> int:
    """Record that a job started (committed at once) and return its id, the batch id of its rows."""
    with session_scope(factory) as session:
        run = JobRun(job=job, started_at=now or datetime.now(UTC), runner=this_runner())
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id


def this_runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def fail_dead_runs(session: Session, *, now: datetime) -> list[int]:
    """Mark failed the runs still "running" whose process on this host has ended (killed, crashed,
    machine restarted), so they stop holding the refresh watermark back and the data-health page
    says what happened. Runs of other hosts are left to the age limit (models.rollup.STUCK_RUN_H)."""
    host = socket.gethostname()
    dead = []
    for run_id, runner in session.execute(
        select(JobRun.id, JobRun.runner).where(JobRun.status == "running", JobRun.runner.is_not(None))  # type: ignore[union-attr]
    ).all():
        runner_host, _, pid = str(runner).rpartition(":")
        if runner_host == host and pid.isdigit() and not _alive(int(pid)):
            dead.append(int(run_id))
    if dead:
        session.execute(
            update(JobRun)
            .where(JobRun.id.in_(dead))  # type: ignore[union-attr]
            .values(status="failed", finished_at=now, error="its process ended before the run finished")
        )
    return dead


def finish_run(
    factory: SessionFactory,
    run_id: int,
    *,
    status: str,
    rows_in: int = 0,
    rows_out: int = 0,
    rows_rejected: int = 0,
    newest_event_at: datetime | None = None,
    error: str | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> None:
    """Close a JobRun with its counts (status ok or failed)."""
    with session_scope(factory) as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)  # type: ignore[arg-type]
            .values(
                status=status,
                finished_at=now or datetime.now(UTC),
                rows_in=rows_in,
                rows_out=rows_out,
                rows_rejected=rows_rejected,
                newest_event_at=newest_event_at,
                error=error,
                detail=detail,
            )
        )


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


def upsert_rows(
    session: Session,
    model: type[SQLModel],
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    update_columns: Iterable[str] | None = None,
) -> None:
    """Insert rows; on a natural-key conflict update `update_columns` (or do nothing if None)."""
    if not rows:
        return
    table = _table(model)
    dialect = session.get_bind().dialect.name
    insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), CHUNK):
        stmt = insert_fn(table)
        if update_columns is None:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
        else:
            cols = list(update_columns)
            stmt = stmt.on_conflict_do_update(
                index_elements=list(conflict), set_={c: stmt.excluded[c] for c in cols}
            )
        session.execute(stmt, list(rows[start : start + CHUNK]))


def insert_rows(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """Plain bulk insert (Core executemany) for rows known to be new."""
    if not rows:
        return
    table = _table(model)
    for start in range(0, len(rows), CHUNK):
        session.execute(table.insert(), list(rows[start : start + CHUNK]))


def existing_keys(session: Session, model: type[SQLModel], column: str, keys: Sequence[Any]) -> set[Any]:
    """Which of `keys` already exist in `column` (to count duplicates skipped on a reload)."""
    table = _table(model)
    found: set[Any] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = list(keys[start : start + CHUNK])
        found.update(session.execute(select(table.c[column]).where(table.c[column].in_(chunk))).scalars())
    return found


# --- Generic reads for jobs (filters are (column, op, value) triples, so no SQL leaves models/) ---

Filter = tuple[str, str, Any]


def _where(table: Table, filters: Sequence[Filter]) -> list[Any]:
    """Turn (column, op, value) triples into clauses; ops: == != < <= > >= in is_null not_null."""
    clauses = []
    for column, op, value in filters:
        col = table.c[column]
        if op == "==":
            clauses.append(col == value)
        elif op == "!=":
            clauses.append(col != value)
        elif op == "<":
            clauses.append(col < value)
        elif op == "<=":
            clauses.append(col <= value)
        elif op == ">":
            clauses.append(col > value)
        elif op == ">=":
            clauses.append(col >= value)
        elif op == "in":
            clauses.append(col.in_(list(value)))
        elif op == "is_null":
            clauses.append(col.is_(None))
        elif op == "not_null":
            clauses.append(col.is_not(None))
        else:
            raise ValueError(f"unknown filter operator {op!r}")
    return clauses


def fetch_rows(
    session: Session,
    model: type[SQLModel],
    *,
    columns: Sequence[str] | None = None,
    where: Sequence[Filter] = (),
    order_by: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Rows of one table as dicts (chosen columns, AND-ed filters), for jobs that must not write SQL."""
    table = _table(model)
    cols = [table.c[c] for c in columns] if columns else list(table.c)
    stmt = select(*cols).where(*_where(table, where)).order_by(*(table.c[c] for c in order_by))
    return [dict(row._mapping) for row in session.execute(stmt)]


def count_rows(session: Session, model: type[SQLModel], *, where: Sequence[Filter] = ()) -> int:
    """How many rows match the filters."""
    from sqlalchemy import func

    table = _table(model)
    stmt = select(func.count()).select_from(table).where(*_where(table, where))
    return int(session.execute(stmt).scalar_one())


def max_value(session: Session, model: type[SQLModel], column: str, *, where: Sequence[Filter] = ()) -> Any:
    """Largest value of a column among the matching rows (None when none match)."""
    from sqlalchemy import func

    table = _table(model)
    return session.execute(select(func.max(table.c[column])).where(*_where(table, where))).scalar_one()
