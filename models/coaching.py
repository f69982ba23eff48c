"""Coaching log: validated writes of sessions and commitments (who and when kept on the row, every
change recorded as an AuditEvent) and the reads a coach needs, all behind one notes rule: only the
agent's coach, the agent's supervisor and directors see or write coaching notes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from models import audit
from models.access import NOTE_ROLES, OPERATOR, Viewer, scope_for
from models.kpis import KPIS
from models.settings import Settings
from models.tables import Agent, AppUser, CoachingCommitment, CoachingSession

NOTES_MAX = 4000
COMMITMENT_MAX = 500
OWNER_MAX = 100
# Focus KPIs a coaching conversation can move, all defined on AgentDay sums (models.KPIS).
COACHABLE_KPIS = (
    "aht",
    "hold_rate",
    "transfer_rate",
    "adherence",
    "conformance",
    "occupancy",
    "utilization",
    "shrinkage",
    "csat",
    "ces",
    "ces_easy",
    "nps",
    "fcr",
    "repeat_rate",
    "response_rate",
)
assert set(COACHABLE_KPIS) <= set(KPIS)
_ALLOWED_CONTROL = {"\n", "\r", "\t"}


class CoachingError(ValueError):
    """A coaching entry that cannot be saved; `code` (for the interface) and `field` say why."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.code = code


class NotAllowed(PermissionError):
    """The viewer may not see or write this agent's coaching notes."""


@dataclass(frozen=True)
class CommitmentDraft:
    """A commitment entered together with its session."""

    text: str
    owner: str
    due_date: date


# --- Who may see and write notes ---------------------------------------------------------------------


def current_role(*, session: Session, viewer: Viewer) -> str | None:
    """The viewer's role as stored now (a changed or deactivated user loses access at once)."""
    if viewer.user_id is None:
        return viewer.role if viewer == OPERATOR else None
    user = session.get(AppUser, viewer.user_id)
    return user.role if user is not None and user.active else None


def can_see_notes(*, session: Session, viewer: Viewer, agent_id: int) -> bool:
    """Directors see every agent's notes; a coach or supervisor only those of agents in their scope."""
    role = current_role(session=session, viewer=viewer)
    if role not in NOTE_ROLES:
        return False
    if role == "director":
        return True
    allowed = scope_for(session=session, viewer=viewer).agent_ids
    return allowed is None or agent_id in allowed


def require_notes(session: Session, viewer: Viewer, agent_id: int) -> None:
    if not can_see_notes(session=session, viewer=viewer, agent_id=agent_id):
        raise NotAllowed(f"{viewer.email} may not see or write coaching notes of agent {agent_id}")


def note_agents(session: Session, viewer: Viewer) -> frozenset[int] | None:
    """Agents whose notes the viewer may read (None: all); NotAllowed for roles without notes."""
    role = current_role(session=session, viewer=viewer)
    if role not in NOTE_ROLES:
        raise NotAllowed(f"role {role!r} has no access to coaching notes")
    return None if role == "director" else scope_for(session=session, viewer=viewer).agent_ids


# --- Validation ----------------------------------------------------------------------------------------


def clean_text(value: str | None, *, field: str, limit: int, required: bool) -> str:
    """Trimmed text within `limit` characters, free of control characters (PostgreSQL refuses NUL)."""
    text = (value or "").strip()
    if required and not text:
        raise CoachingError(field, "empty", "must not be empty")
    if len(text) > limit:
        raise CoachingError(field, "too_long", f"at most {limit} characters (got {len(text)})")
    if any(ord(ch) < 32 and ch not in _ALLOWED_CONTROL for ch in text):
        raise CoachingError(field, "control_chars", "contains control characters")
    return text


def local_today(settings: Settings, now: datetime | None = None) -> date:
    """Today in the centre's zone: due dates and session dates are local calendar days."""
    return (now or datetime.now(UTC)).astimezone(settings.zone).date()


def _check_kpi(focus_kpi: str) -> str:
    if focus_kpi not in COACHABLE_KPIS:
        raise CoachingError("focus_kpi", "unknown_kpi", f"must be one of {', '.join(COACHABLE_KPIS)}")
    return focus_kpi


def _check_session_date(value: date, today: date) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise CoachingError("session_date", "bad_date", "must be a calendar date")
    if value > today:
        raise CoachingError("session_date", "future", "a session cannot be recorded ahead of time")
    return value


