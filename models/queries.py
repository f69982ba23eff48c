"""Read side for pages and the CLI: KPIs per group, the home-page headline and data freshness.

Reads only the aggregates (plus two cheap max() probes for freshness), summed in SQL over
index-friendly local_date ranges and filtered by the viewer's scope; every ratio then comes from
models.metrics.kpi_frame (sums of numerators and denominators, never means of ratios).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import false, func, select
from sqlmodel import Session

from models import metrics
from models.access import Scope, Viewer, scope_for
from models.kpis import KPIS
from models.rollup_agent import ACTIVITY_COLUMNS
from models.settings import Settings
from models.tables import (
    Agent,
    AgentDay,
    AgentInterval,
    Contact,
    JobRun,
    Queue,
    QueueInterval,
    Team,
    Touchpoint,
)
from models.timegrid import coarse_interval, from_epoch, week_start

GROUPINGS = ("queue", "team", "agent", "channel", "touchpoint", "day", "week", "interval")
KEY_COLUMNS = {
    "queue": ["queue"],
    "team": ["team"],
    "agent": ["agent", "agent_name"],
    "channel": ["channel"],
    "touchpoint": ["touchpoint"],
    "day": ["day"],
    "week": ["week"],
    "interval": ["interval_start"],
}
QUEUE_ONLY = (
    "offered",
    "abandoned",
    "short_abandoned",
    "service_level",
    "abandon_rate",
    "avg_abandon_time",
    "asa",
)
QUEUE_SUMS = [
    c.name
    for c in QueueInterval.__table__.columns  # type: ignore[attr-defined]
    if c.name not in ("queue_id", "interval_start", "local_date", "max_wait")
]
ACTIVITY_SUMS = ACTIVITY_COLUMNS  # the AgentInterval seconds, one list with the refresh
AGENT_DAY_SUMS = [
    c.name
    for c in AgentDay.__table__.columns  # type: ignore[attr-defined]
    if c.name not in ("agent_id", "local_date")
]
PERFORMANCE = ("offered", "service_level", "asa", "abandon_rate", "aht", "occupancy", "adherence")
CUSTOMER = ("csat", "ces", "ces_easy", "nps", "fcr", "repeat_rate")
SAMPLES = {"csat": "csat_n", "ces": "ces_n", "ces_easy": "ces_n", "nps": "nps_n", "fcr": "known_customer"}
SAMPLES["repeat_rate"] = "known_customer"


def _within(column: Any, ids: frozenset[int] | None) -> Any:
    """Scope filter: no filter for None (everything), never-true for an empty set."""
    if ids is None:
        return None
    return column.in_(sorted(ids)) if ids else false()


def _run(session: Session, stmt: Any, names: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(session.execute(stmt).all(), columns=names)


# --- Sums per group -------------------------------------------------------------------------------


def _queue_key(by: str) -> Any:
    return {
        "queue": QueueInterval.queue_id,
        "team": Queue.team_id,
        "channel": Queue.channel,
        "touchpoint": Queue.touchpoint_id,
        "day": QueueInterval.local_date,
        "week": QueueInterval.local_date,
        "interval": QueueInterval.interval_start,
    }[by]


def _queue_sums(session: Session, scope: Scope, by: str, start: date, end: date) -> pd.DataFrame:
    key = _queue_key(by)
    cols = [func.sum(getattr(QueueInterval, c)) for c in QUEUE_SUMS]
    stmt = (
        select(key, Queue.sl_formula, *cols, func.max(QueueInterval.max_wait))
        .join(Queue, Queue.id == QueueInterval.queue_id)  # type: ignore[arg-type]
        .where(QueueInterval.local_date >= start, QueueInterval.local_date <= end)  # type: ignore[arg-type]
        .group_by(key, Queue.sl_formula)
    )
    allowed = _within(QueueInterval.queue_id, scope.queue_ids)
    if allowed is not None:
        stmt = stmt.where(allowed)
    return _run(session, stmt, ["key", "sl_formula", *QUEUE_SUMS, "max_wait"])


def _agent_sums(session: Session, scope: Scope, by: str, start: date, end: date) -> pd.DataFrame:
    table: Any = AgentInterval if by == "interval" else AgentDay
    names = AGENT_DAY_SUMS if by == "agent" else ACTIVITY_SUMS
    key = {
        "team": Agent.team_id,
        "agent": table.agent_id,
        "day": table.local_date,
        "week": table.local_date,
        "interval": table.interval_start if by == "interval" else None,
    }[by]
    stmt = (
        select(key, *[func.sum(getattr(table, c)) for c in names])
        .join(Agent, Agent.id == table.agent_id)  # type: ignore[arg-type]
        .where(table.local_date >= start, table.local_date <= end)
        .group_by(key)
    )
    allowed = _within(table.agent_id, scope.agent_ids)
    if allowed is not None:
        stmt = stmt.where(allowed)
    return _run(session, stmt, ["key", *names])


def _roll_keys(df: pd.DataFrame, by: str, settings: Settings) -> pd.DataFrame:
    """Turn day keys into ISO weeks and 15-minute starts into the configured interval length."""
    if df.empty:
        return df
    if by == "week":
        df = df.assign(key=[week_start(pd.Timestamp(d).date()) for d in df["key"]])
    elif by == "interval" and settings.interval_minutes != 15:
        zone, minutes = settings.zone, settings.interval_minutes
        starts = {s: coarse_interval(int(s), minutes, zone) for s in pd.unique(df["key"])}
        df = df.assign(key=df["key"].map(starts))
    return df


def _formula_per_group(queue: pd.DataFrame, settings: Settings) -> pd.Series:
    """Each group's SL formula: the one its queues share, else the centre default (named on screen)."""
    chosen = queue.assign(sl_formula=queue["sl_formula"].fillna(settings.sl_formula))
    distinct = chosen.groupby("key", dropna=False)["sl_formula"].agg(lambda s: sorted(set(s)))
    return distinct.map(lambda names: names[0] if len(names) == 1 else settings.sl_formula)


