"""Per-user state shared by every page: settings, database, the signed-in viewer, language and
refresh version.

`page_context()` is each page's first call, so a page also runs on its own (tests, deep links): with
nobody signed in it shows the sign-in screen and stops; for a role that may not open the page it
says so and stops. Nothing below it runs for such a session.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from models.access import Viewer, may_open
from models.settings import Settings, SettingsError
from ui import auth, data
from ui.i18n import t

LOCALE_KEY = auth.LOCALE_KEY


@dataclass(frozen=True)
class PageContext:
    """What every page needs before it loads anything."""

    settings: Settings
    viewer: Viewer | None
    version: int
    locale: str


def current_locale() -> str:
    return auth.current_locale()


def _safe_url(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


def _calling_page(depth: int = 2) -> str | None:
    """The page key ("live_team") of the pages/*.py script that called page_context, if any. The
    role check then holds wherever the page runs: on its own (`streamlit run pages/x.py`, AppTest)
    or deep-linked on a fresh server, where Streamlit runs pages/ scripts without dashboard.py
    until some session has called st.navigation."""
    path = Path(sys._getframe(depth).f_code.co_filename)  # noqa: SLF001 - the caller's file
    return path.stem if path.parent.name == "pages" else None


def page_context(*, signed_in: bool = True) -> PageContext:
    """Settings, the open database, the signed-in viewer and the refresh version. On a bad setting
    or an unreachable database: one clear error line and the page stops (no traceback for users).
    `signed_in=False` (the router only) returns a None viewer instead of showing the sign-in."""
    page = _calling_page()
    try:
        settings = data.app_settings()
    except SettingsError as exc:
        st.error(str(exc))
        st.stop()
    try:
        data.database(settings)
        version = data.load_refresh_version(settings)
        viewer = auth.signed_in_viewer(settings)
    except SQLAlchemyError as exc:
        reason = (str(exc).strip().splitlines() or [""])[0][:200]
        where = _safe_url(settings.database_url)
        st.error(f"Cannot read the database {where}: {type(exc).__name__} {reason}")
        st.stop()
    locale = auth.current_locale()
    if signed_in and viewer is None:
        auth.sign_in_screen(settings)
        st.stop()
    if signed_in and viewer is not None and page is not None and not may_open(viewer.role, page):
        # a page missing from models.access.PAGES_BY_ROLE opens for nobody: register it there
        st.error(t("page_not_allowed", locale))
        st.stop()
    return PageContext(settings=settings, viewer=viewer, version=version, locale=locale)
