"""Contacts for the aggregate refresh: load them (with their surveys and their customers' contacts
within the repeat window), find the neighbours whose repeat/FCR/switch flags a changed contact
alters, classify each contact with models.metrics, and sum them into QueueInterval rows.

Times are handled as integer epoch milliseconds computed in SQL, so SQLite and PostgreSQL give the
very same numbers without parsing datetimes row by row in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, ColumnElement, and_, cast, func, or_, select
from sqlmodel import Session

from models import metrics
from models.settings import Settings
from models.tables import Contact, Queue, QueueInterval, SurveyResponse
from models.timegrid import local_day_bounds

IN_CHUNK = 500  # values per IN (...) list: well under every driver's parameter limit
CONTACT_SUM_COLUMNS = [
    "offered",
    "short_abandoned",
    "answered",
    "answered_within_t",
    "abandoned",
    "abandoned_within_t",
    "unknown",
    "waiting",
    "answered_wait_sum",
    "abandoned_wait_sum",
    "exit_caller_abandon",
    "exit_timeout",
    "exit_key",
    "exit_empty",
    "exit_other",
    "transferred",
    "held",
    "hold_known",
    "known_customer",
    "repeats",
    "fcr_resolved",
    "channel_switches",
    "surveys_offered",
]
SURVEY_SUM_COLUMNS = [
    "surveys_answered",
    "csat_n",
    "csat_top2",
    "ces_n",
    "ces_sum",
    "ces_easy",
    "ces_difficult",
    "nps_n",
    "nps_promoters",
    "nps_detractors",
]
REPEAT_COLUMNS = ["known_customer", "repeats", "fcr_resolved", "channel_switches"]
QUEUE_INTERVAL_COLUMNS = [c.name for c in QueueInterval.__table__.columns]  # type: ignore[attr-defined]


def epoch_ms(session: Session, column: Any) -> ColumnElement[int]:
    """SQL for a timestamp column as integer epoch milliseconds (same result on both databases)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.round(func.extract("epoch", column) * 1000), BigInteger)
    # SQLite keeps UTC text; julianday() resolves milliseconds, rounding removes float noise.
    return cast(func.round((func.julianday(column) - 2440587.5) * 86400000.0), BigInteger)


def unindexed(column: Any, neutral: str | int) -> Any:
    """`column || ''` or `column + 0`: the same value, but no index of the column can serve it.
    SQLite has no statistics without ANALYZE, and its guesses would pick, e.g., the outcome index
    for "answered" (most of history) or one queue's index over its whole history."""
    return column + neutral


def to_ms(moment: datetime) -> int:
    return int(round(moment.timestamp() * 1000))


def chunks(values: Iterable[Any], size: int = IN_CHUNK) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


Columns = Mapping[str, str | None]  # column name -> dtype to enforce (None: keep what was read)
Names = Columns | Sequence[str]  # or just the names: every dtype as read (the live reads)


def _dtypes(columns: Names) -> Columns:
    return columns if isinstance(columns, Mapping) else dict.fromkeys(columns)


def typed(df: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """Enforce the numeric/boolean dtypes: an empty or all-None part must not turn a column into
    objects (pandas then falls back to slow per-group Python paths)."""
    wanted = {c: t for c, t in columns.items() if t is not None and df[c].dtype != t}
    return df.astype(wanted) if wanted else df


def empty(columns: Columns) -> pd.DataFrame:
    return _empty(tuple(columns.items())).copy()


@cache
def _empty(columns: tuple[tuple[str, str | None], ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t or object) for c, t in columns})


def frame(session: Session, stmt: Any, columns: Names) -> pd.DataFrame:
    """Run a Core select and return its rows as a DataFrame with the given columns and dtypes.

    Rows come straight from the DBAPI cursor as plain tuples: the selected columns need no result
    processing (ints, floats, text, booleans), and building Row objects for millions of facts would
    cost more than the query itself.
    """
    columns = _dtypes(columns)
    result = session.connection().execute(stmt)
    try:
        rows = result.cursor.fetchall() if result.cursor is not None else result.all()
    finally:
        result.close()
    if not rows:
        return empty(columns)
    # column by column, each straight into its dtype: a tenth of from_records + astype on the small
    # frames an incremental refresh or a live tick reads (None becomes NaN in a float column)
    data = {
        name: list(values) if dtype is None else np.array(values, dtype=dtype)
        for (name, dtype), values in zip(columns.items(), zip(*rows, strict=True), strict=True)
    }
    return pd.DataFrame(data)


