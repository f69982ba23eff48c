"""Data health: is the data fresh and complete? Job runs, each job's lag, quarantined rows, readers."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from ui import components, data, state, tables
from ui.i18n import duration_text, t

ctx = state.page_context()
locale = ctx.locale
st.title(t("page_data_health", locale))

st.subheader(t("freshness", locale))
fresh = data.load_freshness(ctx.settings, ctx.version)
now = datetime.now(UTC)
refresh_age = components.age_seconds(fresh.get("last_refresh_at"), now)
contact_lag = components.age_seconds(fresh.get("newest_contact_at"), now)
last, newest, period = st.columns(3)
last.metric(t("since_refresh", locale), duration_text(refresh_age), border=True)
newest.metric(t("since_contact", locale), duration_text(contact_lag), border=True)
period.metric(t("refresh_period", locale), duration_text(ctx.settings.refresh_seconds), border=True)
if components.is_stale(refresh_age, ctx.settings.refresh_seconds):
    st.warning(
        t(
            "stale_warning",
            locale,
            age=duration_text(refresh_age),
            period=duration_text(ctx.settings.refresh_seconds),
        )
    )

health = data.load_health(ctx.settings, data.load_runs_version(ctx.settings))

st.subheader(t("jobs", locale))
if health["jobs"].empty:
    st.info(t("no_runs", locale))
    components.no_data_hint(locale)
else:
    tables.job_table(health["jobs"], locale=locale)
    st.subheader(t("job_runs", locale))
    tables.runs_table(health["runs"], locale=locale)

st.subheader(t("quarantine", locale))
if health["quarantine"].empty:
    st.caption(t("quarantine_empty", locale))
else:
    tables.quarantine_table(health["quarantine"], locale=locale)

st.subheader(t("checkpoints", locale))
if health["checkpoints"].empty:
    st.caption(t("checkpoints_empty", locale))
else:
    tables.checkpoint_table(health["checkpoints"], locale=locale)
