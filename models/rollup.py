"""The aggregate refresh: which finished batches are new, which queue-intervals and agent-days they
touched, recompute exactly those (rollup_queue, rollup_agent) and swap the rows in one transaction.

What a batch touches: every queue of its contacts' offered and completed intervals (and of the
contacts its surveys rate); the repeat/FCR/switch counts of the (queue, interval) of each same-
customer contact whose flag it changes (the immediate predecessor about the same touchpoint, and
later contacts within the window); the contact outcomes of the agent-days of those contacts; and
the activity of the agent-days its state and schedule segments overlap. Time touches things too:
since the last refresh, open states and schedules have grown up to `now` and waiting contacts have
turned stale. An incremental refresh therefore always equals a full rebuild at the same `now`
(tests/integration/test_refresh.py checks it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, delete, func, select
from sqlmodel import Session

from models import rollup_agent as ra
from models import rollup_queue as rq
from models.rollup_effort import effort_answers
from models.rollup_journey import journey_steps
from models.settings import Settings
from models.tables import (
    AgentDay,
    AgentInterval,
    AgentStateSegment,
    Contact,
    EffortAnswer,
    JobRun,
    JourneyStep,
    QueueInterval,
    RefreshState,
    ScheduleSegment,
    SurveyResponse,
)
from models.writes import fail_dead_runs

STATE_NAME = "aggregates"
REFRESH_JOB = "refresh"
STUCK_RUN_H = 6  # a run of another host "running" for longer is taken as dead (this host's: at once)
FULL_REBUILD_ROWS = 100_000  # more new fact rows than this: rebuilding everything is faster


@dataclass
class Plan:
    """What one refresh will fold in: batch ids above the watermark, and how far it may advance."""

    full: bool
    batch_ids: list[int]
    watermark: int
    previous_watermark: int
    previous_now: datetime | None
    now: datetime
    folded_before: set[int] = field(default_factory=set)


@dataclass
class Touched:
    """What an incremental refresh recomputes."""

    intervals: set[int] = field(default_factory=set)  # QueueInterval: every queue of these
    pairs: set[tuple[int, int]] = field(default_factory=set)  # (queue, interval): repeat columns only
    activity: dict[tuple[int, date], int] = field(default_factory=dict)  # agent-day -> rewrite from
    outcomes: set[tuple[int, date]] = field(default_factory=set)  # agent-days whose contacts changed
    anchored: set[int] = field(default_factory=set)  # contacts whose per-contact rows are rewritten


@dataclass
class Rebuild:
    """Recomputed rows and the keys they replace (touched None: every row of every table)."""

    queue_rows: pd.DataFrame
    repeat_rows: pd.DataFrame
    interval_rows: pd.DataFrame
    day_rows: pd.DataFrame
    effort_rows: pd.DataFrame
    journey_rows: pd.DataFrame
    touched: Touched | None
    facts_read: int = 0


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- Which batches --------------------------------------------------------------------------------


def plan_refresh(*, session: Session, now: datetime, full: bool = False) -> Plan:
    """Batches of finished (ok/failed) runs above the watermark, and the new watermark: the highest
    id below any run still going, so a long run's facts are folded in once it ends, never skipped.
    A run whose process died is marked failed first: what it committed is folded in now."""
    fail_dead_runs(session, now=now)
    state = session.get(RefreshState, STATE_NAME)
    previous = state.last_batch_id if state else 0
    runs = session.execute(
        select(JobRun.id, JobRun.status, JobRun.started_at).where(
            JobRun.id > previous,  # type: ignore[operator]
            JobRun.job != REFRESH_JOB,
        )
    ).all()
    stuck_before = now - timedelta(hours=STUCK_RUN_H)
    going = [r.id for r in runs if r.status == "running" and _utc(r.started_at) > stuck_before]  # type: ignore[operator]
    ended = sorted(r.id for r in runs if r.id not in going)
    watermark = (min(going) - 1) if going else max(ended, default=previous)
    done = _already_folded(session, previous)
    return Plan(
        full=full or state is None,
        batch_ids=[b for b in ended if b not in done],
        watermark=max(watermark, previous),
        previous_watermark=previous,
        previous_now=_utc(state.updated_at) if state else None,
        now=now,
        folded_before=done,
    )


def _already_folded(session: Session, watermark: int) -> set[int]:
    """Batches above `watermark` that the last successful refresh already folded in (it could not
    advance past a run still going, but need not redo the finished ones after it)."""
    detail = session.execute(
        select(JobRun.detail)
        .where(JobRun.job == REFRESH_JOB, JobRun.status == "ok")
        .order_by(JobRun.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).scalar()
    if not detail:
        return set()
    try:
        info = json.loads(detail)
    except ValueError:
        return set()
    if info.get("watermark") != watermark:
        return set()
    return {int(b) for b in info.get("folded_above_watermark", [])}


def new_fact_rows(*, session: Session, batch_ids: list[int]) -> int:
    """How many fact rows the batches wrote (to choose between incremental and full)."""
    total = 0
    for model in (Contact, AgentStateSegment, ScheduleSegment, SurveyResponse):
        for chunk in rq.chunks(batch_ids):
            total += session.execute(
                select(func.count()).select_from(model).where(model.batch_id.in_(chunk))  # type: ignore[attr-defined]
            ).scalar_one()
    return total


# --- Recompute ------------------------------------------------------------------------------------


def compute(*, session: Session, settings: Settings, plan: Plan) -> Rebuild:
    """Recompute the rows the plan's batches (and the passing of time) touched, or all of them."""
    if not plan.full and new_fact_rows(session=session, batch_ids=plan.batch_ids) > FULL_REBUILD_ROWS:
        plan.full = True
    return _compute_full(session, settings, plan) if plan.full else _compute_touched(session, settings, plan)


