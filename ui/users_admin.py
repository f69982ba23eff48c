"""The users page's parts: the accounts table, the add form and the account editor (role, active,
unlock, password, team and agent assignments). Writes go through models.users (admins only,
audited); reads are not cached, so a change shows at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from models import users
from models.access import ROLES, Viewer
from models.db import session_scope
from models.settings import Settings
from ui import data
from ui.i18n import LOCALES
from ui.i18n import code as literal
from ui.i18n import t as t_app
from ui.i18n_admin import TEXT, t

FLASH_KEY = "users_flash"
ERROR_KEY = "users_error"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
TABLE_COLUMNS = {
    "email": "col_email", "name": "col_name", "role": "col_role", "active": "col_active",
    "locale": "col_locale", "has_password": "col_has_password", "failed_logins": "col_failed",
    "locked_until": "col_locked_until", "teams": "col_teams", "agents": "col_agents",
}  # fmt: skip


def _run(settings: Settings, *writes: tuple[Callable[..., Any], dict[str, Any]]) -> str | None:
    """Run admin writes in one transaction (all or none); the error code when one is refused."""
    try:
        with session_scope(data.database(settings)[1]) as session:
            for write, kwargs in writes:
                write(session=session, **kwargs)
    except users.UserError as exc:
        return exc.code
    return None


def _done(locale: str, code: str | None, message: str) -> None:
    """On success: remember the confirmation and rerun (the table shows the change); else why not."""
    if code is None:
        st.session_state[FLASH_KEY] = message
        st.rerun()
    st.error(t(f"error_{code}", locale) if f"error_{code}" in TEXT else code)


def flash() -> None:
    """The outcome of the last change (shown once, after the rerun that applied it)."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message)
    problem = st.session_state.pop(ERROR_KEY, None)
    if problem:
        st.error(problem)


def load_users(settings: Settings, viewer: Viewer) -> pd.DataFrame:
    with data.database(settings)[1]() as session:
        return users.list_users(session=session, actor=viewer)


def load_choices(settings: Settings, viewer: Viewer) -> dict[str, dict[int, str]]:
    with data.database(settings)[1]() as session:
        return users.org_choices(session=session, actor=viewer)


def role_label(role: str, locale: str) -> str:
    return t_app(f"role_{role}", locale)


def users_table(frame: pd.DataFrame, settings: Settings, locale: str) -> None:
    """Every account as text (names and e-mails are never rendered as Markdown or HTML)."""
    shown = frame.drop(columns=["user_id"]).assign(
        role=[role_label(r, locale) for r in frame["role"]],
        locked_until=frame["locked_until"].dt.tz_convert(settings.timezone),
    )
    st.dataframe(
        shown.rename(columns={c: t(k, locale) for c, k in TABLE_COLUMNS.items()}),
        hide_index=True,
        key="users_table",
        column_config={
            t("col_locked_until", locale): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
        },
    )


def add_form(settings: Settings, viewer: Viewer, locale: str) -> None:
    with st.form("user_add_form", clear_on_submit=True):
        email = st.text_input(t("field_email", locale), key="user_add_email")
        name = st.text_input(t("field_name", locale), key="user_add_name")
        role = st.selectbox(
            t("field_role", locale), ROLES, key="user_add_role", format_func=lambda r: role_label(r, locale)
        )
        language = st.selectbox(
            t("field_locale", locale),
            LOCALES,
            index=LOCALES.index(locale),  # the admin's own language is the likely one
            key="user_add_locale",
            format_func=LANGUAGE_NAMES.get,
        )
        password = st.text_input(
            t("field_password", locale),
            type="password",
            key="user_add_password",
            help=t("password_help", locale),
        )
        submitted = st.form_submit_button(t("add_button", locale), type="primary", key="user_add_submit")
    if submitted:
        fields = {
            "email": email,
            "name": name,
            "role": role,
            "password": password or None,
            "locale": language,
        }
        code = _run(settings, (users.add_user, {"actor": viewer, **fields}))
        _done(locale, code, t("added", locale, email=literal(email.strip().lower())))


