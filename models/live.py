"""The live team view's read side: agents' states now, queues now and so far today, the customer side
today, alerts with since-when, lists to act on, intraday staffing and one agent's day timeline.

Reads only small "now" slices by index (recent state segments, waiting contacts, today's abandons
and surveys) and today's pre-aggregates; every KPI goes through models.metrics. The agent side lives
in models.live_agents, the queue and customer side in models.live_queues; this module scopes,
assembles and is the API the page's loaders call.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from models import access, metrics, staffing
from models import live_agents as la
from models import live_queues as lq
from models.rollup import REFRESH_JOB
from models.rollup_queue import frame, frame_in, to_ms
from models.settings import Settings
from models.tables import Agent, AgentDay, AgentInterval, Contact, JobRun, Queue, Site, Team
from models.timegrid import BASE_INTERVAL_S, local_date_of, local_day_bounds

FLAG_WEIGHT = la.FLAG_WEIGHT
QUEUE_FLAGS = lq.QUEUE_FLAGS
LOOKBACK_MARGIN_S = 3600.0
DAY_COLUMNS = ["agent_id", "handled", "handle_time_sum", "adherent_s", "scheduled_s"]


@dataclass(frozen=True)
class LiveFilters:
    """What the supervisor narrowed the view to; an empty tuple means "everything in scope"."""

    site_ids: tuple[int, ...] = ()
    team_ids: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    queue_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class LiveThresholds:
    """Alert thresholds: the `live_*` settings (models/settings.py holds their defaults)."""

    refresh_s: float
    aux_limit_s: dict[str, float]
    acw_limit_s: float
    long_contact_factor: float
    short_disconnect_s: float
    disconnects_alert: int
    disconnect_window_s: float
    no_break_h: float
    abandon_rate_max: float
    board_page_size: int

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveThresholds:
        return cls(**{f.name: getattr(settings, f"live_{f.name}") for f in fields(cls)})

    def aux_limit(self, reason: str | None) -> float:
        return self.aux_limit_s.get(reason or "other", self.aux_limit_s.get("other", 600.0))


@dataclass
class LiveView:
    """The agents and queues the viewer sees after scope and filters."""

    agents: pd.DataFrame  # agent_id, name, team_id, team, site_id, site, is_remote, timezone
    queues: pd.DataFrame  # queue_id, queue, channel, team_id, site_id, threshold_s, target, formula


@dataclass
class LiveSnapshot:
    """Everything the live fragment draws, computed at one `now`."""

    now: datetime
    day: date
    queues: pd.DataFrame
    sparklines: pd.DataFrame
    agents: pd.DataFrame
    customer: dict[str, Any]
    comments: pd.DataFrame
    alerts: pd.DataFrame
    callbacks: pd.DataFrame
    waiting: pd.DataFrame
    events_at: datetime | None = None
    refresh_at: datetime | None = None


# --- Scope and filters ------------------------------------------------------------------------------


def filter_options(*, session: Session, viewer: access.Viewer) -> dict[str, Any]:
    """Sites, teams, channels and queues the viewer may pick, and the default teams (their own)."""
    view = resolve_view(session=session, viewer=viewer, filters=LiveFilters(), settings=None)
    scope = access.scope_for(session=session, viewer=viewer)
    teams = frame(session, select(Team.id, Team.name, Team.site_id, Site.name).join(Site), _TEAM_COLS)
    if scope.team_ids is not None:
        teams = teams[teams["team_id"].isin(scope.team_ids)]
    sites = teams[["site_id", "site"]].drop_duplicates().sort_values("site")
    queues = view.queues.sort_values("queue")
    return {
        "sites": dict(zip(sites["site_id"].astype(int), sites["site"], strict=True)),
        "teams": dict(zip(teams["team_id"].astype(int), teams["team"], strict=True)),
        "channels": sorted(queues["channel"].dropna().unique().tolist()),
        "queues": dict(zip(queues["queue_id"].astype(int), queues["queue"], strict=True)),
        "default_team_ids": sorted(scope.team_ids) if scope.team_ids is not None else [],
    }


_TEAM_COLS = ["team_id", "team", "site_id", "site"]
_AGENT_COLS = ["agent_id", "name", "team_id", "is_remote", "timezone", "team", "site_id", "site"]
_QUEUE_COLS = ["queue_id", "queue", "channel", "team_id", "threshold_s", "target", "formula", "site_id"]


def resolve_view(
    *, session: Session, viewer: access.Viewer, filters: LiveFilters, settings: Settings | None
) -> LiveView:
    """Agents and queues in the viewer's scope, narrowed by the filters (never widened by them)."""
    scope = access.scope_for(session=session, viewer=viewer)
    agents = frame(
        session,
        select(
            Agent.id,
            Agent.name,
            Agent.team_id,
            Agent.is_remote,
            Agent.timezone,
            Team.name,
            Team.site_id,
            Site.name,
        )
        .outerjoin(Team, Agent.team_id == Team.id)  # type: ignore[arg-type]
        .outerjoin(Site, Team.site_id == Site.id)  # type: ignore[arg-type]
        .where(Agent.active.is_(True)),  # type: ignore[attr-defined]
        _AGENT_COLS,
    )
    queues = frame(
        session,
        select(
            Queue.id,
            Queue.name,
            Queue.channel,
            Queue.team_id,
            Queue.sl_threshold_s,
            Queue.sl_target,
            Queue.sl_formula,
            Team.site_id,
        ).outerjoin(Team, Queue.team_id == Team.id),  # type: ignore[arg-type]
        _QUEUE_COLS,
    )
    if scope.agent_ids is not None:
        agents = agents[agents["agent_id"].isin(scope.agent_ids)]
    if scope.queue_ids is not None:
        queues = queues[queues["queue_id"].isin(scope.queue_ids)]
    if filters.site_ids:
        agents = agents[agents["site_id"].isin(filters.site_ids)]
        queues = queues[queues["site_id"].isin(filters.site_ids)]
    if filters.team_ids:
        agents = agents[agents["team_id"].isin(filters.team_ids)]
        queues = queues[queues["team_id"].isin(filters.team_ids)]
    if filters.channels:
        queues = queues[queues["channel"].isin(filters.channels)]
    if filters.queue_ids:
        queues = queues[queues["queue_id"].isin(filters.queue_ids)]
    if filters.channels or filters.queue_ids:  # agents serve the queues of their team
        agents = agents[agents["team_id"].isin(queues["team_id"].dropna())]
    queues = queues.copy()
    if settings is not None:
        queues["threshold_s"] = (
            queues["threshold_s"].astype(float).fillna(queues["channel"].map(settings.threshold_for))
        )
        queues["target"] = queues["target"].astype(float).fillna(queues["channel"].map(settings.target_for))
        queues["formula"] = queues["formula"].fillna(settings.sl_formula)
    return LiveView(agents=agents.reset_index(drop=True), queues=queues.reset_index(drop=True))


