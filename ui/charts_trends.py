"""Figure and table builders of the weekly trends page: a frame in, a go.Figure or the table as
shown out (pure, no Streamlit; the exports reuse the very same tables).

Undefined values stay gaps (None), every hover names its sample size, and colour never carries a
meaning alone (under- and over-staffed intervals also get a marker symbol and a text label).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from models import effort, trends
from models.kpis import KPIS, format_value
from ui.i18n_trends import has, t

PALETTE = qualitative.Safe  # colour-blind-safe qualitative palette
SIGNIFICANT_COLOR = "#1f4e79"
NOT_SIGNIFICANT_COLOR = "#9aa5b1"
UNDER_COLOR = "#c0392b"
OVER_COLOR = "#e69f00"
STAFFED_COLOR = "#8fb3d9"
TICK_FORMAT = {"ratio": ".0%", "seconds": ",.0f", "score": ".1f", "nps": ",.0f", "count": ",.0f"}
HOVER_FORMAT = {"ratio": ".1%", "seconds": ",.0f", "score": ".2f", "nps": ",.0f", "count": ",.0f"}


def _gaps(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in values.tolist()]


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        height=height,
        plot_bgcolor="white",
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
    )
    return fig


def _panel_title(text: str, x: float) -> dict[str, object]:
    return {"text": text, "x": x, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": "center",
            "yanchor": "bottom", "showarrow": False, "font": {"size": 14}}  # fmt: skip


def trend_pair_figure(
    frame: pd.DataFrame,
    *,
    left: tuple[str, str],
    right: tuple[str, str],
    locale: str,
    left_target: float | None = None,
) -> go.Figure:
    """Two KPIs side by side (e.g. SL vs. CES), one line per team or channel in the same colour on
    both panels; `left`/`right` are (kpi column, sample column) and the hover shows the sample.
    The two panels are plain axis domains (make_subplots costs ~0.1 s per figure)."""
    names = (KPIS[left[0]].label(locale), KPIS[right[0]].label(locale))
    groups = list(dict.fromkeys(frame["group"].tolist())) if len(frame) else []
    traces = []
    for position, group in enumerate(groups):
        part = frame[frame["group"] == group]
        color = PALETTE[position % len(PALETTE)]
        for panel, (kpi, sample) in enumerate((left, right)):
            hover = t("hover_n", locale, n="%{customdata}")
            traces.append(
                {
                    "type": "scatter",
                    "x": part["period"].tolist(),
                    "y": _gaps(part[kpi]),
                    "customdata": part[sample].fillna(0).astype(int).tolist(),
                    "name": str(group),
                    "legendgroup": str(group),
                    "showlegend": panel == 0,
                    "mode": "lines+markers",
                    "line": {"color": color, "width": 2},
                    "connectgaps": False,
                    "xaxis": "x" if panel == 0 else "x2",
                    "yaxis": "y" if panel == 0 else "y2",
                    "hovertemplate": f"%{{y:{HOVER_FORMAT[KPIS[kpi].unit]}}} ({hover})<extra>{group}</extra>",
                }
            )
    right_axis: dict[str, object] = {
        "anchor": "x2",
        "tickformat": TICK_FORMAT[KPIS[right[0]].unit],
        "gridcolor": "#eee",
    }
    if KPIS[right[0]].unit == "score":
        right_axis["range"] = [1, 7]
    layout: dict[str, object] = {
        "xaxis": {"domain": [0, 0.46], "anchor": "y"},
        "xaxis2": {"domain": [0.54, 1], "anchor": "y2"},
        "yaxis": {"anchor": "x", "tickformat": TICK_FORMAT[KPIS[left[0]].unit], "gridcolor": "#eee"},
        "yaxis2": right_axis,
        "annotations": [_panel_title(names[0], 0.23), _panel_title(names[1], 0.77)],
    }
    if left_target is not None and groups:
        layout["shapes"] = [
            {"type": "line", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": left_target,
             "y1": left_target, "line": {"dash": "dash", "color": UNDER_COLOR, "width": 1}},
        ]  # fmt: skip
    fig = go.Figure({"data": traces, "layout": layout})
    return _layout(fig, t("vs", locale, left=names[0], right=names[1]))


def _ci_trace(
    shown: pd.DataFrame, value: str, low: str, high: str, labels: list[str], **style: object
) -> go.Scatter:
    centre = shown[value].astype(float)
    return go.Scatter(
        x=_gaps(centre),
        y=labels,
        mode="markers",
        error_x={
            "type": "data",
            "symmetric": False,
            "array": _gaps(shown[high].astype(float) - centre),
            "arrayminus": _gaps(centre - shown[low].astype(float)),
            "color": style.pop("bar_color", "#555"),
            "thickness": style.pop("bar_width", 1.5),
        },
        customdata=shown["n_with"].astype(int).tolist(),
        **style,
    )


def effort_figure(drivers: pd.DataFrame, *, labels: list[str], locale: str) -> go.Figure:
    """Per factor, in the table's order (largest effort cost on top): the difference in mean CES
    adjusted for the other factors (diamonds, dark where its 95 % CI excludes 0) and the raw
    difference (hollow circles), each with its CI as error bars."""
    shown = drivers.reset_index(drop=True)
    hover = f"%{{x:+.2f}} ({t('hover_n', locale, n='%{customdata}')})<extra>%{{fullData.name}}</extra>"
    raw = _ci_trace(
        shown, "difference", "ci_low", "ci_high", labels, name=t("raw_difference", locale),
        marker={"color": "white", "size": 8, "line": {"color": NOT_SIGNIFICANT_COLOR, "width": 2}},
        bar_color=NOT_SIGNIFICANT_COLOR, bar_width=1, hovertemplate=hover,
    )  # fmt: skip
    colors = [SIGNIFICANT_COLOR if s else NOT_SIGNIFICANT_COLOR for s in shown["significant"]]
    adjusted = _ci_trace(
        shown, "adjusted", "adjusted_low", "adjusted_high", labels, name=t("adjusted_difference", locale),
        marker={"color": colors, "size": 11, "symbol": "diamond"}, hovertemplate=hover,
    )  # fmt: skip
    fig = go.Figure([raw, adjusted])
    fig.add_vline(x=0, line={"color": "#333", "width": 1})
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(zeroline=False, gridcolor="#eee", tickformat="+.1f")
    return _layout(fig, t("effort_chart", locale), height=max(340, 30 * len(shown) + 140))


def sankey_figure(links: pd.DataFrame, *, locale: str, days: float) -> go.Figure:
    """Customers' moves from one contact to their next: first contact on the left, next on the
    right (the same touchpoint may appear on both sides), link width = customers' moves."""
    sources = list(dict.fromkeys(links["source"].tolist()))
    targets = list(dict.fromkeys(links["target"].tolist()))
    labels = sources + targets
    index_s = {name: i for i, name in enumerate(sources)}
    index_t = {name: len(sources) + i for i, name in enumerate(targets)}
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(dict.fromkeys(labels))}
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": labels,
                "color": [colors[name] for name in labels],
                "pad": 14,
                "thickness": 14,
                "x": [0.01] * len(sources) + [0.99] * len(targets),
            },
            link={
                "source": [index_s[s] for s in links["source"]],
                "target": [index_t[s] for s in links["target"]],
                "value": links["moves"].astype(int).tolist(),
                "hovertemplate": "%{source.label} → %{target.label}: %{value}<extra></extra>",
            },
        )
    )
    return _layout(fig, t("moves", locale, days=f"{days:g}"), height=max(380, 26 * len(labels)))


