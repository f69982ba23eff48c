"""The job table and the APScheduler 3 scheduler that runs it, guarded by a database lease.

One scheduler per database (DESIGN.md): a `mirador worker` or, embedded, one per Streamlit process;
both are BackgroundSchedulers and whichever holds the lease row runs the jobs.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from models.db import SessionFactory, make_engine, session_factory, session_scope, upgrade_to_head
from models.lease import release_lease, try_acquire_lease
from models.settings import Settings

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_TTL_FACTOR = 3  # a holder may miss two runs in a row before another process takes over


# --- The job table --------------------------------------------------------------------------------


def refresh_job(*, session_factory: SessionFactory, settings: Settings, now: datetime) -> None:
    """Fold new facts into the aggregates (imported lazily: the scheduler must import on its own)."""
    from jobs.refresh import run

    run(session_factory=session_factory, settings=settings, now=now)


def demo_live_job(*, session_factory: SessionFactory, settings: Settings, now: datetime) -> None:
    """Advance the simulator to `now`, then refresh at once so the live board shows it this tick."""
    from jobs.sources.simulator import advance_live

    advance_live(session_factory=session_factory, settings=settings, now=now)
    refresh_job(session_factory=session_factory, settings=settings, now=now)


def _ingest_then_refresh(
    kind: str, *, session_factory: SessionFactory, settings: Settings, now: datetime
) -> None:
    """A source job: load what is new at its configured path, then refresh at once."""
    from jobs.sources import scheduled

    scheduled.run(kind=kind, session_factory=session_factory, settings=settings, now=now)
    refresh_job(session_factory=session_factory, settings=settings, now=now)


def ingest_asterisk_job(**kwargs: Any) -> None:
    _ingest_then_refresh("asterisk", **kwargs)


def ingest_connect_job(**kwargs: Any) -> None:
    _ingest_then_refresh("connect", **kwargs)


def ingest_surveys_job(**kwargs: Any) -> None:
    _ingest_then_refresh("surveys", **kwargs)


def ingest_csv_job(**kwargs: Any) -> None:
    _ingest_then_refresh("csv", **kwargs)


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its id, the module-level function it runs, and which settings drive it.

    The function is named, not referenced, and looked up when the job fires: the job's arguments
    stay plain data, and tests can replace the function with monkeypatch.
    """

    job_id: str
    function_name: str
    interval_setting: str
    enabled_setting: str | None = None

    def enabled(self, settings: Settings) -> bool:
        return self.enabled_setting is None or bool(getattr(settings, self.enabled_setting))

    def interval_s(self, settings: Settings) -> int:
        return int(getattr(settings, self.interval_setting))


JOBS: tuple[JobSpec, ...] = (
    JobSpec("refresh", "refresh_job", "refresh_seconds"),
    JobSpec("demo_live", "demo_live_job", "demo_live_seconds", enabled_setting="demo_live"),
    JobSpec(
        "ingest_asterisk", "ingest_asterisk_job", "ingest_seconds", enabled_setting="asterisk_queue_log_path"
    ),
    JobSpec("ingest_connect", "ingest_connect_job", "ingest_seconds", enabled_setting="connect_dir"),
    JobSpec("ingest_surveys", "ingest_surveys_job", "ingest_seconds", enabled_setting="surveys_dir"),
    JobSpec("ingest_csv", "ingest_csv_job", "ingest_seconds", enabled_setting="csv_dir"),
)
JOBS_BY_ID = {spec.job_id: spec for spec in JOBS}


def planned_jobs(settings: Settings) -> list[tuple[JobSpec, int]]:
    """The jobs these settings switch on, each with its interval in seconds."""
    return [(spec, spec.interval_s(settings)) for spec in JOBS if spec.enabled(settings)]


def lease_ttl_s(settings: Settings) -> float:
    """3 x the shortest interval: every run renews the lease, so only a dead holder lets it lapse."""
    intervals = [interval for _, interval in planned_jobs(settings)] or [settings.refresh_seconds]
    return float(LEASE_TTL_FACTOR * min(intervals))


