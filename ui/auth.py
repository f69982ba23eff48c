"""Who is signed in to this browser session: local accounts (form), an identity provider (st.login,
when MIRADOR_AUTH_MODE=oidc and an [auth] section is configured) or a demo account (demo mode), the
idle-session timeout, signing out, and the language remembered per user.

The signed-in user lives in st.session_state (server side, per browser tab): only these functions
set it, and every run re-reads the account, so a deactivated user is out at their next click.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from models import auth, users
from models.access import Viewer, viewer_for_id
from models.db import SessionFactory, session_scope
from models.settings import Settings
from ui import data
from ui.i18n import DEFAULT_LOCALE, LOCALES, code, plain, t

SESSION_KEY = "mirador_auth"  # {"user_id", "method", "last_seen" (epoch seconds)}
NOTICE_KEY = "mirador_auth_notice"  # a message key shown once on the sign-in screen
DENIED_KEY = "mirador_auth_denied"  # the provider's e-mail that has no account (audited once)
LOCALE_KEY = "locale"  # the sidebar switch's widget key
LOCALE_SAVED_KEY = "locale_saved"  # survives runs that draw no switch (wallboard)
LOCALE_PENDING_KEY = "locale_pending"  # a signed-in user's language, applied before the switch draws
LOCALE_CHOSEN_KEY = "locale_chosen"  # the language was picked by hand in this session
FORM_KEY = "signin_form"


def _factory(settings: Settings) -> SessionFactory:
    return data.database(settings)[1]


def session_record(user_id: int, method: str, last_seen: float | None = None) -> dict[str, Any]:
    """What a signed-in session keeps (tests put this in session state to sign a user in)."""
    return {
        "user_id": int(user_id),
        "method": method,
        "last_seen": time.time() if last_seen is None else last_seen,
    }


def browser_locale() -> str:
    """Spanish for es-* browsers, else English (st.context.locale is navigator.language)."""
    try:
        language = (st.context.locale or "").lower()
    except Exception:  # noqa: BLE001 - no browser context (bare script run)
        language = ""
    return "es" if language.startswith("es") else DEFAULT_LOCALE


def current_locale() -> str:
    """The session's language: the user's choice (or remembered preference), else the browser's.
    Called at the top of every run, before the language switch is drawn."""
    state = st.session_state
    pending = state.pop(LOCALE_PENDING_KEY, None)
    if pending in LOCALES:
        state[LOCALE_KEY] = pending
    elif state.get(LOCALE_KEY) not in LOCALES:
        saved = state.get(LOCALE_SAVED_KEY)
        state[LOCALE_KEY] = saved if saved in LOCALES else browser_locale()
    state[LOCALE_SAVED_KEY] = state[LOCALE_KEY]
    return str(state[LOCALE_KEY])


def _start(settings: Settings, viewer: Viewer, method: str, *, personal: bool = True) -> None:
    """Mark the session signed in and apply the language rule: a language picked by hand before
    signing in is kept and remembered; otherwise the user's remembered language applies. The
    automatic demo sign-in (a kiosk, a test) is not personal: it keeps the browser's language."""
    assert viewer.user_id is not None
    st.session_state[SESSION_KEY] = session_record(viewer.user_id, method)
    st.session_state.pop(NOTICE_KEY, None)
    if not personal:
        return
    with session_scope(_factory(settings)) as session:
        if st.session_state.get(LOCALE_CHOSEN_KEY):
            users.set_locale(session=session, viewer=viewer, locale=current_locale())
        else:
            stored = users.stored_locale(session=session, user_id=viewer.user_id)
            if stored:
                st.session_state[LOCALE_PENDING_KEY] = stored


def _end(settings: Settings, viewer: Viewer | None, reason: str) -> None:
    record = st.session_state.pop(SESSION_KEY, None) or {}
    if viewer is not None:
        with session_scope(_factory(settings)) as session:
            auth.record_sign_out(session=session, viewer=viewer, reason=reason)
    st.session_state[NOTICE_KEY] = {"timeout": "session_expired", "user": "signed_out"}.get(reason, reason)
    if record.get("method") == "oidc":
        _logout()


def _logout() -> None:
    try:
        st.logout()
    except Exception:  # noqa: BLE001 - no auth configured (or no Authlib): nothing to clear there
        pass


def _provider_user() -> dict[str, Any]:
    try:
        return dict(st.user.to_dict())
    except Exception:  # noqa: BLE001 - no script context
        return {}


def signed_in_viewer(settings: Settings) -> Viewer | None:
    """The viewer of this session, checked on every run: idle timeout, account still active. With
    no session yet, an identity-provider user (OIDC mode) or the automatic demo account signs in."""
    record = st.session_state.get(SESSION_KEY)
    now = time.time()
    if isinstance(record, dict) and "user_id" in record:
        with _factory(settings)() as session:
            viewer = viewer_for_id(session=session, user_id=int(record["user_id"]))
        last_seen = datetime.fromtimestamp(float(record.get("last_seen", now)), UTC)
        if viewer is None:
            _end(settings, None, "account_closed")
            return None
        expired = auth.session_expired(
            last_seen=last_seen,
            now=datetime.fromtimestamp(now, UTC),
            timeout_min=settings.session_timeout_min,
        )
        if expired:
            _end(settings, viewer, "timeout")
            return None
        record["last_seen"] = now
        return viewer
    return _provider_sign_in(settings) or _automatic_demo(settings)


