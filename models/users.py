"""Managing accounts: add, set a password, change role, (de)activate, unlock, and the teams and
agents a user is assigned to. Admins (or the operator's CLI) only; every change is audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, select
from sqlmodel import Session

from models import audit
from models.access import ROLES, Viewer
from models.auth import hash_password, is_demo_account, normal_email, user_by_email
from models.tables import Agent, AppUser, Team, UserAgent, UserTeam

LOCALES = ("en", "es")
NAME_MAX = 100
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
COLUMNS = [
    "user_id", "email", "name", "role", "active", "locale", "has_password",
    "failed_logins", "locked_until", "teams", "agents",
]  # fmt: skip


class UserError(ValueError):
    """A change that cannot be made; `code` says why (for the interface), `field` what to fix."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.code = code


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _user(session: Session, user_id: int) -> AppUser:
    user = session.get(AppUser, user_id)
    if user is None:
        raise UserError("user", "unknown_user", f"no user {user_id}")
    return user


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError("role", "unknown_role", f"must be one of {list(ROLES)}")
    return role


def _last_admin(session: Session, user: AppUser) -> bool:
    admins = session.execute(
        select(func.count()).select_from(AppUser).where(AppUser.role == "admin", AppUser.active.is_(True))  # type: ignore[attr-defined]
    ).scalar_one()
    return user.role == "admin" and user.active and int(admins) <= 1


def add_user(
    *,
    session: Session,
    actor: Viewer,
    email: str,
    name: str,
    role: str,
    password: str | None = None,
    locale: str = "es",
    now: datetime | None = None,
) -> int:
    """Create an account (password optional: identity-provider users need none); returns its id."""
    audit.require_admin(session=session, viewer=actor)
    address = normal_email(email)
    if not _EMAIL.fullmatch(address):
        raise UserError("email", "bad_email", "not an e-mail address")
    if user_by_email(session, address) is not None:
        raise UserError("email", "taken", f"{address} already has an account")
    clean_name = " ".join(name.split())
    if not clean_name or len(clean_name) > NAME_MAX:
        raise UserError("name", "bad_name", f"1 to {NAME_MAX} characters")
    if locale not in LOCALES:
        raise UserError("locale", "bad_locale", f"must be one of {list(LOCALES)}")
    user = AppUser(email=address, name=clean_name, role=_check_role(role), locale=locale)
    if password:
        user.password_hash = _hash(password, address)
    session.add(user)
    session.flush()
    detail = {"role": role, "password": bool(password)}
    audit.record(session=session, actor=actor, action="user.add", target=address, detail=detail, now=now)
    return int(user.id or 0)


def _hash(password: str, email: str) -> str:
    try:
        return hash_password(password, email=email)
    except ValueError as exc:
        raise UserError("password", getattr(exc, "code", "weak"), str(exc)) from None


def set_password(
    *, session: Session, actor: Viewer, user_id: int, password: str, now: datetime | None = None
) -> None:
    """A new password (the policy applies); also lifts a lock-out."""
    audit.require_admin(session=session, viewer=actor)
    user = _user(session, user_id)
    user.password_hash = _hash(password, user.email)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    audit.record(session=session, actor=actor, action="user.password", target=user.email, now=now)


def set_role(
    *, session: Session, actor: Viewer, user_id: int, role: str, now: datetime | None = None
) -> None:
    """Change a role; the last active admin keeps theirs (someone must be able to manage users)."""
    audit.require_admin(session=session, viewer=actor)
    user = _user(session, user_id)
    if _check_role(role) != "admin" and _last_admin(session, user):
        raise UserError("role", "last_admin", "the last active admin must stay an admin")
    before, user.role = user.role, role
    session.add(user)
    detail = {"from": before, "to": role}
    audit.record(session=session, actor=actor, action="user.role", target=user.email, detail=detail, now=now)


def set_active(
    *, session: Session, actor: Viewer, user_id: int, active: bool, now: datetime | None = None
) -> None:
    """Deactivate (the user loses every access at their next click) or reactivate an account."""
    audit.require_admin(session=session, viewer=actor)
    user = _user(session, user_id)
    if not active and _last_admin(session, user):
        raise UserError("active", "last_admin", "the last active admin cannot be deactivated")
    user.active = bool(active)
    session.add(user)
    action = "user.activate" if active else "user.deactivate"
    audit.record(session=session, actor=actor, action=action, target=user.email, now=now)


def unlock(*, session: Session, actor: Viewer, user_id: int, now: datetime | None = None) -> None:
    """Lift a lock-out before it runs out."""
    audit.require_admin(session=session, viewer=actor)
    user = _user(session, user_id)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    audit.record(session=session, actor=actor, action="user.unlock", target=user.email, now=now)


def _known(session: Session, column: Any, ids: list[int], field: str) -> list[int]:
    wanted = sorted({int(i) for i in ids})
    found = set(session.execute(select(column).where(column.in_(wanted))).scalars()) if wanted else set()
    missing = [i for i in wanted if i not in found]
    if missing:
        raise UserError(field, "unknown", f"no such id(s) {missing}")
    return wanted


def set_teams(
    *, session: Session, actor: Viewer, user_id: int, team_ids: list[int], now: datetime | None = None
) -> None:
    """The teams a supervisor (or any scoped user) is assigned to, replacing the previous list."""
    audit.require_admin(session=session, viewer=actor)
    user = _user(session, user_id)
    wanted = _known(session, Team.id, team_ids, "teams")
    session.execute(delete(UserTeam).where(UserTeam.user_id == user_id))  # type: ignore[arg-type]
    session.add_all([UserTeam(user_id=user_id, team_id=t) for t in wanted])
    session.flush()
    detail = {"team_ids": wanted}
    audit.record(session=session, actor=actor, action="user.teams", target=user.email, detail=detail, now=now)


