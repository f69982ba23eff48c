"""Server time of the coach's page on a seeded database (targets at `large`: switching agent <= 200 ms,
saving a coaching session <= 100 ms).

    python -m bench.agent_coach sqlite:////tmp/large.db

Measures (a) the page script run under Streamlit's AppTest (no browser): the first run, and switching
to another agent (a new agent's loaders are cold; the directory and lexicon are already cached, as
for a coach already on the page), and (b) the same per-agent reads and the coaching save through
models directly. Saving writes real coaching sessions (notes "benchmark"): use a scratch database.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.signin import signed_in

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "pages" / "agent_coach.py"
AGENTS = 13  # agents visited; the median is reported (a shared machine makes single runs noisy)


WRAPPER = """
import time
import streamlit as st
_started, _cpu = time.perf_counter(), time.thread_time()
try:
    exec(compile(open({page!r}, encoding="utf-8").read(), {page!r}, "exec"), {{"__name__": "__main__"}})
finally:
    st.session_state["_bench_script_s"] = time.perf_counter() - _started
    st.session_state["_bench_script_cpu_s"] = time.thread_time() - _cpu
"""


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _page_times(database_url: str, codes: list[str]) -> list[tuple[str, float]]:
    """AppTest wall time (script + AppTest's own element tree) and the script's own run time."""
    from streamlit.testing.v1 import AppTest

    os.environ["MIRADOR_DATABASE_URL"] = database_url
    os.environ["MIRADOR_SCHEDULER_MODE"] = "worker"
    with tempfile.TemporaryDirectory() as folder:
        wrapper = Path(folder) / "agent_coach_timed.py"
        wrapper.write_text(WRAPPER.format(page=str(PAGE)), encoding="utf-8")
        at = signed_in(AppTest.from_file(str(wrapper), default_timeout=120), database_url)
        at.query_params["agent"] = codes[0]
        started = time.perf_counter()
        at.run()
        first = (time.perf_counter() - started, at.session_state["_bench_script_s"])
        walls, scripts, cpus, reruns = [], [], [], []
        for code in codes[1:]:
            started = time.perf_counter()
            at.selectbox(key="coach_agent").select(code).run()
            walls.append(time.perf_counter() - started)
            scripts.append(at.session_state["_bench_script_s"])
            cpus.append(at.session_state["_bench_script_cpu_s"])
            at.run()
            reruns.append(at.session_state["_bench_script_s"])
            if at.exception:
                raise RuntimeError(f"agent_coach raised: {at.exception[0].message}")
    n = len(walls)
    return [
        ("agent_coach first run (script / AppTest wall)", first[1]),
        ("agent_coach first run (AppTest wall)", first[0]),
        (f"agent_coach SWITCH AGENT, script time (median of {n})", _median(scripts)),
        (f"agent_coach switch agent, script time (min of {n})", min(scripts)),
        (f"agent_coach switch agent, script time (max of {n})", max(scripts)),
        (f"agent_coach switch agent, script thread CPU (median of {n})", _median(cpus)),
        (f"agent_coach switch agent, AppTest wall (median of {n})", _median(walls)),
        (f"agent_coach rerun same agent, script time (median of {n})", _median(reruns)),
    ]


def _model_times(database_url: str) -> tuple[list[tuple[str, float]], list[str]]:
    from models import access, coaching, coaching_reads, queries, scorecard, themes, voice, wellbeing
    from models.db import open_database, session_scope
    from models.settings import load_settings

    settings = load_settings(database_url=database_url)
    engine, factory = open_database(settings)
    with factory() as session:
        viewer = access.demo_viewer(session=session)
        if viewer is None:
            raise RuntimeError("no director in this database: seed it first (mirador demo)")
        directory = scorecard.agent_directory(session=session, viewer=viewer)
        end = (
            queries.latest_data_day(session=session, viewer=viewer, settings=settings)
            or datetime.now(UTC).date()
        )
        lexicon = themes.load_lexicon(session=session)
    start, today = end - timedelta(days=27), coaching.local_today(settings)
    step = max(1, len(directory) // AGENTS)
    picked = directory.iloc[::step].head(AGENTS)
    reads: dict[str, list[float]] = {}
    per_agent: dict[str, Callable[[dict[str, Any]], object]] = {
        "scorecard": lambda a: scorecard.agent_scorecard(**a, settings=settings, start=start, end=end),
        "trend": lambda a: scorecard.agent_trend(**a, end=end),
        "wellbeing": lambda a: wellbeing.wellbeing(**a, settings=settings, start=start, end=end, today=today),
        "answers": lambda a: voice.agent_answers(
            **a, settings=settings, start=start, end=end, lexicon=lexicon
        ),
        "coaching log": lambda a: (
            coaching_reads.sessions_for_agent(**a),
            coaching_reads.commitments_for_agent(**a, today=today),
            coaching_reads.before_after(**a, settings=settings, today=today),
        ),
    }
    for agent_id in picked["id"].astype(int):
        with factory() as s:
            args = {"session": s, "viewer": viewer, "agent_id": agent_id}
            total = 0.0
            for name, read in per_agent.items():
                started = time.perf_counter()
                read(args)
                reads.setdefault(name, []).append(time.perf_counter() - started)
                total += reads[name][-1]
            reads.setdefault("all five sections of one agent", []).append(total)
    saves = []
    promise = coaching.CommitmentDraft("Review two calls", "Coach", today + timedelta(days=7))
    for agent_id in picked["id"].astype(int):
        started = time.perf_counter()
        with session_scope(factory) as s:
            coaching.create_session(
                session=s, viewer=viewer, settings=settings, agent_id=agent_id, session_date=today,
                focus_kpi="aht", notes="benchmark " * 40,
                commitments=[promise, promise],
            )  # fmt: skip
        saves.append(time.perf_counter() - started)
    engine.dispose()
    results = [(f"models: {name} (median of {len(v)})", _median(v)) for name, v in reads.items()]
    results.append((f"SAVE COACHING SESSION + 2 commitments (median of {len(saves)})", _median(saves)))
    results.append((f"save coaching session + 2 commitments (max of {len(saves)})", max(saves)))
    return results, picked["code"].tolist()


def run(database_url: str) -> list[tuple[str, float]]:
    """(label, seconds) for the coach's page on an already seeded database."""
    model_results, codes = _model_times(database_url)
    return _page_times(database_url, codes) + model_results


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MIRADOR_DATABASE_URL", "")
    if not url:
        raise SystemExit("usage: python -m bench.agent_coach DATABASE_URL (a seeded scratch database)")
    cpu = time.process_time()
    for label, seconds in run(url):
        print(f"  {label:<64} {seconds * 1000:>9.1f} ms", flush=True)
    print(f"  (process CPU time {time.process_time() - cpu:.1f} s, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
