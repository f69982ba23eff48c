"""Database side shared by every ingest adapter: dimension rows created on first sight, quarantine,
source checkpoints, and contact upserts that report how many rows were new and how many were known."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, SQLModel

from models.rollup_queue import unindexed
from models.tables import Agent as AgentRow
from models.tables import AgentStateSegment, Contact, Quarantine, Queue, SourceCheckpoint
from models.timegrid import interval_of
from models.writes import CHUNK, upsert_rows

CONTACT = Contact.__table__  # type: ignore[attr-defined]
QUEUE = Queue.__table__  # type: ignore[attr-defined]
AGENT = AgentRow.__table__  # type: ignore[attr-defined]
QUARANTINE = Quarantine.__table__  # type: ignore[attr-defined]
RELOAD_COLUMNS = (
    "source_key offered_at answered_at ended_at wait_s talk_s outcome exit_reason transferred "
    "reconstructed ring_no_answer customer_key"
).split()


def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive; they were stored as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class Dimensions:
    """Queue ids by name and Agent ids by code, created on first sight and cached for one run."""

    def __init__(self, *, channel: str = "voice", agent_timezone: str = "Europe/Madrid") -> None:
        self.channel = channel
        self.agent_timezone = agent_timezone
        self.queues: dict[str, tuple[int, int | None]] = {}  # name -> (id, touchpoint_id)
        self.agents: dict[str, int] = {}

    def queue_ids(self, *, session: Session, names: Iterable[str]) -> dict[str, tuple[int, int | None]]:
        missing = sorted(set(names) - self.queues.keys())
        if missing:
            rows = [{"name": name, "channel": self.channel} for name in missing]
            upsert_rows(session, Queue, rows, conflict=["name"])
            for start in range(0, len(missing), CHUNK):
                chunk = missing[start : start + CHUNK]
                query = select(QUEUE.c.name, QUEUE.c.id, QUEUE.c.touchpoint_id).where(QUEUE.c.name.in_(chunk))
                for name, queue_id, touchpoint_id in session.execute(query):
                    self.queues[name] = (queue_id, touchpoint_id)
        return self.queues

    def agent_ids(self, *, session: Session, codes: Iterable[str]) -> dict[str, int]:
        missing = sorted(set(codes) - self.agents.keys())
        if missing:
            rows = [
                {
                    "code": code,
                    "name": code,
                    "team_id": None,
                    "is_remote": False,
                    "timezone": self.agent_timezone,
                    "active": True,
                }
                for code in missing
            ]
            upsert_rows(session, AgentRow, rows, conflict=["code"])
            for start in range(0, len(missing), CHUNK):
                chunk = missing[start : start + CHUNK]
                query = select(AGENT.c.code, AGENT.c.id).where(AGENT.c.code.in_(chunk))
                self.agents.update(dict(session.execute(query).all()))
        return self.agents


CONTACT_COLUMNS = (
    "source source_key batch_id queue_id channel touchpoint_id agent_id customer_key offered_at "
    "answered_at ended_at completed_at offered_interval completed_interval wait_s talk_s hold_s acw_s "
    "hold_count outcome exit_reason transferred reconstructed survey_offered ring_no_answer source_updated_at"
).split()
SEGMENT_COLUMNS = "source batch_id agent_id state reason start_at end_at".split()
_KEY, _OUTCOME, _ENDED = (CONTACT_COLUMNS.index(c) for c in ("source_key", "outcome", "ended_at"))
_UPDATED = [i for i, c in enumerate(CONTACT_COLUMNS) if c not in ("source", "source_key", "survey_offered")]
Encoder = Callable[[float | None], Any]
KEY_SEPARATOR = "\x1f"  # ASCII unit separator: never inside a queue_log callid or queue name
SQLITE_MAX_PARAMS = 32_766  # SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32


class _Stamps(dict[float | None, Any]):
    """epoch -> database value, computed on first use; `None` maps to None."""

    def __init__(self, sqlite: bool) -> None:
        super().__init__({None: None})
        self.zone = "" if sqlite else "+00"
        self.days: dict[float, str] = {}

    def __missing__(self, epoch: float) -> Any:
        if len(self) > 300_000:
            self.clear()
            self[None] = None
        # 'YYYY-MM-DD ' per day + the texts of the seconds of the hour: ~10x faster than strftime
        day, second = divmod(epoch, 86_400)
        prefix = self.days.get(day) or self._day(day)
        whole = int(second)
        if whole == second:  # queue_log times are whole seconds
            hour, within = divmod(whole, 3600)
            value = prefix + _seconds_of_hour(self.zone, hour)[within]
        else:
            micro = round((second - whole) * 1_000_000)
            if micro < 1_000_000:
                time = f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"
                value = f"{prefix}{time}.{micro:06d}{self.zone}"
            else:  # rounding reached the next second: format the general way
                text = str(datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None))
                value = (text if len(text) == 26 else text + ".000000") + self.zone
        self[epoch] = value
        return value

    def _day(self, day: float) -> str:
        prefix = self.days[day] = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%d ")
        return prefix


@cache
def _seconds_of_hour(zone: str, hour: int) -> list[str]:
    """The text of each whole second of one hour, with its fraction and zone suffix. Built per hour on
    first use: a big load needs all 24 (built once per process), a run of a few new lines one or two
    (a whole day's table took 60 ms, a tenth of such a run)."""
    return [
        f"{hour:02d}:{minute:02d}:{second:02d}.000000{zone}" for minute in range(60) for second in range(60)
    ]


def stamp_encoder(*, session: Session) -> Encoder:
    """A UTC instant given as epoch seconds, as text the database takes directly: in SQLite the
    text SQLAlchemy stores ('YYYY-MM-DD HH:MM:SS.ffffff', UTC), so bulk rows compare and read back
    exactly like ORM rows; on PostgreSQL the same with '+00', which COPY and the server parse in C
    (a datetime per value made psycopg's dumping a fifth of the ingest time). Memoised: instants
    recur across rows."""
    return _Stamps(sqlite=session.get_bind().dialect.name == "sqlite").__getitem__


def flag_encoder(*, session: Session) -> Callable[[bool], Any]:
    """A boolean as the database takes it fastest: SQLite stores True as 1 either way, but binds a bool
    through its adapter lookup (three times the cost of an int); PostgreSQL needs a real bool."""
    return int if session.get_bind().dialect.name == "sqlite" else bool


def bulk_upsert(
    session: Session,
    model: type[SQLModel],
    columns: Sequence[str],
    values: Sequence[tuple[Any, ...]],
    *,
    conflict: Sequence[str],
    update_columns: Sequence[str] | None = None,
    compare_columns: Sequence[str] = (),
    version_column: str | None = None,
) -> int:
    """INSERT .. ON CONFLICT of many rows (tuples in `columns` order, timestamps from stamp_encoder)
    without per-row SQLAlchemy work, the hot path of log ingestion: multi-row VALUES on SQLite (with
    a bigger page cache and fewer WAL checkpoints for this connection); COPY into a staging table and
    one INSERT .. SELECT on PostgreSQL. A conflicting row is updated only if one of `compare_columns`
    differs (when given), and never by a row whose `version_column` is older than the stored one (a
    late re-delivery; rows without a version on either side are not held back). Returns the rows
    inserted or updated."""
    if not values:
        return 0
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    quote = connection.dialect.identifier_preparer.quote
    table = quote(model.__table__.name)  # type: ignore[attr-defined]
    names = ", ".join(quote(c) for c in columns)
    action = "NOTHING"
    if update_columns:
        action = "UPDATE SET " + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update_columns)
        differs = "IS NOT" if sqlite else "IS DISTINCT FROM"
        conditions = []
        if compare_columns:
            conditions.append(
                "("
                + " OR ".join(f"{table}.{quote(c)} {differs} excluded.{quote(c)}" for c in compare_columns)
                + ")"
            )
        if version_column:
            stored, incoming = f"{table}.{quote(version_column)}", f"excluded.{quote(version_column)}"
            conditions.append(f"({stored} IS NULL OR {incoming} IS NULL OR {incoming} >= {stored})")
        if conditions:
            action += " WHERE " + " AND ".join(conditions)
    on_conflict = f"ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO {action}"
    if sqlite:  # one statement (and one release of the GIL) per ~1,300 rows
        connection.exec_driver_sql("PRAGMA cache_size = -65536")  # 64 MB: the contact table has 8 indexes
        connection.exec_driver_sql("PRAGMA wal_autocheckpoint = 20000")  # checkpoint every ~80 MB
        per_chunk = max(1, SQLITE_MAX_PARAMS // len(columns))
        row_marks = f"({', '.join('?' * len(columns))})"
        written = 0
        for start in range(0, len(values), per_chunk):
            chunk = values[start : start + per_chunk]
            sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([row_marks] * len(chunk))} {on_conflict}"
            flat = tuple(chain.from_iterable(chunk))
            written += int(connection.exec_driver_sql(sql, flat).rowcount)  # type: ignore[arg-type]
        return written
    stage = f"stage_{model.__table__.name}"  # type: ignore[attr-defined]
    with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {names} FROM {table} LIMIT 0")
        with cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} {on_conflict}")
        written = int(cursor.rowcount)
        cursor.execute(f"DROP TABLE {stage}")
    return written


