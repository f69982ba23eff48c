"""Live team view (supervisors): who needs me now, and how are our customers doing today.

The live sections sit in fragments that rerun on their own (every `live_refresh_s`, default 10 s),
so the filters are kept and the rest of the page is not redrawn. ?wallboard=1 shows only the queue
strip and the customer side, in large type, for a shared screen or a team call.
"""

from __future__ import annotations

import streamlit as st

from ui import components, live, live_tiles, state
from ui.i18n_live import t

ctx = state.page_context()
locale = ctx.locale
wallboard = live.wallboard_mode()
period = live.refresh_period(ctx.settings)
FRAGMENT_TIMER = "live_fragment_s"

if ctx.viewer is None:
    st.title(t("page_live", locale))
    components.no_data_hint(locale)
    st.stop()

options = live.load_filter_options(ctx.settings, ctx.viewer, ctx.version)
if not wallboard:
    st.sidebar.subheader(t("filters", locale))
chosen = live.filters(options, locale=locale, wallboard=wallboard)
if not wallboard:
    live.wallboard_link(chosen, locale=locale)

st.title(t("page_live", locale))


@st.fragment(run_every=period)
def live_now() -> None:
    """Everything that changes by the second: read once per period, drawn together."""
    with live.timed(FRAGMENT_TIMER):
        _draw_now()


def _draw_now() -> None:
    snap = live.load_snapshot(ctx.settings, ctx.viewer, chosen, live.tick(period))
    live.freshness(snap, ctx.settings, locale=locale, period=period)
    if snap.queues.empty and snap.agents.empty:
        st.info(t("nothing_in_scope", locale))
        return
    if wallboard:
        strip, customer = st.columns([3, 1], gap="large")
        with strip:
            live_tiles.queue_strip(snap, locale=locale, wallboard=True)
        with customer:
            live.customer_side(snap, ctx.settings, locale=locale, wallboard=True)
        return
    st.subheader(t("queues_now", locale))
    live_tiles.queue_strip(snap, locale=locale, wallboard=False)
    floor, customer = st.columns([2, 1], gap="large")
    with floor:
        live.alerts(snap, ctx.settings, locale=locale)
        live.board(snap, ctx.settings, locale=locale)
    with customer:
        live.customer_side(snap, ctx.settings, locale=locale, wallboard=False)
    live.action_lists(snap, ctx.settings, locale=locale)
    live.timeline(snap, ctx.settings, ctx.viewer, locale=locale, period=period)


@st.fragment(run_every=ctx.settings.refresh_seconds)
def live_intraday() -> None:
    """Intraday staffing changes with the aggregate refresh, so it refreshes at that pace."""
    live.intraday(ctx.settings, ctx.viewer, chosen, locale=locale)


live_now()
if not wallboard:
    live_intraday()
