"""The upload page's glue: one tab per source kind with its file picker, a progress bar while the
files load, and the result (rows loaded, duplicates skipped, rows quarantined and why).

The load itself is jobs.sources.files.ingest_upload, the very code behind `mirador ingest` and the
scheduled source jobs, so an uploaded file is deduplicated, quarantined and checkpointed exactly like
any other; tests/test_architecture.py allows this module (and only it) that one import from jobs/.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from jobs.sources.files import KINDS, ingest_upload, parse_mapping
from models.settings import Settings
from ui import data
from ui.i18n_upload import t

ACCEPTED: dict[str, list[str] | None] = {
    "asterisk": None,  # queue_log has no extension
    "connect": None,  # Firehose objects have none either
    "surveys": ["csv", "txt"],
    "contacts": ["csv", "txt"],
    "states": ["csv", "txt"],
    "schedules": ["csv", "txt"],
}
RESULT_KEY = "upload_result_{kind}"


def help_key(kind: str) -> str:
    return f"help_{kind}" if kind in ("asterisk", "connect", "surveys") else "help_csv"


def kind_tab(settings: Settings, kind: str, locale: str) -> None:
    """The picker, the Load button and the last result of one source kind."""
    st.caption(t(help_key(kind), locale))
    files = st.file_uploader(
        t("files", locale), type=ACCEPTED[kind], accept_multiple_files=True, key=f"upload_{kind}"
    )
    mapping_text = None
    if kind == "surveys":
        mapping_text = st.text_input(
            t("mapping", locale), help=t("mapping_help", locale), key="upload_mapping"
        )
    if st.button(t("load", locale), key=f"load_{kind}", type="primary"):
        if not files:
            st.warning(t("choose_files", locale))
        else:
            st.session_state[RESULT_KEY.format(kind=kind)] = run_upload(
                settings, kind, [(f.name, f.getvalue()) for f in files], mapping_text, locale
            )
    result = st.session_state.get(RESULT_KEY.format(kind=kind))
    if result is not None:
        render_result(result, locale)


def run_upload(
    settings: Settings, kind: str, uploads: list[tuple[str, bytes]], mapping_text: str | None, locale: str
) -> dict[str, Any]:
    """Load the files with a progress bar; returns the result summary (or {"error": ...})."""
    if kind not in KINDS:
        return {"error": kind}
    try:
        mapping = parse_mapping(mapping_text)
    except ValueError as exc:
        return {"error": t("bad_mapping", locale, error=exc)}
    bar = st.progress(0.0, text=t("loading", locale, name=uploads[0][0]))

    def progress(label: str, fraction: float) -> None:
        text = t("refreshing", locale) if fraction >= 0.95 else t("loading", locale, name=label)
        bar.progress(max(0.0, min(1.0, fraction)), text=text)

    _, factory = data.database(settings)
    try:
        result = ingest_upload(
            session_factory=factory,
            settings=settings,
            kind=kind,
            uploads=uploads,
            mapping=mapping,
            progress=progress,
        )
    except Exception as exc:  # noqa: BLE001 - the page must say why, never show a traceback
        return {"error": t("failed", locale, error=f"{type(exc).__name__}: {exc}")}
    finally:
        bar.empty()
    summary = result.summary()
    summary["nothing_read"] = result.nothing_read
    return summary


def render_result(result: dict[str, Any], locale: str) -> None:
    """Three numbers, then what was read but not loaded and each quarantined row with its reason."""
    if "error" in result:
        st.error(result["error"])
        return
    if result["nothing_read"]:
        st.error(t("nothing_read", locale))
    else:
        st.success(t("done", locale, files=result["files"], loaded=result["rows_loaded"]))
    loaded, duplicates, quarantined = st.columns(3)
    loaded.metric(t("rows_loaded", locale), result["rows_loaded"], border=True)
    duplicates.metric(t("duplicates", locale), result["duplicates_skipped"], border=True)
    quarantined.metric(t("quarantined", locale), result["rows_quarantined"], border=True)
    tables = ", ".join(f"{name} {rows}" for name, rows in result["loaded_by_table"].items())
    if tables:
        st.caption(t("by_table", locale, tables=tables))
    if result["skipped"]:
        st.caption(t("skipped", locale))
        st.dataframe(
            pd.DataFrame(list(result["skipped"].items()), columns=["reason", "rows"]),
            hide_index=True,
        )
    if result["quarantine_reasons"]:
        st.subheader(t("reasons", locale))
        st.dataframe(pd.DataFrame(result["quarantine_reasons"]), hide_index=True)
