"""The directors' weekly view: a scorecard (this week, last week, change, 13-week series, target) and
trend series by team or channel, all from QueueInterval and AgentDay sums through metrics.kpi_frame.

One scoped SQL read gives sums per local day x queue (and per day x agent team); every filter, week
and grouping after that is a cheap roll-up of those sums in pandas, so a filter change never re-reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import false, func, select
from sqlmodel import Session

from models import metrics
from models.access import Viewer, scope_for
from models.kpis import KPIS
from models.settings import Settings
from models.tables import Agent, AgentDay, Queue, QueueInterval, Site, Team, Touchpoint
from models.timegrid import week_start

QUEUE_SUMS = (
    "offered", "short_abandoned", "answered", "answered_within_t", "abandoned", "abandoned_within_t",
    "answered_wait_sum", "abandoned_wait_sum", "handled", "handle_time_sum", "transferred", "held",
    "hold_known", "known_customer", "repeats", "fcr_resolved", "channel_switches", "surveys_offered",
    "surveys_answered", "csat_n", "csat_top2", "ces_n", "ces_sum", "ces_easy", "ces_difficult", "nps_n",
    "nps_promoters", "nps_detractors",
)  # fmt: skip
AGENT_SUMS = (
    "staffed_s", "available_s", "handle_s", "scheduled_work_s", "scheduled_s", "paid_scheduled_s",
    "adherent_s", "shrinkage_s",
)  # fmt: skip
PERFORMANCE_KPIS = (
    "offered", "service_level", "asa", "abandon_rate", "avg_abandon_time", "aht", "transfer_rate",
    "hold_rate", "occupancy", "utilization", "adherence", "conformance", "shrinkage",
)  # fmt: skip
CUSTOMER_KPIS = (
    "ces", "ces_easy", "ces_difficult", "csat", "nps", "fcr", "repeat_rate", "channel_switch_rate",
    "response_rate",
)  # fmt: skip
AGENT_KPIS = frozenset({"occupancy", "utilization", "adherence", "conformance", "shrinkage"})
# The count a KPI rests on (shown beside it); survey KPIs are flagged under settings.min_sample.
SAMPLE_OF = {
    "offered": "offered", "service_level": "offered", "asa": "answered", "abandon_rate": "offered",
    "avg_abandon_time": "abandoned", "aht": "handled", "transfer_rate": "answered", "hold_rate": "hold_known",
    "ces": "ces_n", "ces_easy": "ces_n", "ces_difficult": "ces_n", "csat": "csat_n", "nps": "nps_n",
    "fcr": "known_customer", "repeat_rate": "known_customer", "channel_switch_rate": "known_customer",
    "response_rate": "surveys_offered",
}  # fmt: skip
SURVEY_SAMPLES = frozenset({"ces_n", "csat_n", "nps_n"})
TREND_KPIS = ("service_level", "offered", "ces", "ces_n", "aht", "handled", "csat", "csat_n")
NO_TEAM = -1


@dataclass(frozen=True)
class TrendFilters:
    """Page filters as hashable tuples (empty = everything the viewer may see)."""

    site_ids: tuple[int, ...] = ()
    team_ids: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    touchpoint_ids: tuple[int, ...] = ()

    @property
    def splits_queues_only(self) -> bool:
        """Channel and touchpoint belong to queues: agent time cannot be split by them."""
        return bool(self.channels or self.touchpoint_ids)


@dataclass
class Dimensions:
    """The queues, teams, sites and touchpoints in the viewer's scope (filter options and labels)."""

    queues: pd.DataFrame  # id, name, channel, touchpoint_id, team_id, site_id, sl_target, sl_formula, ...
    teams: pd.DataFrame  # id, name, site_id
    sites: pd.DataFrame  # id, name
    touchpoints: pd.DataFrame  # id, key, name, owner


@dataclass
class DailySums:
    """Summed aggregate columns per local day x queue and per local day x agent team."""

    start: date
    end: date
    queue: pd.DataFrame = field(default_factory=pd.DataFrame)  # local_date, queue_id, QUEUE_SUMS
    agent: pd.DataFrame = field(default_factory=pd.DataFrame)  # local_date, team_id, AGENT_SUMS


