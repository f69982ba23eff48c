"""Were we staffed right? Per interval of a day: agents required by Erlang C and by Erlang A (patience
estimated from abandoned waits) against agents actually logged in, the service level that resulted,
and under- / over-staffed flags.

Agents serve every channel of their team, so the requirement is the sum over channels of each
channel's own Erlang pool (its contacts, AHT, threshold T and target), compared with the heads
logged in for the filtered teams: AgentInterval.staffed_s ÷ interval length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import false, func, select
from sqlmodel import Session

from models import metrics, staffing
from models.access import Viewer, scope_for
from models.settings import Settings
from models.tables import Agent, AgentInterval, QueueInterval
from models.timegrid import coarse_interval, from_epoch
from models.trends import NO_TEAM, DailySums, Dimensions, TrendFilters, filtered_queues

# Over-staffed: more logged in than required by this share AND by at least one whole agent.
OVER_MARGIN = 0.15
# A channel whose SL threshold is this long or longer (email: 24 h) is deferred work: it need not
# be answered in the interval it arrives, so per-interval Erlang does not apply; it is left out.
DEFERRED_THRESHOLD_S = 3600.0
QUEUE_COLUMNS = (
    "offered", "short_abandoned", "answered", "answered_within_t", "abandoned", "abandoned_within_t",
    "handled", "handle_time_sum", "answered_wait_sum", "abandoned_wait_sum",
)  # fmt: skip
PLAN_COLUMNS = [
    "interval_start", "interval", "offered", "required_erlang_c", "required_erlang_a", "staffed",
    "service_level", "status",
]  # fmt: skip


@dataclass
class DayIntervals:
    """One local day's 15-minute queue sums (per queue) and logged-in seconds (per agent team)."""

    day: date
    queue: pd.DataFrame  # interval_start, queue_id, QUEUE_COLUMNS
    agent: pd.DataFrame  # interval_start, team_id, staffed_s


def load_day_intervals(*, session: Session, viewer: Viewer, day: date) -> DayIntervals:
    """QueueInterval and AgentInterval rows of one local day within the viewer's scope."""
    scope = scope_for(session=session, viewer=viewer)
    qi = QueueInterval
    queue_stmt = select(qi.interval_start, qi.queue_id, *[getattr(qi, c) for c in QUEUE_COLUMNS]).where(
        qi.local_date == day
    )
    if scope.queue_ids is not None:
        queue_stmt = queue_stmt.where(
            qi.queue_id.in_(sorted(scope.queue_ids)) if scope.queue_ids else false()
        )  # type: ignore[attr-defined]
    ai = AgentInterval
    agent_stmt = (
        select(ai.interval_start, Agent.team_id, func.sum(ai.staffed_s))
        .join(Agent, Agent.id == ai.agent_id)  # type: ignore[arg-type]
        .where(ai.local_date == day)
        .group_by(ai.interval_start, Agent.team_id)
    )
    if scope.agent_ids is not None:
        agent_stmt = agent_stmt.where(
            ai.agent_id.in_(sorted(scope.agent_ids)) if scope.agent_ids else false()
        )  # type: ignore[attr-defined]
    queue = pd.DataFrame.from_records(
        session.execute(queue_stmt).all(), columns=["interval_start", "queue_id", *QUEUE_COLUMNS]
    )
    agent = pd.DataFrame.from_records(
        session.execute(agent_stmt).all(), columns=["interval_start", "team_id", "staffed_s"]
    )
    agent["team_id"] = agent["team_id"].fillna(NO_TEAM).astype(np.int64)
    return DayIntervals(day=day, queue=queue, agent=agent)