def _progress(outcome: str, ended_at: object) -> int:
    """How far a contact got: a write never moves a stored contact backwards (waiting < unknown <
    answered without an end < ended), so a replayed or late line cannot undo a later state."""
    if outcome == "waiting":
        return 0
    if outcome == "unknown":
        return 1
    if outcome == "answered" and ended_at is None:
        return 2
    return 3


def write_contacts(
    *, session: Session, source: str, rows: Sequence[tuple[Any, ...]], known: set[str]
) -> tuple[list[str], int]:
    """Upsert contacts (tuples in CONTACT_COLUMNS order, timestamps from stamp_encoder) on
    (source, source_key). `known` holds keys whose stored row this run owns (loaded open, or written
    earlier): those are overwritten. Any other stored key is updated only if the new row got further
    (see _progress), else it is a duplicate. Returns (keys written, duplicates skipped); the written
    keys are added to `known`."""
    updates = [row for row in rows if row[_KEY] in known]
    fresh = [row for row in rows if row[_KEY] not in known]
    stored = _stored_progress(session, source, [row[_KEY] for row in fresh])
    inserts = [row for row in fresh if row[_KEY] not in stored]
    advanced = [
        row
        for row in fresh
        if row[_KEY] in stored and _progress(row[_OUTCOME], row[_ENDED]) > stored[row[_KEY]]
    ]
    columns, inserts = _without_empty_columns(CONTACT_COLUMNS, inserts)
    bulk_upsert(session, Contact, columns, inserts, conflict=["source", "source_key"])
    _update_contacts(session, updates + advanced)
    written = [row[_KEY] for row in (*inserts, *updates, *advanced)]
    known.update(written)
    return written, len(fresh) - len(inserts) - len(advanced)


