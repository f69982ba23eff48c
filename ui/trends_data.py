"""Data side of the weekly trends page: cached loaders keyed by the filters and the refresh version
(settled days of raw-contact reads cached apart from recent ones), and the two user actions (owner
edits, audited downloads). Numbers come from models/."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from models import effort, export, staffing_plan, touchpoints, trends
from models.access import Viewer
from models.db import session_scope
from models.settings import Settings
from models.timegrid import week_start
from ui import charts_trends as builders
from ui import data

LOADER_TTL_S = 30  # below the default refresh period: the version key shows a refresh at once
EFFORT_TTL_S = 60  # heavier (raw contacts): bounded by one refresh period, keyed by the version
_HASH = {Settings: lambda settings: settings.model_dump_json()}
_CACHE = {"show_spinner": False, "hash_funcs": _HASH}


def _session(settings: Settings) -> Any:
    return data.database(settings)[1]()


# --- Cached loaders ------------------------------------------------------------------------------------


@st.cache_data(ttl=LOADER_TTL_S, max_entries=16, **_CACHE)
def load_dimensions(settings: Settings, viewer: Viewer, version: int) -> trends.Dimensions:  # noqa: ARG001
    """Queues, teams, sites and touchpoints in scope: filter options and labels."""
    with _session(settings) as session:
        return trends.load_dimensions(session=session, viewer=viewer)


@st.cache_data(ttl=LOADER_TTL_S, max_entries=16, **_CACHE)
def load_daily_sums(
    settings: Settings,
    viewer: Viewer,
    start: date,
    end: date,
    version: int,  # noqa: ARG001
) -> trends.DailySums:
    """The one aggregate read of the overview: every filter and week after it is a roll-up."""
    with _session(settings) as session:
        return trends.load_daily_sums(session=session, viewer=viewer, start=start, end=end)


def week_window(end: date, weeks: int) -> tuple[date, date]:
    """First and last day of the `weeks` ISO weeks ending with the week of `end`."""
    return trends.week_range(end=end, weeks=weeks)


@st.cache_data(ttl=LOADER_TTL_S, max_entries=64, **_CACHE)
def load_scorecard(
    settings: Settings, viewer: Viewer, end: date, weeks: int, filters: trends.TrendFilters, version: int
) -> pd.DataFrame:
    """The weekly scorecard for the filters (pure roll-up of the cached daily sums)."""
    start, last = week_window(end, weeks)
    sums = load_daily_sums(settings, viewer, start, last, version)
    dims = load_dimensions(settings, viewer, version)
    return trends.weekly_scorecard(sums, dims, settings=settings, filters=filters, end=end, weeks=weeks)


@st.cache_data(ttl=LOADER_TTL_S, max_entries=64, **_CACHE)
def load_trend(
    settings: Settings,
    viewer: Viewer,
    end: date,
    weeks: int,
    filters: trends.TrendFilters,
    by: str,
    grain: str,
    version: int,
) -> pd.DataFrame:
    """Trend lines by team or channel, weekly or daily, with their sample sizes."""
    start, last = week_window(end, weeks)
    sums = load_daily_sums(settings, viewer, start, last, version)
    dims = load_dimensions(settings, viewer, version)
    return trends.trend_series(sums, dims, settings=settings, filters=filters, by=by, grain=grain)


# Raw-contact reads (effort, comment themes, moves) are split in two: the settled days, which no
# longer change (late survey answers land within hours), cached by date with EFFORT_SETTLED_TTL_S
# whatever the refresh version; and the last SETTLE_DAYS, keyed by the refresh version. A refresh
# then re-reads a day or two, not 13 weeks. A late upload of old surveys shows within the TTL.
SETTLE_DAYS = 2
EFFORT_SETTLED_TTL_S = 600


def split_range(
    start: date, end: date, latest: date
) -> tuple[tuple[date, date] | None, tuple[date, date] | None]:
    """(settled part, recent part) of start..end, either possibly None."""
    settled_end = min(end, latest - timedelta(days=SETTLE_DAYS))
    settled = (start, settled_end) if settled_end >= start else None
    recent_start = max(start, settled_end + timedelta(days=1))
    return settled, ((recent_start, end) if recent_start <= end else None)


def _read(
    kind: str, settings: Settings, viewer: Viewer, start: date, end: date, recent: bool
) -> pd.DataFrame:
    """One raw-contact read through models/ (moves of the recent part look back across the split)."""
    with _session(settings) as session:
        if kind == "effort":
            return effort.load_effort_contacts(
                session=session, viewer=viewer, settings=settings, start=start, end=end
            )
        if kind == "themes":
            lexicon = touchpoints.map_lexicon(session=session)
            return touchpoints.load_comment_themes(
                session=session, viewer=viewer, settings=settings, start=start, end=end, lexicon=lexicon
            )
        return touchpoints.load_journey_moves(
            session=session, viewer=viewer, settings=settings, start=start, end=end, look_back=recent
        )


@st.cache_data(ttl=EFFORT_SETTLED_TTL_S, max_entries=24, **_CACHE)
def _settled(kind: str, settings: Settings, viewer: Viewer, start: date, end: date) -> pd.DataFrame:
    return _read(kind, settings, viewer, start, end, recent=False)


@st.cache_data(ttl=EFFORT_TTL_S, max_entries=24, **_CACHE)
def _recent(
    kind: str,
    settings: Settings,
    viewer: Viewer,
    start: date,
    end: date,
    version: int,  # noqa: ARG001 - the cache key: a refresh re-reads the recent days
) -> pd.DataFrame:
    return _read(kind, settings, viewer, start, end, recent=True)


def load_raw(
    kind: str, settings: Settings, viewer: Viewer, start: date, end: date, version: int
) -> pd.DataFrame:
    """Effort contacts, comment themes or journey moves of start..end: settled part + recent part."""
    latest = data.load_latest_day(settings, viewer, version) or end
    settled, recent = split_range(start, end, latest)
    parts = []
    if settled:
        parts.append(_settled(kind, settings, viewer, *settled))
    if recent:
        parts.append(_recent(kind, settings, viewer, *recent, version))
    parts = [p for p in parts if not p.empty] or parts[:1]
    if kind == "moves" and len(parts) > 1:
        keys = [c for c in parts[0].columns if c != "moves"]
        return pd.concat(parts).groupby(keys, as_index=False, dropna=False)["moves"].sum()
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


@st.cache_data(ttl=EFFORT_TTL_S, max_entries=32, **_CACHE)
def load_effort_drivers(
    settings: Settings, viewer: Viewer, end: date, weeks: int, filters: trends.TrendFilters, version: int
) -> tuple[pd.DataFrame, int]:
    """Effort drivers for the filters and the number of CES answers they rest on."""
    start, last = week_window(end, weeks)
    contacts = effort.filter_contacts(load_raw("effort", settings, viewer, start, last, version), filters)
    return effort.effort_drivers(contacts, min_sample=settings.min_sample), len(contacts)


@st.cache_data(ttl=LOADER_TTL_S, max_entries=32, **_CACHE)
def load_touchpoint_map(
    settings: Settings, viewer: Viewer, end: date, weeks: int, filters: trends.TrendFilters, version: int
) -> pd.DataFrame:
    """The touchpoint map: aggregates for volume, CES and repeats; comment themes for pains."""
    start, last = week_window(end, weeks)
    sums = load_daily_sums(settings, viewer, start, last, version)
    dims = load_dimensions(settings, viewer, version)
    themes = load_raw("themes", settings, viewer, start, last, version)
    return touchpoints.touchpoint_map(sums, dims, themes, filters=filters)


@st.cache_data(ttl=LOADER_TTL_S, max_entries=32, **_CACHE)
def load_staffing(
    settings: Settings,
    viewer: Viewer,
    day: date,
    end: date,
    weeks: int,
    filters: trends.TrendFilters,
    version: int,
) -> pd.DataFrame:
    """Erlang C / Erlang A requirement vs. logged-in agents for one day (patience over the weeks).
    Agents serve every channel of their team, so only the site and team filters apply here."""
    filters = trends.TrendFilters(site_ids=filters.site_ids, team_ids=filters.team_ids)
    start, last = week_window(end, weeks)
    sums = load_daily_sums(settings, viewer, start, last, version)
    dims = load_dimensions(settings, viewer, version)
    with _session(settings) as session:
        day_data = staffing_plan.load_day_intervals(session=session, viewer=viewer, day=day)
    patience = staffing_plan.patience_by_channel(sums, dims, filters)
    deferred = staffing_plan.deferred_channels(dims, filters, settings)
    plan = staffing_plan.staffing_plan(day_data, dims, settings=settings, filters=filters, patience=patience)
    plan.attrs["patience"] = {c: p for c, p in patience.items() if c not in deferred}
    plan.attrs["deferred"] = deferred
    return plan


@st.cache_data(ttl=LOADER_TTL_S, max_entries=64, **_CACHE)
def load_trend_figures(
    settings: Settings,
    viewer: Viewer,
    end: date,
    weeks: int,
    filters: trends.TrendFilters,
    by: str,
    grain: str,
    locale: str,
    version: int,
) -> tuple[Any, Any] | None:
    """SL vs. CES and AHT vs. CSAT, built once per choice (building a figure costs more than the
    numbers behind it); None when there is nothing to draw."""
    frame = load_trend(settings, viewer, end, weeks, filters, by, grain, version)
    if frame.empty:
        return None
    card = load_scorecard(settings, viewer, end, weeks, filters, version)
    target = card.loc[card["kpi"] == "service_level", "target"].iloc[0]
    target = None if pd.isna(target) else float(target)
    return (
        builders.trend_pair_figure(
            frame,
            left=("service_level", "offered"),
            right=("ces", "ces_n"),
            locale=locale,
            left_target=target,
        ),
        builders.trend_pair_figure(frame, left=("aht", "handled"), right=("csat", "csat_n"), locale=locale),
    )


# --- Actions ---------------------------------------------------------------------------------------------


def save_owner(settings: Settings, viewer: Viewer, touchpoint_id: int, owner: str) -> str:
    """Store an owner through models/ (validated, audited); the message key to show."""
    try:
        with session_scope(data.database(settings)[1]) as session:
            changed = touchpoints.set_owner(
                session=session, viewer=viewer, touchpoint_id=touchpoint_id, owner=owner
            )
    except touchpoints.OwnerEditError as exc:
        return f"owner_{exc.code}"
    load_dimensions.clear()
    load_touchpoint_map.clear()
    return "owner_saved" if changed else "owner_unchanged"


def audit_download(settings: Settings, viewer: Viewer, what: str, fmt: str) -> None:
    """download_button callback: who exported what (issue 7)."""
    with session_scope(data.database(settings)[1]) as session:
        export.record_export(session=session, viewer=viewer, what=what, fmt=fmt)


def week_options(latest: date, count: int = 26) -> list[date]:
    """Mondays of the latest `count` ISO weeks, newest first (the "latest week" choices)."""
    last = week_start(latest)
    return [last - timedelta(days=7 * i) for i in range(count)]


def generated_at(settings: Settings) -> str:
    return datetime.now(UTC).astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
