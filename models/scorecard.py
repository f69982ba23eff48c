"""One agent as a coach sees them: the picker's directory, the agent's KPIs for a period next to the
team median and their percentile among peers on the same queues (performance and customer side by
side), and the weekly trend. Reads AgentDay (sums -> models.metrics.kpi_frame), scoped by viewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models import export, metrics
from models.access import Viewer, scope_for
from models.coaching import NotAllowed
from models.kpis import KPIS
from models.queries import AGENT_DAY_SUMS
from models.settings import Settings
from models.tables import Agent, AgentDay, AppUser, Contact, Queue, Team
from models.themes import normalise
from models.timegrid import interval_of, local_day_bounds, week_start

PERFORMANCE_KPIS = (
    "answered",
    "aht",
    "hold_rate",
    "transfer_rate",
    "adherence",
    "conformance",
    "occupancy",
    "utilization",
    "shrinkage",
)
CUSTOMER_KPIS = ("csat", "ces", "nps", "fcr", "repeat_rate", "response_rate")
SCORECARD_KPIS = PERFORMANCE_KPIS + CUSTOMER_KPIS
PEER_WINDOW_DAYS = 7
DIRECTORY_COLUMNS = [
    "id",
    "code",
    "name",
    "team_id",
    "team",
    "supervisor_id",
    "supervisor",
    "coach_id",
    "coach",
    "is_remote",
    "timezone",
    "active",
]


# --- The picker -----------------------------------------------------------------------------------


def agent_directory(*, session: Session, viewer: Viewer) -> pd.DataFrame:
    """Every agent the viewer may see, with team, supervisor (the agent's own, else the team's),
    coach and remote flag: what the picker searches and filters."""
    scope = scope_for(session=session, viewer=viewer)
    supervisor, coach = aliased(AppUser), aliased(AppUser)
    supervisor_id = func.coalesce(Agent.supervisor_id, Team.supervisor_id)
    stmt = (
        select(
            Agent.id,
            Agent.code,
            Agent.name,
            Agent.team_id,
            Team.name,
            supervisor_id,
            supervisor.name,
            Agent.coach_id,
            coach.name,
            Agent.is_remote,
            Agent.timezone,
            Agent.active,
        )
        .outerjoin(Team, Team.id == Agent.team_id)  # type: ignore[arg-type]
        .outerjoin(supervisor, supervisor.id == supervisor_id)
        .outerjoin(coach, coach.id == Agent.coach_id)  # type: ignore[arg-type]
        .order_by(Agent.name, Agent.code)
    )
    if scope.agent_ids is not None:
        if not scope.agent_ids:
            return pd.DataFrame(columns=[*DIRECTORY_COLUMNS, "search_key"])
        stmt = stmt.where(Agent.id.in_(sorted(scope.agent_ids)))  # type: ignore[union-attr]
    directory = pd.DataFrame.from_records(session.execute(stmt).all(), columns=DIRECTORY_COLUMNS)
    return directory.assign(search_key=_search_keys(directory))


def _search_keys(directory: pd.DataFrame) -> pd.Series:
    """Name and code, normalised once (accents and case dropped) so a search is a substring test."""
    return (directory["name"].fillna("") + " " + directory["code"].fillna("")).map(normalise)


def filter_agents(
    directory: pd.DataFrame,
    *,
    search: str = "",
    team_ids: list[int] | None = None,
    supervisor_ids: list[int] | None = None,
    remote: bool | None = None,
) -> pd.DataFrame:
    """The directory narrowed by a name or code search (accent- and case-insensitive, every word
    must match) and by team, supervisor and remote/on-site."""
    keep = pd.Series(True, index=directory.index)
    words = normalise(search).split()
    if words:
        haystack = directory["search_key"] if "search_key" in directory else _search_keys(directory)
        for word in words:
            keep &= haystack.str.contains(word, regex=False)
    if team_ids:
        keep &= directory["team_id"].isin(team_ids)
    if supervisor_ids:
        keep &= directory["supervisor_id"].isin(supervisor_ids)
    if remote is not None:
        keep &= directory["is_remote"].astype(bool) == remote
    return directory[keep].reset_index(drop=True)


def require_agent(*, session: Session, viewer: Viewer, agent_id: int) -> Agent:
    """The agent, if the viewer's scope holds it; NotAllowed otherwise (even when a URL names it)."""
    allowed = scope_for(session=session, viewer=viewer).agent_ids
    agent = session.get(Agent, agent_id)
    if agent is None or (allowed is not None and agent_id not in allowed):
        raise NotAllowed(f"agent {agent_id} is not in {viewer.email}'s scope")
    return agent


