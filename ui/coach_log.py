"""The coaching log on the coach's page: overdue commitments of the viewer's agents, a form to record a
session with commitments, the commitments (mark done; overdue flagged), what changed after each
session, and each session's notes, edit form and history.

Writes run in widget callbacks (before the script reruns), so the page then reads fresh data;
validation and the notes rule live in models.coaching. Notes and commitments are shown as text.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from models import coaching
from models.coaching import CommitmentDraft
from models.coaching_reads import WINDOW_DAYS
from models.kpis import KPIS, format_value
from ui import coach
from ui.components import delta_text
from ui.i18n_coach import t
from ui.state import PageContext

FLASH_KEY = "coach_flash"
COMMITMENT_ROWS = 3
SESSIONS_SHOWN = 10
DEFAULT_DUE_DAYS = 7
LIMITS = {"notes": coaching.NOTES_MAX, "commitment": coaching.COMMITMENT_MAX, "owner": coaching.OWNER_MAX}


def _flash(kind: str, message: str) -> None:
    st.session_state[FLASH_KEY] = (kind, message)


def _error_text(exc: Exception, locale: str) -> str:
    if isinstance(exc, coaching.NotAllowed):
        return t("notes_private", locale)
    assert isinstance(exc, coaching.CoachingError)
    field = t(f"field_{exc.field}", locale)
    return t(f"err_{exc.code}", locale, field=field, limit=LIMITS.get(exc.field, ""))


def _attempt(ctx: PageContext, success_key: str, write: Any, **kwargs: Any) -> bool:
    """Run a write; flash its success or its validation error in the viewer's language."""
    try:
        write(ctx.settings, ctx.viewer, **kwargs)
    except (coaching.CoachingError, coaching.NotAllowed) as exc:
        _flash("error", _error_text(exc, ctx.locale))
        return False
    _flash("success", t(success_key, ctx.locale))
    return True


def overdue_banner(ctx: PageContext) -> None:
    """Commitments past due across the viewer's agents (coach: theirs; supervisor: their teams')."""
    overdue = coach.load_overdue(ctx.settings, ctx.viewer)
    if overdue is None or overdue.empty:
        return
    locale = ctx.locale
    st.warning(t("overdue_banner", locale, n=len(overdue)), icon=":material/schedule:")
    with st.expander(t("overdue_list", locale)):
        st.dataframe(
            pd.DataFrame(
                {
                    t("col_agent", locale): overdue["agent_name"] + " · " + overdue["agent_code"],
                    t("col_commitment", locale): overdue["text"],
                    t("col_owner", locale): overdue["owner"],
                    t("col_due", locale): overdue["due_date"].astype(str),
                    t("col_days_overdue", locale): overdue["days_overdue"],
                }
            ),
            hide_index=True,
            key="coach_overdue",
        )


# --- Recording -------------------------------------------------------------------------------------


def _save_new(ctx: PageContext, agent_id: int, default_owner: str) -> None:
    state = st.session_state
    drafts = []
    for i in range(COMMITMENT_ROWS):
        text, owner = state.get(f"coach_new_c{i}_text", ""), state.get(f"coach_new_c{i}_owner", "")
        if text or owner not in ("", default_owner):
            drafts.append(CommitmentDraft(text=text, owner=owner, due_date=state[f"coach_new_c{i}_due"]))
    fields = {
        "agent_id": agent_id,
        "session_date": state["coach_new_date"],
        "focus_kpi": state["coach_new_kpi"],
        "notes": state.get("coach_new_notes", ""),
        "commitments": drafts,
    }
    if _attempt(ctx, "saved_session", coach.save_session, **fields):
        for i in range(COMMITMENT_ROWS):
            state[f"coach_new_c{i}_text"] = ""
            state[f"coach_new_c{i}_owner"] = default_owner
        state["coach_new_notes"] = ""


