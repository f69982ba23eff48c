"""Glue of the live team view: short-TTL cached loaders (keyed by filters and a refresh tick),
the filters (sidebar widgets, or the URL in wallboard mode) and one render helper per section (the
queue strip's tiles are in ui.live_tiles).

Numbers come from models.live (which uses models.metrics); here they are only formatted. Colours
always come with an icon or a word, so nothing is told by colour alone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from models import live
from models.access import Viewer
from models.kpis import KPIS, format_value
from models.settings import Settings
from ui import charts_live, data
from ui.components import is_stale
from ui.i18n import duration_text
from ui.i18n_live import t
from ui.live_tiles import big_number

LIVE_TTL_S = 5  # below the 10 s fragment period: each refresh reads the floor anew
OPTIONS_TTL_S = 30
_HASH = {Settings: lambda settings: settings.model_dump_json()}
FILTER_KEYS = {
    "site_ids": "live_sites",
    "team_ids": "live_teams",
    "channels": "live_channels",
    "queue_ids": "live_queues",
}
URL_KEYS = {"site_ids": "site", "team_ids": "team", "channels": "channel", "queue_ids": "queue"}
OPTION_OF = {"site_ids": "sites", "team_ids": "teams", "channels": "channels", "queue_ids": "queues"}
AGENT_KEY = "live_agent"
BOARD_KEY = "live_board"
CHART_CONFIG = {"displaylogo": False}
LIST_ROWS = 100


def _factory(settings: Settings):  # type: ignore[no-untyped-def]
    return data.database(settings)[1]


@st.cache_data(ttl=OPTIONS_TTL_S, max_entries=32, show_spinner=False, hash_funcs=_HASH)
def load_filter_options(settings: Settings, viewer: Viewer, version: int) -> dict[str, Any]:  # noqa: ARG001
    """Sites, teams, channels and queues the viewer may filter on, and their own teams."""
    with _factory(settings)() as session:
        return live.filter_options(session=session, viewer=viewer)


@st.cache_data(ttl=LIVE_TTL_S, max_entries=32, show_spinner=False, hash_funcs=_HASH)
def load_snapshot(
    settings: Settings,
    viewer: Viewer,
    filters: live.LiveFilters,
    period_no: int,  # noqa: ARG001
) -> live.LiveSnapshot:
    """The floor now; `period_no` (one per fragment period) makes viewers in the same period share it."""
    with _factory(settings)() as session:
        return live.live_snapshot(
            session=session, viewer=viewer, settings=settings, filters=filters, now=datetime.now(UTC)
        )


@st.cache_data(ttl=data.LOADER_TTL_S, max_entries=32, show_spinner=False, hash_funcs=_HASH)
def load_intraday(
    settings: Settings,
    viewer: Viewer,
    filters: live.LiveFilters,
    version: int,  # noqa: ARG001
) -> pd.DataFrame:
    """Offered vs. Erlang C required vs. logged in today; changes only when the refresh runs."""
    with _factory(settings)() as session:
        return live.intraday(
            session=session, viewer=viewer, settings=settings, filters=filters, now=datetime.now(UTC)
        )


@st.cache_data(ttl=LIVE_TTL_S, max_entries=32, show_spinner=False, hash_funcs=_HASH)
def load_timeline(
    settings: Settings,
    viewer: Viewer,
    agent_id: int,
    period_no: int,  # noqa: ARG001
) -> dict[str, pd.DataFrame] | None:
    """One agent's day so far (None when the viewer may not see that agent)."""
    with _factory(settings)() as session:
        return live.agent_timeline(
            session=session, viewer=viewer, settings=settings, agent_id=agent_id, now=datetime.now(UTC)
        )


@contextmanager
def timed(key: str) -> Iterator[None]:
    """Server time of a block in session state: the benchmark reads the live fragment's from it."""
    started = time.perf_counter()
    try:
        yield
    finally:
        st.session_state[key] = time.perf_counter() - started


def refresh_period(settings: Settings) -> float:
    """Seconds between fragment refreshes (setting `live_refresh_s`, default 10 s)."""
    return float(live.LiveThresholds.from_settings(settings).refresh_s)


