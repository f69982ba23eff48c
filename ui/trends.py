"""Rendering of the weekly trends page: filters and one render function per section, reading
through ui.trends_data; tables and figures come from ui.charts_trends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from models import export, staffing_plan, touchpoints, trends
from models.timegrid import week_start
from ui import charts_trends as builders
from ui.i18n_trends import t
from ui.trends_data import (
    audit_download,
    generated_at,
    load_effort_drivers,
    load_raw,
    load_scorecard,
    load_staffing,
    load_touchpoint_map,
    load_trend_figures,
    save_owner,
    week_options,
    week_window,
)

# --- Rendering ---------------------------------------------------------------------------------------

EXPORT_MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
}


def download(ctx: Any, label: str, what: str, fmt: str, build: Callable[[], bytes], key: str) -> None:
    """A download button whose file is built only when clicked, and the download audited then."""

    def produce() -> bytes:
        content = build()
        if ctx.viewer is not None:
            audit_download(ctx.settings, ctx.viewer, what, fmt)
        return content

    st.download_button(
        label,
        data=produce,
        file_name=f"mirador_{what}.{fmt}",
        mime=EXPORT_MIME[fmt],
        key=key,
        on_click="ignore",
    )


def table_downloads(ctx: Any, frame: pd.DataFrame, what: str, sheet: str) -> None:
    """CSV and Excel buttons for one table as shown."""
    left, right, _ = st.columns([1, 1, 6])
    with left:
        download(
            ctx,
            t("download_csv", ctx.locale),
            what,
            "csv",
            lambda: export.to_csv_bytes(frame),
            f"wt_{what}_csv",
        )
    with right:
        download(
            ctx,
            t("download_excel", ctx.locale),
            what,
            "xlsx",
            lambda: export.to_excel_bytes({sheet: frame}),
            f"wt_{what}_xlsx",
        )


CHART_CONFIG = {"displaylogo": False}


def render_filters(ctx: Any, dims: trends.Dimensions, latest: date) -> tuple[date, int, trends.TrendFilters]:
    """Weeks, latest week, site, team, channel and touchpoint; returns (end day, weeks, filters).
    Empty multiselects mean "all the viewer may see" (the scope is applied in models/)."""
    loc = ctx.locale
    row = st.columns([1, 1.4, 1.4, 1.6, 1.4, 1.6])
    weeks = row[0].selectbox(t("weeks", loc), (4, 8, 13, 26), index=2, key="wt_weeks")
    mondays = week_options(latest)
    complete = latest.weekday() == 6  # a weekly review starts from the last complete week
    monday = row[1].selectbox(
        t("end_week", loc),
        mondays,
        index=0 if complete or len(mondays) == 1 else 1,
        key="wt_end",
        format_func=lambda d: t("week_of", loc, day=d.isoformat()),
    )
    names = {
        "sites": dict(zip(dims.sites["id"], dims.sites["name"], strict=True)),
        "teams": dict(zip(dims.teams["id"], dims.teams["name"], strict=True)),
        "channels": {c: c for c in sorted(set(dims.queues["channel"]))},
        "touchpoints": dict(zip(dims.touchpoints["id"], dims.touchpoints["name"], strict=True)),
    }
    chosen = {}
    for cell, (name, options) in zip(row[2:], names.items(), strict=True):
        chosen[name] = cell.multiselect(
            t(name, loc), list(options), key=f"wt_{name}", format_func=options.get, placeholder=t("all", loc)
        )
    end = min(monday + timedelta(days=6), latest)
    filters = trends.TrendFilters(
        site_ids=tuple(sorted(chosen["sites"])),
        team_ids=tuple(sorted(chosen["teams"])),
        channels=tuple(sorted(chosen["channels"])),
        touchpoint_ids=tuple(sorted(chosen["touchpoints"])),
    )
    return end, int(weeks), filters


def render_overview(
    ctx: Any, end: date, weeks: int, filters: trends.TrendFilters, dims: trends.Dimensions
) -> None:
    """The scorecard (performance and customer side by side) and the two trend pairs."""
    loc, min_n = ctx.locale, ctx.settings.min_sample
    card = load_scorecard(ctx.settings, ctx.viewer, end, weeks, filters, ctx.version)
    st.subheader(t("scorecard", loc))
    notes = [t("sl_formula", loc, name=trends.queue_formula(dims, filters, ctx.settings))]
    if end < week_start(end) + timedelta(days=6):
        notes.append(t("partial_week", loc, day=end.isoformat()))
    if filters.splits_queues_only:
        notes.append(t("agent_all_channels", loc))
    st.caption(" · ".join(notes))
    for column, group in zip(st.columns(2, gap="medium"), ("performance", "customer"), strict=True):
        with column:
            st.markdown(f"**{t(group, loc)}**")
            shown = builders.scorecard_table(card, group=group, locale=loc, min_sample=min_n)
            st.dataframe(
                shown,
                hide_index=True,
                key=f"wt_scorecard_{group}",
                column_config={
                    t("col_trend", loc): st.column_config.LineChartColumn(t("col_trend", loc), width="small")
                },
            )
    table_downloads(
        ctx, builders.scorecard_export(card, locale=loc, min_sample=min_n), "scorecard", t("scorecard", loc)
    )
    st.subheader(t("trends", loc))
    left, right, _ = st.columns([1, 1, 3])
    by = left.segmented_control(
        t("trend_by", loc),
        ("team", "channel"),
        default="team",
        key="wt_by",
        format_func=lambda v: t(f"by_{v}", loc),
    )
    grain = right.segmented_control(
        t("grain", loc),
        ("week", "day"),
        default="week",
        key="wt_grain",
        format_func=lambda v: t(f"grain_{v}", loc),
    )
    figures = load_trend_figures(
        ctx.settings, ctx.viewer, end, weeks, filters, by or "team", grain or "week", loc, ctx.version
    )
    if figures is None:
        st.info(t("no_trend", loc))
        return
    st.plotly_chart(figures[0], key="wt_chart_sl_ces", config=CHART_CONFIG)
    st.plotly_chart(figures[1], key="wt_chart_aht_csat", config=CHART_CONFIG)


def render_effort(
    ctx: Any, end: date, weeks: int, filters: trends.TrendFilters, dims: trends.Dimensions
) -> None:
    """Effort drivers: the chart of differences with CIs, then the table (as exported)."""
    loc = ctx.locale
    drivers, answers = load_effort_drivers(ctx.settings, ctx.viewer, end, weeks, filters, ctx.version)
    st.caption(t("effort_intro", loc) + " " + t("effort_answers", loc, n=builders.fmt("count", answers, loc)))
    if drivers.empty:
        st.info(t("no_answers", loc))
        return
    shown = builders.effort_table(drivers, dims, locale=loc, min_sample=ctx.settings.min_sample)
    labels = shown[t("col_factor", loc)].tolist()
    st.plotly_chart(
        builders.effort_figure(drivers, labels=labels, locale=loc), key="wt_chart_effort", config=CHART_CONFIG
    )
    st.dataframe(shown, hide_index=True, key="wt_effort_table")
    table_downloads(ctx, shown, "effort_drivers", t("section_effort", loc))


def render_touchpoints(
    ctx: Any, end: date, weeks: int, filters: trends.TrendFilters, dims: trends.Dimensions
) -> None:
    """The touchpoint map (owners editable by directors), then the Sankey of customers' moves."""
    loc = ctx.locale
    st.subheader(t("touchpoint_map", loc))
    if ctx.viewer is not None and ctx.viewer.role in touchpoints.OWNER_EDITORS and len(dims.touchpoints):
        render_owner_form(ctx, dims)  # before the map, so a saved owner shows in this very run
    tmap = load_touchpoint_map(ctx.settings, ctx.viewer, end, weeks, filters, ctx.version)
    shown = builders.touchpoint_table(tmap, locale=loc)
    st.dataframe(shown, hide_index=True, key="wt_touchpoint_table")
    table_downloads(ctx, shown, "touchpoints", t("section_touchpoints", loc))
    nodes = st.segmented_control(
        t("nodes", loc), ("touchpoint", "channel", "both"), default="touchpoint", key="wt_nodes",
        format_func=lambda v: t(f"node_{v}", loc),
    )  # fmt: skip
    start, last = week_window(end, weeks)
    moves = load_raw("moves", ctx.settings, ctx.viewer, start, last, ctx.version)
    links = touchpoints.sankey_links(moves, dims, filters=filters, node=nodes or "touchpoint")
    if links.empty:
        st.info(t("no_moves", loc))
        return
    figure = builders.sankey_figure(links, locale=loc, days=ctx.settings.repeat_window_days)
    st.plotly_chart(figure, key="wt_chart_sankey", config=CHART_CONFIG)


