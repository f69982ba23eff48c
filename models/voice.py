"""What customers said about one agent: the agent's contacts that carry a survey answer (filterable by
CSAT score and touchpoint, lowest scores first) and the themes of their comments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from models.access import Viewer
from models.scorecard import require_agent
from models.settings import Settings
from models.tables import Contact, Queue, SurveyResponse, Touchpoint
from models.themes import Lexicon, theme_counts, themes_for
from models.timegrid import from_epoch, interval_of, local_day_bounds

ANSWER_LIMIT = 500
ANSWER_COLUMNS = [
    "contact_id",
    "offered_at",
    "queue",
    "channel",
    "touchpoint_id",
    "touchpoint",
    "csat",
    "ces",
    "nps",
    "resolved",
    "verbatim",
    "language",
]
# Each scale mapped onto 0..1 (0 = worst) only to ORDER answers: lowest first, whatever was asked.
SCALES = {"csat": (1, 5), "ces": (1, 7), "nps": (0, 10)}


def agent_answers(
    *,
    session: Session,
    viewer: Viewer,
    settings: Settings,
    agent_id: int,
    start: date,
    end: date,
    csat_in: Sequence[int] | None = None,
    touchpoint_ids: Sequence[int] | None = None,
    lexicon: Lexicon | None = None,
    limit: int = ANSWER_LIMIT,
) -> pd.DataFrame:
    """Survey answers on contacts the agent answered and that were offered on local days start..end
    (survey metrics belong to the contact they rate). Lowest scores first (ties: newest first);
    with a lexicon, each comment's themes (sorted list). Comments are plain text for st.text."""
    require_agent(session=session, viewer=viewer, agent_id=agent_id)
    lo = interval_of(local_day_bounds(start, settings.zone)[0])
    hi = interval_of(local_day_bounds(end, settings.zone)[1])
    sr = SurveyResponse
    stmt = (
        select(
            Contact.id,
            Contact.offered_interval,
            Queue.name,
            Contact.channel,
            Contact.touchpoint_id,
            Touchpoint.name,
            sr.csat,
            sr.ces,
            sr.nps,
            sr.resolved,
            sr.verbatim,
            sr.language,
        )
        .join(sr, sr.contact_id == Contact.id)  # type: ignore[arg-type]
        .join(Queue, Queue.id == Contact.queue_id)  # type: ignore[arg-type]
        .outerjoin(Touchpoint, Touchpoint.id == Contact.touchpoint_id)  # type: ignore[arg-type]
        .where(
            Contact.agent_id == agent_id,
            # completed_interval is indexed with agent_id; a contact completes after it is offered
            Contact.completed_interval >= lo,  # type: ignore[operator]
            Contact.offered_interval >= lo,
            Contact.offered_interval < hi,
        )
    )
    if csat_in:
        stmt = stmt.where(sr.csat.in_(sorted(csat_in)))  # type: ignore[union-attr]
    if touchpoint_ids:
        stmt = stmt.where(Contact.touchpoint_id.in_(sorted(touchpoint_ids)))  # type: ignore[union-attr]
    out = pd.DataFrame.from_records(session.execute(stmt).all(), columns=ANSWER_COLUMNS)
    out["offered_at"] = [from_epoch(int(s)).astimezone(settings.zone) for s in out["offered_at"]]
    out = _lowest_first(out).head(limit).reset_index(drop=True)
    if lexicon is not None:
        out["themes"] = [sorted(themes_for(text, lexicon)) for text in out["verbatim"]]
    return out


def _lowest_first(answers: pd.DataFrame) -> pd.DataFrame:
    """Order by the mean of the answered scales mapped to 0..1 (unanswered scales ignored), then
    newest first; answers with no score at all go last."""
    parts = []
    for column, (low, high) in SCALES.items():
        values = pd.to_numeric(answers[column], errors="coerce").astype(float)
        parts.append(((values - low) / (high - low)).to_numpy())
    stacked = np.vstack(parts) if parts and len(answers) else np.empty((len(SCALES), 0))
    with np.errstate(invalid="ignore"):
        answered = ~np.isnan(stacked)
        total = np.where(answered, stacked, 0.0).sum(axis=0)
        count = answered.sum(axis=0)
        key = np.where(count > 0, total / np.maximum(count, 1), np.inf)
    ordered = answers.assign(_key=key, _at=answers["offered_at"])
    ordered = ordered.sort_values(["_key", "_at"], ascending=[True, False], kind="stable")
    return ordered.drop(columns=["_key", "_at"])


def answer_themes(answers: pd.DataFrame, lexicon: Lexicon) -> pd.DataFrame:
    """Comments per theme (pains and gains) among these answers: the empathy map's counts."""
    return theme_counts(answers["verbatim"].tolist() if "verbatim" in answers else [], lexicon)


def touchpoint_options(answers: pd.DataFrame) -> pd.DataFrame:
    """Touchpoints present in the answers (id, name) for the filter."""
    seen = answers[["touchpoint_id", "touchpoint"]].dropna().drop_duplicates()
    return seen.sort_values("touchpoint").reset_index(drop=True)
