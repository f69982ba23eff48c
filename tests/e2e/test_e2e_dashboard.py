"""The real app in headless Chromium: the home page renders its headline tiles and charts, and the
data-health page is one click away. Screenshots land in test-artifacts/ (git-ignored)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from models.kpis import KPIS

pytestmark = pytest.mark.e2e
RENDER_TIMEOUT_MS = 30_000


def test_home_renders_headline_tiles_and_charts(app_page: Page, app_url: str, artifacts: Path) -> None:
    page = app_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Today at a glance")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Performance")).to_be_visible()
    expect(page.get_by_role("heading", name="Customer effort and outcome")).to_be_visible()
    tiles = page.get_by_test_id("stMetric")
    expect(tiles).to_have_count(13, timeout=RENDER_TIMEOUT_MS)
    for key in ("service_level", "ces", "csat"):
        expect(tiles.filter(has_text=KPIS[key].label_en).first).to_be_visible()
    charts = page.locator(".js-plotly-plot")
    expect(charts).to_have_count(2, timeout=RENDER_TIMEOUT_MS)
    expect(charts.first).to_contain_text("Offered")
    page.screenshot(path=str(artifacts / "home.png"))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Demo mode").first).to_be_visible()
    expect(sidebar.get_by_text(re.compile(r"^Viewing as .+ \(director\)$"))).to_be_visible()
    assert errors == [], f"browser console errors: {errors}"


def test_navigate_to_data_health(app_page: Page, app_url: str, artifacts: Path) -> None:
    page = app_page
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Today at a glance")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Data health").click()
    expect(page.get_by_role("heading", name="Data health")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Recent job runs")).to_be_visible()
    page.screenshot(path=str(artifacts / "data_health.png"))


def test_deep_link_to_data_health(app_page: Page, app_url: str) -> None:
    page = app_page
    page.goto(f"{app_url}/data_health")
    expect(page.get_by_role("heading", name="Data health")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