def render_owner_form(ctx: Any, dims: trends.Dimensions) -> None:
    """Directors give each touchpoint an owner (validated and audited in models/)."""
    loc = ctx.locale
    names = dict(zip(dims.touchpoints["id"], dims.touchpoints["name"], strict=True))
    owners = dict(zip(dims.touchpoints["id"], dims.touchpoints["owner"], strict=True))
    with st.expander(t("edit_owner", loc)), st.form("wt_owner_form", clear_on_submit=False):
        chosen = st.selectbox(t("col_touchpoint", loc), list(names), format_func=names.get, key="wt_owner_tp")
        text = st.text_input(
            t("owner", loc),
            value=owners.get(chosen) or "",
            max_chars=touchpoints.OWNER_MAX,
            key="wt_owner_text",
        )
        if st.form_submit_button(t("save", loc), key="wt_owner_save"):
            message = save_owner(ctx.settings, ctx.viewer, int(chosen), text)
            (st.success if message in ("owner_saved", "owner_unchanged") else st.error)(t(message, loc))


def render_staffing(
    ctx: Any, end: date, weeks: int, filters: trends.TrendFilters, dims: trends.Dimensions
) -> None:
    """One day's intervals: Erlang C and Erlang A requirement vs. agents logged in, with the SL."""
    loc = ctx.locale
    days = [end - timedelta(days=i) for i in range((end - week_start(end)).days + 1)]
    weekday = next((i for i, d in enumerate(days) if d.weekday() < 5), 0)  # the latest working day
    day = st.selectbox(
        t("staffing_day", loc), days, index=weekday, key="wt_day", format_func=lambda d: d.isoformat()
    )
    st.caption(
        t("staffing_intro", loc)
        + (" " + t("staffing_all_channels", loc) if filters.splits_queues_only else "")
    )
    plan = load_staffing(ctx.settings, ctx.viewer, day, end, weeks, filters, ctx.version)
    if plan.empty:
        st.info(t("no_intervals", loc))
        return
    summary = staffing_plan.staffing_summary(plan, settings=ctx.settings)
    st.markdown(
        t("staffing_summary", loc, **{k.removesuffix("_hours"): f"{v:g}" for k, v in summary.items()})
    )
    patience = plan.attrs.get("patience", {})
    values = ", ".join(
        f"{c} {builders.fmt('seconds', p, loc)}" if p else f"{c}: {t('no_patience', loc)}"
        for c, p in sorted(patience.items())
    )
    st.caption(t("patience", loc, values=values or "—"))
    if plan.attrs.get("deferred"):
        st.caption(t("deferred", loc, channels=", ".join(plan.attrs["deferred"])))
    teams_only = trends.TrendFilters(site_ids=filters.site_ids, team_ids=filters.team_ids)
    live = staffing_plan.live_queues(trends.filtered_queues(dims, teams_only), ctx.settings)
    target = trends.sl_target_of(live, ctx.settings)
    st.plotly_chart(
        builders.staffing_figure(plan, locale=loc, sl_target=target),
        key="wt_chart_staffing",
        config=CHART_CONFIG,
    )
    shown = builders.staffing_table(plan, locale=loc)
    st.dataframe(shown, hide_index=True, key="wt_staffing_table")
    table_downloads(ctx, shown, f"staffing_{day.isoformat()}", t("section_staffing", loc))