def group_sums(
    *, session: Session, viewer: Viewer, settings: Settings, start: date, end: date, by: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Summed aggregate columns per group key (index "key") and the SL formula of each group."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(GROUPINGS)}")
    scope = scope_for(session=session, viewer=viewer)
    parts, formulas = [], pd.Series(dtype=object)
    if by != "agent":
        queue = _roll_keys(_queue_sums(session, scope, by, start, end), by, settings)
        formulas = _formula_per_group(queue, settings) if not queue.empty else formulas
        sums = queue.drop(columns=["sl_formula", "max_wait"]).groupby("key", dropna=False).sum()
        sums["max_wait"] = queue.groupby("key", dropna=False)["max_wait"].max()
        parts.append(sums)
    if by not in ("queue", "channel", "touchpoint"):
        agent = _roll_keys(_agent_sums(session, scope, by, start, end), by, settings)
        parts.append(agent.groupby("key", dropna=False).sum())
    merged = pd.concat(parts, axis=1).sort_index() if parts else pd.DataFrame()
    return merged, formulas.reindex(merged.index).fillna(settings.sl_formula)


# --- KPIs -----------------------------------------------------------------------------------------


def kpis(
    *, session: Session, viewer: Viewer, settings: Settings, start: date, end: date, by: str
) -> pd.DataFrame:
    """METRICS.md KPIs per group for local days start..end (inclusive), within the viewer's scope.

    Key columns: queue | team | agent + agent_name | channel | touchpoint | day | week (ISO Monday)
    | interval_start (ISO UTC, settings.interval_minutes). Counts are integers; undefined values
    are missing (NaN or <NA>), which `metrics.frame_records` turns into None.
    """
    sums, formulas = group_sums(
        session=session, viewer=viewer, settings=settings, start=start, end=end, by=by
    )
    keys = KEY_COLUMNS[by]
    if sums.empty:
        empty = metrics.kpi_frame(pd.DataFrame({"offered": []}))
        return pd.DataFrame(columns=[*keys, *empty.columns])
    table = _kpi_table(sums, formulas)
    if by == "agent":
        table[list(QUEUE_ONLY)] = np.nan  # an agent has no queue: offered, SL, abandons are undefined
    if "max_wait" in sums.columns:
        table["max_wait"] = sums["max_wait"]
    labels = _labels(session, by, list(sums.index))
    for position, column in enumerate(keys):
        table.insert(position, column, [labels.get(k, (None, None))[position] for k in sums.index])
    return table.reset_index(drop=True).sort_values(
        keys[0], kind="stable", na_position="last", ignore_index=True
    )


def _kpi_table(sums: pd.DataFrame, formulas: pd.Series) -> pd.DataFrame:
    """metrics.kpi_frame, with the count KPIs (offered, answered, sample sizes...) as integers."""
    table = metrics.kpi_frame(sums, sl_formula=formulas)
    for column, kpi in KPIS.items():
        if kpi.unit == "count" and column in table.columns:
            table[column] = table[column].round().astype("Int64")
    return table


def _labels(session: Session, by: str, keys: list[Any]) -> dict[Any, tuple[Any, ...]]:
    """Display values of each group key (names, codes, ISO dates)."""
    if by in ("day", "week"):
        return {k: (pd.Timestamp(k).date().isoformat(),) for k in keys}
    if by == "interval":
        return {k: (from_epoch(int(k)).isoformat(),) for k in keys}
    if by == "channel":
        return {k: (k,) for k in keys}
    model, column = {
        "queue": (Queue, Queue.name),
        "team": (Team, Team.name),
        "touchpoint": (Touchpoint, Touchpoint.key),
        "agent": (Agent, Agent.code),
    }[by]
    ids = [int(k) for k in keys if k is not None and not pd.isna(k)]
    extra = [Agent.name] if by == "agent" else []
    rows = session.execute(select(model.id, column, *extra).where(model.id.in_(ids))).all() if ids else []  # type: ignore[attr-defined]
    return {row[0]: tuple(row[1:]) for row in rows}


