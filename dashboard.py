"""Mirador's entry point: page config, settings, the embedded scheduler (once per process), the
sign-in, and the router listing the pages the signed-in user's role opens (models.access.
PAGES_BY_ROLE); someone not signed in gets the sign-in screen only. Run: `streamlit run dashboard.py`."""

from __future__ import annotations

import streamlit as st
from apscheduler.schedulers.background import BackgroundScheduler

from jobs.scheduler import start_embedded
from models.access import pages_for
from models.settings import Settings
from ui import auth, components, state
from ui.i18n import t

# Wallboard mode (?wallboard=1): a shared screen or a team video call; no sidebar, no navigation.
WALLBOARD = st.query_params.get("wallboard") == "1"
st.set_page_config(
    page_title="Mirador",
    page_icon="🔭",
    layout="wide",
    initial_sidebar_state="collapsed" if WALLBOARD else "auto",
)
# Every page a role can open: (file, title key, icon). The role decides which are listed.
PAGES = {
    "home": ("pages/home.py", "page_home", ":material/dashboard:"),
    "live_team": ("pages/live_team.py", "page_live_team", ":material/groups:"),
    "weekly_trends": ("pages/weekly_trends.py", "page_weekly_trends", ":material/trending_up:"),
    "agent_coach": ("pages/agent_coach.py", "page_agent_coach", ":material/school:"),
    "data_health": ("pages/data_health.py", "page_data_health", ":material/monitor_heart:"),
    "upload": ("pages/upload.py", "page_upload", ":material/upload_file:"),
    "users": ("pages/users.py", "page_users", ":material/manage_accounts:"),
    "audit": ("pages/audit.py", "page_audit", ":material/policy:"),
}


def _stop_scheduler(scheduler: BackgroundScheduler | None) -> None:
    if scheduler is not None:
        scheduler.stop_and_release(wait=False)  # type: ignore[attr-defined]


@st.cache_resource(
    show_spinner=False,
    hash_funcs={Settings: lambda settings: settings.model_dump_json()},
    on_release=_stop_scheduler,
)
def embedded_scheduler(settings: Settings) -> BackgroundScheduler | None:
    """One leased scheduler per server process in embedded mode; None when a worker runs the jobs."""
    return start_embedded(settings)


def sign_in() -> None:
    auth.sign_in_screen(ctx.settings)


ctx = state.page_context(signed_in=False)  # on a bad setting: one error line, then stop
embedded_scheduler(ctx.settings)

if ctx.viewer is None:
    gate = st.Page(sign_in, title=t("signin_title", ctx.locale), icon=":material/login:", default=True)
    current = st.navigation([gate], position="hidden")
    if not WALLBOARD:
        components.signed_out_sidebar(ctx.settings)
else:
    keys = [key for key in pages_for(ctx.viewer.role) if key in PAGES]
    pages = [
        st.Page(PAGES[key][0], title=t(PAGES[key][1], ctx.locale), icon=PAGES[key][2], default=i == 0)
        for i, key in enumerate(keys)
    ]
    current = st.navigation(pages, position="hidden" if WALLBOARD else "sidebar")
    if not WALLBOARD:
        components.sidebar(ctx)
current.run()
