"""Benchmark of the live team view: server time of the read model, of one fragment refresh and of the
full page, on a seeded database (the lead's `python -m bench` passes its `large` one to `run`).

    python -m bench.live_team [--db sqlite|postgres|both] [--scale large] [--url URL]

Targets at `large` (200 agents): one fragment refresh <= 150 ms, the full page <= 300 ms.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.signin import signed_in

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "pages" / "live_team.py"
FRAGMENT_TIMER = "live_fragment_s"
REPEATS = 7


def _median(fn: Callable[[], Any], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _viewers(factory) -> list[tuple[str, Any]]:  # type: ignore[no-untyped-def]
    """The seeded director (the whole floor) and the first supervisor (their own teams)."""
    from sqlmodel import select

    from models.access import Viewer, demo_viewer
    from models.tables import AppUser

    with factory() as session:
        director = demo_viewer(session=session)
        sup = session.exec(select(AppUser).where(AppUser.role == "supervisor").order_by(AppUser.id)).first()
    found = [("director", director)] if director else []
    if sup is not None:
        found.append(("supervisor", Viewer(user_id=sup.id, email=sup.email, role=sup.role, name=sup.name)))
    return found


def time_models(database_url: str) -> list[tuple[str, float]]:
    """Median seconds of each models.live read, per viewer (no Streamlit, no cache)."""
    from models import live
    from models.db import make_engine, session_factory
    from models.settings import load_settings

    settings = load_settings(database_url=database_url)
    engine = make_engine(database_url)
    factory = session_factory(engine)
    results: list[tuple[str, float]] = []
    try:
        for who, viewer in _viewers(factory):
            with factory() as session:
                now = datetime.now(UTC)
                snap = live.live_snapshot(
                    session=session, viewer=viewer, settings=settings, filters=live.LiveFilters(), now=now
                )
                label = f"{who}, {len(snap.agents)} agents, {len(snap.queues)} queues"

                def snapshot(viewer=viewer, session=session) -> None:  # type: ignore[no-untyped-def]
                    live.live_snapshot(
                        session=session,
                        viewer=viewer,
                        settings=settings,
                        filters=live.LiveFilters(),
                        now=datetime.now(UTC),
                    )

                results.append((f"models.live.live_snapshot ({label})", _median(snapshot)))
                results.append(
                    (
                        f"models.live.intraday ({who})",
                        _median(
                            lambda viewer=viewer, session=session: live.intraday(
                                session=session,
                                viewer=viewer,
                                settings=settings,
                                filters=live.LiveFilters(),
                                now=datetime.now(UTC),
                            )
                        ),
                    )
                )
                first = int(snap.agents["agent_id"].iloc[0]) if len(snap.agents) else 0
                results.append(
                    (
                        f"models.live.agent_timeline ({who})",
                        _median(
                            lambda viewer=viewer, session=session, first=first, now=now: live.agent_timeline(
                                session=session, viewer=viewer, settings=settings, agent_id=first, now=now
                            )
                        ),
                    )
                )
    finally:
        engine.dispose()
    return results


def time_page(database_url: str, repeats: int = REPEATS) -> list[tuple[str, float]]:
    """The page in AppTest: first (cold) run, then full reruns and fragment bodies with the live
    caches cleared before each run, so every run reads the floor anew (the worst case)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import live as ui_live

    os.environ["MIRADOR_DATABASE_URL"] = database_url
    os.environ["MIRADOR_SCHEDULER_MODE"] = "worker"
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # "no runtime" warnings of bare runs
    st.cache_data.clear()
    st.cache_resource.clear()
    at = signed_in(AppTest.from_file(str(PAGE), default_timeout=120), database_url)
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"live_team raised: {at.exception[0].message}")
    full, fragment, cached = [], [], []
    for _ in range(repeats):
        ui_live.load_snapshot.clear()
        ui_live.load_timeline.clear()
        started = time.perf_counter()
        at.run()
        full.append(time.perf_counter() - started)
        fragment.append(float(at.session_state[FRAGMENT_TIMER]))
    for _ in range(repeats):
        started = time.perf_counter()
        at.run()
        cached.append(time.perf_counter() - started)
    wall = signed_in(AppTest.from_file(str(PAGE), default_timeout=120), database_url)
    wall.query_params["wallboard"] = "1"
    wall.run()
    wallboard = []
    for _ in range(repeats):
        ui_live.load_snapshot.clear()
        wall.run()
        wallboard.append(float(wall.session_state[FRAGMENT_TIMER]))
    # median and best: on a shared machine the best run is the code's own cost, the median its
    # cost under whatever else is running
    return [
        ("page live_team: first run (cold caches, engine, migrations check)", cold),
        ("page live_team: full page, live data re-read (median)", statistics.median(full)),
        ("page live_team: full page, live data re-read (best)", min(full)),
        ("page live_team: one fragment refresh, live data re-read (median)", statistics.median(fragment)),
        ("page live_team: one fragment refresh, live data re-read (best)", min(fragment)),
        ("page live_team: full page rerun within a tick (cached, median)", statistics.median(cached)),
        ("page live_team: wallboard fragment refresh (median)", statistics.median(wallboard)),
        ("page live_team: wallboard fragment refresh (best)", min(wallboard)),
    ]


def run(database_url: str) -> list[tuple[str, float]]:
    """(label, seconds) for the live view's reads and page on an already seeded database."""
    return time_models(database_url) + time_page(database_url)


def _seed(database_url: str, scale: str) -> None:
    from jobs import refresh
    from jobs.sources.simulator import seed_demo
    from models.db import open_database
    from models.settings import load_settings

    settings = load_settings(database_url=database_url)
    engine, factory = open_database(settings)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    seed_demo(session_factory=factory, settings=settings, scale=scale, now=now)
    refresh.run(session_factory=factory, settings=settings, now=now, full=True)
    print(f"  seeded {scale} in {time.perf_counter() - started:.1f} s", flush=True)
    engine.dispose()


def main() -> None:
    from bench.__main__ import temporary_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--scale", default="large")
    parser.add_argument("--url", help="an already seeded database (skips seeding)")
    args = parser.parse_args()
    targets = [args.url] if args.url else None
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    for kind in [None] if targets else kinds:
        if targets:
            _report(targets[0])
            continue
        with temporary_database(kind) as url:
            print(f"\n== {kind} / {args.scale}", flush=True)
            _seed(url, args.scale)
            _report(url)


def _report(url: str) -> None:
    for label, seconds in run(url):
        print(f"  {label:<86} {seconds * 1000:>8.1f} ms", flush=True)


if __name__ == "__main__":
    main()