def _compute_full(session: Session, settings: Settings, plan: Plan) -> Rebuild:
    zone, now_ms = settings.zone, rq.to_ms(plan.now)
    contacts = rq.load_contacts(session)
    surveys = rq.load_surveys(session, None)
    classified = rq.classify(
        contacts, surveys=surveys, queues=rq.load_queues(session), settings=settings, now=plan.now
    )
    states, schedules = ra.load_segments(session, agent_days=None, zone=zone, now_ms=now_ms)
    pieces = ra.timeline(states, schedules, now_ms=now_ms)
    intervals, activity = ra.agent_activity(pieces, zone=zone, grace_s=settings.adherence_grace_s)
    return Rebuild(
        queue_rows=rq.queue_rows(classified, intervals=None, zone=zone),
        repeat_rows=pd.DataFrame(),
        interval_rows=intervals,
        day_rows=ra.agent_day_rows(activity, ra.agent_contact_sums(classified, zone=zone)),
        effort_rows=effort_answers(contacts, classified, surveys),
        journey_rows=journey_steps(contacts, window_s=settings.repeat_window_days * 86400),
        touched=None,
        facts_read=len(contacts) + len(states) + len(schedules),
    )


def _compute_touched(session: Session, settings: Settings, plan: Plan) -> Rebuild:
    zone, now_ms = settings.zone, rq.to_ms(plan.now)
    window_s = max(settings.repeat_window_days * 86400, settings.channel_switch_window_h * 3600)
    touched = Touched()
    seeds = _changed_contacts(session, settings, plan)
    seed_context = rq.load_customer_context(session, seeds, window_s)
    near = rq.affected_neighbours(seed_context, seeds, window_s=window_s)
    touched.intervals = _ints(seeds["offered_interval"]) | _ints(seeds["completed_interval"])
    pairs = zip(
        near["queue_id"].astype(np.int64).tolist(),
        near["offered_interval"].astype(np.int64).tolist(),
        strict=True,
    )
    touched.pairs = {(q, i) for q, i in pairs if i not in touched.intervals}
    touched.outcomes = _agent_days(seeds, "offered_interval", zone) | _agent_days(
        seeds, "completed_interval", zone
    )
    touched.outcomes |= _agent_days(near, "offered_interval", zone)
    for segments in _changed_segments(session, plan):
        _touch_segment_days(touched.activity, segments, zone, now_ms)

    anchors = rq.concat(
        [
            rq.load_contacts_in(session, Contact.offered_interval, touched.intervals),
            rq.load_contacts_in(session, Contact.completed_interval, touched.intervals),
            rq.load_contacts_of_pairs(session, touched.pairs),
            _contacts_of_agent_days(session, touched.outcomes, zone),
        ],
        rq.CONTACT_DTYPES,
    ).drop_duplicates("id")
    context = rq.load_customer_context(session, anchors, window_s, reuse=(seeds, seed_context))
    contacts = rq.concat([anchors, context], rq.CONTACT_DTYPES).drop_duplicates("id")
    surveys = rq.load_surveys(session, anchors["id"].tolist())
    classified = rq.classify(
        contacts, surveys=surveys, queues=rq.load_queues(session), settings=settings, now=plan.now
    )
    # Anchors have their whole customer context loaded, so their flags and predecessors are final;
    # context-only contacts are classified without theirs and must not be written.
    touched.anchored = _ints(anchors["id"])
    states, schedules = ra.load_segments(session, agent_days=touched.activity, zone=zone, now_ms=now_ms)
    pieces = ra.timeline(states, schedules, now_ms=now_ms)
    intervals, activity = ra.agent_activity(pieces, zone=zone, grace_s=settings.adherence_grace_s)
    days = ra.agent_day_rows(
        activity,
        ra.agent_contact_sums(classified, zone=zone),
        stored=ra.load_agent_days(session, set(touched.activity) | touched.outcomes),
        activity_keys=set(touched.activity),
        outcome_keys=touched.outcomes,
    )
    keys = zip(intervals["agent_id"].tolist(), intervals["local_date"].tolist(), strict=True)
    rewrite_from = [touched.activity.get(key) for key in keys]  # None: this day's intervals stand
    starts = intervals["interval_start"].tolist()
    keep = [lo is not None and start >= lo for lo, start in zip(rewrite_from, starts, strict=True)]
    return Rebuild(
        queue_rows=rq.queue_rows(classified, intervals=touched.intervals, zone=zone),
        repeat_rows=rq.repeat_sums(classified, touched.pairs),
        interval_rows=intervals[np.array(keep, dtype=bool)],
        day_rows=days,
        effort_rows=effort_answers(contacts, classified, surveys, contact_ids=touched.anchored),
        journey_rows=journey_steps(
            contacts, window_s=settings.repeat_window_days * 86400, contact_ids=touched.anchored
        ),
        touched=touched,
        facts_read=len(contacts) + len(states) + len(schedules),
    )


