"""The weekly trends page in headless Chromium: it renders the scorecard and the trend charts, each
section opens, a filter changes what is drawn, and no browser error shows; screenshots are saved
to test-artifacts/ (weekly_trends_*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models.db import make_engine, session_factory, upgrade_to_head
from models.tables import AuditEvent
from tests.app.seed_data import seed_tiny_demo
from tests.e2e.conftest import DEMO_SIGN_IN, streamlit_server

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
RENDER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def trends_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`streamlit run pages/weekly_trends.py` (a page runs standalone) on the tiny demo; yields the
    page URL and the database URL."""
    folder = tmp_path_factory.mktemp("e2e_trends")
    database_url = f"sqlite:///{folder / 'mirador.db'}"
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    engine.dispose()
    seed_tiny_demo(database_url, now=datetime.now(UTC).replace(microsecond=0))
    with streamlit_server(
        "pages/weekly_trends.py", folder, {"MIRADOR_DATABASE_URL": database_url, **DEMO_SIGN_IN}
    ) as url:
        yield url, database_url


def _section(page: Page, name: str) -> None:
    page.get_by_role("radio", name=name, exact=True).click()


def _plots(page: Page) -> object:
    return page.locator(".js-plotly-plot")


def _audited_exports(database_url: str) -> list[tuple[str, str | None]]:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            rows = session.execute(
                select(AuditEvent.target, AuditEvent.detail).where(AuditEvent.action == "export")
            )
            return [tuple(r) for r in rows]
    finally:
        engine.dispose()


def test_weekly_trends_page_in_the_browser(
    app_page: Page, trends_app: tuple[str, str], artifacts: Path
) -> None:
    trends_url, database_url = trends_app
    page = app_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(trends_url)
    expect(page.get_by_role("heading", name="Weekly trends")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_text("Weekly scorecard")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(2, timeout=RENDER_TIMEOUT_MS)
    expect(_plots(page)).to_have_count(2, timeout=RENDER_TIMEOUT_MS)
    expect(_plots(page).first).to_contain_text("Service level vs. CES (ease)")
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "weekly_trends_overview.png"), full_page=True)

    # A filter: only voice. The legend then names the teams that have voice queues only.
    before = _plots(page).first.inner_text()
    channel = page.get_by_test_id("stMultiSelect").nth(2)
    channel.click()
    page.get_by_role("option", name="voice", exact=True).click()
    page.keyboard.press("Escape")
    expect(page.get_by_text("agent time is not split by channel")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(_plots(page).first).not_to_have_text(before, timeout=RENDER_TIMEOUT_MS)

    _section(page, "Effort drivers")
    expect(page.get_by_text("Change in mean CES (95 % CI)")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(1, timeout=RENDER_TIMEOUT_MS)
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "weekly_trends_effort.png"), full_page=True)

    _section(page, "Touchpoints")
    expect(page.get_by_text("Touchpoint map")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_text("Where customers go when they come back", exact=False)).to_be_visible(
        timeout=RENDER_TIMEOUT_MS
    )
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "weekly_trends_touchpoints.png"), full_page=True)

    _section(page, "Staffing")
    expect(page.get_by_text("Required (Erlang C)").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "weekly_trends_staffing.png"), full_page=True)

    _section(page, "Export & report")
    expect(page.get_by_role("button", name="Printable report (HTML)")).to_be_visible(
        timeout=RENDER_TIMEOUT_MS
    )
    with page.expect_download() as download:
        page.get_by_role("button", name="Printable report (HTML)").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "<h1>Mirador · Weekly report</h1>" in report and "<script" not in report
    assert _audited_exports(database_url) == [("weekly_report", "html")]  # the download was audited
    page.screenshot(path=str(artifacts / "weekly_trends_report.png"), full_page=True)
    assert errors == [], f"browser console errors: {errors}"
