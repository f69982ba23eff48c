"""Data access for the coach's page: cached loaders (keyed by filters and the refresh version), the
agent choice kept in the URL (?agent=CODE), and thin wrappers around the validated coaching writes.

Coaching reads are not cached: they are small indexed reads, and a note saved by one coach must
show at once for the next (caches are per process, writes are not refresh-versioned).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from models import coaching, coaching_reads, scorecard, themes, voice, wellbeing
from models.access import Viewer
from models.db import SessionFactory, session_scope
from models.settings import Settings
from ui import data

LOADER_TTL_S = data.LOADER_TTL_S
_HASH = {Settings: lambda settings: settings.model_dump_json()}
AGENT_PARAM = "agent"
AGENT_KEY = "coach_agent"
PERIOD_WEEKS = (1, 4, 13)
TREND_WEEKS = 13


def _factory(settings: Settings) -> SessionFactory:
    return data.database(settings)[1]


def today(settings: Settings) -> date:
    """Today in the centre's zone (due dates and session dates are local days)."""
    return coaching.local_today(settings)


def period(end: date, weeks: int) -> tuple[date, date]:
    """The `weeks` weeks of local days ending on `end` (inclusive)."""
    return end - timedelta(days=7 * weeks - 1), end


# --- Cached reads -----------------------------------------------------------------------------------


@st.cache_data(ttl=LOADER_TTL_S, max_entries=16, show_spinner=False, hash_funcs=_HASH)
def load_directory(settings: Settings, viewer: Viewer, version: int) -> pd.DataFrame:  # noqa: ARG001
    """Every agent the viewer may pick, with team, supervisor, coach and remote flag."""
    with _factory(settings)() as session:
        return scorecard.agent_directory(session=session, viewer=viewer)


@st.cache_data(ttl=LOADER_TTL_S, max_entries=64, show_spinner=False, hash_funcs=_HASH)
def load_scorecard(
    settings: Settings,
    viewer: Viewer,
    agent_id: int,
    start: date,
    end: date,
    version: int,  # noqa: ARG001
) -> scorecard.Scorecard:
    """The agent's KPIs next to the team median and the percentile among peers."""
    with _factory(settings)() as session:
        return scorecard.agent_scorecard(
            session=session, viewer=viewer, settings=settings, agent_id=agent_id, start=start, end=end
        )


@st.cache_data(ttl=LOADER_TTL_S, max_entries=64, show_spinner=False, hash_funcs=_HASH)
def load_trend(settings: Settings, viewer: Viewer, agent_id: int, end: date, version: int) -> pd.DataFrame:  # noqa: ARG001
    """The agent's KPIs per week (13 weeks) with the team median."""
    with _factory(settings)() as session:
        return scorecard.agent_trend(
            session=session, viewer=viewer, agent_id=agent_id, end=end, weeks=TREND_WEEKS
        )


@st.cache_data(ttl=LOADER_TTL_S, max_entries=64, show_spinner=False, hash_funcs=_HASH)
def load_wellbeing(
    settings: Settings,
    viewer: Viewer,
    agent_id: int,
    start: date,
    end: date,
    version: int,  # noqa: ARG001
) -> dict[str, Any]:
    """Gentle remote-work signals for the period."""
    with _factory(settings)() as session:
        return wellbeing.wellbeing(
            session=session,
            viewer=viewer,
            settings=settings,
            agent_id=agent_id,
            start=start,
            end=end,
            today=today(settings),
        )


@st.cache_data(ttl=LOADER_TTL_S, max_entries=8, show_spinner=False, hash_funcs=_HASH)
def load_lexicon(settings: Settings, version: int) -> themes.Lexicon:  # noqa: ARG001
    """The theme lexicon as stored (built-in until someone edits it); cleared on every edit."""
    with _factory(settings)() as session:
        return themes.load_lexicon(session=session)


@st.cache_data(ttl=LOADER_TTL_S, max_entries=64, show_spinner=False, hash_funcs=_HASH)
def load_answers(
    settings: Settings,
    viewer: Viewer,
    agent_id: int,
    start: date,
    end: date,
    csat_in: tuple[int, ...],
    touchpoint_ids: tuple[int, ...],
    version: int,
) -> pd.DataFrame:
    """The agent's survey answers (lowest scores first) with each comment's themes."""
    lexicon = load_lexicon(settings, version)
    with _factory(settings)() as session:
        return voice.agent_answers(
            session=session,
            viewer=viewer,
            settings=settings,
            agent_id=agent_id,
            start=start,
            end=end,
            csat_in=csat_in or None,
            touchpoint_ids=touchpoint_ids or None,
            lexicon=lexicon,
        )


@st.cache_data(ttl=LOADER_TTL_S, max_entries=4, show_spinner=False, hash_funcs=_HASH)
def load_lexicon_rows(settings: Settings) -> pd.DataFrame:
    """Stored keywords with ids, for the editor (cleared on every edit made here)."""
    with _factory(settings)() as session:
        return themes.lexicon_rows(session=session)