# --- Raw "now" slices -------------------------------------------------------------------------------


def _current_contacts(session: Session, agent_ids: list[int], now: datetime) -> pd.Series:
    """Queue of the contact each agent is handling (answered, after-contact work not completed): a
    probe per agent on (agent_id, completed_interval), however long the contact history grows."""
    c = Contact
    handling = (
        select(c.queue_id)
        .where(
            c.agent_id == Agent.id,
            c.completed_interval.is_(None),  # type: ignore[union-attr]
            lq.unindexed(c.outcome, "") == "answered",
            c.offered_at >= now - timedelta(days=1),  # type: ignore[operator]
        )
        .order_by(c.offered_at.desc())  # type: ignore[attr-defined]
        .limit(1)
        .scalar_subquery()
    )
    found = frame_in(
        session,
        lambda chunk: select(Agent.id, handling).where(Agent.id.in_(chunk)),  # type: ignore[union-attr]
        agent_ids,
        ["agent_id", "queue_id"],
    )
    return found.dropna().set_index("agent_id")["queue_id"]


def _agent_days(session: Session, agent_ids: list[int], day: date) -> pd.DataFrame:
    d = AgentDay
    return frame_in(
        session,
        lambda chunk: select(d.agent_id, d.handled, d.handle_time_sum, d.adherent_s, d.scheduled_s).where(
            d.local_date == day,
            d.agent_id.in_(chunk),  # type: ignore[attr-defined]
        ),
        agent_ids,
        DAY_COLUMNS,
    ).set_index("agent_id")