def staffing_figure(plan: pd.DataFrame, *, locale: str, sl_target: float | None = None) -> go.Figure:
    """Agents logged in (bars) against agents required by Erlang C and Erlang A (lines), with the
    service level that resulted on a second axis; under- and over-staffed intervals marked."""
    x = plan["interval"].tolist()
    traces: list[dict[str, object]] = [
        {"type": "bar", "x": x, "y": plan["staffed"].round(1).tolist(), "name": t("staffed", locale),
         "marker": {"color": STAFFED_COLOR}},
        {"type": "scatter", "x": x, "y": plan["required_erlang_c"].tolist(), "name": t("required_c", locale),
         "mode": "lines", "line": {"shape": "hv", "width": 2, "color": "#1f4e79"}},
        {"type": "scatter", "x": x, "y": plan["required_erlang_a"].tolist(), "name": t("required_a", locale),
         "mode": "lines", "line": {"shape": "hv", "width": 2, "dash": "dot", "color": "#7d3c98"}},
    ]  # fmt: skip
    for status, color, symbol in (
        ("under", UNDER_COLOR, "triangle-down"),
        ("over", OVER_COLOR, "triangle-up"),
    ):
        marked = plan[plan["status"] == status]
        traces.append(
            {"type": "scatter", "x": marked["interval"].tolist(), "y": marked["staffed"].tolist(),
             "name": t(f"status_{status}", locale), "mode": "markers",
             "marker": {"color": color, "symbol": symbol, "size": 10}}
        )  # fmt: skip
    traces.append(
        {"type": "scatter", "x": x, "y": _gaps(plan["service_level"]), "yaxis": "y2",
         "name": KPIS["service_level"].label(locale), "mode": "lines", "line": {"color": "#555", "width": 1},
         "connectgaps": False, "hovertemplate": "%{y:.1%}<extra></extra>"}
    )  # fmt: skip
    layout: dict[str, object] = {
        "yaxis": {"title": {"text": t("agents", locale)}, "rangemode": "tozero", "gridcolor": "#eee"},
        "yaxis2": {"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1.05],
                   "tickvals": [0, 0.2, 0.4, 0.6, 0.8, 1.0], "showgrid": False},
        "xaxis": {"tickformat": "%H:%M"},
        "hovermode": "x unified",
        "bargap": 0.1,
    }  # fmt: skip
    if sl_target is not None:
        layout["shapes"] = [
            {"type": "line", "xref": "x domain", "yref": "y2", "x0": 0, "x1": 1, "y0": sl_target,
             "y1": sl_target, "line": {"dash": "dash", "color": UNDER_COLOR, "width": 1}}
        ]  # fmt: skip
    return _layout(go.Figure({"data": traces, "layout": layout}), t("section_staffing", locale), height=420)