def report_sections(
    ctx: Any, end: date, weeks: int, filters: trends.TrendFilters, dims: trends.Dimensions
) -> list:
    """The weekly report's sections: the same tables the page shows, with sparklines."""
    loc, min_n = ctx.locale, ctx.settings.min_sample
    card = load_scorecard(ctx.settings, ctx.viewer, end, weeks, filters, ctx.version)
    sections = []
    for group in ("performance", "customer"):
        shown = builders.scorecard_table(card, group=group, locale=loc, min_sample=min_n)
        series = shown.pop(t("col_trend", loc)).tolist()
        heading = f"{t('scorecard', loc)}: {t(group, loc)}"
        sections.append(
            export.ReportSection(heading, shown, series=series, series_heading=t("col_trend", loc))
        )
    drivers, answers = load_effort_drivers(ctx.settings, ctx.viewer, end, weeks, filters, ctx.version)
    effort_note = (
        t("effort_intro", loc) + " " + t("effort_answers", loc, n=builders.fmt("count", answers, loc))
    )
    shown = builders.effort_table(drivers, dims, locale=loc, min_sample=min_n)
    sections.append(export.ReportSection(t("section_effort", loc), shown, note=effort_note))
    tmap = load_touchpoint_map(ctx.settings, ctx.viewer, end, weeks, filters, ctx.version)
    sections.append(
        export.ReportSection(t("touchpoint_map", loc), builders.touchpoint_table(tmap, locale=loc))
    )
    return sections


