"""Agent activity for the aggregate refresh: paint state and schedule segments onto one timeline,
cut it at 15-minute boundaries (vectorised interval-overlap sweep), and sum AgentInterval and
AgentDay rows with the adherence and shrinkage rules of models.metrics.

Rules the painter applies (METRICS.md "Agent metrics"):
- a state lasts until its end, the agent's next state, `now`, or MAX_STATE_S, whichever comes first
  (an open state is the current one; a missed logout must not book days of logged-in time);
- schedule activities may be layered (a break inside a work block): the latest-starting activity
  covering a moment wins; schedules count only up to `now` (the future is not yet adherent or not);
- time with no state is logged out; adherence and shrinkage look only at scheduled time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import and_, func
from sqlmodel import Session, select

from models import metrics
from models.rollup_queue import (
    SURVEY_SUM_COLUMNS,
    chunks,
    concat,
    day_bounds_ms,
    epoch_ms,
    frame,
    local_dates,
)
from models.tables import AgentDay, AgentInterval, AgentStateSegment, ScheduleSegment

GRID_MS = 900_000
KEY = 10**13  # agent rank * KEY + epoch ms keeps each agent's times apart in one sorted array
MAX_STATE_S = 86_400
MAX_SCHEDULE_S = 14 * 86_400
AUX_REASONS = ("break", "lunch", "meeting", "coaching", "training", "technical")
ACTIVITY_COLUMNS = [
    "staffed_s",
    "available_s",
    "handle_s",
    "aux_s",
    "scheduled_work_s",
    "scheduled_s",
    "paid_scheduled_s",
    "adherent_s",
    "shrinkage_s",
]
AUX_COLUMNS = [f"aux_{reason}_s" for reason in (*AUX_REASONS, "other")]
AGENT_CONTACT_COLUMNS = [
    "answered",
    "answered_within_t",
    "answered_wait_sum",
    "transferred",
    "held",
    "hold_known",
    "known_customer",
    "repeats",
    "fcr_resolved",
    "channel_switches",
    "surveys_offered",
    *SURVEY_SUM_COLUMNS,
]
ACTIVITY_DAY_COLUMNS = [*ACTIVITY_COLUMNS, *AUX_COLUMNS, "out_of_adherence_events"]
OUTCOME_COLUMNS = [*AGENT_CONTACT_COLUMNS, "handled", "handle_time_sum"]
AGENT_INTERVAL_COLUMNS = [c.name for c in AgentInterval.__table__.columns]  # type: ignore[attr-defined]
AGENT_DAY_COLUMNS = [c.name for c in AgentDay.__table__.columns]  # type: ignore[attr-defined]
STATE_COLUMNS = {
    "id": "int64",
    "agent_id": "int64",
    "state": None,
    "reason": None,
    "start_ms": "int64",
    "end_ms": "float64",
}
SCHEDULE_COLUMNS = {
    "id": "int64",
    "agent_id": "int64",
    "activity": None,
    "paid": "bool",
    "start_ms": "int64",
    "end_ms": "int64",
}
AGENT_DAY_DTYPES = {
    c: (None if c == "local_date" else "int64" if AgentDay.model_fields[c].annotation is int else "float64")
    for c in AGENT_DAY_COLUMNS
}


# --- Loading ----------------------------------------------------------------------------------------


def state_columns(session: Session) -> tuple[Any, ...]:
    """id, agent, state, reason, start and end (epoch ms) of a state segment: STATE_COLUMNS order."""
    seg = AgentStateSegment
    return (
        seg.id,
        seg.agent_id,
        seg.state,
        seg.reason,
        epoch_ms(session, seg.start_at),
        epoch_ms(session, seg.end_at),
    )


def schedule_columns(session: Session) -> tuple[Any, ...]:
    """id, agent, activity, paid, start and end (epoch ms) of a schedule segment: SCHEDULE_COLUMNS order."""
    seg = ScheduleSegment
    return (
        seg.id,
        seg.agent_id,
        seg.activity,
        seg.paid,
        epoch_ms(session, seg.start_at),
        epoch_ms(session, seg.end_at),
    )


def _state_select(session: Session) -> Any:
    return select(*state_columns(session))


def _schedule_select(session: Session) -> Any:
    return select(*schedule_columns(session))


def load_segments(
    session: Session, *, agent_days: Iterable[tuple[int, date]] | None, zone: ZoneInfo, now_ms: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """State and schedule segments that reach the given agent-days (every segment when None).

    Per day: segments starting that day, plus those still running at its start: of the states
    only each agent's latest one (states are sequential: earlier ones end where the next begins),
    of the schedules any layer that has not ended.
    """
    if agent_days is None:
        states = frame(session, _state_select(session), STATE_COLUMNS)
        schedules = frame(session, _schedule_select(session), SCHEDULE_COLUMNS)
        return states, schedules
    by_day: dict[date, set[int]] = {}
    for agent_id, day in agent_days:
        by_day.setdefault(day, set()).add(agent_id)
    st, sc = AgentStateSegment, ScheduleSegment
    state_parts, schedule_parts = [], []
    for day, agents in sorted(by_day.items()):
        start_ms, end_ms = day_bounds_ms(day, zone)
        day_start = pd.Timestamp(start_ms, unit="ms", tz="UTC").to_pydatetime()
        day_end = pd.Timestamp(min(end_ms, now_ms), unit="ms", tz="UTC").to_pydatetime()
        for chunk in chunks(sorted(agents)):
            latest = (
                select(st.agent_id, func.max(st.start_at).label("start_at"))
                .where(
                    st.agent_id.in_(chunk),  # type: ignore[attr-defined]
                    st.start_at >= day_start - timedelta(seconds=MAX_STATE_S),  # type: ignore[operator]
                    st.start_at < day_start,  # type: ignore[operator]
                )
                .group_by(st.agent_id)
                .subquery()
            )
            running = _state_select(session).join(
                latest, and_(st.agent_id == latest.c.agent_id, st.start_at == latest.c.start_at)
            )
            starting = _state_select(session).where(
                st.agent_id.in_(chunk),  # type: ignore[attr-defined]
                st.start_at >= day_start,  # type: ignore[operator]
                st.start_at < day_end,  # type: ignore[operator]
            )
            state_parts += [frame(session, running, STATE_COLUMNS), frame(session, starting, STATE_COLUMNS)]
            planned = _schedule_select(session).where(
                sc.agent_id.in_(chunk),  # type: ignore[attr-defined]
                sc.start_at >= day_start - timedelta(seconds=MAX_SCHEDULE_S),  # type: ignore[operator]
                sc.start_at < day_end,  # type: ignore[operator]
                sc.end_at > day_start,  # type: ignore[operator]
            )
            schedule_parts.append(frame(session, planned, SCHEDULE_COLUMNS))
    states = concat(state_parts, STATE_COLUMNS).drop_duplicates("id")
    schedules = concat(schedule_parts, SCHEDULE_COLUMNS).drop_duplicates("id")
    return states.reset_index(drop=True), schedules.reset_index(drop=True)


def load_agent_days(session: Session, keys: Iterable[tuple[int, date]]) -> pd.DataFrame:
    """The stored AgentDay rows of the given agent-days (the half a refresh does not recompute)."""
    by_day: dict[date, set[int]] = {}
    for agent_id, day in keys:
        by_day.setdefault(day, set()).add(agent_id)
    table = AgentDay.__table__  # type: ignore[attr-defined]
    parts = [
        frame(
            session,
            select(table).where(table.c.local_date == day, table.c.agent_id.in_(chunk)),
            AGENT_DAY_DTYPES,
        )
        for day, agents in sorted(by_day.items())
        for chunk in chunks(sorted(agents))
    ]
    found = concat(parts, AGENT_DAY_DTYPES)
    found["local_date"] = [
        d if isinstance(d, date) else date.fromisoformat(str(d)) for d in found["local_date"]
    ]
    return found


# --- The timeline -----------------------------------------------------------------------------------


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort and a neighbour compare: faster than np.unique's hashing here)."""
    ordered = np.sort(values, kind="stable")
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _elementary(bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive pairs of distinct keyed boundaries that belong to the same agent."""
    points = _sorted_unique(bounds)
    p_start, p_end = points[:-1], points[1:]
    same_agent = (p_start // KEY) == (p_end // KEY)
    return p_start[same_agent], p_end[same_agent]


def _paint(k_start: np.ndarray, k_end: np.ndarray) -> tuple[np.ndarray, ...]:
    """Non-overlapping pieces (key start, key end, segment index) of possibly layered segments: the
    latest-starting segment covering a moment wins. Inputs are keyed (rank * KEY + ms)."""
    keep = np.flatnonzero(k_end > k_start)
    order = keep[np.argsort(k_start[keep], kind="stable")]
    ks, ke = k_start[order], k_end[order]
    if len(order) == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, empty
    p_start, p_end = _elementary(np.concatenate([ks, ke]))
    reach = np.maximum.accumulate(ke)  # the furthest end of any segment up to this one
    idx = np.searchsorted(ks, p_start, side="right") - 1
    while True:  # step back past earlier layers that ended before this piece (bounded by `reach`)
        safe = np.maximum(idx, 0)
        behind = (idx >= 0) & (ke[safe] <= p_start) & (reach[safe] > p_start)
        if not behind.any():
            break
        idx = np.where(behind, idx - 1, idx)
    safe = np.maximum(idx, 0)
    covered = (idx >= 0) & (ke[safe] > p_start)
    return p_start[covered], p_end[covered], order[idx[covered]]


def _lookup(piece_start: np.ndarray, k_start: np.ndarray, k_end: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Source row of the (sorted, non-overlapping) piece covering each moment, or -1."""
    if len(k_start) == 0:
        return np.full(len(piece_start), -1, dtype=np.int64)
    idx = np.searchsorted(k_start, piece_start, side="right") - 1
    safe = np.maximum(idx, 0)
    return np.where((idx >= 0) & (k_end[safe] > piece_start), rows[safe], -1)


def _categorical(values: pd.Series, rows: np.ndarray) -> pd.Categorical:
    """values[rows] as a categorical (-1 rows are missing), without touching Python objects per row."""
    codes, names = pd.factorize(values)
    picked = np.where(rows >= 0, codes[np.maximum(rows, 0)], -1) if len(codes) else np.full(len(rows), -1)
    return pd.Categorical.from_codes(picked, categories=pd.Index(names, dtype=object))


def timeline(states: pd.DataFrame, schedules: pd.DataFrame, *, now_ms: int) -> pd.DataFrame:
    """Elementary pieces (agent, interval, start/end ms, state, reason, activity, paid), each inside
    one 15-minute interval with a constant actual state and scheduled activity, ordered by agent
    and time."""
    if states.empty and schedules.empty:
        none = np.array([], dtype=np.int64)
        nothing = pd.Categorical.from_codes(none, categories=pd.Index([], dtype=object))
        columns = {"agent_id": none, "interval_start": none, "start_ms": none, "end_ms": none}
        return pd.DataFrame(
            {**columns, "state": nothing, "reason": nothing, "activity": nothing, "paid": none > 0}
        )
    agents = np.unique(np.concatenate([states["agent_id"], schedules["agent_id"]]).astype(np.int64))
    st_key = np.searchsorted(agents, states["agent_id"].to_numpy(dtype=np.int64)) * KEY
    st_start = st_key + states["start_ms"].to_numpy(dtype=np.int64)
    order = np.argsort(st_start, kind="stable")
    st_start, st_key = st_start[order], st_key[order]
    st_end = st_key + np.minimum(states["end_ms"].fillna(now_ms).to_numpy(dtype=np.int64)[order], now_ms)
    next_start = np.append(st_start[1:], np.iinfo(np.int64).max)  # same agent or not: keys keep apart
    st_end = np.minimum.reduce([st_end, next_start, st_start + MAX_STATE_S * 1000, st_key + KEY - 1])
    used = st_end > st_start
    s_ks, s_ke, s_rows = st_start[used], st_end[used], order[used]

    sc_key = np.searchsorted(agents, schedules["agent_id"].to_numpy(dtype=np.int64)) * KEY
    sc_start = schedules["start_ms"].to_numpy(dtype=np.int64)
    sc_end = np.minimum.reduce(
        [
            schedules["end_ms"].to_numpy(dtype=np.int64),
            sc_start + MAX_SCHEDULE_S * 1000,
            np.full_like(sc_start, now_ms),
        ]
    )
    c_ks, c_ke, c_rows = _paint(sc_key + sc_start, sc_key + sc_end)

    p_start, p_end = _elementary(np.concatenate([np.column_stack([s_ks, s_ke]).ravel(), c_ks, c_ke]))
    in_state = _lookup(p_start, s_ks, s_ke, s_rows)
    in_schedule = _lookup(p_start, c_ks, c_ke, c_rows)
    used = (in_state >= 0) | (in_schedule >= 0)
    p_start, p_end, in_state, in_schedule = p_start[used], p_end[used], in_state[used], in_schedule[used]

    # Cut at 15-minute boundaries (every centre-local day boundary is one of them).
    rank = p_start // KEY
    t0, t1 = p_start - rank * KEY, p_end - rank * KEY
    first = t0 // GRID_MS
    count = ((t1 - 1) // GRID_MS - first + 1).astype(np.int64)
    rep = np.repeat(np.arange(len(t0)), count)
    bucket = first[rep] + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    state_row, sched_row = in_state[rep], in_schedule[rep]
    paid = schedules["paid"].fillna(False).to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "agent_id": agents[rank[rep]],
            "interval_start": bucket * (GRID_MS // 1000),
            "start_ms": np.maximum(t0[rep], bucket * GRID_MS),
            "end_ms": np.minimum(t1[rep], (bucket + 1) * GRID_MS),
            "state": _categorical(states["state"], state_row),
            "reason": _categorical(states["reason"], state_row),
            "activity": _categorical(schedules["activity"], sched_row),
            "paid": np.where(sched_row >= 0, paid[np.maximum(sched_row, 0)] if len(paid) else False, False),
        }
    )


# --- Sums -------------------------------------------------------------------------------------------


def _rule(pieces: pd.DataFrame, rule: Any, *columns: str) -> np.ndarray:
    """Apply a scalar metrics rule once per distinct combination of the categorical `columns`."""
    cats = [pieces[c].cat for c in columns]
    combined = np.zeros(len(pieces), dtype=np.int64)
    for cat in cats:
        combined = combined * (len(cat.categories) + 1) + (cat.codes.to_numpy(dtype=np.int64) + 1)
    present = np.flatnonzero(np.bincount(combined)) if len(combined) else np.array([], dtype=np.int64)
    verdict = np.zeros(int(combined.max()) + 1 if len(combined) else 0, dtype=bool)
    for code in present.tolist():
        args, rest = [], code
        for cat in reversed(cats):
            rest, own = divmod(rest, len(cat.categories) + 1)
            args.append(None if own == 0 else cat.categories[own - 1])
        verdict[code] = bool(rule(*reversed(args)))
    return verdict[combined]


def activity_masks(pieces: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Per piece: its length in ms, which activity columns it counts in, and whether it is out of
    adherence (scheduled, not matching). Milliseconds are integers, so sums are exact and equal in
    whatever order an incremental or a full refresh adds them."""
    ms = (pieces["end_ms"] - pieces["start_ms"]).to_numpy(dtype=np.int64)
    state, reason, activity = pieces["state"], pieces["reason"], pieces["activity"]
    scheduled = (activity.notna() & (activity != "off")).to_numpy()
    match = _rule(pieces, metrics.adherence_match, "activity", "state", "reason")
    shrink = _rule(pieces, metrics.is_shrinkage, "state", "reason")
    paid = scheduled & pieces["paid"].to_numpy(dtype=bool)
    aux = (state == "aux").to_numpy()
    masks = {
        "staffed_s": (state.notna() & (state != "offline")).to_numpy(),
        "available_s": (state == "available").to_numpy(),
        "handle_s": state.isin(["on_contact", "acw"]).to_numpy(),
        "aux_s": aux,
        "scheduled_work_s": (activity == "work").to_numpy(),
        "scheduled_s": scheduled,
        "paid_scheduled_s": paid,
        "adherent_s": scheduled & match,
        "shrinkage_s": paid & (shrink | (activity == "absence").to_numpy()),
    }
    for name in AUX_REASONS:
        masks[f"aux_{name}_s"] = aux & (reason == name).to_numpy()
    masks["aux_other_s"] = aux & ~reason.isin(AUX_REASONS).to_numpy()
    return ms, masks, scheduled & ~match


def _runs(*keys: np.ndarray) -> np.ndarray:
    """Start positions of runs of equal consecutive key tuples."""
    if len(keys[0]) == 0:
        return np.array([], dtype=np.int64)
    change = np.zeros(len(keys[0]), dtype=bool)
    change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(change)


def local_ordinals(intervals: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """Centre-local date ordinal (date.toordinal) of each interval start."""
    if len(intervals) == 0:
        return np.array([], dtype=np.int64)
    codes, uniques = pd.factorize(np.asarray(intervals, dtype=np.int64))
    days = local_dates(uniques, zone)
    return np.array([d.toordinal() for d in days], dtype=np.int64)[codes]


def agent_activity(
    pieces: pd.DataFrame, *, zone: ZoneInfo, grace_s: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(AgentInterval rows, AgentDay activity columns) from timeline pieces (ordered by agent and
    time, so each agent-interval and agent-day is a contiguous run: summed with reduceat)."""
    columns = ACTIVITY_COLUMNS + AUX_COLUMNS
    ms, masks, mismatch = activity_masks(pieces)
    agent = pieces["agent_id"].to_numpy(dtype=np.int64)
    interval = pieces["interval_start"].to_numpy(dtype=np.int64)
    starts = _runs(agent, interval)
    per_interval = np.zeros((len(starts), len(columns)), dtype=np.int64)
    for position, name in enumerate(columns):
        if len(starts):
            per_interval[:, position] = np.add.reduceat(np.where(masks[name], ms, 0), starts)
    i_agent, i_interval = agent[starts], interval[starts]
    i_day = local_ordinals(i_interval, zone)
    day_starts = _runs(i_agent, i_day)
    per_day = np.add.reduceat(per_interval, day_starts, axis=0) if len(day_starts) else per_interval[:0]

    intervals = pd.DataFrame(per_interval[:, : len(ACTIVITY_COLUMNS)] / 1000.0, columns=ACTIVITY_COLUMNS)
    intervals.insert(0, "agent_id", i_agent)
    intervals.insert(1, "interval_start", i_interval)
    intervals["local_date"] = _dates(i_day)
    intervals = intervals[per_interval[:, : len(ACTIVITY_COLUMNS)].any(axis=1)]  # logged out, unscheduled

    days = pd.DataFrame(per_day / 1000.0, columns=columns)
    days.insert(0, "agent_id", i_agent[day_starts])
    days.insert(1, "local_date", _dates(i_day[day_starts]))
    events = _adherence_events(pieces[mismatch], local_ordinals(interval[mismatch], zone), grace_s)
    keys = list(zip(days["agent_id"].tolist(), i_day[day_starts].tolist(), strict=True))
    days["out_of_adherence_events"] = np.array([events.get(k, 0) for k in keys], dtype=np.int64)
    return intervals[AGENT_INTERVAL_COLUMNS].reset_index(drop=True), days


def _dates(ordinals: np.ndarray) -> np.ndarray:
    """date objects for day ordinals (each distinct day built once)."""
    codes, uniques = pd.factorize(ordinals)
    days = np.array([date.fromordinal(int(d)) for d in uniques] + [None], dtype=object)[:-1]
    return days[codes]


def _adherence_events(
    mismatched: pd.DataFrame, day: np.ndarray, grace_s: float
) -> dict[tuple[int, int], int]:
    """Out-of-adherence events per (agent, day ordinal): runs of contiguous mismatch, cut at day
    boundaries, judged by metrics.out_of_adherence_events."""
    if mismatched.empty:
        return {}
    agent = mismatched["agent_id"].to_numpy(dtype=np.int64)
    start = mismatched["start_ms"].to_numpy(dtype=np.int64)
    end = mismatched["end_ms"].to_numpy(dtype=np.int64)
    joined = np.zeros(len(agent), dtype=bool)
    joined[1:] = (agent[1:] == agent[:-1]) & (day[1:] == day[:-1]) & (start[1:] == end[:-1])
    run_starts = np.flatnonzero(~joined)
    run_s = np.add.reduceat(end - start, run_starts) / 1000.0
    run_agent, run_day = agent[run_starts], day[run_starts]
    group_starts = _runs(run_agent, run_day)
    bounds = [*group_starts.tolist(), len(run_s)]
    return {
        (int(run_agent[a]), int(run_day[a])): metrics.out_of_adherence_events(run_s[a:b].tolist(), grace_s)
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    }


def agent_contact_sums(classified: pd.DataFrame, *, zone: ZoneInfo) -> pd.DataFrame:
    """AgentDay outcome columns: the contacts each agent answered (booked on the day they were
    offered, like the queue) and handled (booked on the day after-contact work completed)."""
    mine = classified[classified["agent_id"].notna() & (classified["answered"] == 1)]
    agent = mine["agent_id"].astype(np.int64)
    offered_day = local_ordinals(mine["offered_interval"].to_numpy(), zone)
    answered = mine[AGENT_CONTACT_COLUMNS].groupby([agent, offered_day]).sum()
    done = mine[mine["handled"] == 1]
    completed_day = local_ordinals(done["completed_interval"].to_numpy(), zone)
    handled = done[["handled", "handle_time_sum"]].groupby([agent[done.index], completed_day]).sum()
    sums = answered.join(handled, how="outer").fillna(0)
    sums.index = sums.index.set_names(["agent_id", "day"])
    sums = sums.reset_index()
    sums.insert(1, "local_date", _dates(sums["day"].to_numpy(dtype=np.int64)))
    return sums.drop(columns="day")


def agent_day_rows(
    activity: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    stored: pd.DataFrame | None = None,
    activity_keys: set[tuple[int, date]] | None = None,
    outcome_keys: set[tuple[int, date]] | None = None,
) -> pd.DataFrame:
    """AgentDay rows from the two recomputed halves: activity (from segments) and contact outcomes
    (from contacts). A full rebuild joins them; an incremental one recomputes each half only for
    the agent-days whose inputs changed and keeps the other half of the `stored` row. Rows with
    nothing in them are dropped (in both, so they always agree)."""
    index = ["agent_id", "local_date"]
    act = activity.set_index(index)[ACTIVITY_DAY_COLUMNS]
    out = outcomes.set_index(index)[OUTCOME_COLUMNS]
    if stored is None:
        rows = act.join(out, how="outer")
    else:
        activity_keys, outcome_keys = activity_keys or set(), outcome_keys or set()
        wanted = pd.MultiIndex.from_tuples(sorted(activity_keys | outcome_keys), names=index)
        rows = stored.set_index(index).reindex(wanted)[ACTIVITY_DAY_COLUMNS + OUTCOME_COLUMNS].astype(float)
        for keys, part, columns in (
            (activity_keys, act, ACTIVITY_DAY_COLUMNS),
            (outcome_keys, out, OUTCOME_COLUMNS),
        ):
            if keys:
                chosen = pd.MultiIndex.from_tuples(sorted(keys), names=index)
                rows.loc[chosen, columns] = part.reindex(chosen)[columns].fillna(0).to_numpy(dtype=float)
    rows = rows.fillna(0)
    rows = rows[(rows != 0).any(axis=1)].reset_index()
    integers = [c for c in AGENT_DAY_COLUMNS[2:] if AgentDay.model_fields[c].annotation is int]
    return rows.astype(dict.fromkeys(integers, np.int64))[AGENT_DAY_COLUMNS]