# --- The scorecard --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scorecard:
    """The agent's KPIs (one row per KPI) and the groups they are compared with."""

    kpis: pd.DataFrame  # kpi, side, value, team_median, percentile, better_than, peers, n, low_confidence
    team: str | None
    team_size: int
    peers: int  # agents (the agent included) who answered on the agent's queues in the last week
    queues: list[str] = field(default_factory=list)


def _period_sums(session: Session, start: date, end: date, agent_ids: list[int] | None) -> pd.DataFrame:
    """AgentDay columns summed per agent over local days start..end."""
    stmt = (
        select(AgentDay.agent_id, *[func.sum(getattr(AgentDay, c)) for c in AGENT_DAY_SUMS])
        .where(AgentDay.local_date >= start, AgentDay.local_date <= end)  # type: ignore[arg-type]
        .group_by(AgentDay.agent_id)
    )
    if agent_ids is not None:
        stmt = stmt.where(AgentDay.agent_id.in_(agent_ids))  # type: ignore[attr-defined]
    frame = pd.DataFrame.from_records(session.execute(stmt).all(), columns=["agent_id", *AGENT_DAY_SUMS])
    return frame.set_index("agent_id")


def _interval_range(start: date, end: date, settings: Settings) -> tuple[int, int]:
    first = local_day_bounds(start, settings.zone)[0]
    last = local_day_bounds(end, settings.zone)[1]
    return interval_of(first), interval_of(last)


def peer_group(
    *, session: Session, agent_id: int, start: date, end: date, settings: Settings
) -> tuple[list[int], list[str]]:
    """The queues this agent answered in the period, and the agents (the agent included) who answered
    contacts on them in the period's last PEER_WINDOW_DAYS days: the current peers (the agent's queues
    change rarely, and a week of contacts is a fifth of the rows of four). Aggregate use only:
    callers never show peers' own rows."""
    lo, hi = _interval_range(start, end, settings)
    recent_lo = _interval_range(max(start, end - timedelta(days=PEER_WINDOW_DAYS - 1)), end, settings)[0]
    queues = session.execute(
        select(Contact.queue_id, Queue.name)
        .join(Queue, Queue.id == Contact.queue_id)  # type: ignore[arg-type]
        .where(
            Contact.agent_id == agent_id,
            Contact.completed_interval >= lo,  # type: ignore[operator]
            Contact.completed_interval < hi,  # type: ignore[operator]
        )
        .distinct()
    ).all()
    if not queues:
        return [agent_id], []
    ids = sorted(q[0] for q in queues)
    peers = session.execute(
        select(Contact.agent_id)
        .where(
            Contact.queue_id.in_(ids),  # type: ignore[attr-defined]
            Contact.offered_interval >= recent_lo,
            Contact.offered_interval < hi,
            Contact.agent_id.is_not(None),  # type: ignore[union-attr]
        )
        .distinct()
    ).scalars()
    return sorted({int(p) for p in peers} | {agent_id}), sorted(q[1] for q in queues)


def percentile_among(value: float | None, others: Any) -> float | None:
    """Share (0..100) of the other peers whose value is below `value`, ties counting half: where the
    agent stands in the peer distribution, whatever the KPI's direction."""
    known = np.asarray(others, dtype=float)
    known = known[~np.isnan(known)]
    if value is None or pd.isna(value) or known.size == 0:
        return None
    below = float((known < value).sum()) + 0.5 * float((known == value).sum())
    return 100.0 * below / known.size


