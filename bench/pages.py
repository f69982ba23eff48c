"""Server time of each page: the script run measured with Streamlit's AppTest (no browser)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench.signin import signed_in

ROOT = Path(__file__).resolve().parents[1]


def time_pages(database_url: str, reruns: int = 3) -> list[tuple[str, float]]:
    """(label, seconds) per page: the first (cold cache) run and the median warm rerun."""
    from streamlit.testing.v1 import AppTest

    os.environ["MIRADOR_DATABASE_URL"] = database_url
    os.environ["MIRADOR_SCHEDULER_MODE"] = "worker"
    results: list[tuple[str, float]] = []
    from models.access import pages_for

    for page in sorted((ROOT / "pages").glob("*.py")):
        if page.stem not in pages_for("director"):  # admin pages: not what leaders wait on
            continue
        at = signed_in(AppTest.from_file(str(page), default_timeout=120), database_url)
        started = time.perf_counter()
        at.run()
        cold = time.perf_counter() - started
        if at.exception:
            raise RuntimeError(f"{page.name} raised: {at.exception[0].message}")
        warm = []
        for _ in range(reruns):
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
        warm.sort()
        results.append((f"{page.stem} (first run)", cold))
        results.append((f"{page.stem} (rerun, median of {reruns})", warm[len(warm) // 2]))
    return results
