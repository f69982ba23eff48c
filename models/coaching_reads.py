"""Coaching log reads: an agent's sessions and commitments (overdue flagged), overdue commitments
across a coach's or supervisor's agents, the edit history, and the focus KPI 4 weeks before vs
4 weeks after each session. Every read applies the notes rule of models.coaching."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import false, select
from sqlmodel import Session

from models import metrics
from models.access import Viewer
from models.coaching import CoachingError, note_agents, require_notes
from models.kpis import KPIS
from models.queries import AGENT_DAY_SUMS
from models.settings import Settings
from models.tables import Agent, AgentDay, AuditEvent, CoachingCommitment, CoachingSession

# --- Reads ---------------------------------------------------------------------------------------------

SESSION_COLUMNS = [
    "id",
    "agent_id",
    "session_date",
    "focus_kpi",
    "notes",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
]
COMMITMENT_COLUMNS = [
    "id",
    "session_id",
    "text",
    "owner",
    "due_date",
    "done_at",
    "done_by",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
]
TIMESTAMPS = ("created_at", "updated_at", "done_at")


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    out = pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)
    for name in TIMESTAMPS:
        if name in out.columns:
            out[name] = pd.to_datetime(out[name], utc=True)
    return out


def sessions_for_agent(*, session: Session, viewer: Viewer, agent_id: int) -> pd.DataFrame:
    """The agent's coaching sessions, newest first (NotAllowed outside the notes rule)."""
    require_notes(session, viewer, agent_id)
    return _sessions(session, agent_id)


def _sessions(session: Session, agent_id: int) -> pd.DataFrame:
    stmt = (
        select(*[getattr(CoachingSession, c) for c in SESSION_COLUMNS])
        .where(CoachingSession.agent_id == agent_id)
        .order_by(CoachingSession.session_date.desc(), CoachingSession.id.desc())  # type: ignore[attr-defined,union-attr]
    )
    return _frame(session.execute(stmt).all(), SESSION_COLUMNS)


def commitments_for_agent(*, session: Session, viewer: Viewer, agent_id: int, today: date) -> pd.DataFrame:
    """The agent's commitments with an `overdue` flag (not done and due before today), open first."""
    require_notes(session, viewer, agent_id)
    return _commitments(session, agent_id, today)


def _commitments(session: Session, agent_id: int, today: date) -> pd.DataFrame:
    stmt = (
        select(*[getattr(CoachingCommitment, c) for c in COMMITMENT_COLUMNS])
        .join(CoachingSession, CoachingSession.id == CoachingCommitment.session_id)  # type: ignore[arg-type]
        .where(CoachingSession.agent_id == agent_id)
    )
    out = _frame(session.execute(stmt).all(), COMMITMENT_COLUMNS)
    return (
        _with_overdue(out, today)
        .sort_values(["is_done", "due_date", "id"], ignore_index=True)
        .drop(columns="is_done")
    )


def _with_overdue(frame: pd.DataFrame, today: date) -> pd.DataFrame:
    frame = frame.copy()
    frame["is_done"] = frame["done_at"].notna()
    due = pd.to_datetime(frame["due_date"])
    frame["overdue"] = ~frame["is_done"] & (due < pd.Timestamp(today))
    frame["days_overdue"] = (pd.Timestamp(today) - due).dt.days.where(frame["overdue"], 0).astype(int)
    return frame


def overdue_commitments(*, session: Session, viewer: Viewer, today: date) -> pd.DataFrame:
    """Open commitments past their due date for every agent whose notes the viewer may read (a coach
    sees their agents', a supervisor their teams', a director all), most overdue first."""
    agents = note_agents(session, viewer)
    names = [*COMMITMENT_COLUMNS, "agent_id", "agent_code", "agent_name"]
    stmt = (
        select(
            *[getattr(CoachingCommitment, c) for c in COMMITMENT_COLUMNS],
            CoachingSession.agent_id,
            Agent.code,
            Agent.name,
        )
        .join(CoachingSession, CoachingSession.id == CoachingCommitment.session_id)  # type: ignore[arg-type]
        .join(Agent, Agent.id == CoachingSession.agent_id)  # type: ignore[arg-type]
        .where(CoachingCommitment.done_at.is_(None), CoachingCommitment.due_date < today)  # type: ignore[union-attr,arg-type]
    )
    if agents is not None:
        stmt = stmt.where(CoachingSession.agent_id.in_(sorted(agents)) if agents else false())  # type: ignore[attr-defined]
    out = _with_overdue(_frame(session.execute(stmt).all(), names), today)
    return out.drop(columns="is_done").sort_values(["due_date", "id"], ignore_index=True)


def session_history(*, session: Session, viewer: Viewer, session_id: int) -> pd.DataFrame:
    """Every recorded change of a session and its commitments (who, when, what), oldest first."""
    parent = session.get(CoachingSession, session_id)
    if parent is None:
        raise CoachingError("session", "not_found", f"no coaching session {session_id}")
    require_notes(session, viewer, parent.agent_id)
    ids = session.execute(
        select(CoachingCommitment.id).where(CoachingCommitment.session_id == session_id)
    ).scalars()
    targets = [f"coaching_session:{session_id}", *(f"coaching_commitment:{i}" for i in ids)]
    stmt = (
        select(AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.target, AuditEvent.detail)
        .where(AuditEvent.target.in_(targets))  # type: ignore[union-attr]
        .order_by(AuditEvent.at, AuditEvent.id)  # type: ignore[arg-type]
    )
    out = pd.DataFrame.from_records(
        session.execute(stmt).all(), columns=["at", "actor", "action", "target", "detail"]
    )
    out["at"] = pd.to_datetime(out["at"], utc=True)
    return out


