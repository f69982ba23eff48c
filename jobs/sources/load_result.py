"""What one load did, summed over its files: the numbers `mirador ingest` prints, the scheduled jobs
record and the upload page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobs.sources.common import Parsed

MAX_LISTED = 200  # rejected records listed in a result (all of them are in the quarantine table)


@dataclass
class LoadResult:
    """What one load did: the numbers the CLI prints and the upload page shows."""

    kind: str
    files: int = 0
    records: int = 0
    readable: int = 0  # records that parsed (loaded, duplicate or skipped as not applicable)
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    unchanged_files: int = 0
    missing: bool = False
    full_refresh: bool = False
    batch_ids: list[int] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    refresh: dict[str, Any] | None = None

    @property
    def nothing_read(self) -> bool:
        """The CLI's failure: no such path, or every record rejected / every file unreadable."""
        return self.missing or (self.readable == 0 and (self.quarantined > 0 or bool(self.unreadable)))

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "files": self.files,
            "records": self.records,
            "rows_loaded": self.loaded,
            "duplicates_skipped": self.duplicates,
            "rows_quarantined": self.quarantined,
            "loaded_by_table": self.tables,
            "skipped": self.skipped,
            "quarantine_reasons": self.rejected,
            "unreadable_files": self.unreadable,
            "unchanged_files": self.unchanged_files,
            **self.detail,
            "refresh": self.refresh,
        }


def absorb(result: LoadResult, parsed: Parsed, written: Any, location: str) -> None:
    """Add one file: what it parsed to, and what its transaction wrote (store.Written)."""
    result.records += parsed.records
    result.readable += max(0, parsed.records - len(parsed.rejected))
    result.quarantined += len(parsed.rejected)
    result.duplicates += parsed.duplicates + written.duplicates
    for table, rows in written.tables.items():
        result.tables[table] = result.tables.get(table, 0) + rows
        result.loaded += rows
    for reason, count in (*parsed.skipped.items(), *written.skipped.items()):
        result.skipped[reason] = result.skipped.get(reason, 0) + count
    result.full_refresh |= written.full_refresh
    for key in ("linked", "unlinked"):
        if key in parsed.detail:
            result.detail[f"surveys_{key}"] = result.detail.get(f"surveys_{key}", 0) + parsed.detail[key]
    for r in parsed.rejected[: max(0, MAX_LISTED - len(result.rejected))]:
        result.rejected.append({"file": Path(location).name, "line": r.line_no, "reason": r.reason})


def merge(total: LoadResult, part: LoadResult) -> None:
    """Add another load's counts (several uploaded queue_logs: one run each)."""
    for name in ("files", "records", "readable", "loaded", "duplicates", "quarantined"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    for table, rows in part.tables.items():
        total.tables[table] = total.tables.get(table, 0) + rows
    total.rejected.extend(part.rejected[: max(0, MAX_LISTED - len(total.rejected))])
    total.batch_ids.extend(part.batch_ids)
    total.missing |= part.missing