def _without_empty_columns(
    columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> tuple[Sequence[str], Sequence[tuple[Any, ...]]]:
    """Leave out of an INSERT the columns that are None in every row (queue_log has no hold or
    after-contact work): they are stored NULL all the same, and binding fewer values is a sixth of
    the insert time. For inserts only: an update would leave such a column unchanged."""
    if not rows:
        return columns, rows
    keep = [i for i in range(len(columns)) if any(row[i] is not None for row in rows)]
    if len(keep) == len(columns):
        return columns, rows
    pick = itemgetter(*keep)
    return [columns[i] for i in keep], [pick(row) for row in rows]


def _stored_progress(session: Session, source: str, keys: list[str]) -> dict[str, int]:
    """Which keys are stored already, and how far (one array query on PostgreSQL)."""
    connection = session.connection()
    found: list[tuple[str, str, Any]] = []
    head = "SELECT source_key, outcome, ended_at FROM contact WHERE source = "
    if connection.dialect.name == "postgresql":
        if keys and not any(KEY_SEPARATOR in key for key in keys):  # one text parameter, split server-side
            found = connection.exec_driver_sql(
                f"{head}%s AND source_key = ANY(string_to_array(%s, %s))",
                (source, KEY_SEPARATOR.join(keys), KEY_SEPARATOR),
            ).all()  # type: ignore[assignment]
        elif keys:  # a list parameter: psycopg dumps it item by item, in Python
            found = connection.exec_driver_sql(f"{head}%s AND source_key = ANY(%s)", (source, keys)).all()  # type: ignore[assignment]
    else:
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            found += connection.exec_driver_sql(
                f"{head}? AND source_key IN ({marks})", (source, *chunk)
            ).all()  # type: ignore[arg-type]
    return {key: _progress(outcome, ended) for key, outcome, ended in found}


def _update_contacts(session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
    """Overwrite stored contacts by natural key (survey_offered is left to the survey job)."""
    if not rows:
        return
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    assignments = ", ".join(f"{quote(CONTACT_COLUMNS[i])} = {mark}" for i in _UPDATED)
    sql = f"UPDATE {quote(CONTACT.name)} SET {assignments} WHERE source = {mark} AND source_key = {mark}"
    params = [tuple(row[i] for i in _UPDATED) + (row[0], row[_KEY]) for row in rows]
    connection.exec_driver_sql(sql, params)  # type: ignore[arg-type]


def write_segments(*, session: Session, rows: Sequence[tuple[Any, ...]]) -> int:
    """Upsert agent state segments (tuples in SEGMENT_COLUMNS order, timestamps from stamp_encoder)
    on (agent_id, start_at): a segment closed later gets its end; an unchanged one is left alone.
    Returns the rows inserted or changed."""
    return bulk_upsert(
        session,
        AgentStateSegment,
        SEGMENT_COLUMNS,
        rows,
        conflict=["agent_id", "start_at"],
        update_columns=["source", "batch_id", "state", "reason", "end_at"],
        compare_columns=["state", "reason", "end_at"],
    )


def load_recent_contacts(
    *, session: Session, source: str, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Contacts a reader must know at start: every waiting one, and any other offered from `since` to
    `until` (answered ones still talking, and ended ones that a duplicate outcome could still hit).
    Both read by an index that narrows them to a few rows: the outcome index (few contacts wait)
    and the time window (not the source, which is its whole history; nor an open-ended time range,
    which is everything after an old log's clock)."""
    columns = [CONTACT.c[name] for name in RELOAD_COLUMNS]
    base = (
        select(*columns, QUEUE.c.name.label("queue"), AGENT.c.code.label("agent"))
        .join(QUEUE, QUEUE.c.id == CONTACT.c.queue_id)
        .outerjoin(AGENT, AGENT.c.id == CONTACT.c.agent_id)
        .where(unindexed(CONTACT.c.source, "") == source)
    )
    waiting = base.where(CONTACT.c.outcome == "waiting")
    recent = base.where(
        CONTACT.c.offered_interval.between(interval_of(since), interval_of(until)),
        CONTACT.c.offered_at >= since,
        CONTACT.c.offered_at <= until,
        unindexed(CONTACT.c.outcome, "") != "waiting",
    )
    found = []
    for query in (waiting, recent):
        for row in session.execute(query).mappings():
            item = dict(row)
            for name in ("offered_at", "answered_at", "ended_at"):
                item[name] = utc(item[name])
            found.append(item)
    return found


def close_stale_contacts(*, session: Session, source: str, before: datetime, batch_id: int) -> int:
    """METRICS.md "Contacts that never end": waiting longer than stale_after -> unknown (not abandoned)."""
    stmt = (
        update(CONTACT)
        .where(  # read by the outcome index: few contacts wait
            unindexed(CONTACT.c.source, "") == source,
            CONTACT.c.outcome == "waiting",
            CONTACT.c.offered_at < before,
        )
        .values(outcome="unknown", batch_id=batch_id)
    )
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def add_quarantine(*, session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Keep rejected input rows with where they came from and why; a row already kept (same source,
    location, line and text, e.g. a re-read file) is not stored twice. Returns rows stored."""
    clean = [
        {**row, "raw": _text(row.get("raw")), "reason": _text(row["reason"]) or "rejected"} for row in rows
    ]
    fresh: list[dict[str, Any]] = []
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in clean:
        groups.setdefault((row["source"], row["location"]), []).append(row)
    for (source, location), group in groups.items():
        lines = sorted({row["line_no"] for row in group if row.get("line_no") is not None})
        seen: set[tuple[int | None, str | None]] = set()
        for start in range(0, len(lines), CHUNK):
            query = select(QUARANTINE.c.line_no, QUARANTINE.c.raw).where(
                QUARANTINE.c.source == source,
                QUARANTINE.c.location == location,
                QUARANTINE.c.line_no.in_(lines[start : start + CHUNK]),
            )
            seen.update((line_no, raw) for line_no, raw in session.execute(query))
        fresh.extend(row for row in group if (row.get("line_no"), row["raw"]) not in seen)
    if fresh:
        session.execute(QUARANTINE.insert(), fresh)
    return len(fresh)


def _text(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL; keep it visible instead."""
    return None if value is None else value.replace("\x00", "\\x00")


def read_checkpoint(*, session: Session, source: str, location: str) -> SourceCheckpoint | None:
    return session.get(SourceCheckpoint, (source, location))


def save_checkpoint(
    *,
    session: Session,
    source: str,
    location: str,
    file_id: str | None,
    offset: int,
    last_key: str | None,
    now: datetime,
) -> None:
    """Written in the same transaction as the rows it covers, so a crash never skips or repeats rows."""
    row = {
        "source": source,
        "location": location,
        "file_id": file_id,
        "offset": offset,
        "last_key": last_key,
        "updated_at": now,
    }
    upsert_rows(
        session,
        SourceCheckpoint,
        [row],
        conflict=["source", "location"],
        update_columns=["file_id", "offset", "last_key", "updated_at"],
    )
