"""Figures of the coach's page: a frame in, a go.Figure out (pure, no Streamlit, unit-tested).

Strengths and gaps vs peers (percentile bars), a KPI's weekly trend with the team median and the
coaching sessions marked, and the comment themes as pains vs gains.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from models.kpis import KPIS
from ui.i18n_coach import t

STRENGTH_COLOR = "#2e8b57"
GAP_COLOR = "#d68910"
AGENT_COLOR = "#1f4e79"
TEAM_COLOR = "#8fa3b8"
SESSION_COLOR = "#7d3c98"
PAIN_COLOR = "#c0392b"
GAIN_COLOR = "#2e8b57"
TICK_FORMAT = {"ratio": ".0%", "seconds": ",.0f", "nps": "+,.0f", "score": ".1f", "count": ",.0f"}


def _figure(data: list[dict], title: str, height: int = 360, **layout: object) -> go.Figure:
    """One constructor call with plain dicts: plotly validates once (update_* and add_vline calls
    each validate again, which made a figure cost several milliseconds)."""
    base = {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        "height": height,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": -0.3, "x": 0},
        "plot_bgcolor": "white",
    }
    return go.Figure(data=data, layout={**base, **layout})


def _vline(x: object, *, dash: str, width: float, color: str) -> dict:
    return {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
            "line": {"color": color, "dash": dash, "width": width}}  # fmt: skip


def strengths_figure(scorecard: pd.DataFrame, *, locale: str) -> go.Figure:
    """Horizontal bars: "better than x % of peers" for each KPI with a good direction; 50 = the middle
    of the peer group. KPIs without a value or without peers are left out, never drawn as 0."""
    rows = scorecard[scorecard["better_than"].notna()]
    labels = [KPIS[k].label(locale) for k in rows["kpi"]]
    values = [float(v) for v in rows["better_than"]]
    bar = {
        "type": "bar",
        "x": values,
        "y": labels,
        "orientation": "h",
        "marker": {"color": [STRENGTH_COLOR if v >= 50 else GAP_COLOR for v in values]},
        "customdata": [int(p) for p in rows["peers"]],
        "text": [f"{v:.0f} %" for v in values],  # 0 % (the last of the peers) stays readable
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{x:.0f} %<extra>" + t("peers_n", locale, n="%{customdata}") + "</extra>",
        "name": t("better_than_peers", locale),
    }
    return _figure(
        [bar],
        t("strengths_gaps", locale),
        height=max(240, 40 + 28 * len(labels)),
        xaxis={"range": [0, 100], "ticksuffix": " %", "title": {"text": t("better_than_peers", locale)}},
        yaxis={"autorange": "reversed"},
        shapes=[_vline(50, dash="dot", width=1, color="#555")],
    )


def _values(series: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in series.tolist()]


def trend_figure(trend: pd.DataFrame, *, kpi: str, sessions: pd.DataFrame | None, locale: str) -> go.Figure:
    """One KPI per ISO week: the agent (line) and the team median (dashed), with a vertical marker on
    each coaching session (solid when the session focused on this KPI), so change is read in context.
    Undefined weeks stay gaps."""
    rows = trend[trend["kpi"] == kpi].sort_values("week")
    weeks = [pd.Timestamp(w).isoformat() for w in rows["week"]]
    label = KPIS[kpi].label(locale)
    lines = [
        {"type": "scatter", "x": weeks, "y": _values(rows["value"]), "name": label, "mode": "lines+markers",
         "line": {"color": AGENT_COLOR, "width": 2}, "connectgaps": False},
        {"type": "scatter", "x": weeks, "y": _values(rows["team_median"]), "name": t("team_median", locale),
         "mode": "lines", "line": {"color": TEAM_COLOR, "dash": "dash", "width": 2}, "connectgaps": False},
    ]  # fmt: skip
    shapes, notes = [], []
    for item in (sessions if sessions is not None else pd.DataFrame()).itertuples():
        focused = item.focus_kpi == kpi
        day = pd.Timestamp(item.session_date).isoformat()
        shapes.append(
            _vline(day, dash="solid" if focused else "dot", width=2 if focused else 1, color=SESSION_COLOR)
        )
        notes.append(
            {"x": day, "xref": "x", "y": 1, "yref": "paper", "xanchor": "right", "yanchor": "top",
             "showarrow": False, "font": {"size": 10, "color": SESSION_COLOR},
             "text": t("session_marker", locale, kpi=KPIS[item.focus_kpi].label(locale))}
        )  # fmt: skip
    return _figure(
        lines,
        t("trend_title", locale, kpi=label),
        xaxis={"type": "date", "tickformat": "%d %b", "showgrid": False},
        yaxis={"tickformat": TICK_FORMAT.get(KPIS[kpi].unit, ""), "rangemode": "tozero"},
        hovermode="x unified",
        shapes=shapes,
        annotations=notes,
    )


def themes_figure(counts: pd.DataFrame, *, labels: Mapping[str, str], locale: str) -> go.Figure:
    """Comments per theme as a diverging bar: pains to the left, gains to the right (the empathy
    map's two sides); themes nobody mentioned are left out."""
    shown = counts[counts["comments"] > 0]
    bars = []
    for kind, sign, color in (("pain", -1, PAIN_COLOR), ("gain", 1, GAIN_COLOR)):
        part = shown[shown["kind"] == kind]
        bars.append(
            {"type": "bar", "x": [sign * int(c) for c in part["comments"]],
             "y": [labels.get(th, th) for th in part["theme"]], "orientation": "h",
             "marker": {"color": color},
             "name": t(f"kind_{kind}", locale), "customdata": [int(c) for c in part["comments"]],
             "hovertemplate": "%{y}: %{customdata}<extra></extra>"}
        )  # fmt: skip
    return _figure(
        bars,
        t("themes_title", locale),
        height=max(240, 60 + 26 * len(shown)),
        barmode="relative",
        xaxis={"title": {"text": t("comments", locale)}, "zeroline": True, "zerolinecolor": "#555"},
        yaxis={"autorange": "reversed"},
    )
