"""Figure builders of the live team view: a DataFrame in, a go.Figure out. Pure (no Streamlit).

Colour-blind safe: the Okabe-Ito palette, and every series also differs by line dash, marker
symbol or bar pattern, with its name in the legend or on the bar.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.i18n_live import TEXT, t

BLUE, ORANGE, SKY, GREEN, YELLOW, NAVY, VERMILLION, PURPLE = (
    "#0072B2",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#1f4e79",
    "#D55E00",
    "#CC79A7",
)
GREY = "#999999"
STATE_STYLE = {  # colour and bar pattern per state: two cues, never colour alone
    "available": (GREEN, ""),
    "on_contact": (BLUE, "/"),
    "acw": (SKY, "\\"),
    "aux": (ORANGE, "."),
    "offline": (GREY, "-"),
}
ACTIVITY_STYLE = {"work": (GREEN, ""), "absence": (GREY, "-")}  # break, lunch, ...: (ORANGE, ".")


def _values(series: pd.Series) -> list[float | None]:
    """Undefined values stay gaps (None), never zeros."""
    return [None if pd.isna(v) else float(v) for v in series.tolist()]


def sparkline_figure(frame: pd.DataFrame, *, target: float | None, height: int = 70) -> go.Figure:
    """Service level by interval today (columns interval, service_level) against its target (dashed
    line); an interval below target gets a triangle-down marker, one on target a circle (shape,
    not colour alone). Built in one go (no add_hline): a wallboard draws one per queue."""
    for column in ("interval", "service_level"):
        if column not in frame.columns:
            raise ValueError(f"sparkline frame lacks column {column!r}")
    x = frame["interval"].tolist()
    values = _values(frame["service_level"])
    below = [v is not None and target is not None and v < target for v in values]
    traces = [
        go.Scatter(
            x=x,
            y=values,
            mode="lines+markers",
            line={"color": BLUE, "width": 2},
            marker={
                "symbol": ["triangle-down" if b else "circle" for b in below],
                "color": [VERMILLION if b else BLUE for b in below],
                "size": [8 if b else 4 for b in below],
            },
            connectgaps=False,
            hoverinfo="skip",
        )
    ]
    if target is not None and x:
        traces.append(
            go.Scatter(
                x=[x[0], x[-1]],
                y=[target, target],
                mode="lines",
                line={"color": VERMILLION, "dash": "dash", "width": 1},
                hoverinfo="skip",
            )
        )
    layout = go.Layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        showlegend=False,
        plot_bgcolor="white",
        yaxis={"range": [0, 1.05], "visible": False},
        xaxis={"visible": False},
    )
    return go.Figure(data=traces, layout=layout)


def intraday_figure(frame: pd.DataFrame, *, locale: str) -> go.Figure:
    """Offered contacts per interval (bars, left axis) against agents required by Erlang C, logged
    in and scheduled (lines, right axis): where the floor was short of what the traffic needed."""
    needed = ("interval", "offered", "required", "logged_in", "scheduled")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"intraday frame lacks column(s) {missing}")
    x = frame["interval"].tolist()
    fig = go.Figure(
        go.Bar(x=x, y=frame["offered"].tolist(), name=t("offered", locale), marker_color=SKY, yaxis="y")
    )
    for column, colour, dash, symbol in (
        ("required", VERMILLION, "dash", "diamond"),
        ("logged_in", BLUE, "solid", "circle"),
        ("scheduled", GREEN, "dot", "square"),
    ):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_values(frame[column]),
                name=t(column, locale),
                mode="lines+markers",
                line={"color": colour, "dash": dash, "width": 2, "shape": "hv"},
                marker={"symbol": symbol, "size": 5},
                yaxis="y2",
                hovertemplate="%{y:.1f}",
            )
        )
    fig.update_layout(
        title={"text": t("intraday", locale), "x": 0, "xanchor": "left"},
        height=340,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": -0.35, "x": 0},
        hovermode="x unified",
        plot_bgcolor="white",
        yaxis={"title": {"text": t("contacts", locale)}, "rangemode": "tozero"},
        yaxis2={
            "title": {"text": t("agents_axis", locale)},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "tickmode": "auto",  # its own whole-agent ticks, not the left axis' grid
            "tickformat": ".0f",
        },
    )
    fig.update_xaxes(tickformat="%H:%M", showgrid=False)
    return fig


def _label(value: str | None, locale: str, *kinds: str) -> str:
    """The translated name of a state, reason or activity (the raw value when unknown)."""
    if value is None or pd.isna(value):
        return ""
    for kind in kinds:
        if f"{kind}_{value}" in TEXT:
            return t(f"{kind}_{value}", locale)
    return str(value)


def _bars(rows: pd.DataFrame, *, row: str, styles: list[tuple[str, str]], texts: list[str]) -> go.Bar:
    durations = [(e - s).total_seconds() * 1000 for s, e in zip(rows["start"], rows["end"], strict=True)]
    return go.Bar(
        orientation="h",
        base=rows["start"].tolist(),
        x=durations,
        y=[row] * len(rows),
        marker={
            "color": [c for c, _ in styles],
            "pattern": {"shape": [p for _, p in styles], "fgcolor": "white", "size": 6},
            "line": {"color": "white", "width": 1},
        },
        text=texts,
        textposition="inside",
        insidetextanchor="middle",
        hovertext=[
            f"{s:%H:%M}–{e:%H:%M} {x}" for s, e, x in zip(rows["start"], rows["end"], texts, strict=True)
        ],
        hoverinfo="text",
        showlegend=False,
    )


def timeline_figure(timeline: dict[str, pd.DataFrame], *, agent: str, locale: str) -> go.Figure:
    """Gantt of one agent's day: scheduled activities, actual states and the out-of-adherence
    stretches on three rows (each bar labelled; states also differ by pattern)."""
    schedule, states, ooa = timeline["schedule"], timeline["states"], timeline["out_of_adherence"]
    rows = (t("row_ooa", locale), t("row_actual", locale), t("row_schedule", locale))
    fig = go.Figure()
    fig.add_trace(
        _bars(
            schedule,
            row=rows[2],
            styles=[ACTIVITY_STYLE.get(a, (ORANGE, ".")) for a in schedule["activity"]],
            texts=[_label(a, locale, "activity", "reason") for a in schedule["activity"]],
        )
    )
    state_texts = [
        _label(r, locale, "reason") if s == "aux" and r else _label(s, locale, "state")
        for s, r in zip(states["state"], states["reason"], strict=True)
    ]
    fig.add_trace(
        _bars(
            states,
            row=rows[1],
            styles=[STATE_STYLE.get(s, (GREY, "")) for s in states["state"]],
            texts=state_texts,
        )
    )
    fig.add_trace(_bars(ooa, row=rows[0], styles=[(VERMILLION, "x")] * len(ooa), texts=["⚠"] * len(ooa)))
    for start, end in zip(ooa["start"], ooa["end"], strict=True):
        fig.add_vrect(x0=start, x1=end, fillcolor=VERMILLION, opacity=0.12, line_width=0)
    fig.update_layout(
        title={"text": f"{t('timeline', locale)}: {agent}", "x": 0, "xanchor": "left"},
        barmode="overlay",
        height=240,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        plot_bgcolor="white",
        yaxis={"categoryorder": "array", "categoryarray": list(rows)},
        xaxis={"type": "date", "tickformat": "%H:%M"},
    )
    return fig
