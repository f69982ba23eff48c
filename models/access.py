"""Who may see what: the viewer (a signed-in user, or the operator behind the CLI), the scope of
teams, agents and queues their role allows, the pages each role opens and whose coaching notes they
read. Every query function filters by `scope_for`; the checks here refuse anything outside it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlmodel import Session

from models.tables import Agent, AppUser, Queue, Team, UserAgent, UserTeam

ROLES = ("admin", "director", "supervisor", "coach", "agent")
# The pages each role opens (dashboard.py lists only these; a page refuses any other role).
PAGES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "admin": (
        "home",
        "weekly_trends",
        "live_team",
        "agent_coach",
        "data_health",
        "upload",
        "users",
        "audit",
    ),  # fmt: skip
    "director": ("home", "weekly_trends", "live_team", "agent_coach", "data_health"),
    "supervisor": ("home", "live_team", "agent_coach"),
    "coach": ("home", "agent_coach"),
    "agent": ("agent_coach",),
}
ALL_PAGES = frozenset(page for pages in PAGES_BY_ROLE.values() for page in pages)
# Coaching notes: the agent's coach and supervisor, and directors. Admins run the system and agents
# read their own scorecard; neither reads notes.
NOTE_ROLES = frozenset({"director", "supervisor", "coach"})


@dataclass(frozen=True)
class Viewer:
    """The person a page or command reads data for."""

    user_id: int | None
    email: str
    role: str  # admin | director | supervisor | coach | agent
    name: str


@dataclass(frozen=True)
class Scope:
    """Ids a viewer may see; None means every one (directors and admins)."""

    team_ids: frozenset[int] | None
    agent_ids: frozenset[int] | None
    queue_ids: frozenset[int] | None

    @property
    def is_empty(self) -> bool:
        return (
            self.team_ids == frozenset() and self.agent_ids == frozenset() and self.queue_ids == frozenset()
        )


EVERYTHING = Scope(team_ids=None, agent_ids=None, queue_ids=None)
NOTHING = Scope(team_ids=frozenset(), agent_ids=frozenset(), queue_ids=frozenset())
# The CLI runs on the database host as an operator: it reads like a director (all teams).
OPERATOR = Viewer(user_id=None, email="operator@localhost", role="director", name="Operator (command line)")


class OutOfScope(PermissionError):
    """A team, agent or queue the viewer may not see was asked for (a hand-edited link, say)."""


def _viewer(user: AppUser) -> Viewer:
    return Viewer(user_id=user.id, email=user.email, role=user.role, name=user.name)


def viewer_for_email(*, session: Session, email: str) -> Viewer | None:
    """The active user with this e-mail (case-insensitive), or None: sign-in resolves people here."""
    user = session.execute(
        select(AppUser).where(func.lower(AppUser.email) == email.strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.active:
        return None
    return _viewer(user)


def viewer_for_id(*, session: Session, user_id: int) -> Viewer | None:
    """The active user with this id as a Viewer (None once deactivated or deleted): a signed-in
    session re-reads its user on every run, so a role change or deactivation applies at once."""
    user = session.get(AppUser, user_id)
    if user is None or not user.active or user.role not in ROLES:
        return None
    return _viewer(user)


def current_role(*, session: Session, viewer: Viewer) -> str | None:
    """The viewer's role as stored now (None: unknown or deactivated); the operator keeps theirs."""
    if viewer.user_id is None:
        return viewer.role if viewer == OPERATOR else None
    user = session.get(AppUser, viewer.user_id)
    return user.role if user is not None and user.active and user.role in ROLES else None


def pages_for(role: str | None) -> tuple[str, ...]:
    """The pages a role opens, in menu order (nothing for an unknown role)."""
    return PAGES_BY_ROLE.get(role or "", ())


def may_open(role: str | None, page: str) -> bool:
    return page in pages_for(role)


def demo_viewer(*, session: Session) -> Viewer | None:
    """The seeded director (the first active one), used by the app until sign-in lands."""
    user = session.execute(
        select(AppUser)
        .where(AppUser.role == "director", AppUser.active.is_(True))  # type: ignore[attr-defined]
        .order_by(AppUser.id)  # type: ignore[arg-type]
        .limit(1)
    ).scalar_one_or_none()
    return _viewer(user) if user else None


