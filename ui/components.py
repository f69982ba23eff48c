"""Small render helpers shared by pages: the sidebar (language, freshness, who is signed in, sign
out), KPI tiles with deltas and sample sizes, and the "no data yet" hint. Numbers go through
kpis.format_value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from models.access import Viewer
from models.kpis import KPIS, format_value
from models.settings import Settings
from ui import auth, data
from ui.i18n import LOCALES, duration_text, plain, t
from ui.state import LOCALE_KEY, PageContext

LANGUAGE_NAMES = {"en": "English", "es": "Español"}
STALE_FACTOR = 2  # stale once the last refresh is older than this many refresh periods
COUNT_KEY = "csat_n"  # any registry KPI with unit "count": formats a plain count the locale's way


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def age_seconds(moment: datetime | None, now: datetime) -> float | None:
    """Seconds from `moment` to `now` (None when it never happened)."""
    return None if moment is None else (now - moment).total_seconds()


def is_stale(age_s: float | None, refresh_seconds: int) -> bool:
    """Stale: no refresh at all, or the last one older than two refresh periods."""
    return age_s is None or age_s > STALE_FACTOR * refresh_seconds


def delta_text(key: str, current: Any, previous: Any, locale: str) -> str | None:
    """Day-over-day change as shown beside a tile: "+2.5 pp" for ratios, "-12 s", "+3" (None when
    either day is undefined, so no arrow pretends to know). Display arithmetic only: both values
    already come from models.metrics."""
    if _missing(current) or _missing(previous):
        return None
    change = float(current) - float(previous)
    size = format_value(key, abs(change), locale).lstrip("+")
    if size == format_value(key, 0.0, locale):
        return "±" + _with_unit(key, size)  # no visible change at the shown precision
    return ("-" if change < 0 else "+") + _with_unit(key, size)


def _with_unit(key: str, size: str) -> str:
    unit = KPIS[key].unit if key in KPIS else "score"
    return f"{size.removesuffix(' %')} pp" if unit == "ratio" else size


def delta_color(key: str, delta: str | None = None) -> str:
    """Green when the change is good: inverted where lower is better; grey where neither is, or
    when nothing visibly changed."""
    better = KPIS[key].higher_is_better if key in KPIS else None
    if better is None or (delta or "").startswith("±"):
        return "off"
    return "normal" if better else "inverse"


def kpi_tile(key: str, current: Any, previous: Any, *, locale: str, note: str | None = None) -> None:
    """One bordered st.metric: label from the registry, value via format_value, delta vs the
    previous day; `note` (target, sample size, low-confidence flag) goes underneath."""
    definition = KPIS[key]
    delta = delta_text(key, current, previous, locale)
    st.metric(
        definition.label(locale),
        format_value(key, current, locale),
        delta=delta,
        delta_color=delta_color(key, delta),  # type: ignore[arg-type]
        delta_arrow="off" if (delta or "").startswith("±") else "auto",
        border=True,
        help=f"METRICS.md: {definition.section}",
    )
    if note:
        st.caption(note)


def kpi_grid(
    keys: Sequence[str],
    current: Mapping[str, Any],
    previous: Mapping[str, Any],
    *,
    locale: str,
    notes: Mapping[str, str] | None = None,
    columns: int = 2,
) -> None:
    """KPI tiles in a grid of `columns` (placed inside one side of the page)."""
    notes = notes or {}
    cells = st.columns(columns)
    for position, key in enumerate(keys):
        with cells[position % columns]:
            kpi_tile(key, current.get(key), previous.get(key), locale=locale, note=notes.get(key))


def sample_notes(headline: Mapping[str, Any], *, locale: str, min_sample: int) -> dict[str, str]:
    """ "n = 23" under each survey-based tile, with a visible flag under `min_sample` answers."""
    notes = {}
    for key, n in headline.get("samples", {}).items():
        text = t("sample", locale, n=format_value(COUNT_KEY, n or 0, locale))
        if headline.get("low_confidence", {}).get(key):
            text += " · :orange[⚠ " + t("low_confidence", locale, min=min_sample) + "]"
        notes[key] = text
    return notes


def service_level_note(headline: Mapping[str, Any], *, locale: str) -> dict[str, str]:
    """The SL target and the SL formula in use under the SL tile (METRICS.md: name the formula)."""
    target = headline.get("sl_target")
    parts = []
    if target is not None:
        parts.append(t("target", locale, value=format_value("service_level", target, locale)))
    if headline.get("sl_formula"):
        parts.append(t("sl_formula", locale, name=headline["sl_formula"]))
    return {"service_level": " · ".join(parts)} if parts else {}


def no_data_hint(locale: str) -> None:
    """What to do on an empty database: load the demo data set."""
    st.info(t("no_data", locale), icon="ℹ️")


def _language_selector(settings: Settings, viewer: Viewer | None) -> None:
    """The language switch; a signed-in user's choice is remembered for their next visit."""
    st.sidebar.selectbox(
        t("language", auth.current_locale()),
        LOCALES,
        key=LOCALE_KEY,
        format_func=LANGUAGE_NAMES.get,
        on_change=auth.remember_locale,
        args=(settings, viewer),
    )


def freshness_badge(ctx: PageContext) -> None:
    """ "updated N min ago" in the sidebar, and a warning once data is older than 2 refresh periods."""
    fresh = data.load_freshness(ctx.settings, ctx.version)
    age = age_seconds(fresh.get("last_refresh_at"), datetime.now(UTC))
    if age is None:
        st.sidebar.badge(t("never_updated", ctx.locale), color="gray")
    else:
        text = t("updated_ago", ctx.locale, age=duration_text(age))
        st.sidebar.badge(text, color="orange" if is_stale(age, ctx.settings.refresh_seconds) else "green")
    if age is not None and is_stale(age, ctx.settings.refresh_seconds):
        period = duration_text(ctx.settings.refresh_seconds)
        st.sidebar.warning(t("stale_warning", ctx.locale, age=duration_text(age), period=period))


def demo_badge(settings: Settings, locale: str) -> None:
    """Demo mode is never silent: a badge on every screen while it is on."""
    if settings.demo_mode:
        st.sidebar.badge(t("demo_mode", locale), color="violet", help=t("demo_mode_help", locale))


def viewer_box(ctx: PageContext) -> None:
    """Who the page reads data for, and the sign-out button."""
    demo_badge(ctx.settings, ctx.locale)
    if ctx.viewer is None:
        return
    role = t(f"role_{ctx.viewer.role}", ctx.locale)
    st.sidebar.caption(t("signed_in_as", ctx.locale, name=plain(ctx.viewer.name), role=role))
    st.sidebar.button(
        t("signout", ctx.locale),
        key="signout",
        icon=":material/logout:",
        on_click=auth.sign_out,
        args=(ctx.settings, ctx.viewer),
    )


def sidebar(ctx: PageContext) -> None:
    """The shared sidebar under the page list: language, data freshness, viewer, sign-out."""
    _language_selector(ctx.settings, ctx.viewer)
    freshness_badge(ctx)
    viewer_box(ctx)


def signed_out_sidebar(settings: Settings) -> None:
    """Before signing in: only the language switch (and the demo badge), no data at all."""
    _language_selector(settings, None)
    demo_badge(settings, auth.current_locale())