def tick(period: float) -> int:
    return int(time.time() // period)


def wallboard_mode() -> bool:
    """?wallboard=1: the queue strip and the customer side in large type, no sidebar or board."""
    return st.query_params.get("wallboard", "") in ("1", "true", "yes")


# --- Filters ------------------------------------------------------------------------------------------


def _from_url(name: str, allowed: dict[Any, str] | list[str]) -> list[Any]:
    raw = [v for part in st.query_params.get_all(URL_KEYS[name]) for v in part.split(",") if v.strip()]
    values = [
        v.strip() if name == "channels" else int(v) for v in raw if name == "channels" or v.strip().isdigit()
    ]
    return [v for v in values if v in allowed]  # the URL may narrow the scope, never widen it


def filters(options: dict[str, Any], *, locale: str, wallboard: bool) -> live.LiveFilters:
    """Site, team, channel and queue filters (teams default to the viewer's own). Widgets keep
    their values across the fragment's refreshes; in wallboard mode the URL sets them."""
    chosen: dict[str, tuple[Any, ...]] = {}
    for name, key in FILTER_KEYS.items():
        allowed = options[OPTION_OF[name]]
        default = _from_url(name, allowed) or (options["default_team_ids"] if name == "team_ids" else [])
        if wallboard:
            chosen[name] = tuple(default)
            continue
        st.session_state.setdefault(key, default)
        st.session_state[key] = [v for v in st.session_state[key] if v in allowed]
        labels = allowed if isinstance(allowed, dict) else {v: v for v in allowed}
        picked = st.sidebar.multiselect(
            t(name.removesuffix("_ids").removesuffix("s"), locale),
            list(labels),
            key=key,
            format_func=lambda v, labels=labels: str(labels.get(v, v)),
            placeholder=t("all", locale),
        )
        chosen[name] = tuple(picked)
    return live.LiveFilters(**chosen)


def wallboard_link(chosen: live.LiveFilters, *, locale: str) -> None:
    params = [("wallboard", "1")] + [
        (URL_KEYS[name], ",".join(str(v) for v in getattr(chosen, name)))
        for name in URL_KEYS
        if getattr(chosen, name)
    ]
    st.sidebar.link_button(
        t("open_wallboard", locale), "?" + "&".join(f"{k}={v}" for k, v in params), icon="📺"
    )


# --- Formatting ---------------------------------------------------------------------------------------


def _clock(ms: Any, settings: Settings, fmt: str = "%H:%M") -> str:
    if ms is None or pd.isna(ms):
        return "—"
    return pd.Timestamp(float(ms), unit="ms", tz="UTC").tz_convert(settings.zone).strftime(fmt)


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else max(0.0, (now - moment).total_seconds())


def _state_text(state: Any, reason: Any, locale: str) -> str:
    text = t(f"state_{state}", locale) if state in charts_live.STATE_STYLE else str(state)
    if state == "aux" and isinstance(reason, str):
        text += f" · {t(f'reason_{reason}', locale) if f'reason_{reason}' in _REASONS else reason}"
    return text


_REASONS = {
    f"reason_{r}" for r in ("break", "lunch", "meeting", "coaching", "training", "technical", "other")
}


def alert_value(kind: str, value: Any, locale: str) -> str:
    """An alert's measure as shown: a duration, a count, or the breached KPI."""
    if kind == "disconnects":
        return t("times", locale, n=int(value))
    if kind == "sl_breach":
        return format_value("service_level", value, locale)
    if kind == "abandon_breach":
        return format_value("abandon_rate", value, locale)
    return format_value("aht", value, locale)  # seconds, as 0:45 / 12:05 / 1:02:05


# --- Sections -----------------------------------------------------------------------------------------


def freshness(snap: live.LiveSnapshot, settings: Settings, *, locale: str, period: float) -> None:
    """When this was read, how old the live events and today's totals are; a banner when stale
    (older than two refresh periods)."""
    now = datetime.now(UTC)
    events, totals = _age(snap.events_at, now), _age(snap.refresh_at, now)
    parts = [
        t(
            "as_of",
            locale,
            time=snap.now.astimezone(settings.zone).strftime("%H:%M:%S"),
            period=duration_text(period),
        ),
        t("events_age", locale, age=duration_text(events) if events is not None else t("never", locale)),
        t("refresh_age", locale, age=duration_text(totals) if totals is not None else t("never", locale)),
    ]
    st.caption(" · ".join(parts))
    if is_stale(events, settings.refresh_seconds) or is_stale(totals, settings.refresh_seconds):
        never = t("never", locale)
        st.warning(
            t(
                "stale",
                locale,
                events=duration_text(events) if events is not None else never,
                totals=duration_text(totals) if totals is not None else never,
                period=duration_text(settings.refresh_seconds),
            )
        )


def customer_side(snap: live.LiveSnapshot, settings: Settings, *, locale: str, wallboard: bool) -> None:
    """CSAT, CES and NPS today with their sample sizes (flagged under min_sample), repeat-contact
    rate, and the latest comments newest first with low scores marked."""
    c = snap.customer
    st.subheader(t("customer_today", locale))
    with st.container(horizontal=not wallboard, gap="small"):
        for key in ("csat", "ces", "nps", "repeat_rate"):
            note = None
            if key != "repeat_rate":
                note = t("sample", locale, n=c[f"{key}_n"])
                if c[f"{key}_low_confidence"]:
                    note += " · " + t("low_confidence", locale, min=settings.min_sample)
            label = t("repeat_rate", locale) if key == "repeat_rate" else KPIS[key].label(locale)
            if wallboard:
                big_number(label, format_value(key, c[key], locale), breached=False, note=note)
                continue
            with st.container(width=170):
                st.metric(label, format_value(key, c[key], locale), border=True)
                if note:
                    st.caption(note)
    if wallboard:
        return
    st.markdown(f"**{t('latest_comments', locale)}**")
    if snap.comments.empty:
        st.caption(t("no_comments", locale))
        return
    shown = pd.DataFrame(
        {
            "time": [_clock(v, settings) for v in snap.comments["answered_ms"]],
            "low": [t("low_score", locale) if low else "" for low in snap.comments["low"]],
            "scores": [_scores(r) for r in snap.comments.itertuples(index=False)],
            "comment": snap.comments["verbatim"].astype(str),
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        key="live_comments",
        column_config={
            "time": t("col_time", locale),
            "low": t("col_low", locale),
            "scores": t("col_score", locale),
            "comment": st.column_config.TextColumn(t("col_comment", locale), width="large"),
        },
    )


def _scores(row: Any) -> str:
    parts = [
        f"{name} {int(v)}"
        for name, v in (("CSAT", row.csat), ("CES", row.ces), ("NPS", row.nps))
        if pd.notna(v)
    ]
    return " · ".join(parts)


def alerts(snap: live.LiveSnapshot, settings: Settings, *, locale: str) -> None:
    """Every current breach, newest first, with since when and for how long."""
    st.subheader(t("alerts", locale))
    if snap.alerts.empty:
        st.success(t("no_alerts", locale))
        return
    a = snap.alerts
    now_ms = snap.now.timestamp() * 1000
    shown = pd.DataFrame(
        {
            "since": [_clock(v, settings) for v in a["since_ms"]],
            "for": [duration_text((now_ms - v) / 1000) for v in a["since_ms"]],
            "what": [t(f"flag_{k}", locale) for k in a["kind"]],
            "who": a["name"].astype(str),
            "value": [alert_value(k, v, locale) for k, v in zip(a["kind"], a["value"], strict=True)],
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        key="live_alerts",
        height=min(38 + 35 * len(shown), 320),
        column_config={name: t(f"col_{name}", locale) for name in ("since", "for", "what", "who", "value")},
    )


def _pick_from_board() -> None:
    selection = st.session_state[BOARD_KEY].selection.rows
    shown = st.session_state.get("live_board_ids", [])
    if selection and selection[0] < len(shown):
        st.session_state[AGENT_KEY] = shown[selection[0]]


def board(snap: live.LiveSnapshot, settings: Settings, *, locale: str) -> None:
    """Agents, most in need of attention first, paginated; clicking a row opens their timeline."""
    st.subheader(t("board", locale))
    agents = snap.agents
    if agents.empty:
        st.info(t("no_agents", locale))
        return
    if st.toggle(t("only_flagged", locale), key="live_only_flagged"):
        agents = agents[agents["attention"] > 0]
    size = live.LiveThresholds.from_settings(settings).board_page_size
    pages = max(1, -(-len(agents) // size))
    page = 1
    if pages > 1:
        page = int(st.number_input(t("board_page", locale), 1, pages, key="live_board_page", step=1))
    rows = agents.iloc[(page - 1) * size : page * size]
    st.caption(t("board_count", locale, shown=len(rows), total=len(agents)))
    st.session_state["live_board_ids"] = rows["agent_id"].astype(int).tolist()
    shown = pd.DataFrame(
        {
            "agent": rows["name"].astype(str),
            "flags": [" · ".join(t(f"flag_{k}", locale) for k in kinds) for kinds in rows["flags"]],
            "state": [_state_text(s, r, locale) for s, r in zip(rows["state"], rows["reason"], strict=True)],
            "in_state": [format_value("aht", v, locale) for v in rows["time_in_state"]],
            "contacts": rows["contacts_today"].astype(int),
            "aht": [format_value("aht", v, locale) for v in rows["aht_today"]],
            "adherence": [format_value("adherence", v, locale) for v in rows["adherence_today"]],
            "where": [t("remote", locale) if r else t("on_site", locale) for r in rows["is_remote"]],
            "local_time": rows["local_time"].fillna("—"),
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        key=BOARD_KEY,
        on_select=_pick_from_board,
        selection_mode="single-row",
        height=min(38 + 35 * len(shown), 560),
        column_config={
            "agent": t("col_agent", locale),
            "flags": st.column_config.TextColumn(t("col_flags", locale), width="medium"),
            "state": t("col_state", locale),
            "in_state": t("col_in_state", locale),
            "contacts": t("col_contacts", locale),
            "aht": t("col_aht", locale),
            "adherence": t("col_adherence", locale),
            "where": t("col_where", locale),
            "local_time": t("col_local_time", locale),
        },
    )


def _first_rows(rows: pd.DataFrame, locale: str) -> pd.DataFrame:
    """The first LIST_ROWS of a list to act on (the rest waits its turn), saying so when cut."""
    if len(rows) > LIST_ROWS:
        st.caption(t("list_cut", locale, shown=LIST_ROWS, total=len(rows)))
    return rows.head(LIST_ROWS)


def action_lists(snap: live.LiveSnapshot, settings: Settings, *, locale: str) -> None:
    """Callers to call back (abandoned today, not reached since) and contacts waiting longest."""
    names = snap.queues.set_index("queue_id")["queue"] if not snap.queues.empty else pd.Series(dtype=str)
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(t("callbacks", locale))
        calls = _first_rows(snap.callbacks, locale)
        if calls.empty:
            st.success(t("no_callbacks", locale))
        else:
            shown = pd.DataFrame(
                {
                    "time": [_clock(v, settings) for v in calls["offered_ms"]],
                    "queue": calls["queue_id"].map(names).fillna("—"),
                    "customer": calls["customer_key"].astype(str),
                    "wait": [format_value("asa", v, locale) for v in calls["wait_s"]],
                    "again": [
                        t("called_again", locale) if a else t("not_again", locale)
                        for a in calls["called_again"]
                    ],
                }
            )
            st.dataframe(
                shown,
                hide_index=True,
                key="live_callbacks",
                height=min(38 + 35 * len(shown), 320),
                column_config={
                    k: t(f"col_{k}", locale) for k in ("time", "queue", "customer", "wait", "again")
                },
            )
    with right:
        st.subheader(t("waiting_list", locale))
        waiting = _first_rows(snap.waiting, locale)
        if waiting.empty:
            st.success(t("no_waiting", locale))
            return
        shown = pd.DataFrame(
            {
                "time": [_clock(v, settings, "%H:%M:%S") for v in waiting["offered_ms"]],
                "queue": waiting["queue_id"].map(names).fillna("—"),
                "channel": waiting["channel"],
                "waiting": [format_value("asa", v, locale) for v in waiting["wait_s"]],
            }
        )
        st.dataframe(
            shown,
            hide_index=True,
            key="live_waiting",
            height=min(38 + 35 * len(shown), 320),
            column_config={k: t(f"col_{k}", locale) for k in ("time", "queue", "channel", "waiting")},
        )


def timeline(
    snap: live.LiveSnapshot, settings: Settings, viewer: Viewer, *, locale: str, period: float
) -> None:
    """The picked agent's day: states against schedule with out-of-adherence stretches marked."""
    st.subheader(t("timeline", locale))
    names = dict(zip(snap.agents["agent_id"].astype(int), snap.agents["name"].astype(str), strict=True))
    if st.session_state.get(AGENT_KEY) not in names:
        st.session_state[AGENT_KEY] = None
    agent = st.selectbox(
        t("timeline_pick", locale),
        sorted(names, key=names.get),
        key=AGENT_KEY,
        format_func=names.get,
        index=None,
        placeholder=t("timeline_none", locale),
    )
    if agent is None:
        return
    day = load_timeline(settings, viewer, int(agent), tick(period))
    if day is None:
        return
    fig = charts_live.timeline_figure(day, agent=names[agent], locale=locale)
    st.plotly_chart(fig, key="live_timeline", config=CHART_CONFIG)


def intraday(settings: Settings, viewer: Viewer, chosen: live.LiveFilters, *, locale: str) -> None:
    """Offered vs. required (Erlang C) vs. logged in, by interval today."""
    frame = load_intraday(settings, viewer, chosen, data.load_refresh_version(settings))
    if frame.empty:
        st.caption(t("no_intraday", locale))
        return
    st.plotly_chart(
        charts_live.intraday_figure(frame, locale=locale), key="live_intraday", config=CHART_CONFIG
    )