def _ids(session: Session, stmt) -> frozenset[int]:  # type: ignore[no-untyped-def]
    return frozenset(int(v) for v in session.execute(stmt).scalars().all() if v is not None)


def _queues_of(session: Session, team_ids: frozenset[int]) -> frozenset[int]:
    if not team_ids:
        return frozenset()
    return _ids(session, select(Queue.id).where(Queue.team_id.in_(team_ids)))  # type: ignore[union-attr]


def scope_for(*, session: Session, viewer: Viewer) -> Scope:
    """Teams, agents and queues the viewer may see. The role is read from the database (a changed or
    deactivated user loses access at once); unknown users and roles see nothing."""
    if viewer.user_id is None:
        return EVERYTHING if viewer == OPERATOR else NOTHING
    user = session.get(AppUser, viewer.user_id)
    if user is None or not user.active or user.role not in ROLES:
        return NOTHING
    if user.role in ("admin", "director"):
        return EVERYTHING
    uid = user.id
    own_agents = _ids(session, select(UserAgent.agent_id).where(UserAgent.user_id == uid))
    if user.role == "agent":
        return Scope(team_ids=frozenset(), agent_ids=own_agents, queue_ids=frozenset())
    listed_teams = _ids(session, select(UserTeam.team_id).where(UserTeam.user_id == uid))
    if user.role == "supervisor":
        teams = listed_teams | _ids(session, select(Team.id).where(Team.supervisor_id == uid))
        agents = _ids(
            session,
            select(Agent.id).where(or_(Agent.team_id.in_(teams), Agent.supervisor_id == uid)),  # type: ignore[union-attr]
        )
        return Scope(team_ids=teams, agent_ids=agents, queue_ids=_queues_of(session, teams))
    # coach: the agents assigned to them; their teams (and listed ones) for queue metrics
    agents = own_agents | _ids(session, select(Agent.id).where(Agent.coach_id == uid))
    teams = listed_teams | (
        _ids(session, select(Agent.team_id).where(Agent.id.in_(agents))) if agents else frozenset()  # type: ignore[union-attr]
    )
    return Scope(team_ids=teams, agent_ids=agents, queue_ids=_queues_of(session, teams))


# --- Out-of-scope checks -------------------------------------------------------------------------------


def allows(ids: frozenset[int] | None, item: int | None) -> bool:
    """Whether one id is inside a scope set (None means every id)."""
    return ids is None or (item is not None and int(item) in ids)


def keep_allowed(ids: frozenset[int] | None, items: list[int]) -> list[int]:
    """The requested ids that the scope allows, in the order asked (filters narrow, never widen)."""
    return [int(i) for i in items] if ids is None else [int(i) for i in items if int(i) in ids]


def require_agent(*, session: Session, viewer: Viewer, agent_id: int) -> None:
    """OutOfScope unless the viewer may see this agent."""
    if not allows(scope_for(session=session, viewer=viewer).agent_ids, agent_id):
        raise OutOfScope(f"{viewer.email} may not see agent {agent_id}")


def require_team(*, session: Session, viewer: Viewer, team_id: int) -> None:
    """OutOfScope unless the viewer may see this team."""
    if not allows(scope_for(session=session, viewer=viewer).team_ids, team_id):
        raise OutOfScope(f"{viewer.email} may not see team {team_id}")


def require_queue(*, session: Session, viewer: Viewer, queue_id: int) -> None:
    """OutOfScope unless the viewer may see this queue."""
    if not allows(scope_for(session=session, viewer=viewer).queue_ids, queue_id):
        raise OutOfScope(f"{viewer.email} may not see queue {queue_id}")


def note_scope(*, session: Session, viewer: Viewer) -> frozenset[int] | None:
    """Agents whose coaching notes the viewer may read and write: every agent for a director (None),
    the agents in scope for a supervisor or coach, none for anyone else (admins, agents)."""
    role = current_role(session=session, viewer=viewer)
    if role not in NOTE_ROLES:
        return frozenset()
    if role == "director":
        return None
    return scope_for(session=session, viewer=viewer).agent_ids


def may_read_notes(*, session: Session, viewer: Viewer, agent_id: int) -> bool:
    return allows(note_scope(session=session, viewer=viewer), agent_id)
