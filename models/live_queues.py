"""Queues and customers for the live team view: per queue now and so far today (waiting, longest
wait, SL / abandon / ASA against target with since-when), the customer side today, the newest
survey comments, and the call-back list. Reads today's QueueInterval rows and small "now" slices.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models import metrics
from models.rollup_queue import epoch_ms, frame_in, unindexed
from models.settings import Settings
from models.tables import Contact, QueueInterval, SurveyResponse
from models.timegrid import local_day_bounds

if TYPE_CHECKING:
    from models.live import LiveThresholds, LiveView

HANDLING = ("on_contact", "acw")
QUEUE_FLAGS = ("sl_breach", "abandon_breach", "wait_breach")
COMMENT_LIMIT = 20


_QI_SUMS = [
    c.name
    for c in QueueInterval.__table__.columns
    if c.name not in ("queue_id", "interval_start", "local_date", "max_wait")
]  # type: ignore[attr-defined]


def load_queue_day(session: Session, queue_ids: list[int], day: date) -> pd.DataFrame:
    """Today's QueueInterval rows of the given queues (read by the local_date index)."""
    qi = QueueInterval
    cols = [qi.queue_id, qi.interval_start, *(getattr(qi, c) for c in _QI_SUMS)]
    rows = frame_in(
        session,
        lambda chunk: select(*cols).where(qi.local_date == day, qi.queue_id.in_(chunk)),  # type: ignore[attr-defined]
        queue_ids,
        ["queue_id", "interval_start", *_QI_SUMS],
    )
    rows = rows.astype(dict.fromkeys(_QI_SUMS, float) | {"queue_id": np.int64, "interval_start": np.int64})
    return rows.sort_values(["queue_id", "interval_start"], kind="stable").reset_index(drop=True)


STRIP_SUMS = [*metrics.SL_INPUTS, "answered_wait_sum", "handled", "handle_time_sum"]


def _kpis(sums: np.ndarray, formula: np.ndarray) -> dict[str, np.ndarray]:
    """SL (each row's own formula), abandon rate, ASA and AHT from rows of STRIP_SUMS columns,
    through models.metrics on plain arrays (only what the strip shows, so a refresh stays fast)."""
    col = {name: sums[:, i] for i, name in enumerate(STRIP_SUMS)}
    sl = np.full(len(sums), np.nan)
    for name in pd.unique(formula):
        mine = formula == name
        value = metrics.service_level(**{c: col[c] for c in metrics.SL_INPUTS}, formula=name)
        sl = np.where(mine, np.asarray(value, dtype=float), sl)
    return {
        "service_level": sl,
        "abandon_rate": np.asarray(
            metrics.abandon_rate(
                abandoned=col["abandoned"], offered=col["offered"], short_abandoned=col["short_abandoned"]
            ),
            dtype=float,
        ),
        "asa": np.asarray(metrics.asa(answered_wait_sum=col["answered_wait_sum"], answered=col["answered"])),
        "aht": np.asarray(metrics.aht(handle_time_sum=col["handle_time_sum"], handled=col["handled"])),
    }