def headline(*, session: Session, viewer: Viewer, settings: Settings, day: date) -> dict[str, Any]:
    """The home page's day: performance and customer KPIs side by side, with the previous day for
    deltas, the SL target and formula in use, and sample sizes (flagged under settings.min_sample)."""
    previous = day - timedelta(days=1)
    sums, formulas = group_sums(
        session=session, viewer=viewer, settings=settings, start=previous, end=day, by="day"
    )
    table = _kpi_table(sums, formulas) if not sums.empty else pd.DataFrame()

    def side(which: date) -> dict[str, Any]:
        hit = [k for k in sums.index if pd.Timestamp(k).date() == which]
        row = table.loc[hit[0]] if hit else pd.Series(dtype=float)
        raw = sums.loc[hit[0]] if hit else pd.Series(dtype=float)
        clean = metrics.frame_records(pd.DataFrame([row.reindex([*PERFORMANCE, *CUSTOMER])]))[0]
        samples = {name: _int(raw.get(col)) for name, col in SAMPLES.items()}
        return {
            "performance": {k: clean[k] for k in PERFORMANCE},
            "customer": {k: clean[k] for k in CUSTOMER},
            "samples": samples,
            "low_confidence": {
                k: bool(metrics.low_confidence(n, settings.min_sample)) for k, n in samples.items()
            },
        }

    today, before = side(day), side(previous)
    return {
        "day": day,
        "previous_day": previous,
        "sl_formula": _formula_of(formulas, day, settings),
        "sl_target": sl_target(session=session, viewer=viewer, settings=settings),
        **today,
        "previous": before,
    }


def _formula_of(formulas: pd.Series, day: date, settings: Settings) -> str:
    for key, name in formulas.items():
        if pd.Timestamp(key).date() == day:
            return str(name)
    return settings.sl_formula


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def sl_target(*, session: Session, viewer: Viewer, settings: Settings) -> float | None:
    """The SL target for the viewer's queues: their shared target, else the voice default."""
    scope = scope_for(session=session, viewer=viewer)
    stmt = select(Queue.sl_target, Queue.channel)
    allowed = _within(Queue.id, scope.queue_ids)
    rows = session.execute(stmt if allowed is None else stmt.where(allowed)).all()
    targets = {t if t is not None else settings.target_for(c) for t, c in rows}
    if not targets:
        return None
    return targets.pop() if len(targets) == 1 else settings.target_for("voice")


# --- Freshness ------------------------------------------------------------------------------------


def latest_data_day(*, session: Session, viewer: Viewer, settings: Settings) -> date | None:  # noqa: ARG001
    """The newest local day with aggregates the viewer may see (the pages' default day)."""
    scope = scope_for(session=session, viewer=viewer)
    found: list[date] = []
    for table, column, ids in (
        (QueueInterval, QueueInterval.queue_id, scope.queue_ids),
        (AgentDay, AgentDay.agent_id, scope.agent_ids),
    ):
        stmt = select(func.max(table.local_date))
        allowed = _within(column, ids)
        value = session.execute(stmt if allowed is None else stmt.where(allowed)).scalar()
        if value is not None:
            found.append(value if isinstance(value, date) else date.fromisoformat(str(value)))
    return max(found, default=None)


def refresh_version(*, session: Session) -> int:
    """Id of the latest successful refresh: the app's cache key (0 before the first one)."""
    value = session.execute(
        select(func.max(JobRun.id)).where(JobRun.job == "refresh", JobRun.status == "ok")
    ).scalar()
    return int(value or 0)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def freshness(*, session: Session, now: datetime) -> dict[str, Any]:
    """When the aggregates were last refreshed, the newest contact, and how far behind `now` it is."""
    refreshed = session.execute(
        select(func.max(JobRun.finished_at)).where(JobRun.job == "refresh", JobRun.status == "ok")
    ).scalar()
    newest_interval = session.execute(select(func.max(Contact.offered_interval))).scalar()
    newest = None
    if newest_interval is not None:
        newest = session.execute(
            select(func.max(Contact.offered_at)).where(Contact.offered_interval == newest_interval)
        ).scalar()
    refreshed, newest = _aware(refreshed), _aware(newest)
    return {
        "last_refresh_at": refreshed,
        "newest_contact_at": newest,
        "lag_s": (now - newest).total_seconds() if newest else None,
        "refresh_age_s": (now - refreshed).total_seconds() if refreshed else None,
    }
