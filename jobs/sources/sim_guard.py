"""The live mode's write rule, as real sources behave: a new row is inserted, a row still open gets
the fields it was missing, and a final row never changes. The incremental refresh relies on it
(a rewritten finished contact would leave a stale agent-day or interval behind).

Final: a contact answered with completed_at set, abandoned or unknown; a state segment with end_at
set; a schedule segment and a survey answer from the moment they are written. A replayed row that
would change a final row, or a field an open row already had, is a conflict: skipped and counted."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

IGNORED = frozenset({"id", "batch_id"})  # the run that wrote a row is not part of what it says
CONTACT_IDENTITY = (
    "source", "source_key", "queue_id", "channel", "touchpoint_id", "customer_key", "offered_at",
    "offered_interval", "reconstructed",
)  # fmt: skip
WAITING, ANSWERED, ENDED, FINAL = range(4)
# Columns a contact knows from a stage on (and then keeps).
KNOWN_FROM = (
    (ANSWERED, ("outcome", "agent_id", "answered_at", "wait_s", "ring_no_answer")),
    (ENDED, ("ended_at", "talk_s", "hold_s", "hold_count", "transferred")),
)
SEGMENT_IDENTITY = ("source", "agent_id", "start_at", "state", "reason")


@dataclass
class Merge:
    """What to write for one table: new rows, open rows to fill in, and refused changes (keys)."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[Hashable] = field(default_factory=list)

    @property
    def written(self) -> int:
        return len(self.inserts) + len(self.updates)


def same(value: Any, other: Any) -> bool:
    """Equal as stored (SQLite hands timestamps back naive; they are UTC)."""
    return _norm(value) == _norm(other)


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _differs(new: dict[str, Any], stored: dict[str, Any], columns: Iterable[str] | None = None) -> list[str]:
    names = [c for c in new if c not in IGNORED] if columns is None else list(columns)
    return [c for c in names if c in new and not same(new[c], stored.get(c))]


def contact_stage(row: dict[str, Any]) -> int:
    """WAITING, ANSWERED (talking), ENDED (after-contact work) or FINAL."""
    if row["outcome"] == "waiting":
        return WAITING
    if row["outcome"] != "answered" or row["completed_at"] is not None:
        return FINAL
    return ENDED if row["ended_at"] is not None else ANSWERED


def _merge(
    rows: list[dict[str, Any]],
    stored: dict[Hashable, dict[str, Any]],
    key: Callable[[dict[str, Any]], Hashable],
    may_fill: Callable[[dict[str, Any], dict[str, Any]], bool],
) -> Merge:
    merge = Merge()
    for row in rows:
        old = stored.get(key(row))
        if old is None:
            merge.inserts.append(row)
        elif not _differs(row, old):
            continue  # already recorded as it is: nothing to write
        elif may_fill(row, old):
            merge.updates.append(row)
        else:
            merge.conflicts.append(key(row))
    return merge


def _contact_fill(new: dict[str, Any], old: dict[str, Any]) -> bool:
    stage = contact_stage(old)
    if stage == FINAL or contact_stage(new) < stage:
        return False
    known = [*CONTACT_IDENTITY, *(c for since, cols in KNOWN_FROM if stage >= since for c in cols)]
    return not _differs(new, old, known)


def _segment_fill(new: dict[str, Any], old: dict[str, Any]) -> bool:
    return old["end_at"] is None and not _differs(new, old, SEGMENT_IDENTITY)


def _never(_new: dict[str, Any], _old: dict[str, Any]) -> bool:
    return False


def contact_key(row: dict[str, Any]) -> Hashable:
    return row["source"], row["source_key"]


def segment_key(row: dict[str, Any]) -> Hashable:
    return row["agent_id"], _norm(row["start_at"])


def merge_contacts(rows: list[dict[str, Any]], stored: dict[Hashable, dict[str, Any]]) -> Merge:
    """Stored rows keyed by contact_key."""
    return _merge(rows, stored, contact_key, _contact_fill)


def merge_segments(rows: list[dict[str, Any]], stored: dict[Hashable, dict[str, Any]]) -> Merge:
    """Agent state segments; stored rows keyed by segment_key."""
    return _merge(rows, stored, segment_key, _segment_fill)


def merge_final(
    rows: list[dict[str, Any]],
    stored: dict[Hashable, dict[str, Any]],
    key: Callable[[dict[str, Any]], Hashable],
) -> Merge:
    """Rows that are final when written (schedule segments, survey answers): insert or leave."""
    return _merge(rows, stored, key, _never)
