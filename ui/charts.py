"""Plotly figure builders: a DataFrame in, a go.Figure out. Pure (no Streamlit), unit-tested.

Interval frames have one row per interval: `interval` (local, tz-aware), `offered`,
`service_level` (0..1, NaN when undefined), `ces` (1..7 mean, NaN without answers), `ces_n`.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.i18n import t

INTERVAL_COLUMNS = ("interval", "offered", "service_level", "ces", "ces_n")
OFFERED_COLOR = "#8fb3d9"
SL_COLOR = "#1f4e79"
TARGET_COLOR = "#c0392b"
CES_COLOR = "#2e8b57"
CES_RANGE = (1.0, 7.0)


def _check_columns(frame: pd.DataFrame, needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"interval frame lacks column(s) {missing}")


def _base_layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=360,
        legend={"orientation": "h", "yanchor": "bottom", "y": -0.3, "x": 0},
        hovermode="x unified",
        plot_bgcolor="white",
    )
    fig.update_xaxes(tickformat="%H:%M", showgrid=False)
    return fig


def _none_for_nan(values: pd.Series) -> list[float | None]:
    """Undefined ratios stay gaps in the line (None), never zeros."""
    return [None if pd.isna(value) else float(value) for value in values.tolist()]


def offered_sl_figure(frame: pd.DataFrame, *, sl_target: float | None, locale: str) -> go.Figure:
    """Offered contacts (bars, left axis) with service level (line, right axis, %) and its target,
    so a leader sees whether SL dipped where volume peaked."""
    _check_columns(frame, ("interval", "offered", "service_level"))
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=frame["interval"].tolist(),
            y=frame["offered"].tolist(),
            name=t("offered", locale),
            marker_color=OFFERED_COLOR,
            yaxis="y",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=frame["interval"].tolist(),
            y=_none_for_nan(frame["service_level"]),
            name=t("service_level", locale),
            mode="lines+markers",
            line={"color": SL_COLOR, "width": 2},
            connectgaps=False,
            yaxis="y2",
            hovertemplate="%{y:.1%}",
        )
    )
    if sl_target is not None and len(frame):
        fig.add_trace(
            go.Scatter(
                x=[frame["interval"].iloc[0], frame["interval"].iloc[-1]],
                y=[sl_target, sl_target],
                name=t("sl_target", locale),
                mode="lines",
                line={"color": TARGET_COLOR, "dash": "dash", "width": 1},
                yaxis="y2",
                hovertemplate="%{y:.0%}",
            )
        )
    fig.update_layout(
        yaxis={"title": {"text": t("offered", locale)}, "rangemode": "tozero"},
        yaxis2={
            "title": {"text": t("service_level", locale)},
            "overlaying": "y",
            "side": "right",
            "range": [0, 1.05],
            "tickformat": ".0%",
            "dtick": 0.2,
            "showgrid": False,
        },
    )
    return _base_layout(fig, f"{t('offered', locale)} + {t('service_level', locale)}")


def ces_figure(frame: pd.DataFrame, *, locale: str) -> go.Figure:
    """Mean customer effort (CES 2.0, 7 = very easy) per interval with its number of answers in
    the hover, so a low score on two answers is not mistaken for a trend."""
    _check_columns(frame, ("interval", "ces", "ces_n"))
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=frame["interval"].tolist(),
            y=_none_for_nan(frame["ces"]),
            customdata=frame["ces_n"].tolist(),
            name="CES",
            mode="lines+markers",
            line={"color": CES_COLOR, "width": 2},
            connectgaps=False,
            hovertemplate="%{y:.2f} (n = %{customdata})<extra>CES</extra>",
        )
    )
    fig.update_layout(
        yaxis={"title": {"text": t("ces", locale)}, "range": [CES_RANGE[0] - 0.2, CES_RANGE[1] + 0.2]},
        showlegend=False,
    )
    return _base_layout(fig, t("ces", locale))
