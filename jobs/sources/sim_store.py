"""The simulator's database side (through models.writes only): the organisation rows, the seed's
parameters, the resume point (the newest recorded simulated event) and the stored customer history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from jobs.sources.sim_customers import Outcome
from jobs.sources.sim_model import SOURCE, Org, local_epoch, to_epoch
from jobs.sources.sim_org import Scale, build_org_rows
from jobs.sources.sim_params import SimParams, params_from_run
from models.db import SessionFactory, session_scope
from models.settings import Settings
from models.tables import (
    Agent,
    AgentStateSegment,
    AppUser,
    Contact,
    JobRun,
    Queue,
    ScheduleSegment,
    Site,
    SurveyResponse,
    Team,
    Touchpoint,
    UserAgent,
    UserTeam,
)
from models.timegrid import interval_of, local_date_of
from models.writes import fetch_rows, insert_rows, max_value

SEED_JOB = "demo_seed"
HISTORY_DAYS_FOR_CUSTOMERS = 10  # repeats land within 7 days of a contact; backlogs start 2 days early


# --- organisation -------------------------------------------------------------------------------


def create_org(session: Session, params: SimParams) -> dict[str, int]:
    spec = build_org_rows(
        scale=params.scale, seed=params.seed, today=params.seeded_on, centre_zone=params.timezone
    )
    insert_rows(session, Site, spec.sites)
    site_ids = _ids(session, Site, "name")
    insert_rows(session, AppUser, spec.users)
    user_ids = _ids(session, AppUser, "email")
    teams = [
        {"name": t["name"], "site_id": site_ids[t["site"]], "supervisor_id": user_ids[t["supervisor"]]}
        for t in spec.teams
    ]
    insert_rows(session, Team, teams)
    team_ids = _ids(session, Team, "name")
    insert_rows(session, Touchpoint, [dict(tp, owner_user_id=None) for tp in spec.touchpoints])
    tp_ids = _ids(session, Touchpoint, "key")
    queues = [
        {
            "name": q["name"],
            "channel": q["channel"],
            "touchpoint_id": tp_ids[q["touchpoint"]],
            "team_id": team_ids[q["team"]],
            "sl_threshold_s": None,
            "sl_target": None,
            "sl_formula": None,
        }
        for q in spec.queues
    ]
    insert_rows(session, Queue, queues)
    by_team = {t["name"]: t for t in spec.teams}
    agents = [
        {
            "code": a["code"],
            "name": a["name"],
            "team_id": team_ids[a["team"]],
            "is_remote": a["is_remote"],
            "timezone": a["timezone"],
            "hire_date": a["hire_date"],
            "supervisor_id": user_ids[by_team[a["team"]]["supervisor"]],
            "coach_id": user_ids[by_team[a["team"]]["coach"]],
            "active": True,
        }
        for a in spec.agents
    ]
    insert_rows(session, Agent, agents)
    agent_ids = _ids(session, Agent, "code")
    user_team = [
        {"user_id": user_ids[t[role]], "team_id": team_ids[t["name"]]}
        for t in spec.teams
        for role in ("supervisor", "coach")
    ]
    insert_rows(session, UserTeam, user_team)
    user_agent = [
        {"user_id": user_ids[by_team[a["team"]]["coach"]], "agent_id": agent_ids[a["code"]]}
        for a in spec.agents
    ]
    insert_rows(session, UserAgent, user_agent)
    return {
        "site": len(spec.sites),
        "appuser": len(spec.users),
        "team": len(teams),
        "touchpoint": len(spec.touchpoints),
        "queue": len(queues),
        "agent": len(agents),
        "userteam": len(user_team),
        "useragent": len(user_agent),
    }


def _ids(session: Session, model: type, key: str) -> dict[Any, int]:
    return {r[key]: r["id"] for r in fetch_rows(session, model, columns=[key, "id"])}


# --- resume point and history ------------------------------------------------------------------


def as_of(session: Session) -> float | None:
    """The newest simulated event recorded: the data are exactly as the simulation stood then."""
    sim = [("source", "==", SOURCE)]
    top = max_value(session, Contact, "offered_interval", where=sim)
    if top is None:
        return None
    recent = [*sim, ("offered_interval", ">=", top - 4 * 86400)]
    found = [
        to_epoch(max_value(session, Contact, col, where=recent))
        for col in ("offered_at", "answered_at", "ended_at", "completed_at")
    ]
    for row in fetch_rows(
        session, Contact, columns=["offered_at", "wait_s"], where=[*recent, ("outcome", "==", "abandoned")]
    ):
        found.append(to_epoch(row["offered_at"]) + row["wait_s"])  # type: ignore[operator]
    seg_top = max_value(session, AgentStateSegment, "start_at", where=sim)
    if seg_top is not None:
        found.append(to_epoch(seg_top))
        since = seg_top - timedelta(days=2)
        found.append(
            to_epoch(max_value(session, AgentStateSegment, "end_at", where=[*sim, ("start_at", ">=", since)]))
        )
    found.append(to_epoch(max_value(session, SurveyResponse, "answered_at", where=sim)))
    return max(x for x in found if x is not None)


def as_of_dt(factory: SessionFactory) -> datetime | None:
    with session_scope(factory) as session:
        moment = as_of(session)
    return None if moment is None else datetime.fromtimestamp(moment, UTC)


def stored_outcomes(session: Session, org: Org, first_day: date) -> list[Outcome]:
    """Finished contacts of the days before `first_day` (customer history for repeats)."""
    start = local_epoch(first_day - timedelta(days=HISTORY_DAYS_FOR_CUSTOMERS), 0, org.zone)
    end = local_epoch(first_day + timedelta(days=1), 0, org.zone)
    label = f"{first_day:%Y%m%d}"
    rows = fetch_rows(
        session,
        Contact,
        columns=[
            "source_key",
            "queue_id",
            "customer_key",
            "outcome",
            "transferred",
            "wait_s",
            "offered_at",
            "completed_at",
        ],
        where=[
            ("source", "==", SOURCE),
            ("offered_interval", ">=", interval_of(start)),
            ("offered_interval", "<", end),
            ("customer_key", "not_null", None),
            ("outcome", "in", ("answered", "abandoned")),
        ],
    )
    out = []
    for r in rows:
        q = org.queue_by_id.get(r["queue_id"])
        if q is None or r["source_key"][:8] >= label:
            continue
        offered = int(to_epoch(r["offered_at"]))  # type: ignore[arg-type]
        answered = r["outcome"] == "answered"
        end_at = to_epoch(r["completed_at"]) if answered else offered + r["wait_s"]
        if end_at is None:
            continue
        out.append(
            Outcome(
                r["source_key"],
                q.line,
                q.channel,
                r["customer_key"],
                answered,
                r["transferred"],
                float(r["wait_s"]),
                offered,
                int(end_at),
            )
        )
    return out


def seed_params(session: Session, settings: Settings, scales: dict[str, Scale]) -> SimParams | None:
    """The parameters of the newest successful demo seed (None when the database has none)."""
    runs = fetch_rows(
        session,
        JobRun,
        columns=["detail", "started_at"],
        where=[("job", "==", SEED_JOB), ("status", "==", "ok")],
        order_by=["id"],
    )
    if not runs:
        return None
    last = runs[-1]
    return params_from_run(
        detail=last["detail"], started_at=last["started_at"], settings=settings, scales=scales
    )


def last_planned_day(session: Session, zone: Any) -> date:
    """The last local day whose simulated schedule is stored (schedules are written a day at a time)."""
    last = max_value(session, ScheduleSegment, "start_at", where=[("source", "==", SOURCE)])
    return local_date_of(to_epoch(last), zone) if last is not None else date.min
