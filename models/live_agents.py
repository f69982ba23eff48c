"""Agents now, for the live team view: each agent's state and since when, and the situations a
supervisor should see (long aux or after-contact work, long contact, out of adherence, repeated
short disconnects, no break for hours, logged in outside the shift), each with since-when.

Reads the recent state segments by index and works on plain arrays, so a refresh of 500 agents
stays in milliseconds. Flags are derived from the data at `now`: they clear with the situation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models import metrics
from models import rollup_agent as ra
from models.rollup_agent import schedule_columns, state_columns
from models.rollup_queue import frame_in
from models.tables import Agent, AgentStateSegment, ScheduleSegment

if TYPE_CHECKING:
    from models.live import LiveThresholds

BREAKS = ("break", "lunch")
HANDLING = ("on_contact", "acw")
FLAG_WEIGHT = {  # how much each flag pushes an agent up the "needs attention" order
    "disconnects": 5,
    "aux_long": 4,
    "out_of_adherence": 3,
    "long_contact": 3,
    "acw_long": 2,
    "outside_shift": 2,
    "no_break": 1,
}
SEG_COLS = ["id", "agent_id", "state", "reason", "start_ms", "end_ms"]
SCHED_COLS = ["id", "agent_id", "activity", "paid", "start_ms", "end_ms"]
FLAG_COLS = ["agent_id", "kind", "since_ms", "value"]
MAX_STATE_MS = ra.MAX_STATE_S * 1000.0


# --- Loading ----------------------------------------------------------------------------------------


def load_states(session: Session, agent_ids: list[int], since: datetime) -> pd.DataFrame:
    """State segments starting at or after `since`, plus each agent's segment straddling `since`
    (one index probe per agent, driven from Agent: never a scan of the agent's history)."""
    seg = AgentStateSegment
    cols = state_columns(session)
    recent = frame_in(
        session,
        lambda chunk: select(*cols).where(seg.agent_id.in_(chunk), seg.start_at >= since),  # type: ignore[attr-defined,operator]
        agent_ids,
        SEG_COLS,
    )
    prior = aliased(AgentStateSegment)
    latest_before = (
        select(func.max(prior.start_at))
        .where(prior.agent_id == Agent.id, prior.start_at < since)  # type: ignore[operator]
        .scalar_subquery()
    )
    straddling = frame_in(
        session,
        lambda chunk: (
            select(*cols)
            .select_from(Agent)
            .join(seg, and_(seg.agent_id == Agent.id, seg.start_at == latest_before))  # type: ignore[arg-type]
            .where(Agent.id.in_(chunk), or_(seg.end_at.is_(None), seg.end_at > since))  # type: ignore[union-attr,operator]
        ),
        agent_ids,
        SEG_COLS,
    )
    both = pd.concat([p for p in (straddling, recent) if not p.empty] or [recent])
    both = both.drop_duplicates("id").astype({"agent_id": np.int64, "start_ms": np.int64, "end_ms": float})
    return both.sort_values(["agent_id", "start_ms"], kind="stable").reset_index(drop=True)


def load_schedules(session: Session, agent_ids: list[int], start: datetime, end: datetime) -> pd.DataFrame:
    """Scheduled activities overlapping [start, end) (a scheduled activity is shorter than a day)."""
    sc = ScheduleSegment
    cols = schedule_columns(session)
    found = frame_in(
        session,
        lambda chunk: select(*cols).where(
            sc.agent_id.in_(chunk),  # type: ignore[attr-defined]
            sc.start_at >= start - timedelta(days=1),  # type: ignore[operator]
            sc.start_at < end,  # type: ignore[operator]
            sc.end_at > start,  # type: ignore[operator]
        ),
        agent_ids,
        SCHED_COLS,
    )
    return found.astype({"agent_id": np.int64, "start_ms": np.int64, "end_ms": np.int64})


# --- Segments as arrays -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Segments:
    """Segments up to `now` as arrays, sorted by agent then start; `end` is the effective end (own
    end, the agent's next start, or MAX_STATE_S, whichever comes first; inf while open)."""

    agent: np.ndarray
    state: np.ndarray
    reason: np.ndarray
    start: np.ndarray
    end: np.ndarray
    first: np.ndarray  # index of each agent's first row
    last: np.ndarray  # index of each agent's last row
    has_next: np.ndarray  # the agent has a later segment

    @classmethod
    def of(cls, states: pd.DataFrame, now_ms: int) -> Segments:
        rows = states[states["start_ms"] <= now_ms]
        agent = rows["agent_id"].to_numpy(dtype=np.int64)
        start = rows["start_ms"].to_numpy(dtype=float)
        own_end = rows["end_ms"].to_numpy(dtype=float)
        has_next = np.r_[agent[1:] == agent[:-1], False] if len(agent) else np.array([], dtype=bool)
        next_start = np.where(has_next, np.r_[start[1:], np.inf] if len(agent) else start, np.inf)
        end = np.minimum.reduce(
            [np.where(np.isnan(own_end), np.inf, own_end), next_start, start + MAX_STATE_MS]
        )
        first = (
            np.flatnonzero(np.r_[True, agent[1:] != agent[:-1]])
            if len(agent)
            else np.array([], dtype=np.int64)
        )
        reason = rows["reason"].astype(object).to_numpy()
        reason = np.where(pd.isna(reason), None, reason)
        return cls(
            agent=agent,
            state=rows["state"].astype(object).to_numpy(),
            reason=reason,
            start=start,
            end=end,
            first=first,
            last=np.r_[first[1:] - 1, len(agent) - 1] if len(agent) else first,
            has_next=has_next,
        )

    def is_(self, state: str) -> np.ndarray:
        return self.state == state

    def per_agent(self, values: np.ndarray) -> pd.Series:
        """One value per agent (taken at each agent's last row), indexed by agent id."""
        return pd.Series(values[self.last], index=self.agent[self.last])

    def latest(self, mask: np.ndarray) -> np.ndarray:
        """Per row: index of the latest row at or before it (same agent) where `mask`, else -1."""
        idx = np.maximum.accumulate(np.where(mask, np.arange(len(mask)), -1)) if len(mask) else mask
        owner_first = np.repeat(self.first, np.diff(np.r_[self.first, len(self.agent)]))
        return np.where(idx >= owner_first, idx, -1) if len(mask) else np.array([], dtype=np.int64)


def states_now(seg: Segments, agent_ids: list[int], now_ms: int) -> pd.DataFrame:
    """Per agent: state, reason and since when (runs of the same state and reason are merged). An
    agent whose last segment has ended, or who has none, is offline (since it ended)."""
    n = len(seg.agent)
    same_as_prev = np.zeros(n, dtype=bool)
    if n:
        same_as_prev[1:] = (
            (seg.agent[1:] == seg.agent[:-1])
            & (seg.state[1:] == seg.state[:-1])
            & (seg.reason[1:] == seg.reason[:-1])
            & (seg.end[:-1] >= seg.start[1:])
        )
    run_start = seg.start[seg.latest(~same_as_prev)] if n else seg.start
    live = seg.per_agent(seg.end > now_ms)
    out = pd.DataFrame(index=pd.Index(agent_ids, name="agent_id"))
    is_live = live.reindex(out.index).fillna(False).astype(bool)
    out["state"] = seg.per_agent(seg.state).reindex(out.index).where(is_live, "offline")
    reason = seg.per_agent(seg.reason).reindex(out.index)
    out["reason"] = reason.where(out["state"] == "aux", None)
    ended = seg.per_agent(seg.end).reindex(out.index)
    out["since_ms"] = seg.per_agent(run_start).reindex(out.index).where(is_live, ended.where(~is_live))
    return out


def login_start(seg: Segments) -> pd.Series:
    """Per agent logged in at their last segment: when that logged-in stretch began (after the last
    logout or gap in their segments)."""
    n = len(seg.agent)
    gap_before = np.ones(n, dtype=bool)
    if n:
        gap_before[1:] = (
            (seg.agent[1:] != seg.agent[:-1]) | seg.is_("offline")[:-1] | (seg.end[:-1] < seg.start[1:])
        )
    begins = seg.latest(gap_before & ~seg.is_("offline"))
    at = seg.per_agent(begins)
    logged_in = seg.per_agent(~seg.is_("offline"))
    at = at[logged_in & (at >= 0)]
    return pd.Series(seg.start[at.to_numpy(dtype=np.int64)], index=at.index)


# --- Flags ------------------------------------------------------------------------------------------


def _flags(agents: object, kind: str, since_ms: object, value: object) -> pd.DataFrame:
    return pd.DataFrame(
        {"agent_id": np.asarray(agents, dtype=np.int64), "kind": kind, "since_ms": since_ms, "value": value}
    )


def agent_flags(
    *,
    states: pd.DataFrame,
    schedules: pd.DataFrame,
    now_state: pd.DataFrame,
    contact_aht: pd.Series,
    now_ms: int,
    thresholds: LiveThresholds,
    grace_s: float,
) -> pd.DataFrame:
    """One row per raised agent flag: agent_id, kind, since_ms (when the situation began) and value
    (seconds it has lasted, or a count of disconnects)."""
    seg = Segments.of(states, now_ms)
    cur = now_state.reset_index()
    lasted = (now_ms - cur["since_ms"].to_numpy(dtype=float)) / 1000.0
    state = cur["state"].to_numpy(dtype=object)
    aux_limit = np.array([thresholds.aux_limit(r) for r in cur["reason"]], dtype=float)
    contact_limit = cur["agent_id"].map(contact_aht).to_numpy(dtype=float) * thresholds.long_contact_factor
    parts = []
    for kind, hit in (
        ("aux_long", (state == "aux") & (lasted > aux_limit)),
        ("acw_long", (state == "acw") & (lasted > thresholds.acw_limit_s)),
        ("long_contact", (state == "on_contact") & (lasted > contact_limit)),
    ):
        parts.append(
            _flags(cur["agent_id"][hit], kind, cur["since_ms"][hit].to_numpy(dtype=float), lasted[hit])
        )
    logged_in = cur[state != "offline"]
    login = login_start(seg)
    parts += [
        _adherence_flags(states, schedules, cur, now_ms, grace_s),
        _disconnect_flags(seg, now_ms, thresholds),
        _no_break_flags(seg, logged_in, login, now_ms, thresholds),
        _outside_shift_flags(schedules, logged_in, login, now_ms, grace_s),
    ]
    flags = pd.concat([p for p in parts if not p.empty] or [_flags([], "", [], [])], ignore_index=True)
    return flags.astype({"agent_id": np.int64, "since_ms": float, "value": float})


def _adherence_flags(
    states: pd.DataFrame, schedules: pd.DataFrame, cur: pd.DataFrame, now_ms: int, grace_s: float
) -> pd.DataFrame:
    """Out of adherence (METRICS.md "Adherence"): a run of scheduled time whose state does not match
    that reaches `now` and is longer than the grace period. Only agents mismatched right now (by the
    latest-starting activity covering now) are painted."""
    covering = schedules[(schedules["start_ms"] <= now_ms) & (schedules["end_ms"] > now_ms)]
    planned = covering.sort_values("start_ms").groupby("agent_id")["activity"].last()
    activity = cur["agent_id"].map(planned).to_numpy(dtype=object)
    reasons = cur["reason"].to_numpy(dtype=object)
    off = [
        isinstance(a, str) and not metrics.adherence_match(a, s, r if isinstance(r, str) else None)
        for a, s, r in zip(activity, cur["state"].to_numpy(dtype=object), reasons, strict=True)
    ]
    suspects = cur["agent_id"][np.asarray(off, dtype=bool)]
    if suspects.empty:
        return _flags([], "out_of_adherence", [], [])
    runs = mismatch_runs(
        states[states["agent_id"].isin(suspects)],
        schedules[schedules["agent_id"].isin(suspects)],
        now_ms=now_ms,
    )
    current = runs[(runs["end_ms"] >= now_ms) & (runs["seconds"] > grace_s)]
    return _flags(
        current["agent_id"], "out_of_adherence", current["start_ms"].to_numpy(), current["seconds"].to_numpy()
    )


def mismatch_runs(states: pd.DataFrame, schedules: pd.DataFrame, *, now_ms: int) -> pd.DataFrame:
    """Contiguous runs of out-of-adherence time (agent_id, start_ms, end_ms, seconds) up to `now`,
    painted with the AgentDay timeline (rollup_agent.timeline) and metrics.adherence_match."""
    empty = pd.DataFrame({"agent_id": [], "start_ms": [], "end_ms": [], "seconds": []})
    if schedules.empty:
        return empty
    if states.empty:  # scheduled but never logged in; timeline() needs a state row: an empty one
        states = pd.DataFrame(
            [[0, int(schedules["agent_id"].iloc[0]), "offline", None, 0, 0.0]], columns=SEG_COLS
        )
    pieces = ra.timeline(states[SEG_COLS], schedules[SCHED_COLS], now_ms=now_ms)
    if pieces.empty:
        return empty
    bad = pieces[_mismatched(pieces)]
    agent = bad["agent_id"].to_numpy(dtype=np.int64)
    order = np.lexsort((bad["start_ms"].to_numpy(), agent))
    agent, start, end = (
        agent[order],
        bad["start_ms"].to_numpy(dtype=float)[order],
        bad["end_ms"].to_numpy(dtype=float)[order],
    )
    if not len(agent):
        return empty
    begins = np.flatnonzero(np.r_[True, (agent[1:] != agent[:-1]) | (end[:-1] != start[1:])])
    ends = np.r_[begins[1:] - 1, len(agent) - 1]
    return pd.DataFrame(
        {
            "agent_id": agent[begins],
            "start_ms": start[begins],
            "end_ms": end[ends],
            "seconds": (end[ends] - start[begins]) / 1000.0,
        }
    )


def _mismatched(pieces: pd.DataFrame) -> np.ndarray:
    """Scheduled pieces whose state does not match the activity (metrics.adherence_match), judged
    once per distinct (activity, state, reason)."""
    columns = [pieces[c].astype(object).to_numpy() for c in ("activity", "state", "reason")]
    columns = [np.where(pd.isna(c), None, c) for c in columns]
    keys = list(zip(*columns, strict=True))
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
    verdict = np.array(
        [a not in (None, "off") and not metrics.adherence_match(a, s, r) for a, s, r in uniques], dtype=bool
    )
    return verdict[codes] if len(codes) else np.array([], dtype=bool)


def _disconnect_flags(seg: Segments, now_ms: int, th: LiveThresholds) -> pd.DataFrame:
    """Repeated short disconnects (home connectivity): logged-out gaps shorter than
    `short_disconnect_s` between logged-in states, at least `disconnects_alert` in the window."""
    short = (
        seg.is_("offline")
        & seg.has_next
        & (seg.end - seg.start < th.short_disconnect_s * 1000)
        & (seg.start >= now_ms - th.disconnect_window_s * 1000)
    )
    agents, first, count = np.unique(seg.agent[short], return_index=True, return_counts=True)
    hit = count >= th.disconnects_alert
    return _flags(agents[hit], "disconnects", seg.start[short][first[hit]], count[hit].astype(float))


def _no_break_flags(
    seg: Segments, logged_in: pd.DataFrame, login: pd.Series, now_ms: int, th: LiveThresholds
) -> pd.DataFrame:
    """No break or lunch for `no_break_h` hours of continuous logged-in time (since the later of the
    login and the end of the last break)."""
    on_break = (logged_in["state"] == "aux") & logged_in["reason"].isin(BREAKS)
    agents = logged_in.loc[~on_break, "agent_id"]
    is_break = seg.is_("aux") & np.isin(seg.reason, BREAKS)
    last_break = seg.per_agent(seg.end[np.maximum(seg.latest(is_break), 0)]).where(
        seg.per_agent(seg.latest(is_break)) >= 0
    )
    since = pd.concat([login.reindex(agents), last_break.reindex(agents)], axis=1).max(axis=1).dropna()
    since = since[(now_ms - since) > th.no_break_h * 3_600_000]
    return _flags(since.index, "no_break", since.to_numpy(), (now_ms - since.to_numpy()) / 1000.0)


def _outside_shift_flags(
    schedules: pd.DataFrame, logged_in: pd.DataFrame, login: pd.Series, now_ms: int, grace_s: float
) -> pd.DataFrame:
    """Logged in while no scheduled activity (absence aside) covers `now`, beyond the grace period
    (since the later of the login and the end of the last scheduled activity)."""
    shift = schedules[schedules["activity"] != "absence"]
    covering = shift[(shift["start_ms"] <= now_ms) & (shift["end_ms"] > now_ms)]["agent_id"]
    outside = logged_in.loc[~logged_in["agent_id"].isin(covering), "agent_id"]
    ended = shift[shift["end_ms"] <= now_ms].groupby("agent_id")["end_ms"].max()
    since = pd.concat([login.reindex(outside), ended.reindex(outside)], axis=1).max(axis=1).dropna()
    since = since[(now_ms - since) > grace_s * 1000]
    return _flags(since.index, "outside_shift", since.to_numpy(), (now_ms - since.to_numpy()) / 1000.0)