def new_session_form(ctx: PageContext, agent: pd.Series) -> None:
    """Date, focus KPI, notes and up to three commitments (owner and due date each)."""
    locale, today = ctx.locale, coach.today(ctx.settings)
    with st.form("coach_new_session"):
        st.markdown(f"**{t('record_session', locale)}**")
        date_col, kpi_col = st.columns(2)
        date_col.date_input(t("session_date", locale), value=today, max_value=today, key="coach_new_date")
        kpi_col.selectbox(
            t("focus_kpi", locale),
            coaching.COACHABLE_KPIS,
            key="coach_new_kpi",
            format_func=lambda k: KPIS[k].label(locale),
        )
        st.text_area(t("notes", locale), max_chars=coaching.NOTES_MAX, key="coach_new_notes")
        for i in range(COMMITMENT_ROWS):
            text_col, owner_col, due_col = st.columns([4, 2, 2])
            text_col.text_input(
                t("commitment_n", locale, n=i + 1),
                max_chars=coaching.COMMITMENT_MAX,
                key=f"coach_new_c{i}_text",
            )
            owner_col.text_input(
                t("owner", locale),
                value=str(agent["name"]),
                max_chars=coaching.OWNER_MAX,
                key=f"coach_new_c{i}_owner",
            )
            due_col.date_input(
                t("due_date", locale),
                value=today + timedelta(days=DEFAULT_DUE_DAYS),
                min_value=today,
                key=f"coach_new_c{i}_due",
            )
        st.form_submit_button(
            t("save_session", locale),
            key="coach_new_submit",
            type="primary",
            on_click=_save_new,
            args=(ctx, int(agent["id"]), str(agent["name"])),
        )


# --- Commitments -----------------------------------------------------------------------------------


def _toggle_done(ctx: PageContext, commitment_id: int) -> None:
    done = bool(st.session_state.get(f"coach_done_{commitment_id}"))
    _attempt(
        ctx,
        "saved_done" if done else "saved_reopened",
        coach.set_done,
        commitment_id=commitment_id,
        done=done,
    )


def commitments_list(ctx: PageContext, commitments: pd.DataFrame) -> None:
    """Open commitments first; a tick marks one done (who and when are kept); overdue ones flagged."""
    locale = ctx.locale
    st.markdown(f"**{t('commitments', locale)}**")
    if commitments.empty:
        st.caption(t("no_commitments", locale))
        return
    for row in commitments.itertuples():
        tick, text, when = st.columns([1, 6, 3])
        tick.checkbox(
            t("done", locale),
            value=pd.notna(row.done_at),
            key=f"coach_done_{row.id}",
            on_change=_toggle_done,
            args=(ctx, int(row.id)),
        )
        text.text(row.text)
        when.text(f"{row.owner} · {t('due', locale)} {row.due_date.isoformat()}")
        if row.overdue:  # generated text only: safe as Markdown
            when.markdown(
                ":red[:material/schedule: " + t("overdue_by", locale, n=int(row.days_overdue)) + "]"
            )
        elif pd.notna(row.done_at):
            when.markdown(":green[✓ " + t("done_on", locale, day=row.done_at.date().isoformat()) + "]")


def _add(ctx: PageContext, default_owner: str) -> None:
    state = st.session_state
    added = _attempt(
        ctx,
        "saved_commitment",
        coach.add_commitment,
        session_id=state["coach_add_session"],
        text=state.get("coach_add_text", ""),
        owner=state.get("coach_add_owner", ""),
        due_date=state["coach_add_due"],
    )
    if added:
        state["coach_add_text"], state["coach_add_owner"] = "", default_owner


def add_commitment_form(ctx: PageContext, agent: pd.Series, sessions: pd.DataFrame) -> None:
    """A commitment agreed after the session was recorded (same validation as at creation)."""
    locale, today = ctx.locale, coach.today(ctx.settings)
    label = {
        int(r.id): f"{r.session_date.isoformat()} · {KPIS[r.focus_kpi].label(locale)}"
        for r in sessions.itertuples()
    }
    with st.form("coach_add_commitment"):
        st.markdown(f"**{t('add_commitment', locale)}**")
        session_col, text_col, owner_col, due_col = st.columns([2, 4, 2, 2])
        session_col.selectbox(
            t("col_session", locale), list(label), format_func=label.get, key="coach_add_session"
        )
        text_col.text_input(t("commitment", locale), max_chars=coaching.COMMITMENT_MAX, key="coach_add_text")
        owner_col.text_input(
            t("owner", locale), value=str(agent["name"]), max_chars=coaching.OWNER_MAX, key="coach_add_owner"
        )
        due_col.date_input(
            t("due_date", locale),
            value=today + timedelta(days=DEFAULT_DUE_DAYS),
            min_value=today,
            key="coach_add_due",
        )
        st.form_submit_button(
            t("add", locale), key="coach_add_submit", on_click=_add, args=(ctx, str(agent["name"]))
        )


# --- Sessions ---------------------------------------------------------------------------------------