# --- Tables as shown (and exported) ----------------------------------------------------------------------

FORMAT_KEY = {"ratio": "service_level", "count": "offered", "score": "ces", "seconds": "aht", "nps": "nps"}


def fmt(kind: str, value: Any, locale: str) -> str:
    """A number formatted like a KPI of that unit ("87.5 %", "1.234", "5.3", "3:05")."""
    return format_value(FORMAT_KEY[kind], value, locale)


def shown_value(kpi: str, value: Any, locale: str) -> str:
    """A KPI value as the tables show it: kpis.format_value, except that a sign never leads the
    cell (spreadsheets take a leading + or - for a formula, so the export would differ from the
    screen): "−15" with a true minus sign (U+2212), "+23" as "23"."""
    text = format_value(kpi, value, locale)
    if text.startswith("-"):
        return "\u2212" + text[1:]
    return text[1:] if text.startswith("+") else text


def change_text(kpi: str, change: Any, improved: bool | None, locale: str) -> str:
    """ "▲ 2.5 pp · better": the direction as an arrow (never a leading + or -, which spreadsheets
    read as formulas, so the export would have to differ from the screen), the size in the KPI's
    unit (percentage points for ratios), and whether that is good for this KPI."""
    if change is None or pd.isna(change):
        return "—"
    unit = KPIS[kpi].unit
    size = format_value(kpi, abs(float(change)), locale).lstrip("+")
    size = size.removesuffix(" %") + " pp" if unit == "ratio" else size
    text = size if change == 0 else ("▲ " if change > 0 else "▼ ") + size
    if improved is not None:
        text += f" · {t('better' if improved else 'worse', locale)}"
    return text


def scorecard_table(card: pd.DataFrame, *, group: str, locale: str, min_sample: int) -> pd.DataFrame:
    """The scorecard rows of one group as shown: labels, formatted values, the weekly series."""
    rows = card[card["group"] == group]
    return pd.DataFrame(
        {
            t("col_kpi", locale): [KPIS[k].label(locale) for k in rows["kpi"]],
            t("col_this_week", locale): [
                shown_value(k, v, locale) for k, v in zip(rows["kpi"], rows["this_week"], strict=True)
            ],
            t("col_last_week", locale): [
                shown_value(k, v, locale) for k, v in zip(rows["kpi"], rows["last_week"], strict=True)
            ],
            t("col_change", locale): [
                change_text(k, c, i, locale)
                for k, c, i in zip(rows["kpi"], rows["change"], rows["improved"], strict=True)
            ],
            t("col_trend", locale): [[None if v is None else float(v) for v in s] for s in rows["series"]],
            t("col_target", locale): [
                shown_value(k, v, locale) for k, v in zip(rows["kpi"], rows["target"], strict=True)
            ],
            t("col_n", locale): [fmt("count", n, locale) for n in rows["n"]],
            t("col_flag", locale): [
                t("low_confidence", locale, min=min_sample) if f else "" for f in rows["low_confidence"]
            ],
        }
    )


def scorecard_export(card: pd.DataFrame, *, locale: str, min_sample: int) -> pd.DataFrame:
    """Both groups as on screen, the sparkline replaced by one column per week (formatted alike)."""
    parts = []
    for group in ("performance", "customer"):
        shown = scorecard_table(card, group=group, locale=locale, min_sample=min_sample)
        weekly = card.loc[card["group"] == group]
        shown = shown.drop(columns=[t("col_trend", locale)])
        weeks = weekly["weeks"].iloc[0] if len(weekly) else []
        for position, monday in enumerate(weeks):
            shown[monday.isoformat()] = [
                shown_value(k, s[position], locale)
                for k, s in zip(weekly["kpi"], weekly["series"], strict=True)
            ]
        shown.insert(0, t("section", locale), t(group, locale))
        parts.append(shown)
    return pd.concat(parts, ignore_index=True)