def _frame(session: Session, stmt: Any, names: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(session.execute(stmt).all(), columns=names)


def _within(column: Any, ids: frozenset[int] | None) -> Any:
    if ids is None:
        return None
    return column.in_(sorted(ids)) if ids else false()


def _scoped(stmt: Any, column: Any, ids: frozenset[int] | None) -> Any:
    condition = _within(column, ids)
    return stmt if condition is None else stmt.where(condition)


def load_dimensions(*, session: Session, viewer: Viewer) -> Dimensions:
    """Queues, teams, sites and touchpoints the viewer may see (every touchpoint is public: it is
    the journey's map, not a team's data)."""
    scope = scope_for(session=session, viewer=viewer)
    q = Queue
    queues = _frame(
        session,
        _scoped(
            select(
                *(q.id, q.name, q.channel, q.touchpoint_id, q.team_id, Team.site_id),
                *(q.sl_target, q.sl_formula, q.sl_threshold_s),
            )
            .outerjoin(Team, Team.id == q.team_id)  # type: ignore[arg-type]
            .order_by(q.name),
            q.id,
            scope.queue_ids,
        ),
        [
            "id",
            "name",
            "channel",
            "touchpoint_id",
            "team_id",
            "site_id",
            "sl_target",
            "sl_formula",
            "sl_threshold_s",
        ],
    )
    visible_teams = scope.team_ids
    teams = _frame(
        session,
        _scoped(select(Team.id, Team.name, Team.site_id).order_by(Team.name), Team.id, visible_teams),
        ["id", "name", "site_id"],
    )
    site_ids = frozenset(int(s) for s in teams["site_id"].dropna()) if visible_teams is not None else None
    sites = _frame(
        session, _scoped(select(Site.id, Site.name).order_by(Site.name), Site.id, site_ids), ["id", "name"]
    )
    touchpoints = _frame(
        session,
        select(Touchpoint.id, Touchpoint.key, Touchpoint.name, Touchpoint.owner).order_by(Touchpoint.name),
        ["id", "key", "name", "owner"],
    )
    return Dimensions(queues=queues, teams=teams, sites=sites, touchpoints=touchpoints)


def load_daily_sums(*, session: Session, viewer: Viewer, start: date, end: date) -> DailySums:
    """Sums per local day x queue (QueueInterval) and per local day x agent team (AgentDay), within
    the viewer's scope, for local days start..end inclusive. The only SQL of the trends view."""
    scope = scope_for(session=session, viewer=viewer)
    qi = QueueInterval
    queue_stmt = (
        select(qi.local_date, qi.queue_id, *[func.sum(getattr(qi, c)) for c in QUEUE_SUMS])
        .where(qi.local_date >= start, qi.local_date <= end)  # type: ignore[arg-type]
        .group_by(qi.local_date, qi.queue_id)
    )
    queue = _frame(
        session, _scoped(queue_stmt, qi.queue_id, scope.queue_ids), ["local_date", "queue_id", *QUEUE_SUMS]
    )
    ad = AgentDay
    agent_stmt = (
        select(ad.local_date, Agent.team_id, *[func.sum(getattr(ad, c)) for c in AGENT_SUMS])
        .join(Agent, Agent.id == ad.agent_id)  # type: ignore[arg-type]
        .where(ad.local_date >= start, ad.local_date <= end)  # type: ignore[arg-type]
        .group_by(ad.local_date, Agent.team_id)
    )
    agent = _frame(
        session, _scoped(agent_stmt, ad.agent_id, scope.agent_ids), ["local_date", "team_id", *AGENT_SUMS]
    )
    for frame in (queue, agent):
        frame["local_date"] = [
            d if isinstance(d, date) else date.fromisoformat(str(d)) for d in frame["local_date"]
        ]
    agent["team_id"] = agent["team_id"].fillna(NO_TEAM).astype(np.int64)
    return DailySums(start=start, end=end, queue=queue, agent=agent)


# --- Pure roll-ups ------------------------------------------------------------------------------------


def week_range(*, end: date, weeks: int) -> tuple[date, date]:
    """First and last local day of `weeks` ISO weeks ending with the week that contains `end`."""
    last_monday = week_start(end)
    return last_monday - timedelta(days=7 * (weeks - 1)), last_monday + timedelta(days=6)


def matching_filters(frame: pd.DataFrame, filters: TrendFilters | None) -> pd.DataFrame:
    """Rows of `frame` (queues, or contacts carrying the same columns) matching the page filters:
    site, team, channel and touchpoint; an empty choice keeps everything."""
    if filters is None or frame.empty:
        return frame
    keep = pd.Series(True, index=frame.index)
    for column, chosen in (
        ("site_id", filters.site_ids),
        ("team_id", filters.team_ids),
        ("channel", filters.channels),
        ("touchpoint_id", filters.touchpoint_ids),
    ):
        if chosen:
            keep &= frame[column].isin(list(chosen))
    return frame[keep]


def filtered_queues(dims: Dimensions, filters: TrendFilters) -> pd.DataFrame:
    """The queues matching the filters (site and team through the queue's team)."""
    return matching_filters(dims.queues, filters)


def _filtered_agent(sums: DailySums, dims: Dimensions, filters: TrendFilters) -> pd.DataFrame:
    agent = sums.agent
    if filters.team_ids:
        agent = agent[agent["team_id"].isin(list(filters.team_ids))]
    if filters.site_ids:
        teams = dims.teams.loc[dims.teams["site_id"].isin(list(filters.site_ids)), "id"]
        agent = agent[agent["team_id"].isin(list(teams))]
    return agent


def _formula(queues: pd.DataFrame, settings: Settings) -> str:
    """The queues' shared SL formula, else the centre default (the screen names the one in use)."""
    names = set(queues["sl_formula"].fillna(settings.sl_formula))
    return names.pop() if len(names) == 1 else settings.sl_formula


def queue_formula(dims: Dimensions, filters: TrendFilters, settings: Settings) -> str:
    """The SL formula the scorecard uses for the filtered queues (named on screen)."""
    return _formula(filtered_queues(dims, filters), settings)


def weighted_sl_target(rows: pd.DataFrame, queues: pd.DataFrame, settings: Settings) -> float | None:
    """The SL target of several queues together: each queue's target weighted by its offered*
    (offered − short abandons), i.e. the SL reached if every queue exactly met its own target. It
    is the shared target when they share one; without volume, the shared target or None."""
    target_of = {
        q: float(t) if t is not None and not pd.isna(t) else settings.target_for(c)
        for q, t, c in zip(queues["id"], queues["sl_target"], queues["channel"], strict=True)
    }
    weights = (rows["offered"] - rows["short_abandoned"]).groupby(rows["queue_id"]).sum()
    weights = weights[weights > 0]
    if weights.empty:
        return sl_target_of(queues, settings)
    return float(sum(target_of[q] * w for q, w in weights.items()) / weights.sum())


def sl_target_of(queues: pd.DataFrame, settings: Settings) -> float | None:
    """The SL target the filtered queues share (queue setting, else channel default); None if mixed."""
    targets = {
        float(t) if t is not None and not pd.isna(t) else settings.target_for(c)
        for t, c in zip(queues["sl_target"], queues["channel"], strict=True)
    }
    return targets.pop() if len(targets) == 1 else None


def _period_sums(sums: DailySums, dims: Dimensions, filters: TrendFilters, key: Any) -> pd.DataFrame:
    """Queue and agent sums rolled up by `key(local_date)` (a week start or the day itself)."""
    queues = filtered_queues(dims, filters)
    queue = sums.queue[sums.queue["queue_id"].isin(list(queues["id"]))]
    agent = _filtered_agent(sums, dims, filters)
    parts = [
        queue.assign(period=[key(d) for d in queue["local_date"]]).groupby("period")[list(QUEUE_SUMS)].sum(),
        agent.assign(period=[key(d) for d in agent["local_date"]]).groupby("period")[list(AGENT_SUMS)].sum(),
    ]
    return pd.concat(parts, axis=1).sort_index()


def weekly_scorecard(
    sums: DailySums,
    dims: Dimensions,
    *,
    settings: Settings,
    filters: TrendFilters,
    end: date,
    weeks: int = 13,
) -> pd.DataFrame:
    """One row per KPI: group (performance | customer), this week, last week, change, improved
    (None when the KPI has no better direction), the weekly series (oldest first), target, sample
    size and low-confidence flag. `end` sits in "this week"; weeks without data are None."""
    first, _last = week_range(end=end, weeks=weeks)
    mondays = [first + timedelta(days=7 * i) for i in range(weeks)]
    rolled = _period_sums(sums, dims, filters, week_start).reindex(mondays)
    queues = filtered_queues(dims, filters)
    table = metrics.kpi_frame(rolled, sl_formula=_formula(queues, settings)) if len(rolled) else rolled
    this_week = sums.queue[
        sums.queue["queue_id"].isin(list(queues["id"])) & (sums.queue["local_date"] >= mondays[-1])
    ]
    sl_target = weighted_sl_target(this_week, queues, settings)
    targets = {**getattr(settings, "kpi_targets", {}), "service_level": sl_target}
    rows = []
    for group, keys in (("performance", PERFORMANCE_KPIS), ("customer", CUSTOMER_KPIS)):
        for kpi in keys:
            series = [_clean(v) for v in table[kpi]] if kpi in table else [None] * weeks
            this, last = series[-1], (series[-2] if weeks > 1 else None)
            sample = SAMPLE_OF.get(kpi)
            n = _clean(rolled[sample].iloc[-1]) if sample in rolled else None
            rows.append(
                {
                    "kpi": kpi,
                    "group": group,
                    "this_week": this,
                    "last_week": last,
                    "change": None if this is None or last is None else this - last,
                    "improved": _improved(kpi, this, last),
                    "series": series,
                    "weeks": mondays,
                    "target": targets.get(kpi),
                    "n": None if n is None else int(n),
                    "low_confidence": sample in SURVEY_SAMPLES
                    and bool(metrics.low_confidence(n, settings.min_sample)),
                    "all_channels": kpi in AGENT_KPIS and filters.splits_queues_only,
                }
            )
    return pd.DataFrame(rows)


def _clean(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _improved(kpi: str, this: float | None, last: float | None) -> bool | None:
    better = KPIS[kpi].higher_is_better
    if better is None or this is None or last is None or this == last:
        return None
    return (this > last) == better


def trend_series(
    sums: DailySums, dims: Dimensions, *, settings: Settings, filters: TrendFilters, by: str, grain: str
) -> pd.DataFrame:
    """Long frame for the trend charts: period (week Monday or day), group (team or channel name),
    SL with offered, CES with answers, AHT with handled, CSAT with answers (the hover's samples)."""
    if by not in ("team", "channel") or grain not in ("week", "day"):
        raise ValueError("by is 'team' or 'channel'; grain is 'week' or 'day'")
    queues = filtered_queues(dims, filters)
    if by == "team":
        names = dict(zip(dims.teams["id"], dims.teams["name"], strict=True))
        group_of = {q: names.get(t, "—") for q, t in zip(queues["id"], queues["team_id"], strict=True)}
    else:
        group_of = dict(zip(queues["id"], queues["channel"], strict=True))
    queue = sums.queue[sums.queue["queue_id"].isin(list(group_of))]
    key = week_start if grain == "week" else (lambda d: d)
    frame = queue.assign(period=[key(d) for d in queue["local_date"]], group=queue["queue_id"].map(group_of))
    summed = frame.groupby(["group", "period"])[list(QUEUE_SUMS)].sum()
    formulas = (
        queues.assign(group=queues["id"].map(group_of))
        .groupby("group")
        .apply(lambda part: _formula(part, settings), include_groups=False)
    )
    if summed.empty:
        return pd.DataFrame(columns=["group", "period", *TREND_KPIS])
    per_row = pd.Series([formulas.get(g) for g, _p in summed.index], index=summed.index)
    table = metrics.kpi_frame(summed, sl_formula=per_row)
    table["handled"] = summed["handled"]
    out = table[list(TREND_KPIS)].reset_index()
    return out.sort_values(["group", "period"], ignore_index=True)
