"""Directors: the week in review. Scorecard and trends, where customer effort comes from, who owns
each touchpoint, whether staffing matched demand, and a printable report."""

from __future__ import annotations

import streamlit as st

from ui import data, state, trends_data
from ui import trends as weekly
from ui.i18n_trends import t

ctx = state.page_context()
locale = ctx.locale
st.title(t("page_title", locale))
st.caption(t("page_caption", locale))

latest = data.load_latest_day(ctx.settings, ctx.viewer, ctx.version) if ctx.viewer else None
if latest is None:
    st.info(t("no_data", locale), icon="ℹ️")
    st.stop()

dims = trends_data.load_dimensions(ctx.settings, ctx.viewer, ctx.version)
end, weeks, filters = weekly.render_filters(ctx, dims, latest)

section = st.segmented_control(
    t("section", locale),
    list(weekly.SECTIONS),
    default="overview",
    key="wt_section",
    format_func=lambda name: t(f"section_{name}", locale),
    label_visibility="collapsed",
)
weekly.SECTIONS[section or "overview"](ctx, end, weeks, filters, dims)
