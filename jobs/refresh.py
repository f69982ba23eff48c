"""The aggregate refresh job: fold finished batches into QueueInterval, AgentInterval and AgentDay
(incrementally, or everything with full=True), recorded as JobRun job="refresh".

Reading and recomputing happen first; the rows are then swapped and the watermark advanced in one
short transaction, so readers never see half a refresh and SQLite's single writer is held briefly.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from jobs.runs import recorded_run
from models import rollup
from models.db import SessionFactory, analyze, session_scope
from models.settings import Settings


def run(
    *, session_factory: SessionFactory, settings: Settings, now: datetime | None = None, full: bool = False
) -> dict[str, Any]:
    """Refresh the aggregates up to `now`; returns what was folded in and how many rows were written."""
    now = now or datetime.now(UTC)
    started = time.perf_counter()
    with recorded_run(session_factory, rollup.REFRESH_JOB, now=now) as record:
        with session_scope(session_factory) as session:
            plan = rollup.plan_refresh(session=session, now=now, full=full)
            rebuild = rollup.compute(session=session, settings=settings, plan=plan)
        with session_scope(session_factory) as session:
            written = rollup.write(session=session, rebuild=rebuild, plan=plan)
        if plan.full:
            analyze(session_factory)  # a full rebuild follows a bulk load (demo seed, big ingest)
        record.rows_in = rebuild.facts_read
        record.rows_out = sum(written.values())
        record.detail = rollup.folded_detail(plan)
    return {
        "run_id": record.batch_id,
        "full": plan.full,
        "batches": plan.batch_ids,
        "watermark": plan.watermark,
        **written,
        "seconds": round(time.perf_counter() - started, 3),
    }