def patience_by_channel(sums: DailySums, dims: Dimensions, filters: TrendFilters) -> dict[str, float | None]:
    """Mean caller patience per channel over the whole period (models.staffing.estimate_patience_s):
    one day has too few abandons for a stable estimate."""
    queues = filtered_queues(dims, filters)
    channel_of = dict(zip(queues["id"], queues["channel"], strict=True))
    rows = sums.queue[sums.queue["queue_id"].isin(list(channel_of))]
    per = rows.assign(channel=rows["queue_id"].map(channel_of)).groupby("channel")[
        ["abandoned_wait_sum", "answered_wait_sum", "abandoned"]
    ]
    totals = per.sum()
    return {
        str(channel): staffing.estimate_patience_s(
            abandoned_wait_sum=float(row["abandoned_wait_sum"]),
            answered_wait_sum=float(row["answered_wait_sum"]),
            abandoned=int(row["abandoned"]),
        )
        for channel, row in totals.iterrows()
    }


def _target(value: float) -> float:
    return min(max(value, 0.01), 0.999)  # Erlang needs a target strictly between 0 and 1


def _required_a(
    calls: float, aht: float, interval_s: float, target: float, t_s: float, patience: float, start: int
) -> int:
    """Smallest N whose Erlang A SL reaches the target, searched down (then up) from Erlang C's N:
    abandonment only lowers the load, so the answer is at or just below it."""

    def enough(agents: int) -> bool:
        result = staffing.erlang_a(
            calls=calls, aht_s=aht, interval_s=interval_s, agents=agents, threshold_s=t_s, patience_s=patience
        )
        return result.service_level >= target

    agents = max(start, 1)
    if enough(agents):
        while agents > 1 and enough(agents - 1):
            agents -= 1
        return agents
    while not enough(agents):
        agents += 1
    return agents


def _channel_requirements(
    rows: pd.DataFrame,
    *,
    channel: str,
    settings: Settings,
    queues: pd.DataFrame,
    patience: float | None,
    interval_s: float,
) -> pd.DataFrame:
    """Erlang C and A agents per interval for one channel's pool (rows already summed per interval)."""
    day_aht = metrics.aht(
        handle_time_sum=float(rows["handle_time_sum"].sum()), handled=float(rows["handled"].sum())
    )
    thresholds = {_threshold(t, channel, settings) for t in queues["sl_threshold_s"]}
    threshold = thresholds.pop() if len(thresholds) == 1 else settings.threshold_for(channel)
    targets = {float(t) if pd.notna(t) else settings.target_for(channel) for t in queues["sl_target"]}
    target = _target(max(targets) if targets else settings.target_for(channel))
    out = []
    for start, row in rows.iterrows():
        calls = float(row["offered"] - row["short_abandoned"])
        own = metrics.aht(handle_time_sum=row["handle_time_sum"], handled=row["handled"])
        aht = own if own is not None and row["handled"] >= 5 else day_aht
        if calls <= 0 or aht is None or aht <= 0:
            out.append((start, 0, 0))
            continue
        result = staffing.required_agents(
            calls=calls, aht_s=aht, interval_s=interval_s, target=target, threshold_s=threshold
        )
        need_a = result.agents
        if patience:
            need_a = _required_a(calls, aht, interval_s, target, threshold, patience, result.agents)
        out.append((start, result.agents, need_a))
    return pd.DataFrame(out, columns=["interval_start", "c", "a"]).set_index("interval_start")