# --- Coaching log (uncached reads) -------------------------------------------------------------------


def load_coaching(settings: Settings, viewer: Viewer, agent_id: int) -> dict[str, pd.DataFrame] | None:
    """Sessions, commitments and before/after of the agent, or None when the viewer may not read
    this agent's notes (the notes rule is enforced in models.coaching)."""
    with _factory(settings)() as session:
        try:
            return coaching_reads.coaching_log(
                session=session, viewer=viewer, settings=settings, agent_id=agent_id, today=today(settings)
            )
        except coaching.NotAllowed:
            return None


def load_overdue(settings: Settings, viewer: Viewer) -> pd.DataFrame | None:
    """Overdue commitments across every agent whose notes the viewer reads (None: no notes role)."""
    with _factory(settings)() as session:
        try:
            return coaching_reads.overdue_commitments(session=session, viewer=viewer, today=today(settings))
        except coaching.NotAllowed:
            return None


def load_history(settings: Settings, viewer: Viewer, session_id: int) -> pd.DataFrame:
    """Who changed a session and its commitments, and when."""
    with _factory(settings)() as session:
        return coaching_reads.session_history(session=session, viewer=viewer, session_id=session_id)


# --- Writes ------------------------------------------------------------------------------------------


def _write(settings: Settings, fn: Any, **kwargs: Any) -> Any:
    """Run one validated models write in its own transaction (CoachingError and NotAllowed pass up)."""
    with session_scope(_factory(settings)) as session:
        return fn(session=session, settings=settings, **kwargs)


def save_session(settings: Settings, viewer: Viewer, **fields: Any) -> int:
    """Record a session with its commitments (coaching.create_session)."""
    return int(_write(settings, coaching.create_session, viewer=viewer, **fields))


def edit_session(settings: Settings, viewer: Viewer, **fields: Any) -> bool:
    """Change a session's date, focus KPI or notes (coaching.edit_session)."""
    return bool(_write(settings, coaching.edit_session, viewer=viewer, **fields))


def add_commitment(settings: Settings, viewer: Viewer, **fields: Any) -> int:
    """Add a commitment to a session (coaching.add_commitment)."""
    return int(_write(settings, coaching.add_commitment, viewer=viewer, **fields))


def set_done(settings: Settings, viewer: Viewer, commitment_id: int, done: bool) -> bool:
    """Mark a commitment done or reopen it (coaching.set_commitment_done)."""
    with session_scope(_factory(settings)) as session:
        return coaching.set_commitment_done(
            session=session, viewer=viewer, commitment_id=commitment_id, done=done
        )


def edit_lexicon(settings: Settings, viewer: Viewer, *, remove_id: int | None = None, **keyword: str) -> None:
    """Add a keyword (theme, kind, language, keyword) or remove one by id; the built-in lexicon is
    stored first, so a first edit never drops it. Clears the lexicon-dependent caches."""
    with session_scope(_factory(settings)) as session:
        themes.ensure_default_lexicon(session=session)
        if remove_id is not None:
            themes.remove_keyword(session=session, viewer=viewer, keyword_id=remove_id)
        else:
            themes.add_keyword(session=session, viewer=viewer, **keyword)
    load_lexicon.clear()
    load_lexicon_rows.clear()
    load_answers.clear()


def audited_export(
    settings: Settings, viewer: Viewer, agent_id: int, kind: str, build: Callable[[], bytes]
) -> Callable[[], bytes]:
    """Deferred download data (st.download_button calls it on click, in another thread): builds the
    file and records the export in the audit trail, so only real downloads are audited."""
    factory = _factory(settings)  # resolved now, in the script thread

    def produce() -> bytes:
        payload = build()
        with session_scope(factory) as session:
            scorecard.record_export(session=session, viewer=viewer, agent_id=agent_id, kind=kind)
        return payload

    return produce


# --- The agent in the URL ------------------------------------------------------------------------------


def agent_from_url(directory: pd.DataFrame) -> tuple[int | None, str | None]:
    """(agent id, code) named by ?agent=CODE if the viewer may see that agent; (None, code) when the
    URL names an agent outside the viewer's scope or unknown; (None, None) when it names none."""
    code = st.query_params.get(AGENT_PARAM)
    if not code:
        return None, None
    match = directory[directory["code"] == code]
    return (int(match["id"].iloc[0]), code) if not match.empty else (None, code)


def set_agent_in_url(code: str | None) -> None:
    """Keep the choice in the URL so the link can be shared."""
    if code:
        st.query_params[AGENT_PARAM] = code
    elif AGENT_PARAM in st.query_params:
        del st.query_params[AGENT_PARAM]


_MARKDOWN_SPECIALS = set("\\`*_{}[]()#+-.!|<>~$:")


def markdown_safe(text: str) -> str:
    """Data shown inside a Markdown element (a header) with every Markdown character escaped."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in str(text))
