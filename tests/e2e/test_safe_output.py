"""Safe output in a real browser (issue 7): a survey comment carrying an HTML/script payload shows as
inert text in the live page's latest comments and on the coach's "What customers said" tab: no
script runs, no element is created from it, no dialog opens, no link appears. Screenshots go to
test-artifacts/safe_output_*.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from jobs import refresh
from jobs.sources.simulator import seed_demo
from models.db import make_engine, session_factory, session_scope, upgrade_to_head
from models.settings import load_settings
from models.tables import Agent, Contact, SurveyResponse
from tests.e2e.conftest import DEMO_SIGN_IN, streamlit_server

pytestmark = pytest.mark.e2e
RENDER_TIMEOUT_MS = 60_000
MARK = "PAYLOAD-7"
PAYLOAD = (
    f'{MARK} <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    '<a href="javascript:window.__pwned=3">click</a> **not bold** =HYPERLINK("http://x")'
)


def late_morning_zone(now: datetime) -> str:
    """An Etc/GMT zone where it is 10:00-12:59 now, so "today" already has answered surveys."""
    for offset in sorted(range(-12, 15), key=abs):
        if 10 <= (now + timedelta(hours=offset)).hour <= 12:
            return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
    raise AssertionError("no zone is in late morning")


@pytest.fixture(scope="module")
def payload_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The dashboard (signed in as the demo director) on the tiny demo seeded up to now, with the
    payload as the comment of today's newest survey answer; yields (URL, agent code)."""
    folder = tmp_path_factory.mktemp("e2e_safe")
    database_url = f"sqlite:///{folder / 'mirador.db'}"
    now = datetime.now(UTC).replace(microsecond=0)
    zone = late_morning_zone(now)
    settings = load_settings(database_url=database_url, timezone=zone)
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    factory = session_factory(engine)
    seed_demo(session_factory=factory, settings=settings, scale="tiny", now=now, seed=7)
    refresh.run(session_factory=factory, settings=settings, now=now, full=True)
    with session_scope(factory) as s:
        newest, code = s.execute(
            select(SurveyResponse.id, Agent.code)
            .join(Contact, Contact.id == SurveyResponse.contact_id)
            .join(Agent, Agent.id == Contact.agent_id)
            .order_by(SurveyResponse.answered_at.desc())
            .limit(1)
        ).one()
        s.execute(update(SurveyResponse).where(SurveyResponse.id == newest).values(verbatim=PAYLOAD, csat=1))
    engine.dispose()
    env = {"MIRADOR_DATABASE_URL": database_url, "MIRADOR_TIMEZONE": zone, **DEMO_SIGN_IN}
    with streamlit_server("dashboard.py", folder, env) as url:
        yield url, code


def assert_inert(page: Page, dialogs: list[str]) -> None:
    assert page.evaluate("window.__pwned") is None, "the payload ran"
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.get_by_role("link", name="click").count() == 0
    assert dialogs == []


def shown_cells(page: Page) -> str:
    """The text of every data grid cell (st.dataframe draws on a canvas; its cells are mirrored in
    an accessible table that screen readers read)."""
    return "\n".join(page.locator("[data-testid='stDataFrame'] table td").all_inner_texts())


def test_a_script_in_a_comment_stays_text_on_the_live_page_and_the_coach_page(
    app_page: Page, payload_app: tuple[str, str], artifacts: Path
) -> None:
    url, code = payload_app
    page = app_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(url)  # through the router (a fresh server runs a deep-linked page on its own)
    expect(page.get_by_role("heading", name="Today at a glance")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Live team").click()
    expect(page.get_by_text("Latest comments")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    page.wait_for_timeout(1000)
    assert MARK in shown_cells(page) and "<script>" in shown_cells(page)  # shown, as characters
    assert_inert(page, dialogs)
    page.screenshot(path=str(artifacts / "safe_output_live.png"))

    page.goto(f"{url}/agent_coach?agent={code}")
    page.get_by_role("tab", name="What customers said").click(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    page.wait_for_timeout(1000)
    assert MARK in shown_cells(page) and "<img src=x" in shown_cells(page)
    assert_inert(page, dialogs)
    page.screenshot(path=str(artifacts / "safe_output_coach.png"))
