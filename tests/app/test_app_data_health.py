"""AppTest of the data-health page: job runs, per-job lag, quarantine, on real JobRun rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs.runs import recorded_run
from models.db import make_engine, session_factory, session_scope
from models.tables import Quarantine
from tests.app.conftest import add_director
from tests.app.seed_data import ROOT, run_app

PAGE = str(ROOT / "pages" / "data_health.py")


@pytest.mark.usefixtures("seeded_env")
def test_data_health_lists_the_seed_and_refresh_runs() -> None:
    at = run_app()
    at.switch_page("pages/data_health.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Data health"]
    runs = at.dataframe[1].value
    assert sorted(runs["job"]) == ["demo_seed", "refresh"]  # the tiny demo: one seed, one refresh
    assert set(runs["status"]) == {"ok"}
    assert runs["started_at"].iloc[0] >= runs["started_at"].iloc[1]  # newest first
    jobs = at.dataframe[0].value
    assert list(jobs["job"]) == ["demo_seed", "refresh"]
    assert list(jobs["runs"]) == [1, 1] and list(jobs["failed"]) == [0, 0]
    assert [m.label for m in at.metric][:2] == ["Since the last refresh", "Since the newest contact"]


def test_a_failed_run_shows_with_its_error_and_counts_as_failed(seeded_env: str) -> None:
    engine = make_engine(seeded_env)
    factory = session_factory(engine)
    with pytest.raises(RuntimeError), recorded_run(factory, "ingest_asterisk") as record:
        record.rows_in = 7
        raise RuntimeError("queue_log unreadable\nsecond line")
    engine.dispose()
    at = run_app(PAGE)
    assert not at.exception
    runs = at.dataframe[1].value
    failed = runs[runs["job"] == "ingest_asterisk"].iloc[0]
    assert failed["status"] == "failed"
    assert failed["error"] == "RuntimeError: queue_log unreadable"
    assert failed["rows_in"] == 7
    jobs = at.dataframe[0].value.set_index("job")
    assert jobs.loc["ingest_asterisk", "failed"] == 1
    assert jobs.loc["ingest_asterisk", "last_status"] == "failed"
    assert jobs.loc["ingest_asterisk", "lag"] == "—"  # never succeeded: no success to measure from


def test_quarantine_is_counted_by_source_and_reason(seeded_env: str) -> None:
    engine = make_engine(seeded_env)
    now = datetime.now(UTC)
    with session_scope(session_factory(engine)) as session:
        for line, reason in enumerate(["bad time", "bad time", "unknown event"]):
            session.add(Quarantine(source="asterisk", location="queue_log", line_no=line, reason=reason,
                                   created_at=now))  # fmt: skip
    engine.dispose()
    at = run_app(PAGE)
    assert not at.exception
    quarantine = at.dataframe[2].value
    assert list(zip(quarantine["reason"], quarantine["rows"], strict=True)) == [
        ("bad time", 2),
        ("unknown event", 1),
    ]


@pytest.mark.usefixtures("app_env")
def test_empty_database_says_nothing_ran_and_how_to_load_demo_data() -> None:
    add_director()
    at = run_app(PAGE)
    assert not at.exception
    assert len(at.dataframe) == 0
    assert any("mirador demo" in box.value for box in at.info)
    assert at.warning  # never refreshed: stale
