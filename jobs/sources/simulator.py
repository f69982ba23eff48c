"""The demo simulator: a realistic remote contact centre (sites, teams, queues, schedules, contacts,
agent states, surveys). `seed_demo` creates the organisation and weeks of history; `advance_live`
continues it up to now so the live view moves. Both replay the same deterministic days."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from jobs.runs import recorded_run
from jobs.sources import sim_store
from jobs.sources.sim_demand import window_start, works_on
from jobs.sources.sim_engine import World, days_touching
from jobs.sources.sim_model import Org, load_org
from jobs.sources.sim_org import Scale
from jobs.sources.sim_params import DemoMismatchError, SimParams, params_for_seed
from jobs.sources.sim_rows import NEVER, changed_rows
from jobs.sources.sim_store import SEED_JOB
from jobs.sources.sim_write import insert_seed_rows, write_live_rows
from models.db import SessionFactory, session_scope
from models.settings import Settings
from models.tables import Agent
from models.timegrid import local_date_of
from models.writes import count_rows

log = logging.getLogger(__name__)
SCALES: dict[str, Scale] = {
    "tiny": Scale(agents=12, weeks=2, lines=("delivery", "billing")),
    "small": Scale(agents=60, weeks=8),
    "large": Scale(agents=200, weeks=13, teams_per_line=3),
}
LIVE_JOB = "demo_live"
FACT_TABLES = ("contact", "agentstatesegment", "schedulesegment", "surveyresponse")


def seed_demo(
    *,
    session_factory: SessionFactory,
    settings: Settings,
    scale: str = "small",
    now: datetime | None = None,
    seed: int = 7,
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, int]:
    """Create the demo organisation and `weeks` of history ending at `now`, as one recorded run.

    The run records what fixes the simulation (seed, scale, zone, seed day, SL thresholds), so the
    live mode replays the same days whatever its own settings. Refuses (ValueError) when the
    database already has agents: the demo never wipes data."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}")
    now = _aware(now)
    report = progress or (lambda _label, _fraction: None)
    with session_scope(session_factory) as session:
        if count_rows(session, Agent) > 0:
            raise ValueError(
                "the database already has agents: the demo seed only fills an empty database "
                "(it never wipes data); use a new database file or MIRADOR_DATABASE_URL"
            )
    params = params_for_seed(seed=seed, scale=SCALES[scale], settings=settings, now=now)
    until = now.timestamp()
    with recorded_run(session_factory, SEED_JOB, now=now) as record:
        with session_scope(session_factory) as session:
            report("organisation", 0.0)
            counts = sim_store.create_org(session, params)
            org = load_org(session=session, params=params)
            world = World(org=org, params=params)
            days = _seed_days(org, now, params.scale.weeks)
            for table in FACT_TABLES:
                counts[table] = 0
            for i, day in enumerate(days):
                report(f"simulating {day.isoformat()}", i / len(days))
                rows = changed_rows(world.run_day(day), NEVER, until, record.batch_id)
                _add(counts, insert_seed_rows(session, rows))
            report("saving", 1.0)
        record.rows_out = sum(counts[t] for t in FACT_TABLES)
        record.newest_event_at = sim_store.as_of_dt(session_factory)
        record.detail = {"scale": scale, **params.detail(), "counts": counts}
    return counts


def advance_live(
    *,
    session_factory: SessionFactory,
    settings: Settings,
    now: datetime | None = None,
    seed: int | None = None,
) -> dict[str, int]:
    """Continue the simulation from where the stored data stop up to `now`; returns rows written.

    Days are replayed from the seed run's recorded parameters (`seed`, if given, must be the seed's)
    and only what happened in (resume point, now] is written: new rows, and open rows filled in
    (sim_write). A final row is never changed; a replayed difference from one is counted as a
    conflict (logged, JobRun rows_rejected). The same `now` twice writes nothing the second time.
    Returns {} without recording a run when the database holds no demo data."""
    now = _aware(now)
    with session_scope(session_factory) as session:
        since = sim_store.as_of(session)
        params = sim_store.seed_params(session, settings, SCALES) if since is not None else None
    if since is None:
        return {}
    if params is None:
        raise DemoMismatchError("simulated data but no successful demo seed run: cannot replay it")
    if seed is not None and seed != params.seed:
        raise DemoMismatchError(f"the demo was seeded with seed {params.seed}, not {seed}")
    until = now.timestamp()
    with recorded_run(session_factory, LIVE_JOB, now=now) as record:
        counts = dict.fromkeys(FACT_TABLES, 0)
        conflicts: dict[str, list[Hashable]] = {}
        if until > since:
            with session_scope(session_factory) as session:
                counts, conflicts = _replay(session, params, since, until, record.batch_id)
        record.rows_out = sum(counts.values())
        record.rows_rejected = sum(len(keys) for keys in conflicts.values())
        record.detail = {"from": datetime.fromtimestamp(since, UTC).isoformat(), "counts": counts}
        if conflicts:
            record.detail["conflicts"] = {table: len(keys) for table, keys in conflicts.items()}
            log.warning(
                "demo live: replay differs from %d final or known rows; left unchanged: %s",
                record.rows_rejected,
                {table: [str(k) for k in keys[:3]] for table, keys in conflicts.items()},
            )
    return counts


def _replay(
    session: Session, params: SimParams, since: float, until: float, batch_id: int
) -> tuple[dict[str, int], dict[str, list[Hashable]]]:
    """Replay the days touching (since, until] whole, then write what happened in that span."""
    org = load_org(session=session, params=params)
    days = days_touching(org, since, until)
    if not days:
        return dict.fromkeys(FACT_TABLES, 0), {}
    world = World(org=org, params=params)
    world.add_history(sim_store.stored_outcomes(session, org, days[0]))
    planned_until = sim_store.last_planned_day(session, org.zone)
    results = [r for day in days for r in world.run_day(day)]
    rows = changed_rows(results, since, until, batch_id)
    rows["schedule"] = [r for r in rows["schedule"] if local_date_of(r["start_at"], org.zone) > planned_until]
    written = write_live_rows(session, rows)
    return written.written, written.conflicts


# --- time --------------------------------------------------------------------------------------------


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass a UTC-aware `now`")
    return now.astimezone(UTC)


def _seed_days(org: Org, now: datetime, weeks: int) -> list[date]:
    """History days ending today, plus the coming days whose email backlog has already started."""
    today = local_date_of(now, org.zone)
    days, day = [], today - timedelta(days=7 * weeks - 1)
    while day <= today + timedelta(days=3):
        opens = [window_start(ln, day, org.zone) for ln in org.lines if works_on(ln, day)]
        if day <= today or (opens and min(opens) <= now.timestamp()):
            days.append(day)
        day += timedelta(days=1)
    return days


def _add(total: dict[str, int], part: dict[str, int]) -> None:
    for key, value in part.items():
        total[key] = total.get(key, 0) + value