# --- Did it work: the focus KPI before and after each session -----------------------------------------

WINDOW_DAYS = 28
# The count behind each coachable KPI (its sample size); time-based KPIs report days instead.
SAMPLE_COLUMNS = {
    "aht": "handled",
    "hold_rate": "hold_known",
    "transfer_rate": "answered",
    "fcr": "known_customer",
    "repeat_rate": "known_customer",
    "response_rate": "surveys_offered",
    **{k: d.sample_key for k, d in KPIS.items() if d.sample_key},
}


def _agent_days(session: Session, agent_id: int, start: date, end: date) -> pd.DataFrame:
    names = ["local_date", *AGENT_DAY_SUMS]
    stmt = select(*[getattr(AgentDay, c) for c in names]).where(
        AgentDay.agent_id == agent_id, AgentDay.local_date >= start, AgentDay.local_date <= end
    )
    out = pd.DataFrame.from_records(session.execute(stmt).all(), columns=names)
    out["local_date"] = pd.to_datetime(out["local_date"])
    return out


def _window(days: pd.DataFrame, start: date, end: date) -> tuple[pd.Series, int]:
    """Summed AgentDay columns of start..end and the number of days with any activity in it."""
    inside = days[(days["local_date"] >= pd.Timestamp(start)) & (days["local_date"] <= pd.Timestamp(end))]
    active = int(((inside["staffed_s"] > 0) | (inside["answered"] > 0)).sum())
    return inside[AGENT_DAY_SUMS].sum(), active


def before_after(
    *, session: Session, viewer: Viewer, settings: Settings, agent_id: int, today: date
) -> pd.DataFrame:
    """For each session of the agent: its focus KPI over the 4 weeks before the session day and the
    4 weeks after it (the day itself left out), with sample sizes and days of data, so a coach sees
    what worked. `complete` is False while the after-window is still running."""
    sessions = sessions_for_agent(session=session, viewer=viewer, agent_id=agent_id)
    return _effect(session, settings, agent_id, today, sessions)


def coaching_log(
    *, session: Session, viewer: Viewer, settings: Settings, agent_id: int, today: date
) -> dict[str, pd.DataFrame]:
    """Sessions, commitments and before/after of one agent in one go (the notes rule checked once)."""
    require_notes(session, viewer, agent_id)
    sessions = _sessions(session, agent_id)
    return {
        "sessions": sessions,
        "commitments": _commitments(session, agent_id, today),
        "effect": _effect(session, settings, agent_id, today, sessions),
    }


def _effect(
    session: Session, settings: Settings, agent_id: int, today: date, sessions: pd.DataFrame
) -> pd.DataFrame:
    columns = [
        "session_id",
        "session_date",
        "focus_kpi",
        "before",
        "after",
        "change",
        "improved",
        "before_n",
        "after_n",
        "before_days",
        "after_days",
        "low_confidence",
        "complete",
    ]
    if sessions.empty:
        return pd.DataFrame(columns=columns)
    first = min(sessions["session_date"]) - timedelta(days=WINDOW_DAYS)
    last = max(sessions["session_date"]) + timedelta(days=WINDOW_DAYS)
    days = _agent_days(session, agent_id, first, last)
    rows = []
    for item in sessions.itertuples():
        pivot: date = item.session_date
        windows = {
            "before": (pivot - timedelta(days=WINDOW_DAYS), pivot - timedelta(days=1)),
            "after": (pivot + timedelta(days=1), pivot + timedelta(days=WINDOW_DAYS)),
        }
        sums, active = {}, {}
        for side, (start, end) in windows.items():
            sums[side], active[side] = _window(days, start, end)
        values = metrics.kpi_frame(pd.DataFrame([sums["before"], sums["after"]]))[item.focus_kpi]
        before, after = (None if pd.isna(v) else float(v) for v in values)
        sample = SAMPLE_COLUMNS.get(item.focus_kpi)
        n = {side: int(sums[side][sample]) if sample else None for side in windows}
        survey = KPIS[item.focus_kpi].sample_key is not None
        rows.append(
            {
                "session_id": item.id,
                "session_date": pivot,
                "focus_kpi": item.focus_kpi,
                "before": before,
                "after": after,
                "change": None if before is None or after is None else after - before,
                "improved": _improved(item.focus_kpi, before, after),
                "before_n": n["before"],
                "after_n": n["after"],
                "before_days": active["before"],
                "after_days": active["after"],
                "low_confidence": survey
                and any(metrics.low_confidence(n[s], settings.min_sample) for s in windows),
                "complete": today > windows["after"][1],
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _improved(kpi: str, before: float | None, after: float | None) -> bool | None:
    """Whether the change went the KPI's good way (None: no direction, no change or undefined)."""
    better = KPIS[kpi].higher_is_better
    if better is None or before is None or after is None or after == before:
        return None
    return (after > before) == better
