"""The `mirador` command on the hand-built day of test_refresh.py: KPIs as JSON/CSV with the exact
hand-computed values, refresh, settings errors, and one real `python -m jobs` subprocess."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobs import cli, refresh
from models.db import make_engine, session_factory
from models.settings import load_settings
from tests.integration.test_refresh import NOW, build_day

ROOT = Path(__file__).resolve().parents[2]
DAY_ARGS = ["kpis", "--from", "2024-03-04", "--to", "2024-03-04"]
EXPECTED_DAY = {
    "day": "2024-03-04",
    "offered": 8,
    "answered": 3,
    "abandoned": 2,
    "service_level": 2 / 7,
    "asa": 40 / 3,
    "abandon_rate": 2 / 7,
    "aht": 1400 / 3,
    "transfer_rate": 1 / 3,
    "occupancy": 0.4,
    "utilization": 1200 / 3900,
    "adherence": 5 / 6,
    "csat": 0.5,
    "ces": 4.0,
    "nps": 0.0,
    "fcr": 2 / 3,
    "repeat_rate": 1 / 3,
}


def same(actual, expected) -> bool:
    if isinstance(expected, str):
        return actual == expected
    return actual is not None and math.isclose(float(actual), float(expected), rel_tol=1e-9)


@pytest.fixture
def raw_db(factory, db_url, monkeypatch):
    """The hand-built day, not yet refreshed, with the CLI pointed at its database."""
    build_day(factory)
    monkeypatch.setenv("MIRADOR_DATABASE_URL", db_url)
    return factory


@pytest.fixture
def day_db(raw_db, settings):
    """The day refreshed as of 10:00 UTC (its open state and schedule are counted up to then)."""
    refresh.run(session_factory=raw_db, settings=settings, now=NOW)
    return raw_db


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("day_db")
def test_kpis_json_has_the_hand_computed_values(capsys):
    code, out, _ = run_cli(capsys, *DAY_ARGS, "--by", "day")
    assert code == 0
    (row,) = json.loads(out)
    assert {k: same(row[k], v) for k, v in EXPECTED_DAY.items()} == dict.fromkeys(EXPECTED_DAY, True)
    assert [type(row[k]) for k in ("offered", "answered", "abandoned")] == [int, int, int]


@pytest.mark.usefixtures("day_db")
def test_kpis_json_uses_null_for_undefined(capsys):
    code, out, _ = run_cli(capsys, *DAY_ARGS, "--by", "queue")
    (row,) = json.loads(out)
    assert code == 0 and row["queue"] == "sales"
    assert row["occupancy"] is None and row["adherence"] is None  # no agent metrics per queue
    assert same(row["service_level"], 2 / 7)


@pytest.mark.usefixtures("day_db")
def test_kpis_csv(capsys):
    code, out, _ = run_cli(capsys, *DAY_ARGS, "--by", "agent", "--format", "csv")
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and (row["agent"], row["agent_name"]) == ("a1", "Ana")
    assert row["service_level"] == "" and same(row["aht"], 1400 / 3)


@pytest.mark.usefixtures("raw_db")
def test_refresh_command_folds_the_batch_in_once(capsys):
    code, out, _ = run_cli(capsys, "refresh")
    first = json.loads(out)
    assert code == 0 and first["batches"] == [1] and first["full"] is True  # first refresh ever
    code, out, _ = run_cli(capsys, "refresh")
    second = json.loads(out)
    assert code == 0 and second["batches"] == [] and second["full"] is False
    # queue metrics do not depend on the refresh time (agent ones run to "now", here today)
    code, out, _ = run_cli(capsys, *DAY_ARGS, "--by", "channel")
    (row,) = json.loads(out)
    assert (row["channel"], row["offered"], row["answered"]) == ("voice", 8, 3)
    assert same(row["service_level"], 2 / 7) and same(row["aht"], 1400 / 3)


def test_bad_setting_prints_one_line_and_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("MIRADOR_TIMEZONE", "Mars/Olympus")
    code, out, err = run_cli(capsys, *DAY_ARGS)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [err.strip()] and "MIRADOR_TIMEZONE" in err


@pytest.mark.usefixtures("day_db")
def test_reversed_dates_exit_2(capsys):
    code, _, err = run_cli(capsys, "kpis", "--from", "2024-03-05", "--to", "2024-03-04")
    assert code == 2 and "--to is before --from" in err


def test_help_says_kpis_reads_as_a_director(capsys):
    with pytest.raises(SystemExit):
        cli.main(["kpis", "--help"])
    assert "director" in capsys.readouterr().out


def test_demo_seeds_then_rebuilds(monkeypatch, sqlite_url, capsys):
    """`demo` hands the simulator a progress callback, then runs a full refresh."""
    calls = {}

    def fake_seed(*, scale, seed, progress, **_context):
        calls.update(scale=scale, seed=seed)
        progress("half way", 0.5)
        return {"contacts": 0}

    fake = type(sys)("jobs.sources.simulator")
    fake.seed_demo = fake_seed
    monkeypatch.setitem(sys.modules, "jobs.sources.simulator", fake)
    monkeypatch.setenv("MIRADOR_DATABASE_URL", sqlite_url)
    code, out, err = run_cli(capsys, "demo", "--scale", "large", "--seed", "3")
    assert code == 0 and calls == {"scale": "large", "seed": 3}
    assert "50.0% half way" in err
    assert json.loads(out)["refresh"]["full"] is True


def test_demo_refuses_a_database_with_data(monkeypatch, sqlite_url, capsys):
    def refusing_seed(**_kwargs):
        raise ValueError("the database already has agents")

    fake = type(sys)("jobs.sources.simulator")
    fake.seed_demo = refusing_seed
    monkeypatch.setitem(sys.modules, "jobs.sources.simulator", fake)
    monkeypatch.setenv("MIRADOR_DATABASE_URL", sqlite_url)
    code, out, err = run_cli(capsys, "demo")
    assert code == 1 and out == "" and "already has agents" in err


def test_worker_runs_the_scheduler_with_the_settings(monkeypatch, sqlite_url):
    import jobs.scheduler

    seen = []
    monkeypatch.setattr(jobs.scheduler, "run_worker", lambda settings: seen.append(settings.database_url))
    monkeypatch.setenv("MIRADOR_DATABASE_URL", sqlite_url)
    assert cli.main(["worker"]) == 0 and seen == [sqlite_url]


def test_python_dash_m_jobs_kpis_in_a_real_process(sqlite_url):
    engine = make_engine(sqlite_url)
    own = session_factory(engine)
    build_day(own)
    refresh.run(session_factory=own, settings=load_settings(database_url=sqlite_url), now=NOW)
    engine.dispose()
    env = {**os.environ, "MIRADOR_DATABASE_URL": sqlite_url, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "jobs", *DAY_ARGS, "--by", "team"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert row["team"] == "North" and same(row["service_level"], 2 / 7) and same(row["occupancy"], 0.4)