def _trailing_run_start(bad: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Per group [first, last]: the position where its trailing run of `bad` rows begins (-1 when
    the group's last row is not bad)."""
    position = np.arange(len(bad))
    last_ok = np.maximum.reduceat(np.where(bad, -1, position), first) if len(bad) else first
    start = np.maximum(last_ok + 1, first)
    return np.where(bad[last] if len(bad) else False, start, -1)


def queue_strip(
    *,
    view: LiveView,
    day_rows: pd.DataFrame,
    waiting: pd.DataFrame,
    now_state: pd.DataFrame,
    now_ms: int,
    thresholds: LiveThresholds,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per queue: waiting now, longest wait, agents by state, SL/abandon/ASA so far today
    against target with breach flags and since-when (when the so-far-today value last crossed into
    breach); per queue x interval SL for the sparklines)."""
    q = view.queues.set_index("queue_id")
    rows = day_rows[day_rows["queue_id"].isin(q.index)]
    qid = rows["queue_id"].to_numpy(dtype=np.int64)
    starts = rows["interval_start"].to_numpy(dtype=np.int64)
    sums = rows[STRIP_SUMS].to_numpy(dtype=float)
    formula = q["formula"].reindex(qid).fillna("short_abandons_excluded").to_numpy()
    per_interval = _kpis(sums, formula)
    sparklines = pd.DataFrame(
        {
            "queue_id": qid,
            "interval_start": starts,
            "offered": sums[:, 0],
            "service_level": per_interval["service_level"],
        }
    )
    # so far today: running sums within each queue (rows are sorted by queue, then interval)
    first = np.flatnonzero(np.r_[True, qid[1:] != qid[:-1]]) if len(qid) else np.array([], dtype=np.int64)
    lengths = np.diff(np.r_[first, len(qid)])
    last = first + lengths - 1
    running = np.cumsum(sums, axis=0)
    before = np.vstack([np.zeros((1, len(STRIP_SUMS))), running])[first]  # sums before each queue's rows
    running = running - np.repeat(before, lengths, axis=0)
    so_far = _kpis(running, formula)
    target = q["target"].reindex(qid).to_numpy(dtype=float)
    sl_start = _trailing_run_start(so_far["service_level"] < target, first, last)
    ab_start = _trailing_run_start(so_far["abandon_rate"] > thresholds.abandon_rate_max, first, last)

    out = q[["queue", "channel", "team_id", "threshold_s", "target", "formula"]].copy()
    at_last = pd.Index(qid[last])
    for name in ("service_level", "abandon_rate", "asa", "aht"):
        out[name] = pd.Series(so_far[name][last], index=at_last).reindex(out.index)
    for name in ("offered", "handled"):
        column = running[:, STRIP_SUMS.index(name)]
        out[name] = pd.Series(column[last], index=at_last).reindex(out.index).fillna(0.0)
    out["abandon_max"] = thresholds.abandon_rate_max
    since = {
        name: np.where(pos >= 0, starts[np.maximum(pos, 0)] * 1000.0, np.nan)
        for name, pos in (("sl", sl_start), ("abandon", ab_start))
    }
    for name, breach in (("sl", "sl_breach"), ("abandon", "abandon_breach")):
        out[f"{name}_since_ms"] = pd.Series(since[name], index=at_last).reindex(out.index)
        out[breach] = out[f"{name}_since_ms"].notna()
    waits = (now_ms - waiting["offered_ms"].to_numpy(dtype=float)) / 1000.0
    by_queue = pd.DataFrame(
        {
            "queue_id": waiting["queue_id"].to_numpy(),
            "wait": waits,
            "at": waiting["offered_ms"].to_numpy(dtype=float),
        }
    )
    grouped = by_queue.groupby("queue_id")
    out["waiting"] = grouped.size().reindex(out.index).fillna(0).astype(int)
    out["longest_wait"] = pd.Series(
        {key: metrics.longest_wait(waits_s=g["wait"].to_numpy()) for key, g in grouped}, dtype=float
    ).reindex(out.index)
    out["wait_breach"] = (out["longest_wait"] > out["threshold_s"]).fillna(False).astype(bool)
    out["wait_since_ms"] = grouped["at"].min().reindex(out.index).where(out["wait_breach"])
    team_of = view.agents.set_index("agent_id")["team_id"].reindex(now_state.index).to_numpy()
    state = now_state["state"].to_numpy()
    for label, wanted in (("available", ("available",)), ("on_contact", HANDLING), ("aux", ("aux",))):
        teams = team_of[np.isin(state, wanted)]
        counts = pd.Series(teams).value_counts()
        out[f"agents_{label}"] = [len(teams) if pd.isna(t) else int(counts.get(t, 0)) for t in out["team_id"]]
    return out.reset_index(), sparklines


def load_waiting(session: Session, queue_ids: list[int], now: datetime, settings: Settings) -> pd.DataFrame:
    """Contacts still waiting now (younger than `stale_after`: older ones are closed as unknown)."""
    c = Contact
    since = now - timedelta(hours=settings.stale_after_h)
    return frame_in(
        session,
        lambda chunk: select(
            c.id, c.queue_id, c.channel, c.customer_key, epoch_ms(session, c.offered_at)
        ).where(
            c.outcome == "waiting",
            unindexed(c.queue_id, 0).in_(chunk),
            c.offered_at >= since,
            c.offered_at <= now,  # type: ignore[attr-defined,operator]
        ),
        queue_ids,
        ["contact_id", "queue_id", "channel", "customer_key", "offered_ms"],
    )


# --- Customer side, comments, call-backs ------------------------------------------------------------


def customer_side(day_rows: pd.DataFrame, settings: Settings) -> dict[str, Any]:
    """Today's CSAT, CES, NPS (with sample sizes and low-confidence flags) and repeat-contact rate."""
    totals = (
        day_rows[_QI_SUMS].sum().to_frame().T
        if len(day_rows)
        else pd.DataFrame(0, index=[0], columns=_QI_SUMS)
    )
    n = {c: float(totals[c].iloc[0]) for c in _QI_SUMS}
    out = {
        "csat": metrics.csat(csat_top2=n["csat_top2"], csat_n=n["csat_n"]),
        "ces": metrics.ces(ces_sum=n["ces_sum"], ces_n=n["ces_n"]),
        "ces_easy": metrics.ces_easy_share(ces_easy=n["ces_easy"], ces_n=n["ces_n"]),
        "ces_difficult": metrics.ces_difficult_share(ces_difficult=n["ces_difficult"], ces_n=n["ces_n"]),
        "nps": metrics.nps(
            nps_promoters=n["nps_promoters"], nps_detractors=n["nps_detractors"], nps_n=n["nps_n"]
        ),
        "repeat_rate": metrics.repeat_rate(repeats=n["repeats"], known_customer=n["known_customer"]),
        "fcr": metrics.fcr(fcr_resolved=n["fcr_resolved"], known_customer=n["known_customer"]),
    }
    for name in ("csat_n", "ces_n", "nps_n", "known_customer", "surveys_answered"):
        out[name] = int(totals[name].iloc[0])
    for name in ("csat", "ces", "nps"):
        out[f"{name}_low_confidence"] = bool(metrics.low_confidence(out[f"{name}_n"], settings.min_sample))
    return out


def latest_comments(session: Session, queue_ids: list[int], day: date, zone: ZoneInfo) -> pd.DataFrame:
    """The newest survey comments on today's contacts of these queues, newest first; `low` marks a
    dissatisfied (CSAT 1-2), difficult (CES 1-3) or detractor (NPS 0-6) answer."""
    start, end = (int(d.timestamp()) for d in local_day_bounds(day, zone))
    s, c = SurveyResponse, Contact
    cols = ["answered_ms", "queue_id", "agent_id", "csat", "ces", "nps", "verbatim"]
    # Contact ids grow with loading, so a survey of a contact offered today rates a contact id at or
    # above today's lowest: an index range on the surveys' contact_id instead of their whole history.
    first_today = session.execute(
        select(func.min(unindexed(c.id, 0))).where(c.offered_interval >= start, c.offered_interval < end)  # type: ignore[operator]
    ).scalar()
    if first_today is None:
        return pd.DataFrame(columns=[*cols, "low"])
    found = frame_in(
        session,
        lambda chunk: (
            select(epoch_ms(session, s.answered_at), c.queue_id, c.agent_id, s.csat, s.ces, s.nps, s.verbatim)
            .join(c, s.contact_id == c.id)  # type: ignore[arg-type]
            .where(
                c.offered_interval >= start,  # type: ignore[operator]
                c.offered_interval < end,  # type: ignore[operator]
                c.queue_id.in_(chunk),  # type: ignore[attr-defined]
                s.verbatim.is_not(None),  # type: ignore[union-attr]
                s.contact_id >= first_today,  # type: ignore[operator]
            )
            .order_by(s.answered_at.desc())  # type: ignore[attr-defined]
            .limit(COMMENT_LIMIT)
        ),
        queue_ids,
        cols,
    )
    found = found[found["verbatim"].astype(str).str.strip() != ""]
    found = found.sort_values("answered_ms", ascending=False).head(COMMENT_LIMIT).reset_index(drop=True)
    found["low"] = (found["csat"] <= 2) | (found["ces"] <= 3) | (found["nps"] <= 6)
    return found


def callback_list(
    session: Session, queue_ids: list[int], day: date, now: datetime, settings: Settings
) -> pd.DataFrame:
    """Today's abandoned callers (short abandons excluded, known customer) not reached since: no
    answered contact of theirs (in any queue) after the abandon; oldest first, with `called_again`
    when they tried again. Both checks are index probes on (customer_key, offered_at)."""
    start, end = (int(d.timestamp()) for d in local_day_bounds(day, settings.zone))
    c, later = Contact, aliased(Contact)

    def after(answered: bool) -> Any:
        cond = [
            later.customer_key == c.customer_key,
            later.offered_at > c.offered_at,
            later.offered_at <= now,
        ]
        if answered:
            cond.append(unindexed(later.outcome, "") == "answered")
        return exists().where(*cond)  # type: ignore[arg-type]

    found = frame_in(
        session,
        lambda chunk: select(
            c.id, c.queue_id, c.customer_key, epoch_ms(session, c.offered_at), c.wait_s, after(False)
        ).where(
            unindexed(c.outcome, "") == "abandoned",
            c.offered_interval >= start,  # type: ignore[operator]
            c.offered_interval < end,  # type: ignore[operator]
            c.queue_id.in_(chunk),  # type: ignore[attr-defined]
            c.customer_key.is_not(None),  # type: ignore[union-attr]
            c.wait_s >= settings.short_abandon_s,  # type: ignore[operator]
            ~after(True),
        ),
        queue_ids,
        ["contact_id", "queue_id", "customer_key", "offered_ms", "wait_s", "called_again"],
    )
    found["called_again"] = found["called_again"].astype(bool)
    return found.sort_values("offered_ms", kind="stable").reset_index(drop=True)
