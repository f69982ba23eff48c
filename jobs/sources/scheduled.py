"""The scheduled source jobs (ids ingest_asterisk, ingest_connect, ingest_surveys, ingest_csv): each
reads the path its setting names, only what changed since the last run (the queue_log is tailed
from its checkpoint; a folder's files are re-read only when their size or time changed)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jobs.sources.files import ingest_path
from jobs.sources.load_result import LoadResult
from models.db import SessionFactory
from models.settings import Settings

PATH_SETTINGS = {
    "asterisk": "asterisk_queue_log_path",
    "connect": "connect_dir",
    "surveys": "surveys_dir",
    "csv": "csv_dir",
}
CSV_FOLDERS = ("contacts", "states", "schedules")  # csv_dir/<kind>/*.csv


def run(*, kind: str, session_factory: SessionFactory, settings: Settings, now: datetime) -> list[LoadResult]:
    """Load what is new at the configured path (the caller refreshes the aggregates after)."""
    configured = getattr(settings, PATH_SETTINGS[kind])
    if not configured:
        return []
    root = Path(configured).expanduser()
    targets = (
        [(kind, root)]
        if kind != "csv"
        else [(sub, root / sub) for sub in CSV_FOLDERS if (root / sub).is_dir()]
    )
    return [
        ingest_path(
            session_factory=session_factory,
            settings=settings,
            kind=target_kind,
            path=path,
            now=now,
            only_changed=True,
            refresh=False,
        )
        for target_kind, path in targets
    ]
