"""Sections of the coach's page: the agent picker (choice kept in ?agent=CODE), the scorecard with its
exports and the wellbeing signals (what customers said: ui.coach_voice; the log: ui.coach_log).

Numbers are formatted with models.kpis.format_value; user text (comments, names) is shown with
st.text / st.dataframe only, never as HTML or Markdown.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from models import export, scorecard
from models.kpis import KPIS, format_value
from ui import charts_coach, coach
from ui.i18n import duration_text
from ui.i18n_coach import t
from ui.state import PageContext

URL_SYNCED_KEY = "coach_agent_url"
URL_ERROR_KEY = "coach_url_error"
LAST_AGENT_KEY = "coach_last_agent"  # not a widget key: survives a visit to another page
WHERE = ("all", "remote", "onsite")
CHART_CONFIG = {"displaylogo": False}


# --- Picker ----------------------------------------------------------------------------------------


def _adopt_url(directory: pd.DataFrame) -> None:
    """A link (or back/forward) that names an agent selects it; an agent outside the viewer's scope
    is reported as not found, whatever the URL says. Back from another page (no agent in the URL),
    the last agent picked comes back, and into the URL."""
    code = st.query_params.get(coach.AGENT_PARAM)
    if not code:
        last = st.session_state.get(LAST_AGENT_KEY)
        if last and last in set(directory["code"]):
            st.session_state[coach.AGENT_KEY] = last
            coach.set_agent_in_url(last)
            st.session_state[URL_SYNCED_KEY] = last
        return
    if code == st.session_state.get(URL_SYNCED_KEY) and coach.AGENT_KEY in st.session_state:
        return
    st.session_state[URL_SYNCED_KEY] = code
    agent_id, named = coach.agent_from_url(directory)
    st.session_state[coach.AGENT_KEY] = named if agent_id is not None else None
    st.session_state[LAST_AGENT_KEY] = named if agent_id is not None else None
    st.session_state[URL_ERROR_KEY] = named if agent_id is None else None


def _sync_url() -> None:
    code = st.session_state.get(coach.AGENT_KEY)
    coach.set_agent_in_url(code)
    st.session_state[URL_SYNCED_KEY] = code
    st.session_state[LAST_AGENT_KEY] = code
    st.session_state[URL_ERROR_KEY] = None


def agent_picker(ctx: PageContext) -> pd.Series | None:
    """Search by name or code, filter by team, supervisor and remote/on-site, pick one agent."""
    locale = ctx.locale
    directory = coach.load_directory(ctx.settings, ctx.viewer, ctx.version)
    if directory.empty:
        st.info(t("no_agents", locale))
        return None
    _adopt_url(directory)
    if st.session_state.get(URL_ERROR_KEY):
        st.warning(t("agent_not_found", locale, code=st.session_state[URL_ERROR_KEY]))
    teams = directory.dropna(subset=["team_id"]).drop_duplicates("team_id").sort_values("team")
    sups = (
        directory.dropna(subset=["supervisor_id"]).drop_duplicates("supervisor_id").sort_values("supervisor")
    )
    with st.container(border=True):
        search_col, team_col, sup_col, where_col = st.columns([3, 2, 2, 2])
        search = search_col.text_input(
            t("search", locale), key="coach_search", placeholder=t("search_hint", locale)
        )
        team_ids = team_col.multiselect(
            t("team", locale),
            teams["team_id"].astype(int).tolist(),
            key="coach_teams",
            format_func=dict(zip(teams["team_id"].astype(int), teams["team"], strict=True)).get,
        )
        sup_ids = sup_col.multiselect(
            t("supervisor", locale),
            sups["supervisor_id"].astype(int).tolist(),
            key="coach_supervisors",
            format_func=dict(zip(sups["supervisor_id"].astype(int), sups["supervisor"], strict=True)).get,
        )
        where = where_col.selectbox(
            t("where", locale), WHERE, key="coach_where", format_func=lambda w: t(f"where_{w}", locale)
        )
        found = scorecard.filter_agents(
            directory,
            search=search,
            team_ids=team_ids,
            supervisor_ids=sup_ids,
            remote=None if where == "all" else where == "remote",
        )
        codes = found["code"].tolist()
        chosen = st.session_state.get(coach.AGENT_KEY)
        if chosen and chosen not in codes and chosen in set(directory["code"]):
            codes.insert(0, chosen)  # the current agent stays selectable while filters narrow the list
        label = {r.code: f"{r.name} · {r.code} · {r.team or '—'}" for r in directory.itertuples()}
        st.selectbox(
            t("agent", locale, n=len(found)),
            codes,
            index=None,
            key=coach.AGENT_KEY,
            format_func=label.get,
            placeholder=t("choose_agent", locale),
            on_change=_sync_url,
        )
    code = st.session_state.get(coach.AGENT_KEY)
    if not code:
        st.caption(t("pick_hint", locale))
        return None
    return directory[directory["code"] == code].iloc[0]


# --- Scorecard ---------------------------------------------------------------------------------------


def _position(row: Any, locale: str) -> str:
    if row.better_than is not None and not pd.isna(row.better_than):
        return t("better_than", locale, pct=f"{row.better_than:.0f}")
    if row.percentile is not None and not pd.isna(row.percentile):
        return t("above", locale, pct=f"{row.percentile:.0f}")
    return "—"


def scorecard_display(kpis: pd.DataFrame, side: str, locale: str, min_sample: int) -> pd.DataFrame:
    """The KPI rows of one side as shown (and exported to the printable page): formatted text."""
    rows = []
    for row in kpis[kpis["side"] == side].itertuples():
        n = "" if row.n is None or pd.isna(row.n) else format_value("csat_n", row.n, locale)
        if row.low_confidence:
            n += " ⚠ " + t("low_confidence", locale, min=min_sample)
        rows.append(
            {
                t("col_kpi", locale): KPIS[row.kpi].label(locale),
                t("col_value", locale): format_value(row.kpi, row.value, locale),
                t("col_team_median", locale): format_value(row.kpi, row.team_median, locale),
                t("col_peers", locale): _position(row, locale),
                t("col_n", locale): n,
            }
        )
    return pd.DataFrame(rows)


def export_frame(agent: pd.Series, card: scorecard.Scorecard, start: date, end: date) -> pd.DataFrame:
    """The CSV export: raw values (ratios 0..1, seconds) beside their definitions and context."""
    frame = card.kpis.copy()
    frame.insert(0, "agent_code", agent["code"])
    frame.insert(1, "agent_name", agent["name"])
    frame.insert(2, "team", card.team)
    frame.insert(3, "period_start", start.isoformat())
    frame.insert(4, "period_end", end.isoformat())
    frame["definition"] = [KPIS[k].section for k in frame["kpi"]]
    return frame


def _exports(
    ctx: PageContext, agent: pd.Series, card: scorecard.Scorecard, shown: dict[str, pd.DataFrame], span: tuple
) -> None:
    """CSV (raw values) and printable HTML (as shown); built only when clicked, and then audited."""
    locale, agent_id, (start, end) = ctx.locale, int(agent["id"]), span
    stem = f"scorecard_{agent['code']}_{start.isoformat()}_{end.isoformat()}"

    def page() -> str:
        sections = [export.ReportSection(t(side, locale), frame) for side, frame in shown.items()]
        return export.weekly_report_html(
            title=f"{agent['name']} ({agent['code']})",
            subtitle=t("report_subtitle", locale, team=card.team or "—", start=start, end=end),
            sections=sections,
            language=locale,
        )

    csv_col, html_col = st.columns(2)
    csv_col.download_button(
        t("export_csv", locale),
        coach.audited_export(
            ctx.settings,
            ctx.viewer,
            agent_id,
            "csv",
            lambda: export.to_csv_bytes(export_frame(agent, card, start, end)),
        ),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key="coach_export_csv",
        on_click="ignore",
    )
    html_col.download_button(
        t("export_html", locale),
        coach.audited_export(ctx.settings, ctx.viewer, agent_id, "html", lambda: page().encode("utf-8")),
        file_name=f"{stem}.html",
        mime="text/html",
        key="coach_export_html",
        on_click="ignore",
    )


def scorecard_section(
    ctx: PageContext, agent: pd.Series, start: date, end: date, sessions: pd.DataFrame | None
) -> None:
    """KPIs vs team median and peers (performance and customer side by side), strengths and gaps,
    the weekly trend with coaching sessions marked, and the exports."""
    locale = ctx.locale
    card = coach.load_scorecard(ctx.settings, ctx.viewer, int(agent["id"]), start, end, ctx.version)
    where = t("where_remote" if agent["is_remote"] else "where_onsite", locale)
    st.caption(
        t(
            "agent_context",
            locale,
            team=card.team or "—",
            supervisor=agent["supervisor"] or "—",
            coach=agent["coach"] or "—",
            where=where,
            start=start,
            end=end,
            peers=card.peers,
            queues=", ".join(card.queues) or "—",
        )
    )
    performance, customer = st.columns(2, gap="large")
    shown = {}
    for column, side in ((performance, "performance"), (customer, "customer")):
        column.subheader(t(side, locale))
        shown[side] = scorecard_display(card.kpis, side, locale, ctx.settings.min_sample)
        column.dataframe(shown[side], hide_index=True, key=f"coach_scorecard_{side}")
    st.plotly_chart(
        charts_coach.strengths_figure(card.kpis, locale=locale), key="coach_strengths", config=CHART_CONFIG
    )
    trend = coach.load_trend(ctx.settings, ctx.viewer, int(agent["id"]), end, ctx.version)
    kpi = st.selectbox(
        t("trend_kpi", locale),
        scorecard.SCORECARD_KPIS,
        index=1,
        key="coach_trend_kpi",
        format_func=lambda k: KPIS[k].label(locale),
    )
    st.plotly_chart(
        charts_coach.trend_figure(trend, kpi=kpi, sessions=sessions, locale=locale),
        key="coach_trend",
        config=CHART_CONFIG,
    )
    _exports(ctx, agent, card, shown, (start, end))


# --- Wellbeing ----------------------------------------------------------------------------------------


def wellbeing_section(ctx: PageContext, agent: pd.Series, start: date, end: date) -> None:
    """Gentle signals for a conversation (not a ranking): no peer comparison, no colours of judgement."""
    locale = ctx.locale
    signals = coach.load_wellbeing(ctx.settings, ctx.viewer, int(agent["id"]), start, end, ctx.version)
    st.caption(t("wellbeing_intro", locale))
    cells = st.columns(5)
    since = signals["days_since_coaching"]
    skipped = signals["breaks_skipped"]
    after = signals["after_hours_s"]
    tiles = [
        ("wb_coaching", "—" if since is None else t("days", locale, n=since), None),
        (
            "wb_breaks",
            "—" if skipped is None else str(skipped),
            t("wb_breaks_of", locale, n=signals["breaks_scheduled"]),
        ),
        (
            "wb_after_hours",
            "—" if after is None else duration_text(after),
            None if after is None else t("wb_after_hours_days", locale, n=signals["after_hours_days"]),
        ),
        ("wb_connectivity", str(signals["connectivity_drops"]), duration_text(signals["technical_s"])),
        (
            "wb_long_acw",
            str(signals["long_acw"]),
            t("wb_long_acw_of", locale, n=signals["acw_known"], s=int(signals["long_acw_threshold_s"])),
        ),
    ]
    for cell, (key, value, note) in zip(cells, tiles, strict=True):
        cell.metric(t(key, locale), value, border=True, help=t(f"{key}_help", locale))
        if note:
            cell.caption(note)