def _ints(values: pd.Series) -> set[int]:
    return set(values.dropna().astype(np.int64).tolist())


def _changed_contacts(session: Session, settings: Settings, plan: Plan) -> pd.DataFrame:
    """Contacts the batches wrote, contacts their surveys rate, and waiting contacts that turned
    stale (unknown) since the previous refresh."""
    parts = [rq.load_contacts_in(session, Contact.batch_id, plan.batch_ids)]
    rated = select(SurveyResponse.contact_id)
    for chunk in rq.chunks(plan.batch_ids):
        ids = session.execute(rated.where(SurveyResponse.batch_id.in_(chunk))).scalars().all()  # type: ignore[attr-defined]
        parts.append(rq.load_contacts_in(session, Contact.id, [i for i in ids if i is not None]))
    if plan.previous_now is not None and plan.now > plan.previous_now:
        stale = timedelta(hours=settings.stale_after_h)
        parts.append(
            rq.load_contacts(
                session,
                where=(Contact.outcome == "waiting")
                & (Contact.offered_at >= plan.previous_now - stale - timedelta(seconds=1))  # type: ignore[operator]
                & (Contact.offered_at < plan.now - stale),  # type: ignore[operator]
            )
        )
    return rq.concat(parts, rq.CONTACT_DTYPES).drop_duplicates("id")


def _changed_segments(session: Session, plan: Plan) -> Iterable[pd.DataFrame]:
    """(agent_id, start_ms, end_ms) of the state and schedule segments to recompute: those the
    batches wrote, and those still running between the previous refresh and now."""
    for model, longest in ((AgentStateSegment, ra.MAX_STATE_S), (ScheduleSegment, ra.MAX_SCHEDULE_S)):
        yield from _segments_of(session, plan, model, longest)


def _segments_of(session: Session, plan: Plan, model: Any, longest: int) -> Iterable[pd.DataFrame]:
    names = {"agent_id": "int64", "start_ms": "int64", "end_ms": "float64"}
    base = select(model.agent_id, rq.epoch_ms(session, model.start_at), rq.epoch_ms(session, model.end_at))
    yield rq.frame_in(session, lambda chunk: base.where(model.batch_id.in_(chunk)), plan.batch_ids, names)
    if plan.previous_now is None or plan.now <= plan.previous_now:
        return
    growing = rq.frame(
        session,
        base.where(
            model.start_at >= plan.previous_now - timedelta(seconds=longest),
            model.start_at < plan.now,
            model.end_at.is_(None) | (model.end_at > plan.previous_now),
        ),
        names,
    )
    growing["start_ms"] = np.maximum(growing["start_ms"].astype(np.int64), rq.to_ms(plan.previous_now))
    yield growing