def _check_due(value: date, today: date) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise CoachingError("due_date", "bad_date", "must be a calendar date")
    if value < today:
        raise CoachingError("due_date", "past", f"must not be before today ({today.isoformat()})")
    return value


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns stored UTC timestamps without their zone; put it back."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_version(row: Any, expected: datetime | None) -> None:
    """Refuse an edit made on a stale copy (someone else saved in between): no silent overwrite."""
    if expected is None:
        return
    current = _aware(row.updated_at) or _aware(row.created_at)
    if current != _aware(expected):
        raise CoachingError("version", "stale", "changed by someone else since it was opened; reload")


# --- Writes --------------------------------------------------------------------------------------------


def _audit(session: Session, viewer: Viewer, now: datetime, action: str, target: str, detail: dict) -> None:
    audit.record(session=session, actor=viewer, action=action, target=target, detail=detail, now=now)


def _text_change(old: str, new: str) -> dict[str, Any]:
    """Audit entries name a changed text and its lengths, never its content (admins read the audit)."""
    return {"changed": True, "old_length": len(old), "new_length": len(new)}


def create_session(
    *,
    session: Session,
    viewer: Viewer,
    settings: Settings,
    agent_id: int,
    session_date: date,
    focus_kpi: str,
    notes: str = "",
    commitments: Sequence[CommitmentDraft] = (),
    now: datetime | None = None,
) -> int:
    """Record a coaching session (and its commitments) in the caller's transaction; returns its id."""
    now = now or datetime.now(UTC)
    require_notes(session, viewer, agent_id)
    if session.get(Agent, agent_id) is None:
        raise CoachingError("agent", "unknown_agent", f"no agent {agent_id}")
    today = local_today(settings, now)
    row = CoachingSession(
        agent_id=agent_id,
        coach_user_id=viewer.user_id,
        session_date=_check_session_date(session_date, today),
        focus_kpi=_check_kpi(focus_kpi),
        notes=clean_text(notes, field="notes", limit=NOTES_MAX, required=False),
        created_at=now,
        created_by=viewer.email,
    )
    drafts = [_draft(d, today) for d in commitments]
    session.add(row)
    session.flush()
    assert row.id is not None
    detail = {"agent_id": agent_id, "session_date": row.session_date, "focus_kpi": row.focus_kpi}
    _audit(session, viewer, now, "coaching.session.create", f"coaching_session:{row.id}", detail)
    for text, owner, due in drafts:
        _insert_commitment(session, viewer, now, row.id, agent_id, text, owner, due)
    return row.id


def _draft(draft: CommitmentDraft, today: date) -> tuple[str, str, date]:
    return (
        clean_text(draft.text, field="commitment", limit=COMMITMENT_MAX, required=True),
        clean_text(draft.owner, field="owner", limit=OWNER_MAX, required=True),
        _check_due(draft.due_date, today),
    )


def _insert_commitment(
    session: Session,
    viewer: Viewer,
    now: datetime,
    session_id: int,
    agent_id: int,
    text: str,
    owner: str,
    due: date,
) -> int:
    item = CoachingCommitment(
        session_id=session_id, text=text, owner=owner, due_date=due, created_at=now, created_by=viewer.email
    )
    session.add(item)
    session.flush()
    assert item.id is not None
    detail = {"agent_id": agent_id, "session_id": session_id, "owner": owner, "due_date": due}
    _audit(session, viewer, now, "coaching.commitment.create", f"coaching_commitment:{item.id}", detail)
    return item.id


def _session_for_write(session: Session, viewer: Viewer, session_id: int) -> CoachingSession:
    row = session.get(CoachingSession, session_id, with_for_update=True)
    if row is None:
        raise CoachingError("session", "not_found", f"no coaching session {session_id}")
    require_notes(session, viewer, row.agent_id)
    return row