def set_agents(
    *, session: Session, actor: Viewer, user_id: int, agent_ids: list[int], now: datetime | None = None
) -> None:
    """The agents a coach is assigned to, or an agent-role user's own agent record (replacing)."""
    audit.require_admin(session=session, viewer=actor)
    user = _user(session, user_id)
    wanted = _known(session, Agent.id, agent_ids, "agents")
    if user.role == "agent" and len(wanted) > 1:
        raise UserError("agents", "one_agent", "an agent-role user is linked to one agent record")
    session.execute(delete(UserAgent).where(UserAgent.user_id == user_id))  # type: ignore[arg-type]
    session.add_all([UserAgent(user_id=user_id, agent_id=a) for a in wanted])
    session.flush()
    detail = {"agent_ids": wanted}
    audit.record(
        session=session, actor=actor, action="user.agents", target=user.email, detail=detail, now=now
    )


def set_locale(*, session: Session, viewer: Viewer, locale: str) -> None:
    """Remember the interface language a user chose (their own setting: no admin needed)."""
    if locale not in LOCALES or viewer.user_id is None:
        return
    user = session.get(AppUser, viewer.user_id)
    if user is not None and user.locale != locale:
        user.locale = locale
        session.add(user)


def stored_locale(*, session: Session, user_id: int) -> str | None:
    user = session.get(AppUser, user_id)
    return user.locale if user is not None and user.locale in LOCALES else None


def user_id_for(*, session: Session, email: str) -> int | None:
    user = user_by_email(session, email)
    return None if user is None else int(user.id or 0)


def list_users(*, session: Session, actor: Viewer) -> pd.DataFrame:
    """Every account with its assignments (never a hash: `has_password` only), admins only."""
    audit.require_admin(session=session, viewer=actor)
    users = session.execute(select(AppUser).order_by(AppUser.email)).scalars().all()  # type: ignore[arg-type]
    teams: dict[int, list[str]] = {}
    for uid, team in session.execute(select(UserTeam.user_id, Team.name).join(Team)).all():
        teams.setdefault(int(uid), []).append(str(team))
    agents: dict[int, list[str]] = {}
    for uid, agent in session.execute(select(UserAgent.user_id, Agent.name).join(Agent)).all():
        agents.setdefault(int(uid), []).append(str(agent))
    rows = [
        (u.id, u.email, u.name, u.role, u.active, u.locale, bool(u.password_hash), u.failed_logins,
         u.locked_until, ", ".join(sorted(teams.get(int(u.id or 0), []))),
         ", ".join(sorted(agents.get(int(u.id or 0), []))))
        for u in users
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["locked_until"] = pd.to_datetime(frame["locked_until"], utc=True)
    return frame


def assignments(*, session: Session, actor: Viewer, user_id: int) -> dict[str, list[int]]:
    """The team and agent ids a user is assigned to (for the editor's current selection)."""
    audit.require_admin(session=session, viewer=actor)
    team_ids = session.execute(select(UserTeam.team_id).where(UserTeam.user_id == user_id)).scalars()
    agent_ids = session.execute(select(UserAgent.agent_id).where(UserAgent.user_id == user_id)).scalars()
    return {"teams": sorted(int(t) for t in team_ids), "agents": sorted(int(a) for a in agent_ids)}


def org_choices(*, session: Session, actor: Viewer) -> dict[str, dict[int, str]]:
    """Every team and agent by id, for the assignment pickers (admins only)."""
    audit.require_admin(session=session, viewer=actor)
    teams = session.execute(select(Team.id, Team.name).order_by(Team.name)).all()
    agents = session.execute(select(Agent.id, Agent.name, Agent.code).order_by(Agent.name)).all()
    return {
        "teams": {int(i): str(n) for i, n in teams},
        "agents": {int(i): f"{n} · {c}" for i, n, c in agents},
    }


def demo_accounts(*, session: Session) -> list[Viewer]:
    """The first active seeded demo account of each role, in role order (the demo sign-in offer)."""
    users = session.execute(
        select(AppUser).where(AppUser.active.is_(True)).order_by(AppUser.id)  # type: ignore[attr-defined, arg-type]
    ).scalars()
    first: dict[str, Viewer] = {}
    for user in users:
        if is_demo_account(user.email) and user.role in ROLES and user.role not in first:
            first[user.role] = Viewer(user_id=user.id, email=user.email, role=user.role, name=user.name)
    return [first[role] for role in ROLES if role in first]


def team_ids_named(*, session: Session, names: list[str]) -> list[int]:
    """Team ids for names as typed on the command line (UserError naming the unknown ones)."""
    found = {
        str(n): int(i) for i, n in session.execute(select(Team.id, Team.name).where(Team.name.in_(names)))
    }  # type: ignore[attr-defined]
    missing = [n for n in names if n not in found]
    if missing:
        raise UserError("teams", "unknown", f"no team named {missing}")
    return [found[n] for n in names]


def agent_ids_coded(*, session: Session, codes: list[str]) -> list[int]:
    """Agent ids for platform codes as typed on the command line (UserError naming unknown ones)."""
    found = {
        str(c): int(i) for i, c in session.execute(select(Agent.id, Agent.code).where(Agent.code.in_(codes)))
    }  # type: ignore[attr-defined]
    missing = [c for c in codes if c not in found]
    if missing:
        raise UserError("agents", "unknown", f"no agent with code {missing}")
    return [found[c] for c in codes]
