"""The audit page's parts: filters, the events table (every value shown as text) and its CSV export
(formula-safe, and itself audited). Reads are not cached: an admin looks for what just happened."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from models import audit, export
from models.access import Viewer
from models.db import session_scope
from models.settings import Settings
from ui import data
from ui.i18n_admin import t

DAY_CHOICES = (1, 7, 30, 90, 365)
COLUMN_KEYS = {
    "at": "col_at",
    "actor": "col_actor",
    "action": "col_action",
    "target": "col_target",
    "detail": "col_detail",
}


def filters(settings: Settings, viewer: Viewer, locale: str) -> dict[str, object]:
    """Period (last N days), who, which actions, about what."""
    with data.database(settings)[1]() as session:
        names = audit.action_names(session=session, viewer=viewer)
    days_col, actor_col, action_col, target_col = st.columns([1, 2, 3, 2])
    days = days_col.selectbox(t("filter_days", locale), DAY_CHOICES, index=1, key="audit_days")
    actor = actor_col.text_input(t("filter_actor", locale), key="audit_actor")
    actions = action_col.multiselect(
        t("filter_actions", locale), names, key="audit_actions", placeholder=t("all_actions", locale)
    )
    target = target_col.text_input(t("filter_target", locale), key="audit_target")
    return {"days": int(days), "actor": actor, "actions": actions, "target": target}


def load_events(settings: Settings, viewer: Viewer, chosen: dict[str, object]) -> pd.DataFrame:
    start = datetime.now(UTC) - timedelta(days=int(chosen["days"]))  # type: ignore[call-overload]
    with data.database(settings)[1]() as session:
        frame = audit.events(
            session=session, viewer=viewer, start=start, actor=str(chosen["actor"] or ""),
            actions=list(chosen["actions"] or []), target=str(chosen["target"] or ""),  # type: ignore[call-overload]
        )  # fmt: skip
    frame["at"] = frame["at"].dt.tz_convert(settings.timezone)
    return frame


def events_table(frame: pd.DataFrame, locale: str) -> None:
    st.caption(t("audit_count", locale, n=len(frame), limit=audit.READ_LIMIT))
    if frame.empty:
        st.info(t("audit_empty", locale))
        return
    at_label = t("col_at", locale)
    st.dataframe(
        frame.rename(columns={c: t(k, locale) for c, k in COLUMN_KEYS.items()}),
        hide_index=True,
        key="audit_table",
        column_config={at_label: st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")},
    )


def audited_csv(settings: Settings, viewer: Viewer, frame: pd.DataFrame) -> Callable[[], bytes]:
    """Deferred download data: the formula-safe CSV, with the export itself written to the trail."""
    factory = data.database(settings)[1]
    shown = frame.assign(at=frame["at"].dt.strftime("%Y-%m-%d %H:%M:%S%z"))

    def produce() -> bytes:
        payload = export.to_csv_bytes(shown)
        with session_scope(factory) as session:
            audit.record(session=session, actor=viewer, action=audit.EXPORT, target="audit", detail="csv")
        return payload

    return produce


def download(settings: Settings, viewer: Viewer, frame: pd.DataFrame, locale: str) -> None:
    if frame.empty:
        return
    st.download_button(
        t("download_csv", locale),
        data=audited_csv(settings, viewer, frame),
        file_name="mirador-audit.csv",
        mime="text/csv",
        key="audit_download",
        on_click="ignore",
    )