def edit_session(
    *,
    session: Session,
    viewer: Viewer,
    settings: Settings,
    session_id: int,
    session_date: date | None = None,
    focus_kpi: str | None = None,
    notes: str | None = None,
    expected_updated_at: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Change a session's date, focus KPI or notes; keeps who and when. False when nothing changed."""
    now = now or datetime.now(UTC)
    row = _session_for_write(session, viewer, session_id)
    _check_version(row, expected_updated_at)
    changes: dict[str, Any] = {}
    if session_date is not None and session_date != row.session_date:
        new_date = _check_session_date(session_date, local_today(settings, now))
        changes["session_date"] = {"old": row.session_date, "new": new_date}
        row.session_date = new_date
    if focus_kpi is not None and focus_kpi != row.focus_kpi:
        changes["focus_kpi"] = {"old": row.focus_kpi, "new": _check_kpi(focus_kpi)}
        row.focus_kpi = focus_kpi
    if notes is not None:
        new_notes = clean_text(notes, field="notes", limit=NOTES_MAX, required=False)
        if new_notes != row.notes:
            changes["notes"] = _text_change(row.notes, new_notes)
            row.notes = new_notes
    if not changes:
        return False
    row.updated_at, row.updated_by = now, viewer.email
    session.add(row)
    detail = {"agent_id": row.agent_id, "fields": changes}
    _audit(session, viewer, now, "coaching.session.edit", f"coaching_session:{session_id}", detail)
    session.flush()
    return True


def add_commitment(
    *,
    session: Session,
    viewer: Viewer,
    settings: Settings,
    session_id: int,
    text: str,
    owner: str,
    due_date: date,
    now: datetime | None = None,
) -> int:
    """Add a commitment to an existing session (same rules as at creation); returns its id."""
    now = now or datetime.now(UTC)
    parent = _session_for_write(session, viewer, session_id)
    clean = _draft(CommitmentDraft(text=text, owner=owner, due_date=due_date), local_today(settings, now))
    return _insert_commitment(session, viewer, now, session_id, parent.agent_id, *clean)


def _commitment_for_write(
    session: Session, viewer: Viewer, commitment_id: int
) -> tuple[CoachingCommitment, CoachingSession]:
    item = session.get(CoachingCommitment, commitment_id, with_for_update=True)
    if item is None:
        raise CoachingError("commitment", "not_found", f"no commitment {commitment_id}")
    parent = session.get(CoachingSession, item.session_id)
    assert parent is not None
    require_notes(session, viewer, parent.agent_id)
    return item, parent


def edit_commitment(
    *,
    session: Session,
    viewer: Viewer,
    settings: Settings,
    commitment_id: int,
    text: str | None = None,
    owner: str | None = None,
    due_date: date | None = None,
    expected_updated_at: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Change a commitment's text, owner or due date (a new due date must not be in the past)."""
    now = now or datetime.now(UTC)
    item, parent = _commitment_for_write(session, viewer, commitment_id)
    _check_version(item, expected_updated_at)
    changes: dict[str, Any] = {}
    if text is not None:
        new_text = clean_text(text, field="commitment", limit=COMMITMENT_MAX, required=True)
        if new_text != item.text:
            changes["text"] = _text_change(item.text, new_text)
            item.text = new_text
    if owner is not None:
        new_owner = clean_text(owner, field="owner", limit=OWNER_MAX, required=True)
        if new_owner != item.owner:
            changes["owner"] = {"old": item.owner, "new": new_owner}
            item.owner = new_owner
    if due_date is not None and due_date != item.due_date:
        changes["due_date"] = {"old": item.due_date, "new": _check_due(due_date, local_today(settings, now))}
        item.due_date = due_date
    if not changes:
        return False
    item.updated_at, item.updated_by = now, viewer.email
    session.add(item)
    detail = {"agent_id": parent.agent_id, "session_id": parent.id, "fields": changes}
    _audit(session, viewer, now, "coaching.commitment.edit", f"coaching_commitment:{commitment_id}", detail)
    session.flush()
    return True


def set_commitment_done(
    *, session: Session, viewer: Viewer, commitment_id: int, done: bool = True, now: datetime | None = None
) -> bool:
    """Mark a commitment done (or reopen it); who and when are kept. False when already so."""
    now = now or datetime.now(UTC)
    item, parent = _commitment_for_write(session, viewer, commitment_id)
    if (item.done_at is not None) == done:
        return False
    item.done_at, item.done_by = (now, viewer.email) if done else (None, None)
    item.updated_at, item.updated_by = now, viewer.email
    session.add(item)
    action = "coaching.commitment.done" if done else "coaching.commitment.reopen"
    detail = {"agent_id": parent.agent_id, "session_id": parent.id}
    _audit(session, viewer, now, action, f"coaching_commitment:{commitment_id}", detail)
    session.flush()
    return True
