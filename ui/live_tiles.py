"""The live view's queue strip: one tile per queue (a big one on the wallboard) with its breaches,
service level against target and a sparkline of the day. Colours always come with an icon or a
word, so nothing is told by colour alone."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from models import live
from models.kpis import format_value
from ui import charts_live
from ui.i18n_live import t


def _plain(text: Any) -> str:
    """Names typed by people, made inert for Markdown (never HTML: Streamlit escapes it)."""
    return "".join(f"\\{c}" if c in "\\`*_{}[]<>()#+-.!|:~$" else c for c in str(text))


def _queue_status(row: Any, locale: str) -> None:
    breaches = [k for k in live.QUEUE_FLAGS if bool(getattr(row, k))]
    if breaches:
        st.badge(" · ".join(t(f"flag_{k}", locale) for k in breaches), icon="⚠️", color="red")
    else:
        st.badge(t("ok", locale), color="green")


def _sl_delta(row: Any, locale: str) -> str | None:
    """ "-7.5 pp vs 80 %": how far SL so far is from its target (display only: both from models)."""
    if pd.isna(row.service_level) or pd.isna(row.target):
        return None
    gap = f"{100 * (float(row.service_level) - float(row.target)):+.1f}"
    return t("gap_vs", locale, gap=gap, value=format_value("service_level", row.target, locale))


def _abandon_delta(row: Any, locale: str) -> str | None:
    if pd.isna(row.abandon_rate):
        return None
    gap = f"{100 * (float(row.abandon_rate) - float(row.abandon_max)):+.1f}"
    return t("gap_vs", locale, gap=gap, value=format_value("abandon_rate", row.abandon_max, locale))


def queue_strip(snap: live.LiveSnapshot, *, locale: str, wallboard: bool) -> None:
    """One tile per queue: waiting and longest wait now, SL / abandon / ASA so far today against
    target (arrow + sign + colour), a sparkline of SL by interval, agents by state."""
    if snap.queues.empty:
        st.info(t("no_queues", locale))
        return
    spark = snap.sparklines.groupby("queue_id")["service_level"]
    with st.container(horizontal=True, gap="small"):
        for row in snap.queues.itertuples(index=False):
            with st.container(border=True, width=560 if wallboard else 340):
                line = spark.get_group(row.queue_id).tolist() if row.queue_id in spark.groups else []
                (_big_tile if wallboard else _tile)(row, [v for v in line if v == v], locale)
                st.caption(
                    t(
                        "agents_line",
                        locale,
                        available=row.agents_available,
                        on_contact=row.agents_on_contact,
                        aux=row.agents_aux,
                    )
                )


def _tile(row: Any, line: list[float], locale: str) -> None:
    st.markdown(f"**{_plain(row.queue)}** · {row.channel}")
    _queue_status(row, locale)
    cells = st.columns(2)
    cells[0].metric(
        t("waiting_now", locale),
        format_value("offered", row.waiting, locale),
        delta=t("longest_wait", locale, value=format_value("asa", row.longest_wait, locale))
        if row.waiting
        else None,
        delta_color="inverse" if row.wait_breach else "off",
        delta_arrow="up" if row.wait_breach else "off",
    )
    cells[1].metric(
        t("sl_so_far", locale),
        format_value("service_level", row.service_level, locale),
        delta=_sl_delta(row, locale),
        chart_data=line or None,  # undefined intervals are left out, never drawn as 0
    )
    cells = st.columns(2)
    cells[0].metric(
        t("abandon_so_far", locale),
        format_value("abandon_rate", row.abandon_rate, locale),
        delta=_abandon_delta(row, locale),
        delta_color="inverse",
    )
    cells[1].metric(t("asa", locale), format_value("asa", row.asa, locale))


def big_number(label: str, value: str, *, breached: bool, note: str | None = None) -> None:
    """A wallboard number, readable across a room; a breach is red AND marked ⚠ in its note."""
    st.caption(label)
    st.title(f":red[{value}]" if breached else value, anchor=False)
    if note or breached:
        st.caption(f"⚠ {note or ''}" if breached else note)


def _big_tile(row: Any, line: list[float], locale: str) -> None:
    st.header(f"{_plain(row.queue)} · {row.channel}", anchor=False)
    _queue_status(row, locale)
    cells = st.columns(3)
    with cells[0]:
        longest = t("longest_wait", locale, value=format_value("asa", row.longest_wait, locale))
        big_number(
            t("waiting_now", locale),
            format_value("offered", row.waiting, locale),
            breached=bool(row.wait_breach),
            note=longest if row.waiting else None,
        )
    with cells[1]:
        target = t("vs_target", locale, value=format_value("service_level", row.target, locale))
        big_number(
            t("sl_so_far", locale),
            format_value("service_level", row.service_level, locale),
            breached=bool(row.sl_breach),
            note=target,
        )
    with cells[2]:
        limit = t("vs_max", locale, value=format_value("abandon_rate", row.abandon_max, locale))
        big_number(
            t("abandon_so_far", locale),
            format_value("abandon_rate", row.abandon_rate, locale),
            breached=bool(row.abandon_breach),
            note=limit,
        )
    if line:
        st.plotly_chart(
            _sparkline(tuple(line), None if pd.isna(row.target) else float(row.target)),
            key=f"live_spark_{row.queue_id}",
            config={"displayModeBar": False, "staticPlot": True},
        )


@st.cache_resource(max_entries=64, show_spinner=False)
def _sparkline(values: tuple[float, ...], target: float | None) -> Any:
    """A wallboard sparkline; it only changes when the aggregates refresh, so the (read-only) figure
    is built once per distinct day so far instead of once per queue per refresh."""
    frame = pd.DataFrame({"interval": range(len(values)), "service_level": values})
    return charts_live.sparkline_figure(frame, target=target)
