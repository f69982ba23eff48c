"""Data-health tables: st.dataframe with translated headers, local times and readable lags."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.i18n import duration_text, t

TIME_FORMAT = "YYYY-MM-DD HH:mm:ss"


def _time(label: str) -> object:
    return st.column_config.DatetimeColumn(label, format=TIME_FORMAT)


def _count(label: str) -> object:
    return st.column_config.NumberColumn(label, format="%d")


def job_table(frame: pd.DataFrame, *, locale: str) -> None:
    """Per job: runs, failures, last status, last success and how long ago that was."""
    shown = frame.assign(lag=[duration_text(v) for v in frame["success_lag_s"].tolist()])
    st.dataframe(
        shown,
        hide_index=True,
        placeholder="—",
        key="health_jobs",
        column_order=["job", "last_status", "last_success_at", "lag", "runs", "failed", "newest_event_at"],
        column_config={
            "job": t("col_job", locale),
            "last_status": t("col_last_status", locale),
            "last_success_at": _time(t("col_last_success", locale)),
            "lag": t("col_lag", locale),
            "runs": _count(t("col_runs", locale)),
            "failed": _count(t("col_failed", locale)),
            "newest_event_at": _time(t("newest_event", locale)),
        },
    )


def runs_table(frame: pd.DataFrame, *, locale: str) -> None:
    """Recent runs, newest first, with duration and row counts; the error's first line."""
    st.dataframe(
        frame,
        hide_index=True,
        placeholder="—",
        key="health_runs",
        column_order=[
            "job",
            "status",
            "started_at",
            "duration_s",
            "rows_in",
            "rows_out",
            "rows_rejected",
            "error",
        ],
        column_config={
            "job": t("col_job", locale),
            "status": t("col_status", locale),
            "started_at": _time(t("col_started", locale)),
            "duration_s": st.column_config.NumberColumn(t("col_duration", locale), format="%.1f s"),
            "rows_in": _count(t("col_rows_in", locale)),
            "rows_out": _count(t("col_rows_out", locale)),
            "rows_rejected": _count(t("col_rows_rejected", locale)),
            "error": st.column_config.TextColumn(t("col_error", locale), width="large"),
        },
    )


def quarantine_table(frame: pd.DataFrame, *, locale: str) -> None:
    """Rejected input rows by source and reason, largest first."""
    st.dataframe(
        frame,
        hide_index=True,
        placeholder="—",
        key="health_quarantine",
        column_config={
            "source": t("col_source", locale),
            "reason": t("col_reason", locale),
            "rows": _count(t("col_rows", locale)),
            "last_seen_at": _time(t("col_last_seen", locale)),
        },
    )


def checkpoint_table(frame: pd.DataFrame, *, locale: str) -> None:
    """Where each incremental source reader stopped."""
    st.dataframe(
        frame,
        hide_index=True,
        placeholder="—",
        key="health_checkpoints",
        column_config={
            "source": t("col_source", locale),
            "location": t("col_location", locale),
            "offset": _count(t("col_offset", locale)),
            "last_key": "last_key",
            "updated_at": _time(t("col_updated", locale)),
        },
    )