def agent_board(
    view: LiveView, now_state: pd.DataFrame, days: pd.DataFrame, flags: pd.DataFrame, now: datetime
) -> pd.DataFrame:
    """One row per agent, most in need of attention first (weighted flags, then time in state)."""
    board = view.agents.set_index("agent_id").join(now_state)
    now_ms = to_ms(now)
    board["time_in_state"] = (now_ms - board["since_ms"]) / 1000.0
    d = days.reindex(board.index)
    board["contacts_today"] = d["handled"].fillna(0).astype(int)
    board["aht_today"] = metrics.aht(handle_time_sum=d["handle_time_sum"], handled=d["handled"])
    board["adherence_today"] = metrics.adherence(adherent_s=d["adherent_s"], scheduled_s=d["scheduled_s"])
    zones = {tz: now.astimezone(ZoneInfo(tz)).strftime("%H:%M") for tz in board["timezone"].dropna().unique()}
    board["local_time"] = board["timezone"].map(zones)
    kinds = flags.groupby("agent_id", sort=False)["kind"].agg(list).to_dict()  # one pass, not one per agent
    board["flags"] = [kinds.get(a, []) for a in board.index]
    board["attention"] = [sum(FLAG_WEIGHT[k] for k in kinds) for kinds in board["flags"]]
    board = board.sort_values(["attention", "time_in_state"], ascending=[False, False], na_position="last")
    return board.reset_index()


def live_alerts(flags: pd.DataFrame, agents: pd.DataFrame, queues: pd.DataFrame) -> pd.DataFrame:
    """Every current breach (agents' flags and queues' breaches), newest situation first."""
    names = agents.set_index("agent_id")["name"]
    parts = [
        pd.DataFrame(
            {
                "kind": flags["kind"],
                "subject": "agent",
                "subject_id": flags["agent_id"],
                "name": flags["agent_id"].map(names),
                "since_ms": flags["since_ms"],
                "value": flags["value"],
            }
        )
    ]
    for kind, value in (
        ("sl_breach", "service_level"),
        ("abandon_breach", "abandon_rate"),
        ("wait_breach", "longest_wait"),
    ):
        hit = queues[queues[kind]]
        since = hit[kind.replace("breach", "since_ms")]
        parts.append(
            pd.DataFrame(
                {
                    "kind": kind,
                    "subject": "queue",
                    "subject_id": hit["queue_id"],
                    "name": hit["queue"],
                    "since_ms": since,
                    "value": hit[value].astype(float),
                }
            )
        )
    alerts = pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)
    alerts["since"] = pd.to_datetime(alerts["since_ms"], unit="ms", utc=True)
    return alerts.sort_values("since_ms", ascending=False, kind="stable").reset_index(drop=True)


