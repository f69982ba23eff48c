"""Server time of the directors' weekly trends page on a seeded database (issue 5 targets at `large`:
the page with 13 weeks x all teams <= 400 ms, a filter change <= 250 ms, effort drivers over 13
weeks <= 1 s). Measured with Streamlit's AppTest, no browser.

    python -m bench.weekly_trends sqlite:////path/to/large.db
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bench.signin import signed_in

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "weekly_trends.py")
REPEATS = 3


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _team_ids(database_url: str) -> list[int]:
    from models import access, trends
    from models.db import make_engine, session_factory

    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            viewer = access.demo_viewer(session=session)
            assert viewer is not None, "no demo director: seed the database first"
            return [int(i) for i in trends.load_dimensions(session=session, viewer=viewer).teams["id"]]
    finally:
        engine.dispose()


def _effort_uncached(database_url: str) -> tuple[float, float, int]:
    """Effort drivers over 13 weeks straight from models/ (no cache): (load s, drivers s, answers)."""
    from models import access, effort, queries, trends
    from models.db import make_engine, session_factory
    from models.settings import load_settings

    settings = load_settings(database_url=database_url)
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            viewer = access.demo_viewer(session=session)
            assert viewer is not None, "no demo director: seed the database first"
            latest = queries.latest_data_day(session=session, viewer=viewer, settings=settings)
            assert latest is not None, "no data"
            end = latest - timedelta(days=latest.weekday() + 1)
            start, last = trends.week_range(end=end, weeks=13)
            started = time.perf_counter()
            contacts = effort.load_effort_contacts(
                session=session, viewer=viewer, settings=settings, start=start, end=last
            )
            loaded = time.perf_counter() - started
        drivers_s = _timed(lambda: effort.effort_drivers(contacts, min_sample=settings.min_sample))
        return loaded, drivers_s, len(contacts)
    finally:
        engine.dispose()


def run(database_url: str) -> list[tuple[str, float]]:
    """(label, seconds) for the page's first run and reruns, filter changes and every section."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import trends_data as trends_ui

    os.environ["MIRADOR_DATABASE_URL"] = database_url
    os.environ["MIRADOR_SCHEDULER_MODE"] = "worker"
    results: list[tuple[str, float]] = []

    def fresh() -> AppTest:
        return signed_in(AppTest.from_file(PAGE, default_timeout=300), database_url)

    def check(at: AppTest) -> AppTest:
        if at.exception:
            raise RuntimeError(f"weekly_trends raised: {at.exception[0].message}")
        return at

    # The first run pays for imports, the engine, the schema check and AppTest's own scan of
    # component manifests (~0.4 s per AppTest): a server does these once, not per page view.
    at = check(fresh().run())
    cold = []
    for _ in range(REPEATS):
        st.cache_data.clear()
        cold.append(_timed(lambda: check(at.run())))
    results.append(
        (f"weekly_trends: page, 13 weeks x all teams (cold cache, median of {REPEATS})", _median(cold))
    )
    warm = [_timed(lambda: check(at.run())) for _ in range(REPEATS)]
    results.append((f"weekly_trends: page rerun (warm, median of {REPEATS})", _median(warm)))

    teams = _team_ids(database_url)
    changes = []
    for team in teams[:REPEATS]:
        at.multiselect(key="wt_teams").set_value([team])
        changes.append(_timed(lambda: check(at.run())))
    at.multiselect(key="wt_teams").set_value([])
    results.append((f"weekly_trends: filter change, one team (median of {len(changes)})", _median(changes)))
    at.multiselect(key="wt_channels").set_value(["voice"])
    results.append(("weekly_trends: filter change, channel voice", _timed(lambda: check(at.run()))))
    at.multiselect(key="wt_channels").set_value([])
    at.segmented_control(key="wt_grain").set_value("day")
    results.append(("weekly_trends: trend grain daily", _timed(lambda: check(at.run()))))
    at.segmented_control(key="wt_grain").set_value("week")
    check(at.run())

    loaded, drivers_s, answers = _effort_uncached(database_url)
    results.append((f"effort drivers 13 weeks, models uncached: load ({answers:,} answers)", loaded))
    results.append(("effort drivers 13 weeks, models uncached: statistics", drivers_s))
    for section in ("effort", "touchpoints", "staffing", "report"):
        at.segmented_control(key="wt_section").set_value(section)
        results.append((f"weekly_trends: section {section} (first view)", _timed(lambda: check(at.run()))))
        results.append((f"weekly_trends: section {section} (rerun)", _timed(lambda: check(at.run()))))
        if section in ("effort", "touchpoints"):
            # What a new refresh version costs: the recent days are re-read, settled weeks stay cached.
            trends_ui._recent.clear()
            trends_ui.load_effort_drivers.clear()
            trends_ui.load_touchpoint_map.clear()
            label = f"weekly_trends: section {section} after a refresh (settled days cached)"
            results.append((label, _timed(lambda: check(at.run()))))
    at.segmented_control(key="wt_section").set_value("effort")
    check(at.run())
    at.multiselect(key="wt_channels").set_value(["chat"])
    results.append(("weekly_trends: effort section, filter change", _timed(lambda: check(at.run()))))
    return results


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m bench.weekly_trends DATABASE_URL (a seeded database)")
    for label, seconds in run(sys.argv[1]):
        print(f"  {label:<70} {seconds * 1000:>9.1f} ms", flush=True)


if __name__ == "__main__":
    main()