def factor_label(factor: str, level: Any, dims: trends.Dimensions, locale: str) -> str:
    if factor == "tenure_band":
        return t("factor_tenure_band", locale, level=t(f"tenure_{level}", locale))
    if factor == "touchpoint":
        names = dict(zip(dims.touchpoints["key"], dims.touchpoints["name"], strict=True))
        return t("factor_touchpoint", locale, level=names.get(level, level))
    if factor == "after_hours":
        return t("factor_after_hours", locale, start=effort.BUSINESS_HOURS[0], end=effort.BUSINESS_HOURS[1])
    return t(f"factor_{factor}", locale)


def signed(value: Any, locale: str, places: int = 2) -> str:
    """ "−0.52" / "0,31": a difference with a true minus sign (U+2212) and no plus, so no cell starts
    with a character spreadsheets take for a formula; the locale's decimal mark."""
    if value is None or pd.isna(value):
        return "—"
    text = f"{abs(float(value)):.{places}f}"
    text = text.replace(".", ",") if locale == "es" else text
    return ("\u2212" + text) if value < 0 and float(text.replace(",", ".")) != 0 else text


def _interval(low: Any, high: Any, locale: str) -> str:
    return "—" if low is None or pd.isna(low) else f"[{signed(low, locale)}, {signed(high, locale)}]"


def effort_table(
    drivers: pd.DataFrame, dims: trends.Dimensions, *, locale: str, min_sample: int
) -> pd.DataFrame:
    d = drivers
    return pd.DataFrame(
        {
            t("col_factor", locale): [
                factor_label(f, lv, dims, locale) for f, lv in zip(d["factor"], d["level"], strict=True)
            ],
            t("col_touched", locale): [fmt("count", n, locale) for n in d["n_with"]],
            t("col_share", locale): [fmt("ratio", s, locale) for s in d["share"]],
            t("col_ces_with", locale): [fmt("score", v, locale) for v in d["mean_with"]],
            t("col_ces_without", locale): [fmt("score", v, locale) for v in d["mean_without"]],
            t("col_difference", locale): [signed(v, locale) for v in d["difference"]],
            t("col_ci", locale): [
                _interval(lo, hi, locale) for lo, hi in zip(d["ci_low"], d["ci_high"], strict=True)
            ],
            t("col_adjusted", locale): [signed(v, locale) for v in d["adjusted"]],
            t("col_adjusted_ci", locale): [
                _interval(lo, hi, locale)
                for lo, hi in zip(d["adjusted_low"], d["adjusted_high"], strict=True)
            ],
            t("col_cost", locale): [fmt("score", c, locale) for c in d["effort_cost"]],
            t("col_significant", locale): [t("yes" if s else "no", locale) for s in d["significant"]],
            t("col_flag", locale): [
                t("low_confidence", locale, min=min_sample) if f else "" for f in d["low_confidence"]
            ],
        }
    )


def theme_label(theme: str, locale: str) -> str:
    return t(f"theme_{theme}", locale) if has(f"theme_{theme}") else theme.replace("_", " ")


def touchpoint_table(tmap: pd.DataFrame, *, locale: str) -> pd.DataFrame:
    def channels(mix: dict[str, int]) -> str:
        total = sum(mix.values())
        return " · ".join(f"{c} {fmt('ratio', v / total, locale)}" for c, v in mix.items()) if total else "—"

    return pd.DataFrame(
        {
            t("col_touchpoint", locale): tmap["name"],
            t("col_owner", locale): [o if o else t("no_owner", locale) for o in tmap["owner"]],
            t("col_contacts", locale): [fmt("count", v, locale) for v in tmap["offered"]],
            t("col_channels", locale): [channels(m) for m in tmap["channels"]],
            t("col_ces", locale): [
                f"{fmt('score', c, locale)} (n = {fmt('count', n, locale)})"
                for c, n in zip(tmap["ces"], tmap["ces_n"], strict=True)
            ],
            t("col_repeat", locale): [fmt("ratio", r, locale) for r in tmap["repeat_rate"]],
            t("col_pains", locale): [
                " · ".join(f"{theme_label(th, locale)} ({n})" for th, n in p) or "—"
                for p in tmap["top_pains"]
            ],
        }
    )


def staffing_table(plan: pd.DataFrame, *, locale: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("col_interval", locale): [i.strftime("%H:%M") for i in plan["interval"]],
            t("col_offered", locale): [fmt("count", v, locale) for v in plan["offered"]],
            t("required_c", locale): plan["required_erlang_c"].astype(int),
            t("required_a", locale): plan["required_erlang_a"].astype(int),
            t("staffed", locale): [format_value("ces", v, locale) for v in plan["staffed"]],
            t("col_sl", locale): [fmt("ratio", v, locale) for v in plan["service_level"]],
            t("col_status", locale): [t(f"status_{s}", locale) if s else "" for s in plan["status"]],
        }
    )
