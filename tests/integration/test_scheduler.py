"""The scheduler lease and the APScheduler wiring: who may run jobs, with which options, and that a
started scheduler really runs them and stops cleanly (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import select

from jobs import scheduler
from jobs.runs import recorded_run
from models.db import SessionFactory, session_scope
from models.lease import current_lease, release_lease, try_acquire_lease
from models.settings import Settings, load_settings
from models.tables import JobRun

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
CALLS: list[dict[str, object]] = []


def record_call(*, session_factory: SessionFactory, settings: Settings, now: datetime) -> None:
    """Stands in for a real job function: remembers that (and how) it was called."""
    CALLS.append({"session_factory": session_factory, "settings": settings, "now": now})


def failing_job(*, session_factory: SessionFactory, settings: Settings, now: datetime) -> None:  # noqa: ARG001
    """A job that fails inside its recorded run, as real jobs do."""
    with recorded_run(session_factory, "refresh", now=now):
        raise RuntimeError("source unreadable")


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    CALLS.clear()
    yield
    CALLS.clear()
    scheduler.dispose_engines()


def acquire(factory: SessionFactory, holder: str, now: datetime, ttl_s: float = 30, name: str = "s") -> bool:
    with session_scope(factory) as session:
        return try_acquire_lease(session=session, name=name, holder=holder, now=now, ttl_s=ttl_s)


def lease_of(factory: SessionFactory, name: str = "scheduler"):  # type: ignore[no-untyped-def]
    with session_scope(factory) as session:
        return current_lease(session=session, name=name)


# --- build_scheduler: ids, options, triggers (no database needed) --------------------------------


def test_build_scheduler_registers_each_job_with_deliberate_options(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}", refresh_seconds=60, demo_live_seconds=6, demo_live=True
    )
    sched = scheduler.build_scheduler(settings, holder="me")
    jobs = {job.id: job for job in sched.get_jobs()}

    assert isinstance(sched, BackgroundScheduler)
    assert sorted(jobs) == ["demo_live", "refresh"]
    assert isinstance(sched._jobstores["default"], MemoryJobStore)
    assert isinstance(sched._executors["default"], ThreadPoolExecutor)
    assert sched.timezone.utcoffset(None) == timedelta(0)
    expected = {"refresh": (60, 30), "demo_live": (6, 3)}  # (interval, half of it as misfire grace)
    for job_id, (interval, grace) in expected.items():
        job = jobs[job_id]
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(seconds=interval)
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == grace
        assert job.func is scheduler.run_leased
        assert job.args == (job_id, settings, "me")
    assert scheduler.lease_ttl_s(settings) == 18.0  # 3 x the shortest interval (6 s)


def test_demo_live_is_absent_when_switched_off(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}", refresh_seconds=60, demo_live=False
    )
    sched = scheduler.build_scheduler(settings)

    assert isinstance(sched, scheduler.LeasedBackgroundScheduler)
    assert [job.id for job in sched.get_jobs()] == ["refresh"]
    assert scheduler.lease_ttl_s(settings) == 180.0


def test_start_embedded_returns_none_in_worker_mode(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", scheduler_mode="worker")
    assert scheduler.start_embedded(settings) is None
    assert not (tmp_path / "x.db").exists()  # worker mode does not even open the database


def test_demo_live_advances_the_simulator_then_refreshes(monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    simulator = types.ModuleType("jobs.sources.simulator")
    simulator.advance_live = lambda **kw: order.append(f"advance@{kw['now']:%H:%M}")  # type: ignore[attr-defined]
    refresh = types.ModuleType("jobs.refresh")
    refresh.run = lambda **kw: order.append(f"refresh@{kw['now']:%H:%M}")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "jobs.sources.simulator", simulator)
    monkeypatch.setitem(sys.modules, "jobs.refresh", refresh)

    scheduler.demo_live_job(session_factory=lambda: None, settings=load_settings(), now=T0)  # type: ignore[arg-type,return-value]

    assert order == ["advance@09:00", "refresh@09:00"]


# --- The lease -----------------------------------------------------------------------------------


def test_lease_acquire_refuse_renew_take_over_release(factory: SessionFactory) -> None:
    assert acquire(factory, "A", T0, ttl_s=30) is True
    held = lease_of(factory, "s")
    assert (held.holder, held.expires_at, held.renewed_at) == ("A", T0 + timedelta(seconds=30), T0)

    assert acquire(factory, "B", T0 + timedelta(seconds=10)) is False  # valid until T0+30
    assert acquire(factory, "A", T0 + timedelta(seconds=20)) is True  # renewal
    assert lease_of(factory, "s").expires_at == T0 + timedelta(seconds=50)
    assert acquire(factory, "B", T0 + timedelta(seconds=49)) is False
    assert acquire(factory, "B", T0 + timedelta(seconds=51)) is True  # expired at T0+50: take over
    assert lease_of(factory, "s").holder == "B"
    assert acquire(factory, "A", T0 + timedelta(seconds=52)) is False

    with session_scope(factory) as session:
        assert release_lease(session=session, name="s", holder="A") is False  # not A's to give back
        assert release_lease(session=session, name="s", holder="B") is True
    assert lease_of(factory, "s") is None
    assert acquire(factory, "A", T0 + timedelta(seconds=53)) is True


def test_lease_rejects_naive_now(factory: SessionFactory) -> None:
    with pytest.raises(ValueError, match="naive"), session_scope(factory) as session:
        try_acquire_lease(session=session, name="s", holder="A", now=datetime(2025, 1, 1), ttl_s=5)


@pytest.mark.parametrize("existing", ["absent", "expired"])
def test_concurrent_acquisition_has_exactly_one_winner(factory: SessionFactory, existing: str) -> None:
    for round_no in range(4):
        name = f"race{round_no}"
        if existing == "expired":
            assert acquire(factory, "old", T0 - timedelta(seconds=60), ttl_s=1, name=name)
        barrier = threading.Barrier(2)
        results: dict[str, bool] = {}

        def contend(
            holder: str,
            name: str = name,
            barrier: threading.Barrier = barrier,
            results: dict[str, bool] = results,
        ) -> None:
            barrier.wait()
            results[holder] = acquire(factory, holder, T0, ttl_s=30, name=name)

        threads = [threading.Thread(target=contend, args=(h,)) for h in ("A", "B")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)

        winners = [h for h, won in results.items() if won]
        assert len(results) == 2
        assert len(winners) == 1, results
        assert lease_of(factory, name).holder == winners[0]


# --- The leased wrapper ---------------------------------------------------------------------------


def test_wrapper_runs_the_job_only_while_holding_the_lease(
    settings: Settings, factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler, "refresh_job", record_call)
    now = datetime.now(UTC)
    assert acquire(factory, "other", now, ttl_s=600, name="scheduler")

    assert scheduler.run_leased("refresh", settings, "me") is False
    assert CALLS == []
    assert lease_of(factory).holder == "other"

    with session_scope(factory) as session:
        release_lease(session=session, name="scheduler", holder="other")
    before = datetime.now(UTC)
    assert scheduler.run_leased("refresh", settings, "me") is True

    assert len(CALLS) == 1
    assert CALLS[0]["settings"] is settings
    assert before <= CALLS[0]["now"] <= datetime.now(UTC)  # type: ignore[operator]
    lease = lease_of(factory)
    assert lease.holder == "me"
    ttl = 3 * min(settings.refresh_seconds, settings.demo_live_seconds)
    assert lease.expires_at - lease.renewed_at == timedelta(seconds=ttl)


def test_a_job_longer_than_the_lease_keeps_it_renewed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """refresh every 1 s: a 3 s lease. A job running 4 s must not let another scheduler in."""
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'beat.db'}", refresh_seconds=1, demo_live=False
    )
    factory = scheduler._session_factory_for(settings.database_url, migrate=True)
    seen: list[tuple[bool, datetime]] = []

    def long_job(*, session_factory: SessionFactory, settings: Settings, now: datetime) -> None:  # noqa: ARG001
        for _ in range(4):
            time.sleep(1.0)
            seen.append((acquire(factory, "intruder", datetime.now(UTC), ttl_s=3, name="scheduler"), now))

    monkeypatch.setattr(scheduler, "refresh_job", long_job)
    started = datetime.now(UTC)
    assert scheduler.run_leased("refresh", settings, "me") is True

    assert [took for took, _ in seen] == [False, False, False, False]  # the intruder never got in
    lease = lease_of(factory)
    assert lease.holder == "me"
    assert lease.renewed_at > started + timedelta(seconds=2)  # renewed during the job, not only at start


def test_wrapper_takes_over_a_stale_lease(
    settings: Settings, factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler, "demo_live_job", record_call)
    assert acquire(factory, "dead", datetime.now(UTC) - timedelta(hours=1), ttl_s=60, name="scheduler")

    assert scheduler.run_leased("demo_live", settings, "me") is True
    assert len(CALLS) == 1
    assert lease_of(factory).holder == "me"


def test_wrapper_never_raises_and_the_job_records_its_failure(
    settings: Settings, factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler, "refresh_job", failing_job)

    assert scheduler.run_leased("refresh", settings, "me") is False
    assert scheduler.run_leased("no_such_job", settings, "me") is False

    with session_scope(factory) as session:
        runs = session.exec(select(JobRun)).all()
    assert [(r.job, r.status) for r in runs] == [("refresh", "failed")]
    assert "RuntimeError: source unreadable" in (runs[0].error or "")


# --- Real schedulers ------------------------------------------------------------------------------


def test_started_scheduler_runs_jobs_and_stops_cleanly(
    db_url: str, factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler, "refresh_job", record_call)
    settings = load_settings(database_url=db_url, refresh_seconds=1, demo_live=False)

    sched = scheduler.start_embedded(settings)
    assert isinstance(sched, scheduler.LeasedBackgroundScheduler)
    try:
        deadline = time.monotonic() + 8
        while len(CALLS) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(CALLS) >= 2  # the first run at start, the next one a second later
        assert lease_of(factory).holder == sched.lease_holder
    finally:
        sched.stop_and_release()

    assert sched.running is False
    assert lease_of(factory) is None  # handed back for the next process
    calls_after_stop = len(CALLS)
    time.sleep(1.5)
    assert len(CALLS) == calls_after_stop


def test_worker_process_stops_on_sigterm_and_releases_the_lease(sqlite_url: str) -> None:
    env = {
        **os.environ,
        "MIRADOR_DATABASE_URL": sqlite_url,
        "MIRADOR_DEMO_LIVE": "false",
        "MIRADOR_REFRESH_SECONDS": "3600",
        "PYTHONPATH": str(ROOT),
    }
    code = (
        "import logging; logging.basicConfig(level=logging.INFO)\n"
        "from jobs.scheduler import run_worker\nfrom models.settings import load_settings\n"
        "run_worker(load_settings())\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    factory_engine = scheduler._session_factory_for(sqlite_url)
    try:
        deadline = time.monotonic() + 20
        lease = None
        while time.monotonic() < deadline and proc.poll() is None:
            lease = lease_of(factory_engine)
            if lease is not None:
                break
            time.sleep(0.1)
        assert lease is not None, proc.stderr.read().decode() if proc.poll() is not None else "no lease"
        assert f":{proc.pid}:" in lease.holder

        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr.decode()
    assert "SIGTERM: stopping the scheduler" in stderr.decode()
    assert lease_of(factory_engine) is None
