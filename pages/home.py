"""Home: the last data day at a glance, with performance and customer effort side by side."""

from __future__ import annotations

import streamlit as st

from ui import charts, components, data, state
from ui.i18n import t

ctx = state.page_context()
locale = ctx.locale
st.title(t("page_home", locale))

day = data.load_latest_day(ctx.settings, ctx.viewer, ctx.version) if ctx.viewer else None
if day is None:
    components.no_data_hint(locale)
    st.stop()

head = data.load_headline(ctx.settings, ctx.viewer, day, ctx.version)
st.caption(t("day_of", locale, day=day.isoformat()) + f" · {t('vs_previous_day', locale)}")

performance, customer = st.columns(2, gap="large")
with performance:
    st.subheader(t("performance", locale))
    components.kpi_grid(
        list(head["performance"]),
        head["performance"],
        head["previous"]["performance"],
        locale=locale,
        notes=components.service_level_note(head, locale=locale),
    )
with customer:
    st.subheader(t("customer", locale))
    components.kpi_grid(
        list(head["customer"]),
        head["customer"],
        head["previous"]["customer"],
        locale=locale,
        notes=components.sample_notes(head, locale=locale, min_sample=ctx.settings.min_sample),
    )

st.subheader(t("by_interval", locale))
frame = data.load_day_intervals(ctx.settings, ctx.viewer, day, ctx.version)
if frame.empty:
    st.caption(t("no_intervals", locale))
else:
    volume, effort = st.columns(2, gap="large")
    volume.plotly_chart(
        charts.offered_sl_figure(frame, sl_target=head.get("sl_target"), locale=locale),
        key="home_offered_sl",
        config={"displaylogo": False},
    )
    effort.plotly_chart(
        charts.ces_figure(frame, locale=locale), key="home_ces", config={"displaylogo": False}
    )