def render_report(
    ctx: Any, end: date, weeks: int, filters: trends.TrendFilters, dims: trends.Dimensions
) -> None:
    """The printable weekly report (HTML, prints to PDF) and every table in one Excel workbook."""
    loc = ctx.locale
    st.subheader(t("report", loc))
    st.caption(t("report_help", loc))
    sections = report_sections(ctx, end, weeks, filters, dims)
    scope = ", ".join(str(v) for v in dims.teams.loc[dims.teams["id"].isin(filters.team_ids), "name"]) or t(
        "scope_all", loc
    )
    subtitle = t(
        "report_subtitle",
        loc,
        weeks=weeks,
        day=week_start(end).isoformat(),
        scope=scope,
        now=generated_at(ctx.settings),
    )
    title = f"Mirador · {t('report', loc)}"
    left, right, _ = st.columns([2, 2, 4])

    def report() -> bytes:
        return export.weekly_report_html(
            title=title, subtitle=subtitle, sections=sections, language=loc
        ).encode()

    with left:
        download(ctx, t("download_report", loc), "weekly_report", "html", report, "wt_report_html")
    card = load_scorecard(ctx.settings, ctx.viewer, end, weeks, filters, ctx.version)
    sheets = {
        t("scorecard", loc): builders.scorecard_export(card, locale=loc, min_sample=ctx.settings.min_sample)
    }
    sheets.update({s.heading: s.frame for s in sections[2:]})
    with right:
        download(
            ctx,
            t("download_workbook", loc),
            "weekly_tables",
            "xlsx",
            lambda: export.to_excel_bytes(sheets),
            "wt_report_xlsx",
        )
    for section in sections:
        st.markdown(f"**{section.heading}**")
        st.dataframe(section.frame, hide_index=True, key=f"wt_report_{sections.index(section)}")


SECTIONS = {
    "overview": render_overview,
    "effort": render_effort,
    "touchpoints": render_touchpoints,
    "staffing": render_staffing,
    "report": render_report,
}