def live_snapshot(
    *, session: Session, viewer: access.Viewer, settings: Settings, filters: LiveFilters, now: datetime
) -> LiveSnapshot:
    """Everything the live fragment shows at `now`, for the viewer's scope narrowed by `filters`."""
    th = LiveThresholds.from_settings(settings)
    zone = settings.zone
    day = local_date_of(now, zone)
    now_ms = to_ms(now)
    view = resolve_view(session=session, viewer=viewer, filters=filters, settings=settings)
    agent_ids = view.agents["agent_id"].astype(int).tolist()
    queue_ids = view.queues["queue_id"].astype(int).tolist()
    # Flags look back a bounded window (so a refresh costs the same at 9:00 and at 18:00): enough to
    # see `no_break_h` and the disconnect window, plus the segment each agent was in at its start.
    since = now - timedelta(seconds=max(th.no_break_h * 3600, th.disconnect_window_s) + LOOKBACK_MARGIN_S)
    states = la.load_states(session, agent_ids, since)
    schedules = la.load_schedules(session, agent_ids, since, now)
    now_state = la.states_now(la.Segments.of(states, now_ms), agent_ids, now_ms)
    day_rows = lq.load_queue_day(session, queue_ids, day)
    waiting = lq.load_waiting(session, queue_ids, now, settings)
    queues, sparklines = lq.queue_strip(
        view=view, day_rows=day_rows, waiting=waiting, now_state=now_state, now_ms=now_ms, thresholds=th
    )
    handling = now_state.index[now_state["state"] == "on_contact"].tolist()
    current = _current_contacts(session, handling, now)
    overall = metrics.aht(
        handle_time_sum=day_rows["handle_time_sum"].sum(), handled=day_rows["handled"].sum()
    )
    queue_aht = queues.set_index("queue_id")["aht"]
    contact_aht = (
        current.map(queue_aht).reindex(handling).astype(float).fillna(overall if overall else np.nan)
    )
    flags = la.agent_flags(
        states=states,
        schedules=schedules,
        now_state=now_state,
        contact_aht=contact_aht,
        now_ms=now_ms,
        thresholds=th,
        grace_s=settings.adherence_grace_s,
    )
    waiting = waiting.assign(wait_s=(now_ms - waiting["offered_ms"]) / 1000.0).sort_values("offered_ms")
    return LiveSnapshot(
        now=now,
        day=day,
        queues=queues,
        sparklines=sparklines,
        agents=agent_board(view, now_state, _agent_days(session, agent_ids, day), flags, now),
        customer=lq.customer_side(day_rows, settings),
        comments=lq.latest_comments(session, queue_ids, day, zone),
        alerts=live_alerts(flags, view.agents, queues),
        callbacks=lq.callback_list(session, queue_ids, day, now, settings),
        waiting=waiting.reset_index(drop=True),
        **live_freshness(session=session),
    )


def live_freshness(*, session: Session) -> dict[str, datetime | None]:
    """When a source job (ingest, simulator) and the aggregate refresh last finished well: the live
    slices are as fresh as the first, today's totals as the second. Reads the newest runs backwards
    by primary key, so it stays fast however long the job history grows."""
    out: dict[str, datetime | None] = {}
    for name, is_refresh in (("events_at", False), ("refresh_at", True)):
        job = JobRun.job == REFRESH_JOB if is_refresh else JobRun.job != REFRESH_JOB
        moment = session.execute(
            select(JobRun.finished_at)
            .where(job, JobRun.status == "ok")
            .order_by(JobRun.id.desc())  # type: ignore[union-attr]
            .limit(1)
        ).scalar()
        out[name] = None if moment is None else moment.replace(tzinfo=moment.tzinfo or UTC)
    return out


# --- Intraday staffing and one agent's day ------------------------------------------------------------


def intraday(
    *, session: Session, viewer: access.Viewer, settings: Settings, filters: LiveFilters, now: datetime
) -> pd.DataFrame:
    """Per 15-minute interval of today: contacts offered, agents required by Erlang C (METRICS.md
    "Staffing": per queue at its own target and threshold, summed), and agents logged in and
    scheduled (average heads: staffed or scheduled seconds ÷ interval length)."""
    day = local_date_of(now, settings.zone)
    view = resolve_view(session=session, viewer=viewer, filters=filters, settings=settings)
    rows = lq.load_queue_day(session, view.queues["queue_id"].astype(int).tolist(), day)
    q = view.queues.set_index("queue_id")
    totals = rows.groupby("queue_id")[["handle_time_sum", "handled"]].sum()
    day_aht = metrics.aht(handle_time_sum=totals["handle_time_sum"], handled=totals["handled"])
    own_aht = metrics.aht(handle_time_sum=rows["handle_time_sum"], handled=rows["handled"])
    rows = rows.assign(aht=own_aht.fillna(rows["queue_id"].map(day_aht)))
    rows["required"] = [
        _required(r.offered, r.aht, q.at[r.queue_id, "target"], q.at[r.queue_id, "threshold_s"])
        for r in rows.itertuples(index=False)
    ]
    per_interval = rows.groupby("interval_start").agg(
        offered=("offered", "sum"), required=("required", "sum")
    )
    a = AgentInterval
    heads = frame_in(
        session,
        lambda chunk: select(a.interval_start, a.staffed_s, a.scheduled_work_s).where(
            a.local_date == day,
            a.agent_id.in_(chunk),  # type: ignore[attr-defined]
        ),
        view.agents["agent_id"].astype(int).tolist(),
        ["interval_start", "staffed_s", "scheduled_work_s"],
    )
    heads = heads.groupby("interval_start")[["staffed_s", "scheduled_work_s"]].sum() / BASE_INTERVAL_S
    grid = pd.Index(sorted(set(per_interval.index) | set(heads.index)), name="interval_start")
    out = pd.DataFrame(index=grid)
    out["offered"] = per_interval["offered"].reindex(grid).fillna(0).astype(int)
    out["required"] = per_interval["required"].reindex(grid).fillna(0).astype(int)
    out["logged_in"] = heads["staffed_s"].reindex(grid).fillna(0.0)
    out["scheduled"] = heads["scheduled_work_s"].reindex(grid).fillna(0.0)
    out = out.reset_index()
    out["interval"] = pd.to_datetime(out["interval_start"], unit="s", utc=True).dt.tz_convert(settings.zone)
    return out


