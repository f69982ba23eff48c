"""Cached data access for pages: one engine per database per process, and loaders keyed by their
filters AND the refresh version, so a finished refresh shows at once. Loaders return plain data
(DataFrames, dicts, dates), never ORM objects."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from models import access, health, queries
from models.db import SessionFactory, open_database
from models.settings import Settings, load_settings
from ui import charts

# TTLs stay below the default refresh period (60 s): the refresh version makes a new refresh show
# at once; the TTL only bounds how long a silent change (a late survey, a fix) can go unseen.
VERSION_TTL_S = 2
LOADER_TTL_S = 30
HEALTH_TTL_S = 10
_HASH = {Settings: lambda settings: settings.model_dump_json()}


def _secret_overrides() -> dict[str, Any]:
    """Settings from st.secrets["mirador"], for hosts without environment variables. A setting that
    is also in the environment keeps the environment's value (explicit beats file)."""
    try:
        section = st.secrets.get("mirador")
    except Exception:  # noqa: BLE001 - no secrets file at all (StreamlitSecretNotFoundError) is normal
        return {}
    if not section:
        return {}
    return {k: v for k, v in dict(section).items() if f"MIRADOR_{k.upper()}" not in os.environ}


def app_settings() -> Settings:
    """The settings this server runs with; raises models.settings.SettingsError with one clear line."""
    return load_settings(**_secret_overrides())


def _dispose(database: tuple[Engine, SessionFactory]) -> None:
    database[0].dispose()


@st.cache_resource(max_entries=4, show_spinner=False, hash_funcs=_HASH, on_release=_dispose)
def database(settings: Settings) -> tuple[Engine, SessionFactory]:
    """Engine + session factory, schema upgraded once per process (Alembic, never create_all)."""
    return open_database(settings)


def _factory(settings: Settings) -> SessionFactory:
    return database(settings)[1]


@st.cache_data(ttl=VERSION_TTL_S, max_entries=8, show_spinner=False, hash_funcs=_HASH)
def load_refresh_version(settings: Settings) -> int:
    """The latest refresh id: every other loader takes it as an argument, so it keys their caches."""
    with _factory(settings)() as session:
        return int(queries.refresh_version(session=session))


@st.cache_data(ttl=LOADER_TTL_S, max_entries=8, show_spinner=False, hash_funcs=_HASH)
def load_demo_viewer(settings: Settings, version: int) -> access.Viewer | None:  # noqa: ARG001
    """The seeded director the app runs as until sign-in lands (None before any seeding)."""
    with _factory(settings)() as session:
        return access.demo_viewer(session=session)


@st.cache_data(ttl=VERSION_TTL_S, max_entries=8, show_spinner=False, hash_funcs=_HASH)
def load_freshness(settings: Settings, version: int) -> dict[str, Any]:  # noqa: ARG001
    """When the data last changed (the age itself is computed at render time from `now`)."""
    with _factory(settings)() as session:
        return dict(queries.freshness(session=session, now=datetime.now(UTC)))


@st.cache_data(ttl=LOADER_TTL_S, max_entries=32, show_spinner=False, hash_funcs=_HASH)
def load_latest_day(settings: Settings, viewer: access.Viewer, version: int) -> date | None:  # noqa: ARG001
    """The last local day with data the viewer may see (None: nothing loaded yet)."""
    with _factory(settings)() as session:
        return queries.latest_data_day(session=session, viewer=viewer, settings=settings)


@st.cache_data(ttl=LOADER_TTL_S, max_entries=64, show_spinner=False, hash_funcs=_HASH)
def load_headline(
    settings: Settings,
    viewer: access.Viewer,
    day: date,
    version: int,  # noqa: ARG001
) -> dict[str, Any]:
    """The day's headline KPIs (performance and customer) with the previous day for deltas."""
    with _factory(settings)() as session:
        return queries.headline(session=session, viewer=viewer, settings=settings, day=day)


@st.cache_data(ttl=LOADER_TTL_S, max_entries=64, show_spinner=False, hash_funcs=_HASH)
def load_day_intervals(
    settings: Settings,
    viewer: access.Viewer,
    day: date,
    version: int,  # noqa: ARG001
) -> pd.DataFrame:
    """One row per interval of the day, in the centre's local time, shaped for ui.charts."""
    with _factory(settings)() as session:
        frame = queries.kpis(
            session=session, viewer=viewer, settings=settings, start=day, end=day, by="interval"
        )
    local = pd.to_datetime(frame["interval_start"], utc=True).dt.tz_convert(settings.timezone)
    return frame.assign(interval=local)[list(charts.INTERVAL_COLUMNS)].reset_index(drop=True)


@st.cache_data(ttl=VERSION_TTL_S, max_entries=8, show_spinner=False, hash_funcs=_HASH)
def load_runs_version(settings: Settings) -> int:
    """The newest job run of any kind: keys the data-health loader (seeds and failures count too)."""
    with _factory(settings)() as session:
        return health.latest_run_id(session=session)


def _local_times(frame: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Timestamp columns (stored UTC) shown in the centre's zone."""
    for column in [c for c in frame.columns if c.endswith("_at")]:
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(zone)
    return frame


@st.cache_data(ttl=HEALTH_TTL_S, max_entries=8, show_spinner=False, hash_funcs=_HASH)
def load_health(settings: Settings, runs_version: int) -> dict[str, pd.DataFrame]:  # noqa: ARG001
    """Everything the data-health page shows: recent runs, per-job lag, quarantine, checkpoints."""
    now = datetime.now(UTC)
    with _factory(settings)() as session:
        frames = {
            "runs": health.recent_runs(session=session),
            "jobs": health.job_summary(session=session, now=now),
            "quarantine": health.quarantine_counts(session=session),
            "checkpoints": health.source_checkpoints(session=session),
        }
    return {name: _local_times(frame, settings.timezone) for name, frame in frames.items()}