def frame_in(
    session: Session, build: Callable[[list[Any]], Any], values: Iterable[Any], columns: Names
) -> pd.DataFrame:
    """`frame` over a statement built per chunk of an IN (...) list, concatenated."""
    columns = _dtypes(columns)
    parts = [frame(session, build(chunk), columns) for chunk in chunks(sorted(set(values)))]
    return concat(parts, columns)


def concat(parts: Sequence[pd.DataFrame], columns: Columns) -> pd.DataFrame:
    """Concatenate loaded parts, keeping the dtypes even when some (or all) parts are empty."""
    kept = [p for p in parts if not p.empty]
    return typed(pd.concat(kept, ignore_index=True), columns) if kept else empty(columns)


def local_dates(intervals: pd.Series | np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """Centre-local date of each interval start (epoch s), as an object array (None where missing)."""
    values = np.asarray(intervals, dtype=float)
    known = ~np.isnan(values)
    codes, uniques = pd.factorize(values[known].astype(np.int64))
    stamps = pd.to_datetime(uniques, unit="s", utc=True).tz_convert(zone)
    days = np.array([stamp.date() for stamp in stamps] + [None], dtype=object)[:-1]
    out = np.full(len(values), None, dtype=object)
    out[known] = days[codes]
    return out


def day_bounds_ms(day: date, zone: ZoneInfo) -> tuple[int, int]:
    """UTC epoch-ms bounds of a centre-local day."""
    start, end = local_day_bounds(day, zone)
    return to_ms(start), to_ms(end)


# --- Loading ----------------------------------------------------------------------------------------


CONTACT_DTYPES: dict[str, str | None] = {
    "id": "int64",
    "queue_id": "int64",
    "channel": None,
    "touchpoint_id": "float64",
    "agent_id": "float64",
    "customer_key": None,
    "offered_ms": "int64",
    "offered_interval": "int64",
    "completed_interval": "float64",
    "wait_s": "float64",
    "talk_s": "float64",
    "hold_s": "float64",
    "acw_s": "float64",
    "hold_count": "float64",
    "outcome": None,
    "exit_reason": None,
    "transferred": "bool",
    "survey_offered": "bool",
}


def _contact_select(session: Session) -> tuple[Any, Columns]:
    c = Contact
    cols = [
        c.id, c.queue_id, c.channel, c.touchpoint_id, c.agent_id, c.customer_key,
        epoch_ms(session, c.offered_at), c.offered_interval, c.completed_interval, c.wait_s, c.talk_s,
        c.hold_s, c.acw_s, c.hold_count, c.outcome, c.exit_reason, c.transferred, c.survey_offered,
    ]  # fmt: skip
    return select(*cols), CONTACT_DTYPES


def load_contacts(session: Session, *, where: Any = None) -> pd.DataFrame:
    """Contacts matching `where` (all when None) with the columns classification needs."""
    stmt, columns = _contact_select(session)
    return frame(session, stmt if where is None else stmt.where(where), columns)


def load_contacts_in(session: Session, column: Any, values: Iterable[Any]) -> pd.DataFrame:
    """Contacts whose `column` is one of `values` (chunked IN lists)."""
    stmt, columns = _contact_select(session)
    return frame_in(session, lambda chunk: stmt.where(column.in_(chunk)), values, columns)


def load_contacts_of_pairs(session: Session, pairs: Iterable[tuple[int, int]]) -> pd.DataFrame:
    """Contacts offered in the given (queue, interval) pairs (the queue + interval index)."""
    stmt, columns = _contact_select(session)

    def build(chunk: list[tuple[int, int]]) -> Any:
        return stmt.where(
            or_(*[and_(Contact.queue_id == q, Contact.offered_interval == i) for q, i in chunk])
        )

    return frame_in(session, build, pairs, columns)


def load_customer_context(
    session: Session,
    anchors: pd.DataFrame,
    window_s: float,
    *,
    reuse: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Every contact of the anchors' customers within `window_s` of their first/last anchor contact:
    the neighbours repeat and channel-switch flags look at (METRICS.md "Customer outcome metrics").

    `reuse` = (earlier anchors, their context): customers whose span that context already covers
    are served from it instead of being read again."""
    known = anchors.dropna(subset=["customer_key"])
    if known.empty:
        return empty(CONTACT_DTYPES)
    span = known.groupby("customer_key")["offered_ms"].agg(["min", "max"])
    parts = []
    if reuse is not None and not reuse[1].empty:
        old = (
            reuse[0].dropna(subset=["customer_key"]).groupby("customer_key")["offered_ms"].agg(["min", "max"])
        )
        old = old.reindex(span.index)
        covered = (old["min"] <= span["min"]) & (old["max"] >= span["max"])
        parts.append(reuse[1][reuse[1]["customer_key"].isin(set(span.index[covered]))])
        span = span[~covered]
    if not span.empty:
        pad = timedelta(seconds=window_s)
        lo = pd.Timestamp(int(span["min"].min()), unit="ms", tz="UTC").to_pydatetime() - pad
        hi = pd.Timestamp(int(span["max"].max()), unit="ms", tz="UTC").to_pydatetime() + pad
        stmt, columns = _contact_select(session)
        parts.append(
            frame_in(
                session,
                lambda chunk: stmt.where(
                    Contact.customer_key.in_(chunk),  # type: ignore[union-attr]
                    Contact.offered_at >= lo,  # type: ignore[operator]
                    Contact.offered_at <= hi,  # type: ignore[operator]
                ),
                span.index,
                columns,
            )
        )
    found = concat(parts, CONTACT_DTYPES)
    if found.empty:
        return found
    full_span = known.groupby("customer_key")["offered_ms"].agg(["min", "max"])
    bounds = full_span.reindex(found["customer_key"]).to_numpy()
    pad_ms = window_s * 1000
    near = (found["offered_ms"].to_numpy() >= bounds[:, 0] - pad_ms) & (
        found["offered_ms"].to_numpy() <= bounds[:, 1] + pad_ms
    )
    return found[near]


def affected_neighbours(context: pd.DataFrame, seeds: pd.DataFrame, *, window_s: float) -> pd.DataFrame:
    """Contacts (other than the seeds) whose repeat, FCR or channel-switch flag the seeds can change:
    each seed's immediate predecessor about the same touchpoint within `window_s` (it is now
    followed: FCR), and the customer's contacts after a seed within `window_s` (repeat, switch)."""
    known = context.dropna(subset=["customer_key"]).drop_duplicates("id")
    if known.empty:
        return known
    is_seed = known["id"].isin(set(seeds["id"].tolist()))
    ordered = known.assign(tp=known["touchpoint_id"].fillna(-1), seed=is_seed).sort_values(
        ["customer_key", "tp", "offered_ms", "id"], kind="stable"
    )
    same_topic = (ordered["customer_key"].shift(-1) == ordered["customer_key"]) & (
        ordered["tp"].shift(-1) == ordered["tp"]
    )
    close = (ordered["offered_ms"].shift(-1) - ordered["offered_ms"]) <= window_s * 1000
    followed_by_seed = same_topic & close & ordered["seed"].shift(-1, fill_value=False).astype(bool)
    predecessors = ordered[followed_by_seed & ~ordered["seed"]]
    seed_times = known[is_seed].groupby("customer_key")["offered_ms"].agg(["min", "max"])
    first = known["customer_key"].map(seed_times["min"])
    last = known["customer_key"].map(seed_times["max"]) + window_s * 1000
    later = known[(known["offered_ms"] > first) & (known["offered_ms"] <= last) & ~is_seed]
    return concat([predecessors[known.columns], later], CONTACT_DTYPES).drop_duplicates("id")


def load_surveys(session: Session, contact_ids: Iterable[int] | None) -> pd.DataFrame:
    """Survey answers linked to contacts (all, or those of `contact_ids`)."""
    columns = {
        "survey_id": "int64", "contact_id": "int64", "csat": "float64", "ces": "float64", "nps": "float64",
        "resolved": None,
    }  # fmt: skip
    s = SurveyResponse
    stmt = select(s.id, s.contact_id, s.csat, s.ces, s.nps, s.resolved).where(s.contact_id.is_not(None))  # type: ignore[union-attr]
    if contact_ids is None:
        return frame(session, stmt, columns)
    return frame_in(session, lambda chunk: stmt.where(s.contact_id.in_(chunk)), contact_ids, columns)  # type: ignore[union-attr]


def load_queues(session: Session) -> pd.DataFrame:
    rows = session.execute(select(Queue.id, Queue.sl_threshold_s)).all()
    return pd.DataFrame.from_records(rows, columns=["queue_id", "sl_threshold_s"])


# --- Classification ---------------------------------------------------------------------------------


def classify(
    contacts: pd.DataFrame, *, surveys: pd.DataFrame, queues: pd.DataFrame, settings: Settings, now: datetime
) -> pd.DataFrame:
    """One row per contact with every count/sum column it adds to QueueInterval and AgentDay.

    Waiting contacts older than `stale_after_h` at `now` count as unknown (METRICS.md "Contacts that
    never end"); T is the queue's threshold or the channel default.
    """
    # offered time then id: ties between a customer's contacts break the same way in every refresh
    df = (
        contacts.drop_duplicates("id").sort_values(["offered_ms", "id"], kind="stable").reset_index(drop=True)
    )
    stale_before = to_ms(now) - settings.stale_after_h * 3600 * 1000
    stale = (df["outcome"] == "waiting") & (df["offered_ms"] < stale_before)
    df["outcome"] = df["outcome"].where(~stale, "unknown")
    own_t = df["queue_id"].map(queues.set_index("queue_id")["sl_threshold_s"]).astype(float)
    threshold = own_t.fillna(df["channel"].map(settings.threshold_for).astype(float))
    flags = metrics.contact_flags(df, short_abandon_s=settings.short_abandon_s, threshold_s=threshold)
    repeats = metrics.repeat_flags(
        df.assign(offered_epoch=df["offered_ms"] / 1000.0),
        repeat_window_s=settings.repeat_window_days * 86400,
        switch_window_s=settings.channel_switch_window_h * 3600,
    )
    handled = (df["outcome"] == "answered") & df["completed_interval"].notna()
    handle = metrics.handle_time(talk_s=df["talk_s"], hold_s=df["hold_s"], acw_s=df["acw_s"])
    out = df[["id", "queue_id", "agent_id", "offered_interval", "completed_interval"]].copy()
    out = pd.concat([out, flags, repeats], axis=1)
    out["surveys_offered"] = df["survey_offered"].fillna(False).astype(bool).astype(np.int64)
    out["handled"] = handled.astype(np.int64)
    out["handle_time_sum"] = handle.fillna(0.0).where(handled, 0.0)
    out["wait_s"] = pd.to_numeric(df["wait_s"], errors="coerce").astype(float)
    return _with_surveys(out, surveys)


def _with_surveys(contacts: pd.DataFrame, surveys: pd.DataFrame) -> pd.DataFrame:
    """Add each contact's survey sums (METRICS.md: surveys count where the contact they rate counts)."""
    if surveys.empty:
        for column in SURVEY_SUM_COLUMNS:
            contacts[column] = 0.0 if column == "ces_sum" else 0
        return contacts
    flags = metrics.survey_flags(surveys)
    flags["surveys_answered"] = 1
    flags["contact_id"] = surveys["contact_id"].to_numpy()
    per_contact = flags.groupby("contact_id")[SURVEY_SUM_COLUMNS].sum()
    joined = per_contact.reindex(contacts["id"]).fillna(0)
    for column in SURVEY_SUM_COLUMNS:
        values = joined[column].to_numpy()
        contacts[column] = values if column == "ces_sum" else values.astype(np.int64)
    return contacts


# --- Queue x interval sums --------------------------------------------------------------------------


def queue_rows(classified: pd.DataFrame, *, intervals: set[int] | None, zone: ZoneInfo) -> pd.DataFrame:
    """QueueInterval rows for `intervals` (every interval when None): contacts where they were offered,
    handled/handle time where after-contact work completed."""
    offered = classified
    completed = classified[classified["handled"] == 1]
    if intervals is not None:
        offered = offered[offered["offered_interval"].isin(intervals)]
        completed = completed[completed["completed_interval"].isin(intervals)]
    sums = offered.groupby(["queue_id", "offered_interval"])[CONTACT_SUM_COLUMNS + SURVEY_SUM_COLUMNS].sum()
    sums["max_wait"] = offered.groupby(["queue_id", "offered_interval"])["wait_s"].max()
    sums.index = sums.index.set_names(["queue_id", "interval_start"])
    done = completed.assign(completed_interval=completed["completed_interval"].astype(np.int64))
    handled = done.groupby(["queue_id", "completed_interval"])[["handled", "handle_time_sum"]].sum()
    handled.index = handled.index.set_names(["queue_id", "interval_start"])
    rows = sums.join(handled, how="outer").reset_index()
    counts = [c for c in rows.columns if c not in ("max_wait", "queue_id", "interval_start")]
    rows[counts] = rows[counts].fillna(0)
    rows["local_date"] = local_dates(rows["interval_start"], zone)
    return rows[QUEUE_INTERVAL_COLUMNS]


def repeat_sums(classified: pd.DataFrame, pairs: set[tuple[int, int]]) -> pd.DataFrame:
    """Known-customer, repeat, FCR and switch counts of the contacts offered in (queue, interval)
    pairs: the only QueueInterval columns a neighbour's new contact can change."""
    keys = list(zip(classified["queue_id"].tolist(), classified["offered_interval"].tolist(), strict=True))
    mine = classified[np.array([key in pairs for key in keys], dtype=bool)]
    sums = mine.groupby(["queue_id", "offered_interval"])[REPEAT_COLUMNS].sum().reset_index()
    return sums.rename(columns={"offered_interval": "interval_start"})
