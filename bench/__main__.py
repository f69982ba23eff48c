"""Benchmark: seed a scale into a temporary database and print seconds and rows/s per step.

    python -m bench [--scale large] [--db sqlite|postgres|both] [--queue-log-lines 2000000]

Not a test: it prints numbers to compare over time (see README). Every step uses the same code paths as
the app and the jobs (no shortcuts), on a fresh database that is deleted afterwards.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.pages import time_pages
from models.db import open_database
from models.settings import load_settings

PG_ADMIN_URL = os.environ.get(
    "MIRADOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PAGE_BENCHES = ("live_team", "weekly_trends", "agent_coach")  # each has run(database_url)
GROUPINGS = ("queue", "team", "agent", "channel", "touchpoint", "day", "week", "interval")


class Table:
    """Collects (step, seconds, rows) and prints them aligned."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[tuple[str, float, int | None]] = []

    def time(self, step: str, fn: Callable[[], int | None]) -> int | None:
        started = time.perf_counter()
        rows = fn()
        self.add(step, time.perf_counter() - started, rows)
        return rows

    def add(self, step: str, seconds: float, rows: int | None) -> None:
        self.rows.append((step, seconds, rows))
        count = f"{rows:>11,} rows" if rows is not None else ""
        rate = f"{rows / seconds:>12,.0f} rows/s" if rows and seconds > 0 else ""
        print(f"  {step:<78} {seconds:>9.3f} s {count} {rate}".rstrip(), flush=True)


@contextmanager
def temporary_database(kind: str) -> Iterator[str]:
    """A fresh empty database URL (SQLite file in a temp dir, or a new PostgreSQL database)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"mirador_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_database(kind: str, scale: str, queue_log_lines: int) -> None:
    from jobs import refresh
    from jobs.sources.simulator import advance_live, seed_demo
    from models.access import demo_viewer
    from models.queries import kpis

    with temporary_database(kind) as url:
        settings = load_settings(database_url=url)
        table = Table(f"{kind} / {scale}")
        print(f"\n== {table.title}", flush=True)
        engine, factory = open_database(settings)
        now = datetime.now(UTC).replace(microsecond=0)

        counts: dict[str, int] = {}

        def seed() -> int:
            counts.update(seed_demo(session_factory=factory, settings=settings, scale=scale, now=now))
            return sum(counts.values())

        table.time(f"seed {scale} (all tables)", seed)
        print(f"    {counts}")
        table.time(
            "refresh --full (aggregates from raw facts)",
            lambda: _rows(refresh.run(session_factory=factory, settings=settings, now=now, full=True)),
        )
        later = now + timedelta(minutes=5)
        table.time(
            "demo live: +5 simulated minutes",
            lambda: sum(advance_live(session_factory=factory, settings=settings, now=later).values()),
        )
        table.time(
            "incremental refresh after live step",
            lambda: _rows(refresh.run(session_factory=factory, settings=settings, now=later)),
        )
        table.time(
            "incremental refresh, nothing new",
            lambda: _rows(refresh.run(session_factory=factory, settings=settings, now=later)),
        )

        end = later.astimezone(settings.zone).date()
        with factory() as session:
            viewer = demo_viewer(session=session)
            for weeks in (1, 13):
                start = end - timedelta(days=7 * weeks - 1)
                for by in GROUPINGS:
                    table.time(
                        f"kpis --by {by} ({weeks} wk)",
                        lambda by=by, start=start: len(
                            kpis(
                                session=session, viewer=viewer, settings=settings, start=start, end=end, by=by
                            )
                        ),
                    )
        for page, seconds in time_pages(url):
            table.add(f"page server time: {page}", seconds, None)
        for name in PAGE_BENCHES:
            module = importlib.import_module(f"bench.{name}")
            for step, seconds in module.run(url):
                table.add(f"{name}: {step}", seconds, None)
        if queue_log_lines:
            bench_queue_log(table, factory, settings, queue_log_lines)
        engine.dispose()


def bench_queue_log(table: Table, factory, settings, lines: int) -> None:  # type: ignore[no-untyped-def]
    from jobs import refresh
    from jobs.sources.asterisk import ingest_queue_log
    from jobs.sources.asterisk_gen import append_queue_log, generate_queue_log

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "queue_log"
        started = time.perf_counter()
        generate_queue_log(path, lines=lines, seed=11)
        print(f"    generated {lines:,} queue_log lines in {time.perf_counter() - started:.1f} s")
        table.time(
            f"asterisk ingest {lines:,} lines",
            lambda: ingest_queue_log(session_factory=factory, settings=settings, path=path).lines_read,
        )
        table.time(
            "refresh after big ingest", lambda: _rows(refresh.run(session_factory=factory, settings=settings))
        )

        def incremental(seed: int) -> float:
            append_queue_log(path, lines=1000, seed=seed)
            started = time.perf_counter()
            ingest_queue_log(session_factory=factory, settings=settings, path=path)
            refresh.run(session_factory=factory, settings=settings)
            return time.perf_counter() - started

        # the first run after the big load pays for cold caches; the scheduler's runs are the later ones
        table.add("asterisk +1,000 lines incl. refresh (first after the big load)", incremental(12), 1000)
        later = statistics.median(incremental(seed) for seed in (13, 14, 15))
        table.add("asterisk +1,000 lines incl. refresh (the next three, median)", later, 1000)


def _rows(result: object) -> int | None:
    """Rows a refresh wrote (queue x interval, agent x interval, agent x day, effort answers)."""
    if isinstance(result, dict):
        kinds = ("queue_intervals", "agent_intervals", "agent_days", "effort_answers", "journey_steps")
        return sum(int(result.get(k, 0) or 0) for k in kinds)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=["tiny", "small", "large"])
    parser.add_argument("--db", default="both", choices=["sqlite", "postgres", "both"])
    parser.add_argument(
        "--queue-log-lines",
        type=int,
        default=2_000_000,
        help="size of the generated Asterisk log (0 skips the ingest steps)",
    )
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"Mirador benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores")
    for kind in kinds:
        bench_database(kind, args.scale, args.queue_log_lines)


if __name__ == "__main__":
    main()
