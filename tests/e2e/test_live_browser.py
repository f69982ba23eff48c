"""The live team view in headless Chromium: it refreshes by itself (st.fragment run_every) and shows
what the live simulator adds, without a full page reload and without losing the viewer's filters.

The centre's time zone is chosen so that it is late morning there now (the simulated centre is open
and busy whatever the hour of the test run); the tiny demo is seeded up to 20 minutes ago, the page
opens, then the simulator catches up to now and the aggregate refresh runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from models.db import make_engine, session_factory
from models.settings import load_settings
from tests.e2e.conftest import DEMO_SIGN_IN, streamlit_server

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
RENDER_TIMEOUT_MS = 60_000
REFRESH_S = 10  # the fragment period (live_refresh_s default)


def late_morning_zone(now: datetime) -> str:
    """An Etc/GMT zone where the local time now is between 10:00 and 12:59 (there always is one:
    offsets run from -12 to +14 hours), preferring a weekday."""
    options = []
    for offset in range(-12, 15):
        local = now + timedelta(hours=offset)
        if 10 <= local.hour <= 12:
            options.append((local.weekday() >= 5, abs(local.hour - 11), offset))
    offset = min(options)[2]
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """`streamlit run pages/live_team.py` on a tiny demo seeded up to 20 minutes ago (worker mode:
    nothing changes the data unless the test does). Yields (url, database url, time zone)."""
    from jobs import refresh
    from jobs.sources.simulator import seed_demo
    from models.db import upgrade_to_head

    folder = tmp_path_factory.mktemp("e2e_live")
    database_url = f"sqlite:///{folder / 'mirador.db'}"
    zone = late_morning_zone(datetime.now(UTC))
    settings = load_settings(database_url=database_url, timezone=zone)
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    factory = session_factory(engine)
    seeded_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)
    seed_demo(session_factory=factory, settings=settings, scale="tiny", now=seeded_at)
    refresh.run(session_factory=factory, settings=settings, now=seeded_at, full=True)
    engine.dispose()
    with streamlit_server(
        "pages/live_team.py",
        folder,
        {"MIRADOR_DATABASE_URL": database_url, "MIRADOR_TIMEZONE": zone, **DEMO_SIGN_IN},
    ) as url:
        yield url, database_url, zone


def catch_up(database_url: str, zone: str) -> dict[str, int]:
    """What the scheduler would do: the live simulator up to now, then the aggregate refresh."""
    from jobs import refresh
    from jobs.sources.simulator import advance_live

    settings = load_settings(database_url=database_url, timezone=zone)
    engine = make_engine(database_url)
    try:
        factory = session_factory(engine)
        added = advance_live(session_factory=factory, settings=settings, now=datetime.now(UTC))
        refresh.run(session_factory=factory, settings=settings)
        return added
    finally:
        engine.dispose()


def strip_numbers(page: Page) -> str:
    """The numbers of the queue strip (tiles' metrics and agent counts), as one string."""
    tiles = page.get_by_test_id("stMetric").all_inner_texts()
    lines = page.get_by_text("available ·").all_inner_texts()
    return "\n".join(tiles + lines)


def as_of(page: Page) -> str:
    return page.get_by_text("As of").first.inner_text()


def test_live_view_refreshes_by_itself_and_shows_new_events(
    app_page: Page, live_app: tuple[str, str, str], artifacts: Path
) -> None:
    url, database_url, zone = live_app
    page = app_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    expect(page.get_by_role("heading", name="Live team view")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    # a filter the viewer chose must survive the refreshes; a marker in the window proves no reload
    channel = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").nth(2)
    channel.click()
    page.get_by_role("option", name="voice", exact=True).click()
    page.keyboard.press("Escape")
    chosen = channel.inner_text()
    assert "voice" in chosen
    page.evaluate("window.__miradorMarker = 'still the same page'")
    first_as_of, before = as_of(page), strip_numbers(page)

    # 1. the fragment reruns on its own: the "As of" time moves without any interaction
    expect(page.get_by_text("As of").first).not_to_have_text(first_as_of, timeout=3 * REFRESH_S * 1000)

    # 2. the live simulator adds 20 minutes of events: the strip's numbers change by themselves
    added = catch_up(database_url, zone)
    assert sum(added.values()) > 0, "the simulator added nothing (is the centre open?)"
    deadline = time.monotonic() + 4 * REFRESH_S
    after = strip_numbers(page)
    while after == before and time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        after = strip_numbers(page)
    assert after != before, "the live view did not show the simulator's new events"

    assert page.evaluate("window.__miradorMarker") == "still the same page"  # no full reload
    assert channel.inner_text() == chosen  # the filter was kept
    page.screenshot(path=str(artifacts / "live_team.png"), full_page=True)

    # 3. clicking an agent on the board opens their day: states against schedule
    board = page.get_by_test_id("stDataFrame").nth(1)  # alerts first, then the board
    board.scroll_into_view_if_needed()
    board.click(position={"x": 14, "y": 54})  # the first row's selection cell
    timeline = page.locator(".js-plotly-plot").filter(has_text="Agent day timeline")
    expect(timeline).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(timeline).to_contain_text("Schedule")
    timeline.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "live_team_timeline.png"))
    assert errors == [], f"browser console errors: {errors}"


def test_wallboard_has_no_sidebar_and_large_tiles(
    app_page: Page, live_app: tuple[str, str, str], artifacts: Path
) -> None:
    url = live_app[0]
    page = app_page
    page.goto(f"{url}/?wallboard=1")
    expect(page.get_by_role("heading", name="Customers today")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_text("SL today").first).to_be_visible()
    big = page.get_by_role("heading", level=1)
    assert big.count() >= 5  # large numbers: waiting, SL, abandon per queue and the customer side
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect")).to_have_count(0)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    page.screenshot(path=str(artifacts / "live_team_wallboard.png"), full_page=True)
