"""The coach's page in headless Chromium: a shared link opens one agent's scorecard with its charts,
the coaching log shows a note carrying an HTML/script payload as inert text and flags the overdue
commitment, and choosing another agent puts it in the link. Screenshots go to test-artifacts/.

The page runs on its own (`streamlit run pages/agent_coach.py`), so the test does not depend on
the page being listed in dashboard.py's navigation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from models import access, coaching
from models.db import make_engine, session_factory, session_scope, upgrade_to_head
from models.settings import load_settings
from tests.app.seed_data import seed_tiny_demo
from tests.e2e.conftest import DEMO_SIGN_IN, streamlit_server

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
RENDER_TIMEOUT_MS = 60_000
PAYLOAD = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script> **not bold**'


@pytest.fixture(scope="module")
def coach_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The page served on the tiny demo (seeded up to now), with one coaching session 10 days ago
    whose commitment is overdue and whose notes carry an HTML/script payload."""
    folder = tmp_path_factory.mktemp("e2e_coach")
    database_url = f"sqlite:///{folder / 'mirador.db'}"
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    engine.dispose()
    seed_tiny_demo(database_url, now=datetime.now(UTC).replace(microsecond=0))
    settings = load_settings(database_url=database_url)
    engine = make_engine(database_url)
    back_then = datetime.now(UTC) - timedelta(days=10)
    due = coaching.local_today(settings, back_then) + timedelta(days=3)
    with session_scope(session_factory(engine)) as s:
        coaching.create_session(
            session=s, viewer=access.demo_viewer(session=s), settings=settings, agent_id=1, now=back_then,
            session_date=coaching.local_today(settings, back_then), focus_kpi="csat", notes=PAYLOAD,
            commitments=[coaching.CommitmentDraft("Listen to two calls", "Ana", due)],
        )  # fmt: skip
    engine.dispose()
    with streamlit_server(
        "pages/agent_coach.py", folder, {"MIRADOR_DATABASE_URL": database_url, **DEMO_SIGN_IN}
    ) as url:
        yield url


def test_a_shared_link_opens_the_agent_and_the_log_is_safe(
    coach_app: str, app_page: Page, artifacts: Path
) -> None:
    page = app_page
    page.goto(f"{coach_app}/?agent=sim-0001")
    expect(page.get_by_role("heading", name="Agent coaching")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_text("sim-0001").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_text("Strengths and gaps vs peers")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.locator("[data-testid='stDataFrame']:visible").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_text("1 commitments are overdue for your agents.")).to_be_visible()
    page.wait_for_timeout(800)  # let Plotly finish drawing before the picture
    page.screenshot(path=str(artifacts / "agent_coach_scorecard.png"))

    page.get_by_role("tab", name="Coaching log").click()
    expect(page.get_by_text("Record a coaching session")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_text("overdue by 7 d")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    page.get_by_text("· CSAT").first.click()  # open the session's expander
    shown = page.get_by_test_id("stText").filter(has_text=PAYLOAD)
    expect(shown).to_be_visible(timeout=RENDER_TIMEOUT_MS)  # verbatim, as text
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("img[src='x']").count() == 0
    page.screenshot(path=str(artifacts / "agent_coach_log.png"))

    page.get_by_role("tab", name="Scorecard").click()
    page.get_by_test_id("stSelectbox").filter(has_text="Agent (").click()
    page.get_by_role("option").filter(has_text="sim-0002").click()
    expect(page).to_have_url(re.compile(r"[?&]agent=sim-0002\b"), timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="sim-0002")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
