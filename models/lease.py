"""The scheduler lease: one row per name saying which process may run jobs, and until when.

Taking it is one conditional UPDATE (renew, or take over an expired lease) followed, when no row
exists yet, by INSERT ... ON CONFLICT DO NOTHING RETURNING; the rows touched decide, so two
processes racing for it on SQLite or PostgreSQL can never both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models.tables import SchedulerLease

LEASE_TABLE: Table = SchedulerLease.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class LeaseState:
    """Who holds a lease and until when (tz-aware UTC)."""

    name: str
    holder: str
    expires_at: datetime
    renewed_at: datetime

    def is_valid(self, now: datetime) -> bool:
        return self.expires_at > now


def _utc(moment: datetime) -> datetime:
    """SQLite hands DateTime(timezone=True) back naive (stored as UTC); make it aware again."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def try_acquire_lease(*, session: Session, name: str, holder: str, now: datetime, ttl_s: float) -> bool:
    """Take, renew or take over the lease `name` for `ttl_s` seconds; True if `holder` now holds it.

    The caller commits (session_scope) right away: on SQLite the transaction holds the write lock,
    and the lease only counts for other processes once committed.
    """
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass a UTC-aware `now`")
    now = now.astimezone(UTC)
    expires_at = now + timedelta(seconds=ttl_s)
    renewed = session.execute(
        update(LEASE_TABLE)
        .where(LEASE_TABLE.c.name == name)
        .where(or_(LEASE_TABLE.c.holder == holder, LEASE_TABLE.c.expires_at < now))
        .values(holder=holder, expires_at=expires_at, renewed_at=now)
    )
    if renewed.rowcount == 1:  # type: ignore[attr-defined]
        return True
    dialect = session.get_bind().dialect.name
    insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
    created = session.execute(
        insert_fn(LEASE_TABLE)
        .values(name=name, holder=holder, expires_at=expires_at, renewed_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(LEASE_TABLE.c.name)  # a row back means ours; INSERT rowcount is not portable
    )
    return created.first() is not None


def release_lease(*, session: Session, name: str, holder: str) -> bool:
    """Give the lease back (only if `holder` has it) so another process need not wait for expiry."""
    result = session.execute(
        delete(LEASE_TABLE).where(LEASE_TABLE.c.name == name).where(LEASE_TABLE.c.holder == holder)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def current_lease(*, session: Session, name: str) -> LeaseState | None:
    """The lease row as it stands (possibly expired), for the data-health page and tests."""
    row = session.execute(select(LEASE_TABLE).where(LEASE_TABLE.c.name == name)).mappings().first()
    if row is None:
        return None
    return LeaseState(
        name=row["name"],
        holder=row["holder"],
        expires_at=_utc(row["expires_at"]),
        renewed_at=_utc(row["renewed_at"]),
    )