def _effect_display(effect: pd.DataFrame, locale: str) -> pd.DataFrame:
    rows = []
    for row in effect.itertuples():
        kpi = row.focus_kpi
        change = delta_text(kpi, _value(row.after), _value(row.before), locale) or "—"  # "+2.2 pp", "-12 s"
        verdict = {True: "✓ " + t("improved", locale), False: "✗ " + t("worsened", locale)}.get(
            row.improved, ""
        )
        rows.append(
            {
                t("col_session", locale): row.session_date.isoformat(),
                t("col_kpi", locale): KPIS[kpi].label(locale),
                t("col_before", locale): format_value(kpi, row.before, locale),
                t("col_after", locale): format_value(kpi, row.after, locale),
                t("col_change", locale): f"{change} {verdict}".strip(),
                t("col_sample", locale): t(
                    "sample_sizes",
                    locale,
                    b=_n(row.before_n),
                    a=_n(row.after_n),
                    bd=row.before_days,
                    ad=row.after_days,
                ),
                t("col_status", locale): t("in_progress" if not row.complete else "complete", locale)
                + (" · ⚠ " + t("low_sample", locale) if row.low_confidence else ""),
            }
        )
    return pd.DataFrame(rows)


def _value(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _n(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else str(int(value))


def _edit(ctx: PageContext, session_id: int, version: Any) -> None:
    state = st.session_state
    _attempt(
        ctx,
        "saved_edit",
        coach.edit_session,
        session_id=session_id,
        expected_updated_at=version,
        session_date=state[f"coach_edit_date_{session_id}"],
        focus_kpi=state[f"coach_edit_kpi_{session_id}"],
        notes=state[f"coach_edit_notes_{session_id}"],
    )


def sessions_list(ctx: PageContext, sessions: pd.DataFrame) -> None:
    """Each session: notes (as text), who wrote and last edited it, an edit form and its history."""
    locale, today = ctx.locale, coach.today(ctx.settings)
    for row in sessions.head(SESSIONS_SHOWN).itertuples():
        with st.expander(f"{row.session_date.isoformat()} · {KPIS[row.focus_kpi].label(locale)}"):
            st.text(row.notes or "—")
            stamp = t("created", locale, who=row.created_by, at=f"{row.created_at:%Y-%m-%d %H:%M} UTC")
            if pd.notna(row.updated_at):
                stamp += " · " + t(
                    "edited", locale, who=row.updated_by, at=f"{row.updated_at:%Y-%m-%d %H:%M} UTC"
                )
            st.text(stamp)
            version = (row.updated_at if pd.notna(row.updated_at) else row.created_at).to_pydatetime()
            with st.form(f"coach_edit_{row.id}"):
                st.date_input(
                    t("session_date", locale),
                    value=row.session_date,
                    max_value=today,
                    key=f"coach_edit_date_{row.id}",
                )
                st.selectbox(
                    t("focus_kpi", locale),
                    coaching.COACHABLE_KPIS,
                    key=f"coach_edit_kpi_{row.id}",
                    index=coaching.COACHABLE_KPIS.index(row.focus_kpi),
                    format_func=lambda k: KPIS[k].label(locale),
                )
                st.text_area(
                    t("notes", locale),
                    value=row.notes,
                    max_chars=coaching.NOTES_MAX,
                    key=f"coach_edit_notes_{row.id}",
                )
                st.form_submit_button(
                    t("save_edit", locale),
                    key=f"coach_edit_submit_{row.id}",
                    on_click=_edit,
                    args=(ctx, int(row.id), version),
                )
            if st.toggle(t("show_history", locale), key=f"coach_history_{row.id}"):
                history = coach.load_history(ctx.settings, ctx.viewer, int(row.id))
                st.dataframe(
                    history[["at", "actor", "action", "detail"]], hide_index=True, key=f"coach_hist_{row.id}"
                )


def coaching_section(ctx: PageContext, agent: pd.Series, log: dict[str, pd.DataFrame] | None) -> None:
    """The agent's coaching log, or a note that it is private to the agent's coach, supervisor and
    directors (the rule is enforced in models.coaching)."""
    locale = ctx.locale
    if log is None:
        st.info(t("notes_private", locale))
        return
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(flash[1])
    new_session_form(ctx, agent)
    commitments_list(ctx, log["commitments"])
    if not log["sessions"].empty:
        add_commitment_form(ctx, agent, log["sessions"])
    st.markdown(f"**{t('effect_title', locale)}**")
    st.caption(t("effect_help", locale, days=WINDOW_DAYS))
    if log["effect"].empty:
        st.caption(t("no_sessions", locale))
    else:
        st.dataframe(_effect_display(log["effect"], locale), hide_index=True, key="coach_effect")
    sessions_list(ctx, log["sessions"])