def _agent_days(contacts: pd.DataFrame, column: str, zone: Any) -> set[tuple[int, date]]:
    """(agent, local day of `column`) of contacts with an agent: AgentDay outcome keys."""
    mine = contacts[contacts["agent_id"].notna() & contacts[column].notna()]
    agents = mine["agent_id"].astype(np.int64).tolist()
    return set(zip(agents, rq.local_dates(mine[column], zone), strict=True))


def _touch_segment_days(
    touched: dict[tuple[int, date], int], segments: pd.DataFrame, zone: Any, now_ms: int
) -> None:
    """Agent-days a segment overlaps, each with the interval from which its rows must be rewritten."""
    if segments.empty:
        return
    start = segments["start_ms"].astype(np.int64).to_numpy()
    # An open state counts for at most MAX_STATE_S (a missed logout), so it touches no day beyond that.
    open_end = np.minimum(start + ra.MAX_STATE_S * 1000, now_ms)
    end = np.minimum(segments["end_ms"].fillna(-1).astype(np.int64).to_numpy(), now_ms)
    end = np.where(segments["end_ms"].isna().to_numpy(), open_end, end)
    end = np.maximum(end, start + 1)
    first_day = rq.local_dates(start // 1000, zone)
    last_day = rq.local_dates((end - 1) // 1000, zone)
    for agent_id, lo, d0, d1 in zip(
        segments["agent_id"].astype(np.int64).tolist(), start.tolist(), first_day, last_day, strict=True
    ):
        day = d0
        while day <= d1:
            day_start, _ = rq.day_bounds_ms(day, zone)
            from_interval = (max(lo, day_start) // ra.GRID_MS) * (ra.GRID_MS // 1000)
            touched[(agent_id, day)] = min(touched.get((agent_id, day), from_interval), from_interval)
            day += timedelta(days=1)


def _contacts_of_agent_days(session: Session, agent_days: set[tuple[int, date]], zone: Any) -> pd.DataFrame:
    """Contacts an agent answered or completed on each touched agent-day."""
    by_day: dict[date, set[int]] = {}
    for agent_id, day in agent_days:
        by_day.setdefault(day, set()).add(agent_id)
    parts = []
    for day, agents in sorted(by_day.items()):
        lo_ms, hi_ms = rq.day_bounds_ms(day, zone)
        lo, hi = lo_ms // 1000, hi_ms // 1000
        for chunk in rq.chunks(sorted(agents)):
            # Offered that day: walk the day's interval range (coalesce keeps SQLite off the agent
            # index, which would read each agent's whole history). Completed that day: the
            # (agent, completed_interval) index.
            offered = (Contact.offered_interval >= lo) & (Contact.offered_interval < hi)
            mine = func.coalesce(Contact.agent_id, 0).in_(chunk)
            parts.append(rq.load_contacts(session, where=offered & mine))
            done = (Contact.completed_interval >= lo) & (Contact.completed_interval < hi)  # type: ignore[operator]
            parts.append(rq.load_contacts(session, where=done & Contact.agent_id.in_(chunk)))  # type: ignore[union-attr]
    return rq.concat(parts, rq.CONTACT_DTYPES)


# --- Write ----------------------------------------------------------------------------------------


def _column_values(series: pd.Series, *, dates_as_text: bool) -> list[Any]:
    """One column as plain Python values: NaN as None, dates as ISO text where the driver needs it."""
    values = series.tolist()
    if series.dtype.kind == "f" and series.isna().any():
        return [None if v != v else v for v in values]
    if isinstance(series.dtype, pd.api.extensions.ExtensionDtype) and series.isna().any():
        return [None if v is pd.NA else v for v in values]  # nullable Int64 / boolean columns
    if dates_as_text and series.dtype == object:
        return [v.isoformat() if isinstance(v, date) else v for v in values]
    return values


def bulk_insert(session: Session, model: Any, df: pd.DataFrame) -> None:
    """Insert recomputed aggregate rows fast: COPY on PostgreSQL, one executemany of tuples on
    SQLite (several times quicker than per-row dicts for the half million rows of a full rebuild)."""
    if df.empty:
        return
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    columns = list(df.columns)
    integers = [c for c in columns if model.model_fields[c].annotation is int]
    df = df.astype(dict.fromkeys(integers, np.int64))  # counts summed through float joins
    rows = list(zip(*(_column_values(df[c], dates_as_text=not postgres) for c in columns), strict=True))
    quote = conn.dialect.identifier_preparer.quote
    table, names = quote(model.__tablename__), ", ".join(quote(c) for c in columns)
    if postgres:
        with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)


def write(*, session: Session, rebuild: Rebuild, plan: Plan) -> dict[str, int]:
    """Replace the recomputed rows and advance the watermark, in the caller's one transaction."""
    touched = rebuild.touched
    if touched is None:
        for model in (QueueInterval, AgentInterval, AgentDay, EffortAnswer, JourneyStep):
            session.execute(delete(model))
    else:
        for chunk in rq.chunks(touched.intervals):
            session.execute(delete(QueueInterval).where(QueueInterval.interval_start.in_(chunk)))  # type: ignore[attr-defined]
        for chunk in rq.chunks(touched.anchored):
            session.execute(delete(EffortAnswer).where(EffortAnswer.contact_id.in_(chunk)))  # type: ignore[attr-defined]
            session.execute(delete(JourneyStep).where(JourneyStep.contact_id.in_(chunk)))  # type: ignore[attr-defined]
        _delete_agent_days(session, touched)
        _update_repeats(session, rebuild.repeat_rows)
    bulk_insert(session, QueueInterval, rebuild.queue_rows)
    bulk_insert(session, AgentInterval, rebuild.interval_rows)
    bulk_insert(session, AgentDay, rebuild.day_rows)
    bulk_insert(session, EffortAnswer, rebuild.effort_rows)
    bulk_insert(session, JourneyStep, rebuild.journey_rows)
    state = session.get(RefreshState, STATE_NAME)
    if state is None:
        session.add(RefreshState(name=STATE_NAME, last_batch_id=plan.watermark, updated_at=plan.now))
    else:
        state.last_batch_id = plan.watermark
        state.updated_at = plan.now
        session.add(state)
    return {
        "queue_intervals": len(rebuild.queue_rows) + len(rebuild.repeat_rows),
        "agent_intervals": len(rebuild.interval_rows),
        "agent_days": len(rebuild.day_rows),
        "effort_answers": len(rebuild.effort_rows),
        "journey_steps": len(rebuild.journey_rows),
    }


def _update_repeats(session: Session, rows: pd.DataFrame) -> None:
    """Set the repeat/FCR/switch counts of (queue, interval) rows whose other columns are unchanged."""
    if rows.empty:
        return
    table = QueueInterval.__table__  # type: ignore[attr-defined]
    stmt = (
        table.update()
        .where(table.c.queue_id == bindparam("q"), table.c.interval_start == bindparam("i"))
        .values({c: bindparam(f"v_{c}") for c in rq.REPEAT_COLUMNS})
    )
    params = [
        {
            "q": int(r["queue_id"]),
            "i": int(r["interval_start"]),
            **{f"v_{c}": int(r[c]) for c in rq.REPEAT_COLUMNS},
        }
        for r in rows.to_dict("records")
    ]
    session.execute(stmt, params)


def _delete_agent_days(session: Session, touched: Touched) -> None:
    """Delete the touched AgentDay rows and their AgentInterval rows from each agent-day's rewrite
    point on (grouped so that a live refresh issues a handful of statements)."""
    days: dict[date, set[int]] = {}
    tails: dict[tuple[date, int], set[int]] = {}
    for agent_id, day in set(touched.activity) | touched.outcomes:
        days.setdefault(day, set()).add(agent_id)
    for (agent_id, day), lo in touched.activity.items():
        tails.setdefault((day, lo), set()).add(agent_id)
    for day, agents in days.items():
        for chunk in rq.chunks(sorted(agents)):
            session.execute(delete(AgentDay).where(AgentDay.local_date == day, AgentDay.agent_id.in_(chunk)))  # type: ignore[attr-defined]
    for (day, lo), agents in tails.items():
        for chunk in rq.chunks(sorted(agents)):
            session.execute(
                delete(AgentInterval).where(
                    AgentInterval.local_date == day,
                    AgentInterval.interval_start >= lo,  # type: ignore[operator]
                    AgentInterval.agent_id.in_(chunk),  # type: ignore[attr-defined]
                )
            )


def folded_detail(plan: Plan) -> dict[str, Any]:
    """What the refresh JobRun records, so the next one can skip batches already folded in."""
    return {
        "full": plan.full,
        "watermark": plan.watermark,
        "folded_above_watermark": sorted(
            b for b in {*plan.batch_ids, *plan.folded_before} if b > plan.watermark
        ),
        "batches": len(plan.batch_ids),
    }
