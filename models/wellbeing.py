"""Remote wellbeing signals for one agent: gentle prompts for a conversation, never a ranking (no
peer comparison on purpose). Days since the last coaching touch, scheduled breaks skipped, work
outside scheduled time, connectivity drops (aux "technical") and long after-contact work."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select
from sqlmodel import Session

from models.access import Viewer
from models.scorecard import require_agent
from models.settings import Settings
from models.tables import (
    AgentDay,
    AgentInterval,
    AgentStateSegment,
    CoachingSession,
    Contact,
    ScheduleSegment,
)
from models.timegrid import interval_of, local_day_bounds

LONG_ACW_S = 180.0  # after-contact work this long is worth a friendly question
BREAK_TAKEN_SHARE = 0.5  # a scheduled break counts as taken when half of it was spent on break
AFTER_HOURS_DAY_S = 900.0  # a day counts as "worked after hours" from 15 minutes beyond schedule


def wellbeing(
    *,
    session: Session,
    viewer: Viewer,
    settings: Settings,
    agent_id: int,
    start: date,
    end: date,
    today: date,
) -> dict[str, Any]:
    """Gentle signals for a conversation, not a ranking (no peer comparison on purpose): days since
    the last coaching touch, scheduled breaks skipped, work outside scheduled time, connectivity
    drops (aux "technical"), long after-contact work. None where the data cannot tell."""
    require_agent(session=session, viewer=viewer, agent_id=agent_id)
    lo_at = local_day_bounds(start, settings.zone)[0]
    hi_at = min(local_day_bounds(end, settings.zone)[1], local_day_bounds(today, settings.zone)[1])
    return {
        "days_since_coaching": _days_since_coaching(session, agent_id, today),
        **_breaks(session, agent_id, lo_at, hi_at),
        **_after_hours(session, agent_id, start, end),
        **_connectivity(session, agent_id, lo_at, hi_at, start, end),
        **_long_acw(session, agent_id, interval_of(lo_at), interval_of(hi_at)),
    }


def _days_since_coaching(session: Session, agent_id: int, today: date) -> int | None:
    """The later of the last recorded coaching session and the last day with coaching aux time."""
    logged = session.execute(
        select(func.max(CoachingSession.session_date)).where(CoachingSession.agent_id == agent_id)
    ).scalar()
    in_aux = session.execute(
        select(func.max(AgentDay.local_date)).where(
            AgentDay.agent_id == agent_id, AgentDay.aux_coaching_s > 0, AgentDay.local_date <= today
        )
    ).scalar()
    touches = [pd.Timestamp(d).date() for d in (logged, in_aux) if d is not None]
    return (today - max(touches)).days if touches else None


def _segments(session: Session, model: Any, agent_id: int, lo: Any, hi: Any, *where: Any) -> pd.DataFrame:
    stmt = select(model.start_at, model.end_at).where(
        model.agent_id == agent_id, model.start_at < hi, model.start_at >= lo - timedelta(days=1), *where
    )
    frame = pd.DataFrame.from_records(session.execute(stmt).all(), columns=["start", "end"])
    for name in ("start", "end"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def _breaks(session: Session, agent_id: int, lo: Any, hi: Any) -> dict[str, Any]:
    """Scheduled breaks and lunches that ended inside the window, and how many were skipped (less
    than half of them spent in aux break or lunch)."""
    planned = _segments(
        session,
        ScheduleSegment,
        agent_id,
        lo,
        hi,
        ScheduleSegment.activity.in_(("break", "lunch")),  # type: ignore[attr-defined]
    )
    planned = planned[(planned["end"] > pd.Timestamp(lo)) & (planned["end"] <= pd.Timestamp(hi))]
    if planned.empty:
        return {"breaks_scheduled": 0, "breaks_skipped": None}
    taken = _segments(
        session,
        AgentStateSegment,
        agent_id,
        lo,
        hi,
        AgentStateSegment.state == "aux",
        AgentStateSegment.reason.in_(("break", "lunch")),  # type: ignore[union-attr]
    )
    taken["end"] = taken["end"].fillna(pd.Timestamp(hi))
    p_start, p_end = _ns(planned["start"])[:, None], _ns(planned["end"])[:, None]
    t_start, t_end = _ns(taken["start"])[None, :], _ns(taken["end"])[None, :]
    overlap = np.clip(np.minimum(p_end, t_end) - np.maximum(p_start, t_start), 0, None).sum(axis=1)
    skipped = int((overlap < BREAK_TAKEN_SHARE * (p_end - p_start)[:, 0]).sum())
    return {"breaks_scheduled": len(planned), "breaks_skipped": skipped}


def _ns(moments: pd.Series) -> np.ndarray:
    return moments.astype("datetime64[ns, UTC]").to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _after_hours(session: Session, agent_id: int, start: date, end: date) -> dict[str, Any]:
    """Logged-in time beyond scheduled time, per 15-minute interval (None without any schedule), and
    the days with at least AFTER_HOURS_DAY_S of it (a minute logged in early is not a signal)."""
    ai = AgentInterval
    excess = case((ai.staffed_s > ai.scheduled_s, ai.staffed_s - ai.scheduled_s), else_=0.0)
    rows = session.execute(
        select(ai.local_date, func.sum(ai.scheduled_s), func.sum(excess))
        .where(ai.agent_id == agent_id, ai.local_date >= start, ai.local_date <= end)  # type: ignore[arg-type]
        .group_by(ai.local_date)
    ).all()
    if not any(r[1] for r in rows):
        return {"after_hours_s": None, "after_hours_days": None}
    return {
        "after_hours_s": float(sum(r[2] or 0.0 for r in rows)),
        "after_hours_days": sum(1 for r in rows if (r[2] or 0.0) >= AFTER_HOURS_DAY_S),
    }


def _connectivity(
    session: Session, agent_id: int, lo: Any, hi: Any, start: date, end: date
) -> dict[str, Any]:
    """Stretches of aux "technical" (dropped line, VPN, headset) that started in the window."""
    seg = AgentStateSegment
    drops = session.execute(
        select(func.count()).where(
            seg.agent_id == agent_id,
            seg.state == "aux",
            seg.reason == "technical",
            seg.start_at >= lo,
            seg.start_at < hi,  # type: ignore[operator]
        )
    ).scalar()
    seconds = session.execute(
        select(func.sum(AgentDay.aux_technical_s)).where(
            AgentDay.agent_id == agent_id,
            AgentDay.local_date >= start,
            AgentDay.local_date <= end,  # type: ignore[arg-type]
        )
    ).scalar()
    return {"connectivity_drops": int(drops or 0), "technical_s": float(seconds or 0.0)}


def _long_acw(session: Session, agent_id: int, lo: int, hi: int) -> dict[str, Any]:
    """Handled contacts whose after-contact work took LONG_ACW_S or more (of those with ACW known)."""
    row = session.execute(
        select(
            func.count(Contact.acw_s),
            func.count(Contact.id).filter(Contact.acw_s >= LONG_ACW_S),  # type: ignore[operator]
        ).where(
            Contact.agent_id == agent_id,
            Contact.completed_interval >= lo,  # type: ignore[operator]
            Contact.completed_interval < hi,  # type: ignore[operator]
        )
    ).one()
    return {"acw_known": int(row[0] or 0), "long_acw": int(row[1] or 0), "long_acw_threshold_s": LONG_ACW_S}
