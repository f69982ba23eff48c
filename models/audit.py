"""The audit trail: one writer for every audited action (sign-ins, failed sign-ins, exports, user and
coaching-note changes) and the filtered read that only admins may run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from models.access import OPERATOR, Viewer, current_role
from models.tables import AuditEvent

ACTOR_MAX = 320  # an e-mail address at most; a failed sign-in stores what was typed, cut here
TARGET_MAX = 200
DETAIL_MAX = 2000
READ_LIMIT = 5000
COLUMNS = ["at", "actor", "action", "target", "detail"]

# The actions Mirador writes (others may add their own names: the reader lists what is stored).
SIGNIN = "signin"
SIGNIN_FAILED = "signin.failed"
SIGNIN_LOCKED = "signin.locked"
SIGNIN_DENIED = "signin.denied"  # an identity provider vouched for someone without a Mirador account
SIGNOUT = "signout"
EXPORT = "export"


class AuditDenied(PermissionError):
    """Only admins read the audit trail."""


def _cut(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    text = "".join(ch if ch.isprintable() else " " for ch in str(value))
    return text[:limit]


def record(
    *,
    session: Session,
    actor: Viewer | str,
    action: str,
    target: str | None = None,
    detail: str | dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Add one audit event to the caller's transaction (it commits with the change it records).

    `actor` is the viewer, or for a failed sign-in the e-mail that was typed; a dict `detail` is
    stored as JSON. Never pass secrets (passwords, tokens) or the text of notes and comments."""
    who = actor.email if isinstance(actor, Viewer) else actor
    text = json.dumps(detail, default=str, sort_keys=True) if isinstance(detail, dict) else detail
    session.add(
        AuditEvent(
            at=now or datetime.now(UTC),
            actor=_cut(who, ACTOR_MAX) or "",
            action=action,
            target=_cut(target, TARGET_MAX),
            detail=_cut(text, DETAIL_MAX),
        )
    )
    session.flush()


def require_admin(*, session: Session, viewer: Viewer) -> None:
    """Admins (role read from the database) and the operator on the database host may pass."""
    if viewer == OPERATOR:
        return
    if current_role(session=session, viewer=viewer) != "admin":
        raise AuditDenied(f"{viewer.email} is not an admin")


def events(
    *,
    session: Session,
    viewer: Viewer,
    start: datetime | None = None,
    end: datetime | None = None,
    actor: str | None = None,
    actions: list[str] | None = None,
    target: str | None = None,
    limit: int = READ_LIMIT,
) -> pd.DataFrame:
    """Audit events newest first, filtered by time [start, end), actor and target (case-insensitive
    "contains") and actions (exact); AuditDenied for anyone but an admin."""
    require_admin(session=session, viewer=viewer)
    ev = AuditEvent
    stmt = select(ev.at, ev.actor, ev.action, ev.target, ev.detail)
    if start is not None:
        stmt = stmt.where(ev.at >= start)  # type: ignore[operator]
    if end is not None:
        stmt = stmt.where(ev.at < end)  # type: ignore[operator]
    if actor:
        stmt = stmt.where(func.lower(ev.actor).contains(actor.strip().lower(), autoescape=True))
    if target:
        stmt = stmt.where(func.lower(ev.target).contains(target.strip().lower(), autoescape=True))
    if actions:
        stmt = stmt.where(ev.action.in_(actions))  # type: ignore[attr-defined]
    stmt = stmt.order_by(ev.at.desc(), ev.id.desc()).limit(max(1, min(limit, READ_LIMIT)))  # type: ignore[attr-defined, union-attr]
    rows = session.execute(stmt).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def action_names(*, session: Session, viewer: Viewer) -> list[str]:
    """Every action stored so far (the filter's choices); AuditDenied for anyone but an admin."""
    require_admin(session=session, viewer=viewer)
    names = session.execute(select(AuditEvent.action).distinct()).scalars().all()
    return sorted(str(n) for n in names)