def agent_scorecard(
    *, session: Session, viewer: Viewer, settings: Settings, agent_id: int, start: date, end: date
) -> Scorecard:
    """The agent's KPIs for local days start..end beside the team median (members with a value) and
    the percentile among peers on the same queues; `better_than` turns the percentile into "better
    than x % of peers" for KPIs with a good direction. Survey KPIs carry n and a low-confidence flag."""
    agent = require_agent(session=session, viewer=viewer, agent_id=agent_id)
    peer_ids, queue_names = peer_group(
        session=session, agent_id=agent_id, start=start, end=end, settings=settings
    )
    team_ids: list[int] = []
    if agent.team_id is not None:
        team_ids = [
            int(i) for i in session.execute(select(Agent.id).where(Agent.team_id == agent.team_id)).scalars()
        ]
    sums = _period_sums(session, start, end, sorted(set(peer_ids) | set(team_ids) | {agent_id}))
    table = metrics.kpi_frame(sums) if not sums.empty else metrics.kpi_frame(pd.DataFrame(index=[agent_id]))
    table = table.reindex(sorted(set(table.index) | {agent_id}))
    kpis = list(SCORECARD_KPIS)
    mine = table.loc[agent_id, kpis].to_numpy(dtype=float)
    team_rows = table.loc[table.index.isin(team_ids), kpis].to_numpy(dtype=float)
    peer_rows = table.loc[table.index.isin(peer_ids) & (table.index != agent_id), kpis].to_numpy(dtype=float)
    rows = []
    for column, kpi in enumerate(kpis):
        definition = KPIS[kpi]
        value = None if np.isnan(mine[column]) else float(mine[column])
        position = percentile_among(value, peer_rows[:, column])
        better = definition.higher_is_better
        n = _sample(sums, agent_id, definition.sample_key)
        rows.append(
            {
                "kpi": kpi,
                "side": "performance" if kpi in PERFORMANCE_KPIS else "customer",
                "value": value,
                "team_median": _median(team_rows[:, column]),
                "percentile": position,
                "better_than": None
                if position is None or better is None
                else (position if better else 100 - position),
                "peers": int((~np.isnan(peer_rows[:, column])).sum()) + (value is not None),
                "n": n,
                "low_confidence": bool(definition.sample_key)
                and bool(metrics.low_confidence(n, settings.min_sample)),
            }
        )
    team = session.get(Team, agent.team_id) if agent.team_id is not None else None
    return Scorecard(
        kpis=pd.DataFrame(rows),
        team=team.name if team else None,
        team_size=len(team_ids),
        peers=len(peer_ids),
        queues=queue_names,
    )


def _sample(sums: pd.DataFrame, agent_id: int, column: str | None) -> int | None:
    if column is None:
        return None
    if agent_id not in sums.index:
        return 0
    return int(sums.at[agent_id, column])


def _median(values: np.ndarray) -> float | None:
    known = values[~np.isnan(values)]
    return None if known.size == 0 else float(np.median(known))


# --- Trend by week --------------------------------------------------------------------------------


def agent_trend(
    *, session: Session, viewer: Viewer, agent_id: int, end: date, weeks: int = 13
) -> pd.DataFrame:
    """The agent's scorecard KPIs per ISO week (Monday), `weeks` weeks up to the one holding `end`,
    with the team median of each week: long format (week, kpi, value, team_median)."""
    agent = require_agent(session=session, viewer=viewer, agent_id=agent_id)
    start = week_start(end) - timedelta(weeks=weeks - 1)
    members = [agent_id]
    if agent.team_id is not None:
        members = [
            int(i) for i in session.execute(select(Agent.id).where(Agent.team_id == agent.team_id)).scalars()
        ]
    mondays = [start + timedelta(weeks=n) for n in range(weeks)]
    # ISO week of each local day, bucketed in SQL (portable CASE), so only agent x week rows come back
    week = case(*[(AgentDay.local_date >= m, m.isoformat()) for m in reversed(mondays)], else_=None)
    stmt = (
        select(AgentDay.agent_id, week, *[func.sum(getattr(AgentDay, c)) for c in AGENT_DAY_SUMS])
        .where(
            AgentDay.agent_id.in_(members),  # type: ignore[attr-defined]
            AgentDay.local_date >= start,  # type: ignore[arg-type]
            AgentDay.local_date <= end,  # type: ignore[arg-type]
        )
        .group_by(AgentDay.agent_id, week)
    )
    sums = pd.DataFrame.from_records(
        session.execute(stmt).all(), columns=["agent_id", "week", *AGENT_DAY_SUMS]
    )
    columns = ["week", "kpi", "value", "team_median"]
    if sums.empty:
        return pd.DataFrame(columns=columns)
    sums["week"] = [date.fromisoformat(w) for w in sums["week"]]
    kpis = list(SCORECARD_KPIS)
    table = metrics.kpi_frame(sums[AGENT_DAY_SUMS])[kpis]  # flat index: much faster than a MultiIndex
    table["week"] = sums["week"]
    medians = table.groupby("week")[kpis].median()  # members with a value that week
    own = table[sums["agent_id"] == agent_id].set_index("week")[kpis].reindex(medians.index)
    weeks_found = list(medians.index)
    return pd.DataFrame(
        {
            "week": weeks_found * len(kpis),
            "kpi": np.repeat(kpis, len(weeks_found)),
            "value": own.to_numpy(dtype=float).T.ravel(),
            "team_median": medians.to_numpy(dtype=float).T.ravel(),
        },
        columns=columns,
    )


def record_export(*, session: Session, viewer: Viewer, agent_id: int, kind: str) -> None:
    """Audit an export of the agent's scorecard (only of an agent in the viewer's scope)."""
    require_agent(session=session, viewer=viewer, agent_id=agent_id)
    export.record_export(session=session, viewer=viewer, what=f"scorecard:agent:{agent_id}", fmt=kind)