def _required(offered: float, aht_s: float, target: float, threshold_s: float) -> int:
    if not offered or aht_s is None or np.isnan(aht_s) or aht_s <= 0 or not 0 < target < 1:
        return 0
    return staffing.required_agents(
        calls=float(offered),
        aht_s=float(aht_s),
        interval_s=BASE_INTERVAL_S,
        target=target,
        threshold_s=threshold_s,
    ).agents


def agent_timeline(
    *, session: Session, viewer: access.Viewer, settings: Settings, agent_id: int, now: datetime
) -> dict[str, pd.DataFrame] | None:
    """Today's states and schedule of one agent (None if the viewer may not see them), with the
    out-of-adherence stretches (mismatch runs longer than the grace period)."""
    scope = access.scope_for(session=session, viewer=viewer)
    if scope.agent_ids is not None and agent_id not in scope.agent_ids:
        return None
    day = local_date_of(now, settings.zone)
    start, end = local_day_bounds(day, settings.zone)
    start_ms, end_ms, now_ms = to_ms(start), to_ms(end), min(to_ms(now), to_ms(end))
    states = la.load_states(session, [agent_id], start)
    schedules = la.load_schedules(session, [agent_id], start, end)
    nxt = states["start_ms"].shift(-1)
    clipped = states.assign(
        end_ms=np.fmin(states["end_ms"].astype(float).fillna(np.inf), nxt.fillna(np.inf)).clip(upper=now_ms),
        start_ms=states["start_ms"].clip(lower=start_ms),
    )
    clipped = clipped[clipped["end_ms"] > clipped["start_ms"]]
    runs = la.mismatch_runs(states, schedules, now_ms=now_ms)
    runs = runs[(runs["seconds"] > settings.adherence_grace_s) & (runs["end_ms"] > start_ms)]
    return {
        "states": _with_times(clipped[["state", "reason", "start_ms", "end_ms"]], settings.zone),
        "schedule": _with_times(
            schedules[["activity", "start_ms", "end_ms"]].assign(
                start_ms=schedules["start_ms"].clip(lower=start_ms),
                end_ms=schedules["end_ms"].clip(upper=end_ms),
            ),
            settings.zone,
        ),
        "out_of_adherence": _with_times(
            runs.assign(start_ms=runs["start_ms"].clip(lower=start_ms)), settings.zone
        ),
    }


def _with_times(rows: pd.DataFrame, zone: ZoneInfo) -> pd.DataFrame:
    out = rows.sort_values("start_ms").reset_index(drop=True)
    out["start"] = pd.to_datetime(out["start_ms"], unit="ms", utc=True).dt.tz_convert(zone)
    out["end"] = pd.to_datetime(out["end_ms"], unit="ms", utc=True).dt.tz_convert(zone)
    return out
