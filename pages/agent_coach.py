"""Coaches: one agent at a time. Scorecard vs team and peers, what customers said, the coaching log
with follow-up of commitments, and gentle wellbeing signals. The agent is in the URL (?agent=CODE)."""

from __future__ import annotations

import streamlit as st

from ui import coach, coach_log, coach_sections, coach_voice, components, data, state
from ui.i18n_coach import t

ctx = state.page_context()
locale = ctx.locale
st.title(t("page_title", locale))
if ctx.viewer is None:
    components.no_data_hint(locale)
    st.stop()

coach_log.overdue_banner(ctx)
agent = coach_sections.agent_picker(ctx)
if agent is None:
    st.stop()

latest = data.load_latest_day(ctx.settings, ctx.viewer, ctx.version) or coach.today(ctx.settings)
weeks = st.segmented_control(
    t("period", locale),
    coach.PERIOD_WEEKS,
    default=4,
    key="coach_weeks",
    format_func=lambda n: t("weeks", locale, n=n),
)
start, end = coach.period(latest, weeks or 4)
st.header(coach.markdown_safe(f"{agent['name']} · {agent['code']}"), anchor=False)
tabs = st.tabs(
    [
        t("tab_scorecard", locale),
        t("tab_voice", locale),
        t("tab_coaching", locale),
        t("tab_wellbeing", locale),
    ],
    key="coach_tab",
    on_change="rerun",  # only the open tab runs: switching agent loads one section, not four
)
scorecard_tab, voice_tab, log_tab, wellbeing_tab = tabs
agent_id = int(agent["id"])
if scorecard_tab.open or log_tab.open:
    log = coach.load_coaching(ctx.settings, ctx.viewer, agent_id)
if scorecard_tab.open:
    with scorecard_tab:
        coach_sections.scorecard_section(ctx, agent, start, end, log["sessions"] if log else None)
if voice_tab.open:
    with voice_tab:
        coach_voice.voice_section(ctx, agent, start, end)
if log_tab.open:
    with log_tab:
        coach_log.coaching_section(ctx, agent, log)
if wellbeing_tab.open:
    with wellbeing_tab:
        coach_sections.wellbeing_section(ctx, agent, start, end)