def _provider_sign_in(settings: Settings) -> Viewer | None:
    """OIDC mode: Streamlit's identity cookie vouches for an e-mail; map it to an account once."""
    if settings.auth_mode != "oidc":
        return None
    user = _provider_user()
    if user.get("is_logged_in") is not True:
        return None
    email = str(user.get("email") or "")
    if st.session_state.get(DENIED_KEY) == email:
        return None
    with session_scope(_factory(settings)) as session:
        viewer = auth.identity_sign_in(
            session=session, email=email, verified=user.get("email_verified"), issuer=user.get("iss")
        )
    if viewer is None:
        st.session_state[DENIED_KEY] = email
        return None
    _start(settings, viewer, "oidc")
    return viewer


def _automatic_demo(settings: Settings) -> Viewer | None:
    """MIRADOR_DEMO_USER (demo mode only): a kiosk or a test signs in as that demo account."""
    if not (settings.demo_mode and settings.demo_user) or NOTICE_KEY in st.session_state:
        return None  # after signing out (or a timeout) the session stays signed out
    with session_scope(_factory(settings)) as session:
        viewer = auth.demo_sign_in(
            session=session, settings=settings, email=settings.demo_user, automatic=True
        )
    if viewer is not None:
        _start(settings, viewer, "demo", personal=False)
    return viewer


def sign_out(settings: Settings, viewer: Viewer) -> None:
    """The sidebar's sign-out button (an identity-provider session is ended there too)."""
    _end(settings, viewer, "user")
    st.session_state.pop(DENIED_KEY, None)


def remember_locale(settings: Settings, viewer: Viewer | None) -> None:
    """The language switch's callback: keep the choice for this session and, signed in, for good."""
    st.session_state[LOCALE_CHOSEN_KEY] = True
    if viewer is not None:
        with session_scope(_factory(settings)) as session:
            users.set_locale(session=session, viewer=viewer, locale=current_locale())


# --- The sign-in screen ---------------------------------------------------------------------------


def sign_in_screen(settings: Settings) -> None:
    """Everything someone without a session sees: the way(s) to sign in, and nothing else."""
    locale = current_locale()
    st.title(t("signin_title", locale))
    notice = st.session_state.get(NOTICE_KEY)
    if notice:
        st.info(t(f"notice_{notice}", locale, minutes=f"{settings.session_timeout_min:g}"))
    if settings.auth_mode == "oidc":
        _provider_box(settings, locale)
    else:
        _password_form(settings, locale)
    with _factory(settings)() as session:
        missing = auth.first_run(session=session)
    if missing:
        st.info(t(f"first_run_{missing}", locale))
    if settings.demo_mode:
        _demo_box(settings, locale)


def _password_form(settings: Settings, locale: str) -> None:
    with st.form(FORM_KEY, clear_on_submit=True, enter_to_submit=True):
        email = st.text_input(t("email", locale), key="signin_email", autocomplete="username")
        password = st.text_input(
            t("password", locale), key="signin_password", type="password", autocomplete="current-password"
        )
        submitted = st.form_submit_button(t("signin_button", locale), type="primary", key="signin_submit")
    if submitted:
        _check_password(settings, email, password, locale)


def _check_password(settings: Settings, email: str, password: str, locale: str) -> None:
    if not email.strip() or not password:
        st.error(t("signin_wrong", locale))
        return
    with session_scope(_factory(settings)) as session:
        result = auth.sign_in(session=session, settings=settings, email=email, password=password)
    if result.outcome == "ok" and result.viewer is not None:
        _start(settings, result.viewer, "password")
        st.rerun()
    elif result.outcome == "locked" and result.locked_until is not None:
        until = result.locked_until.astimezone(settings.zone).strftime("%H:%M")
        st.error(t("signin_locked", locale, until=until, minutes=f"{settings.lockout_min:g}"))
    else:
        st.error(t("signin_wrong", locale))


def _provider_box(settings: Settings, locale: str) -> None:
    denied = st.session_state.get(DENIED_KEY)
    if denied:
        st.error(t("signin_no_account", locale, email=code(denied)))
        if st.button(t("signout", locale), key="signin_provider_signout"):
            st.session_state.pop(DENIED_KEY, None)
            _logout()
        return
    if st.button(t("signin_provider", locale), key="signin_provider", type="primary"):
        try:
            st.login(settings.oidc_provider) if settings.oidc_provider else st.login()
        except Exception as exc:  # noqa: BLE001 - no [auth] secrets or no Authlib: one clear line
            st.error(t("signin_provider_missing", locale, reason=type(exc).__name__))


def _demo_box(settings: Settings, locale: str) -> None:
    with _factory(settings)() as session:
        accounts = users.demo_accounts(session=session)
    with st.container(border=True, key="demo_signin"):
        st.badge(t("demo_mode", locale), color="violet")
        st.caption(t("demo_signin_help", locale))
        if not accounts:
            st.caption(t("demo_no_accounts", locale))
        for account in accounts:
            role = t(f"role_{account.role}", locale)
            label = t("demo_signin_as", locale, name=plain(account.name), role=role)
            if st.button(label, key=f"demo_signin_{account.role}"):
                _demo_click(settings, account.email)


def _demo_click(settings: Settings, email: str) -> None:
    with session_scope(_factory(settings)) as session:
        viewer = auth.demo_sign_in(session=session, settings=settings, email=email)
    if viewer is not None:
        _start(settings, viewer, "demo")
        st.rerun()