def misfire_grace_s(interval_s: int) -> int:
    """Half the interval: a run delayed that long (process paused, laptop asleep, pool busy) is
    skipped rather than run late, because the next run is due soon and reads the same new data."""
    return max(1, interval_s // 2)


def new_holder() -> str:
    """A lease-holder id unique to one scheduler: host, process and a random token (forks differ
    by pid; two schedulers in one process, e.g. after a Streamlit module reload, by the token)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- One engine per database URL per process ------------------------------------------------------

_DATABASES: dict[str, tuple[Engine, SessionFactory]] = {}
_DATABASES_LOCK = threading.Lock()
_MIGRATED: set[str] = set()
# Jobs share tables (demo_live also refreshes), so at most one job body runs at a time per process;
# the lease gives the same guarantee between processes.
_JOB_LOCK = threading.Lock()


def _session_factory_for(database_url: str, *, migrate: bool = False) -> SessionFactory:
    with _DATABASES_LOCK:
        if database_url not in _DATABASES:
            engine = make_engine(database_url)
            _DATABASES[database_url] = (engine, session_factory(engine))
        engine, factory = _DATABASES[database_url]
        if migrate and database_url not in _MIGRATED:
            upgrade_to_head(engine)
            _MIGRATED.add(database_url)
        return factory


def dispose_engines() -> None:
    """Close every cached engine (tests, and after a worker stops)."""
    with _DATABASES_LOCK:
        for engine, _ in _DATABASES.values():
            engine.dispose()
        _DATABASES.clear()
        _MIGRATED.clear()


class LeaseHeartbeat:
    """Renews the lease every third of its time-to-live while a job runs, so a job that runs longer
    than the lease (a big first load, a full rebuild) never lets a second scheduler start the same
    work beside it. A daemon thread; each renewal is its own short transaction."""

    def __init__(self, factory: SessionFactory, holder: str, *, ttl_s: float) -> None:
        self.factory, self.holder, self.ttl_s = factory, holder, ttl_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)

    def __enter__(self) -> LeaseHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                with session_scope(self.factory) as session:
                    held = try_acquire_lease(
                        session=session,
                        name=LEASE_NAME,
                        holder=self.holder,
                        now=datetime.now(UTC),
                        ttl_s=self.ttl_s,
                    )
                if not held:
                    log.warning("lease %s lost to another scheduler while a job ran", LEASE_NAME)
            except Exception:
                log.exception("could not renew the scheduler lease (the next beat tries again)")


# --- The leased wrapper every scheduled job goes through ------------------------------------------


def run_leased(job_id: str, settings: Settings, holder: str) -> bool:
    """Run job `job_id` if this scheduler holds (or can take) the lease; True if it ran and succeeded.

    Never raises: an exception escaping into APScheduler only becomes a log line there, and the
    job itself has already recorded its failed JobRun (jobs.runs.recorded_run).
    """
    try:
        spec = JOBS_BY_ID[job_id]
        factory = _session_factory_for(settings.database_url)
        with session_scope(factory) as session:
            held = try_acquire_lease(
                session=session,
                name=LEASE_NAME,
                holder=holder,
                now=datetime.now(UTC),
                ttl_s=lease_ttl_s(settings),
            )
        if not held:
            log.debug("job %s skipped: another scheduler holds the lease", job_id)
            return False
        job = getattr(sys.modules[__name__], spec.function_name)
        with _JOB_LOCK, LeaseHeartbeat(factory, holder, ttl_s=lease_ttl_s(settings)):
            job(session_factory=factory, settings=settings, now=datetime.now(UTC))
        return True
    except Exception:
        log.exception("scheduled job %s failed", job_id)
        return False


# --- Building and running schedulers --------------------------------------------------------------


class LeasedBackgroundScheduler(BackgroundScheduler):
    """A scheduler thread that knows its lease holder and hands the lease back when it stops."""

    lease_holder: str
    database_url: str

    def stop_and_release(self, wait: bool = True) -> None:
        """Stop scheduling, let a running job finish, then release the lease for the next process."""
        atexit.unregister(self.stop_and_release)
        if self.running:
            self.shutdown(wait=wait)
        try:
            with _JOB_LOCK, session_scope(_session_factory_for(self.database_url)) as session:
                release_lease(session=session, name=LEASE_NAME, holder=self.lease_holder)
        except Exception:
            log.exception("could not release the scheduler lease (it will expire on its own)")


def build_scheduler(settings: Settings, *, holder: str | None = None) -> LeasedBackgroundScheduler:
    """A configured, not yet started scheduler with every enabled job registered.

    A MemoryJobStore is enough, and deliberate: the job table lives in code (JOBS) and is registered
    again at every start, so there is nothing to persist, and APScheduler 3 cannot share a
    persistent store between processes anyway; the database lease decides who runs. Each job has an
    explicit id, replace_existing, coalesce (a backlog of missed runs becomes one run),
    max_instances=1 (a slow run is never overlapped by itself) and a misfire grace of half its
    interval; all first runs are due at start so data is fresh at once.
    """
    scheduler = LeasedBackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=max(1, len(JOBS)))},
        timezone=UTC,
    )
    scheduler.lease_holder = holder or new_holder()
    scheduler.database_url = settings.database_url
    start_at = datetime.now(UTC)
    for spec, interval in planned_jobs(settings):
        scheduler.add_job(
            run_leased,
            trigger=IntervalTrigger(seconds=interval, timezone=UTC),
            args=(spec.job_id, settings, scheduler.lease_holder),
            id=spec.job_id,
            name=f"{spec.job_id} every {interval}s",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=misfire_grace_s(interval),
            next_run_time=start_at,
        )
    return scheduler


class StopRequest:
    """Set by SIGTERM/SIGINT. The handler only records the signal: stopping takes locks (the
    scheduler's, the thread pool's, logging's), and a handler that interrupts the main thread while
    it holds one of them would wait on itself forever, so the main loop does the stopping."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, _frame: Any) -> None:
        self.signum = signum


def run_worker(settings: Settings, *, poll_s: float = 0.2) -> None:
    """Production: run the jobs in this process until SIGTERM/SIGINT, then release the lease."""
    _session_factory_for(settings.database_url, migrate=True)
    scheduler = build_scheduler(settings)
    for job in scheduler.get_jobs():
        log.info("scheduled job %s (%s)", job.id, job.trigger)
    stop = StopRequest()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker %s starting", scheduler.lease_holder)
    scheduler.start()
    try:
        while stop.signum is None:
            time.sleep(poll_s)  # a signal cuts the sleep short
        log.info("signal %s: stopping the scheduler", signal.Signals(stop.signum).name)
    finally:
        scheduler.stop_and_release()  # lets a running job finish, then hands the lease back
        dispose_engines()
        log.info("worker %s stopped", scheduler.lease_holder)


def start_embedded(settings: Settings) -> BackgroundScheduler | None:
    """Embedded mode: start a leased BackgroundScheduler in this server process; None in worker mode.

    Call it once per process (the app wraps it in st.cache_resource); several processes may each
    start one, and the lease lets only one of them run jobs at a time.
    """
    if settings.scheduler_mode != "embedded":
        return None
    _session_factory_for(settings.database_url, migrate=True)
    scheduler = build_scheduler(settings)
    scheduler.start()
    atexit.register(scheduler.stop_and_release)
    log.info("embedded scheduler %s started", scheduler.lease_holder)
    return scheduler