def staffing_plan(
    data: DayIntervals,
    dims: Dimensions,
    *,
    settings: Settings,
    filters: TrendFilters,
    patience: dict[str, float | None],
) -> pd.DataFrame:
    """One row per interval (settings.interval_minutes, local): offered, required agents (Erlang C,
    Erlang A), agents logged in, the SL that resulted, and status: "under" (fewer logged in than
    Erlang C requires), "over" (OVER_MARGIN more and at least one agent more) or "ok"; None where
    nobody was needed and nobody logged in."""
    minutes, zone = settings.interval_minutes, settings.zone
    interval_s = minutes * 60.0
    queues = live_queues(filtered_queues(dims, filters), settings)
    queue = data.queue[data.queue["queue_id"].isin(list(queues["id"]))]
    queue = queue.assign(
        interval_start=[coarse_interval(int(s), minutes, zone) for s in queue["interval_start"]],
        channel=queue["queue_id"].map(dict(zip(queues["id"], queues["channel"], strict=True))),
    )
    teams = _teams(dims, filters)
    agent = data.agent if teams is None else data.agent[data.agent["team_id"].isin(teams)]
    agent = agent.assign(
        interval_start=[coarse_interval(int(s), minutes, zone) for s in agent["interval_start"]]
    )
    staffed = agent.groupby("interval_start")["staffed_s"].sum() / interval_s
    totals = queue.groupby("interval_start")[list(QUEUE_COLUMNS)].sum()
    starts = sorted(set(totals.index) | set(staffed.index))
    need_c = pd.Series(0.0, index=starts)
    need_a = pd.Series(0.0, index=starts)
    for channel, part in queue.groupby("channel"):
        rows = part.groupby("interval_start")[list(QUEUE_COLUMNS)].sum()
        req = _channel_requirements(
            rows, channel=str(channel), settings=settings, queues=queues[queues["channel"] == channel],
            patience=patience.get(str(channel)), interval_s=interval_s,
        )  # fmt: skip
        need_c = need_c.add(req["c"], fill_value=0)
        need_a = need_a.add(req["a"], fill_value=0)
    kpis = metrics.kpi_frame(totals.reindex(starts), sl_formula=settings.sl_formula)
    plan = pd.DataFrame(
        {
            "interval_start": starts,
            "interval": [from_epoch(s).astimezone(zone) for s in starts],
            "offered": totals["offered"].reindex(starts).fillna(0).astype(int).to_numpy(),
            "required_erlang_c": need_c.reindex(starts).fillna(0).astype(int).to_numpy(),
            "required_erlang_a": need_a.reindex(starts).fillna(0).astype(int).to_numpy(),
            "staffed": staffed.reindex(starts).fillna(0.0).to_numpy(),
            "service_level": kpis["service_level"].to_numpy(),
        }
    )
    plan["status"] = [_status(c, h) for c, h in zip(plan["required_erlang_c"], plan["staffed"], strict=True)]
    return plan[PLAN_COLUMNS]


def _threshold(queue_threshold: Any, channel: str, settings: Settings) -> float:
    return float(queue_threshold) if pd.notna(queue_threshold) else settings.threshold_for(channel)


def live_queues(queues: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The queues whose contacts must be answered within the interval (threshold under
    DEFERRED_THRESHOLD_S): the ones Erlang staffing is about."""
    thresholds = [
        _threshold(t, c, settings) for t, c in zip(queues["sl_threshold_s"], queues["channel"], strict=True)
    ]
    return queues[[t < DEFERRED_THRESHOLD_S for t in thresholds]]


def deferred_channels(dims: Dimensions, filters: TrendFilters, settings: Settings) -> list[str]:
    """Channels of the filtered queues left out of the staffing requirement (deferred work)."""
    queues = filtered_queues(dims, filters)
    live = set(live_queues(queues, settings)["id"])
    return sorted({str(c) for q, c in zip(queues["id"], queues["channel"], strict=True) if q not in live})


def _teams(dims: Dimensions, filters: TrendFilters) -> list[int] | None:
    if not filters.team_ids and not filters.site_ids:
        return None
    teams = dims.teams
    if filters.team_ids:
        teams = teams[teams["id"].isin(list(filters.team_ids))]
    if filters.site_ids:
        teams = teams[teams["site_id"].isin(list(filters.site_ids))]
    return [int(t) for t in teams["id"]]


def _status(required: int, staffed: float) -> str | None:
    if required == 0 and staffed <= 0:
        return None
    if staffed < required:
        return "under"
    if staffed > required * (1 + OVER_MARGIN) and staffed - required >= 1:
        return "over"
    return "ok"


def staffing_summary(plan: pd.DataFrame, *, settings: Settings) -> dict[str, float]:
    """Hours under- and over-staffed in the plan (intervals x interval length)."""
    hours = settings.interval_minutes / 60.0
    return {
        "under_hours": float((plan["status"] == "under").sum() * hours),
        "over_hours": float((plan["status"] == "over").sum() * hours),
        "ok_hours": float((plan["status"] == "ok").sum() * hours),
    }
