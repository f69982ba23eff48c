"""Test data for the app tests, written through the real write path: the simulator's "tiny" demo
(one recorded run) and a full aggregate refresh; plus a later load, and the AppTest runner."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from jobs import refresh
from jobs.sources.simulator import seed_demo
from models.db import make_engine, session_factory, session_scope
from models.settings import load_settings
from models.tables import Agent, Contact, Queue
from models.timegrid import interval_of
from models.writes import finish_run, insert_rows, start_run

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard.py")
TIMEOUT_S = 60
# A fixed "now" keeps the data set identical on every run: 16:00 in Madrid on a Wednesday.
SEEDED_AT = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def seed_tiny_demo(database_url: str, *, now: datetime = SEEDED_AT) -> None:
    """The simulator's tiny scale (12 agents, 2 weeks up to `now`), then a full refresh."""
    settings = load_settings(database_url=database_url)
    engine = make_engine(database_url)
    factory = session_factory(engine)
    try:
        seed_demo(session_factory=factory, settings=settings, scale="tiny", now=now, seed=7)
        refresh.run(session_factory=factory, settings=settings, now=now, full=True)
        if database_url.startswith("sqlite"):
            with engine.connect() as connection:  # fold the WAL into the file so copies are whole
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def _contact(key: str, offered: datetime, *, batch: int, queue_id: int, agent_id: int) -> dict[str, Any]:
    """An answered voice contact: 3 s wait, 240 s talk, 30 s after-contact work."""
    answered = offered + timedelta(seconds=3)
    ended = answered + timedelta(seconds=240)
    completed = ended + timedelta(seconds=30)
    return {
        "source": "test",
        "source_key": key,
        "batch_id": batch,
        "queue_id": queue_id,
        "channel": "voice",
        "agent_id": agent_id,
        "customer_key": f"cust-{key}",
        "offered_at": offered,
        "answered_at": answered,
        "ended_at": ended,
        "completed_at": completed,
        "offered_interval": interval_of(offered),
        "completed_interval": interval_of(completed),
        "wait_s": 3.0,
        "talk_s": 240.0,
        "hold_s": 0.0,
        "acw_s": 30.0,
        "hold_count": 0,
        "outcome": "answered",
        "exit_reason": None,
        "transferred": False,
        "reconstructed": False,
        "survey_offered": False,
        "ring_no_answer": 0,
    }


def seed_more_contacts(database_url: str, *, day: date, count: int, now: datetime = SEEDED_AT) -> int:
    """A later load: `count` more answered voice contacts on `day` (10:00 UTC) in a new batch,
    then an incremental refresh at `now` (a new refresh version). Returns how many were added.
    `now` stays the seed's clock: open agent states run up to the refresh's now."""
    engine = make_engine(database_url)
    factory = session_factory(engine)
    try:
        with factory() as session:
            queue_id = session.execute(select(Queue.id).where(Queue.channel == "voice")).scalars().first()
            agent_id = session.execute(select(Agent.id)).scalars().first()
        assert queue_id is not None and agent_id is not None
        batch = start_run(factory, "test_load", now=now)
        start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
        rows = [
            _contact(f"late{batch}-{i}", start + timedelta(minutes=i), batch=batch, queue_id=queue_id,
                     agent_id=agent_id)
            for i in range(count)
        ]  # fmt: skip
        with session_scope(factory) as session:
            insert_rows(session, Contact, rows)
        finish_run(factory, batch, status="ok", rows_out=count, now=now)
        refresh.run(session_factory=factory, settings=load_settings(database_url=database_url), now=now)
    finally:
        engine.dispose()
    return count


def run_app(path: str = APP) -> AppTest:
    """Run the app (or one page script) once, with a timeout fit for the first, cold run."""
    return AppTest.from_file(path, default_timeout=TIMEOUT_S).run()
