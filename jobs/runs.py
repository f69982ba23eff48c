"""Run a job body inside a recorded JobRun: its id is the batch id of every row the job writes."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from models.db import SessionFactory
from models.writes import finish_run, start_run

log = logging.getLogger(__name__)


@dataclass
class RunRecord:
    """Counters a job fills in while it runs; written to JobRun when it ends."""

    batch_id: int
    rows_in: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    newest_event_at: datetime | None = None
    detail: dict[str, object] = field(default_factory=dict)


@contextmanager
def recorded_run(factory: SessionFactory, job: str, now: datetime | None = None) -> Iterator[RunRecord]:
    """Record start and end (ok/failed with the error) of one job run; re-raises failures."""
    run_id = start_run(factory, job, now=now)
    record = RunRecord(batch_id=run_id)
    try:
        yield record
    except BaseException as exc:
        finish_run(
            factory,
            run_id,
            status="failed",
            rows_in=record.rows_in,
            rows_out=record.rows_out,
            rows_rejected=record.rows_rejected,
            error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}",
        )
        raise

    finish_run(
        factory,
        run_id,
        status="ok",
        rows_in=record.rows_in,
        rows_out=record.rows_out,
        rows_rejected=record.rows_rejected,
        newest_event_at=record.newest_event_at,
        detail=json.dumps(record.detail, default=str) if record.detail else None,
        now=datetime.now(UTC),
    )