def editor(settings: Settings, viewer: Viewer, frame: pd.DataFrame, locale: str) -> None:
    """Change one account: pick it, then role, active, unlock, password and assignments."""
    labels = {int(r.user_id): f"{r.email} · {r.name}" for r in frame.itertuples(index=False)}
    user_id = st.selectbox(t("pick_user", locale), list(labels), key="user_pick", format_func=labels.get)
    if user_id is None:
        return
    row = frame[frame["user_id"] == user_id].iloc[0]
    role_col, active_col = st.columns(2)
    with role_col:
        role = st.selectbox(
            t("field_role", locale), ROLES, index=ROLES.index(row["role"]), key=f"user_role_{user_id}",
            format_func=lambda r: role_label(r, locale),
        )  # fmt: skip
        if st.button(t("save_role", locale), key=f"user_role_save_{user_id}"):
            code = _run(settings, (users.set_role, {"actor": viewer, "user_id": user_id, "role": role}))
            _done(locale, code, t("saved", locale, what=t("col_role", locale)))
    with active_col:
        st.toggle(
            t("active_toggle", locale), value=bool(row["active"]), key=f"user_active_{user_id}",
            on_change=_toggle_active, args=(settings, viewer, user_id, locale),
        )  # fmt: skip
        if pd.notna(row["locked_until"]):
            until = row["locked_until"].tz_convert(settings.timezone).strftime("%Y-%m-%d %H:%M")
            st.caption(t("locked_note", locale, until=until))
            if st.button(t("unlock_button", locale), key=f"user_unlock_{user_id}"):
                code = _run(settings, (users.unlock, {"actor": viewer, "user_id": user_id}))
                _done(locale, code, t("saved", locale, what=t("unlock_button", locale)))
    _password_form(settings, viewer, user_id, locale)
    _assignments(settings, viewer, user_id, locale)


def _toggle_active(settings: Settings, viewer: Viewer, user_id: int, locale: str) -> None:
    """The switch's callback (runs before the page): apply it, or put it back and say why not."""
    key = f"user_active_{user_id}"
    active = bool(st.session_state[key])
    code = _run(settings, (users.set_active, {"actor": viewer, "user_id": user_id, "active": active}))
    if code is None:
        st.session_state[FLASH_KEY] = t("saved", locale, what=t("col_active", locale))
    else:
        st.session_state[key] = not active
        st.session_state[ERROR_KEY] = t(f"error_{code}", locale) if f"error_{code}" in TEXT else code


def _password_form(settings: Settings, viewer: Viewer, user_id: int, locale: str) -> None:
    with st.form(f"user_password_form_{user_id}", clear_on_submit=True):
        password = st.text_input(
            t("new_password", locale), type="password", key=f"user_password_{user_id}",
            help=t("password_help", locale),
        )  # fmt: skip
        submitted = st.form_submit_button(t("set_password", locale), key=f"user_password_submit_{user_id}")
    if submitted:
        code = _run(
            settings, (users.set_password, {"actor": viewer, "user_id": user_id, "password": password})
        )
        _done(locale, code, t("saved", locale, what=t("new_password", locale)))


def _assignments(settings: Settings, viewer: Viewer, user_id: int, locale: str) -> None:
    choices = load_choices(settings, viewer)
    with data.database(settings)[1]() as session:
        current = users.assignments(session=session, actor=viewer, user_id=user_id)
    with st.form(f"user_assign_form_{user_id}"):
        teams = st.multiselect(
            t("teams_pick", locale), list(choices["teams"]), default=current["teams"],
            format_func=choices["teams"].get,
            placeholder=t("none_assigned", locale), key=f"user_teams_{user_id}",
        )  # fmt: skip
        agents = st.multiselect(
            t("agents_pick", locale), list(choices["agents"]), default=current["agents"],
            format_func=choices["agents"].get,
            placeholder=t("none_assigned", locale), key=f"user_agents_{user_id}",
        )  # fmt: skip
        submitted = st.form_submit_button(t("save_assignments", locale), key=f"user_assign_submit_{user_id}")
    if submitted:
        who = {"actor": viewer, "user_id": user_id}
        code = _run(
            settings,
            (users.set_teams, {**who, "team_ids": teams}),
            (users.set_agents, {**who, "agent_ids": agents}),
        )
        _done(locale, code, t("saved", locale, what=t("save_assignments", locale)))
