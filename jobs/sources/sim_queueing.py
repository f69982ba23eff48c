"""A multi-server queue per line-day: agents serve their line's queues (voice before chat and whatsapp
before email, FIFO within each), callers abandon when their patience runs out, handle times are
skewed, some calls are transferred and a few ring unanswered. Every agent's state is recorded as
contiguous segments from login to logout."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from jobs.sources.sim_demand import (
    ACW_MEDIAN,
    ACW_SIGMA,
    HOLD_MEDIAN_S,
    HOLD_P,
    HOLD_SIGMA,
    PATIENCE_MEAN,
    TALK_MEDIAN,
    TALK_SIGMA,
    TIMEOUT_S,
)
from jobs.sources.sim_model import AgentInfo, QueueInfo
from jobs.sources.sim_schedule import DayPlan

WAITING, RINGING, DONE, ABANDONED = 0, 1, 2, 3
ARRIVE, LOGIN, FREE, WAKE, ABANDON, RONA_BACK = range(6)
OFF, IDLE, BUSY, AUX, GONE = range(5)
RONA_P = 0.004
RING_S, RONA_PAUSE_S = 20, 90
OVERTIME_S = 3600  # the last agent clears the email backlog at most this long after closing
TRANSFER_P = {"voice": 0.065, "chat": 0.02}
TRANSFER_DOWNSTREAM_P = 0.7  # otherwise escalated to another agent of the same queue
TRANSFERRED_TALK_FACTOR = 0.6


class SimContact:
    """One contact through its life in the simulation (times are integer epoch seconds)."""

    __slots__ = (
        "key", "queue", "offered", "parent", "sampled", "patience", "talk_z", "hold_n", "hold_total",
        "acw_z", "u_transfer", "u_target", "u_rona", "state", "answered", "ended", "completed", "left",
        "agent", "wait", "talk", "acw", "exit_reason", "transferred", "rona",
        "customer_key", "is_repeat", "survey_offered", "survey",
    )  # fmt: skip

    def __init__(self, key: str, queue: QueueInfo, offered: int, parent: SimContact | None = None) -> None:
        self.key, self.queue, self.offered, self.parent = key, queue, offered, parent
        self.sampled = False
        self.state, self.rona, self.transferred = WAITING, 0, False
        self.answered = self.ended = self.completed = self.left = self.wait = None
        self.talk = self.acw = None
        self.agent: AgentInfo | None = None
        self.exit_reason: str | None = None
        self.customer_key: str | None = None
        self.is_repeat = False
        self.survey_offered = False
        self.survey = None

    @property
    def end(self) -> int:
        """When the contact was over for the customer (after-contact work done, or left the queue)."""
        return self.completed if self.state == DONE else self.left  # type: ignore[return-value]


def sample_attributes(contacts: list[SimContact], rng: np.random.Generator) -> None:
    """Draw patience, handle-time noise and the transfer/RONA dice for contacts of one queue."""
    if not contacts:
        return
    n, channel = len(contacts), contacts[0].queue.channel
    line = contacts[0].queue.line
    mean, cap = PATIENCE_MEAN[channel], TIMEOUT_S[channel]
    patience = rng.exponential(mean or 1.0, n)
    talk_z, acw_z = rng.normal(size=n), rng.normal(size=n)
    holds = np.where(rng.random(n) < HOLD_P[line], rng.choice([1, 2, 3], size=n, p=[0.7, 0.22, 0.08]), 0)
    hold_each = HOLD_MEDIAN_S * np.exp(HOLD_SIGMA * rng.normal(size=(n, 3)))
    uniforms = rng.random((n, 3))
    for i, c in enumerate(contacts):
        c.patience = None if mean is None else int(max(1, min(round(patience[i]), cap or 1e12)))
        c.talk_z, c.acw_z = float(talk_z[i]), float(acw_z[i])
        c.hold_n = int(holds[i]) if channel == "voice" else 0
        c.hold_total = int(round(hold_each[i, : c.hold_n].sum()))
        c.u_transfer, c.u_target, c.u_rona = (float(u) for u in uniforms[i])
        c.sampled = True


def tenure_factor(days: int) -> float:
    return 1.3 if days < 90 else 1.1 if days < 365 else 1.0 if days < 1095 else 0.92


@dataclass
class SimAgent:
    plan: DayPlan
    index: int
    state: int = OFF
    seg: tuple[str, str | None, int] | None = None
    segments: list[tuple[str, str | None, int, int]] = field(default_factory=list)
    next_block: int = 0
    idle_since: int = 0
    version: int = 0


@dataclass
class LineDay:
    """Inputs of one line-day simulation."""

    plans: list[DayPlan]
    arrivals: list[SimContact]  # sorted by offered; legs from upstream lines included
    close: int
    transfer_target: Callable[[SimContact, int], QueueInfo | None]  # None: not transferred
    leg_rng: np.random.Generator


class QueueSim:
    """Event-driven simulation of one line-day; `run` returns its contacts and the legs it sends out."""

    def __init__(self, spec: LineDay) -> None:
        self.spec = spec
        self.heap: list[tuple[int, int, int, object]] = []
        self.seq = 0
        self.now = 0
        self.classes: tuple[deque[SimContact], ...] = (deque(), deque(), deque())
        self.idle: list[SimAgent] = []
        self.logged_in = 0
        self.contacts: list[SimContact] = []
        self.out_legs: list[SimContact] = []
        self.agents = [SimAgent(plan, i) for i, plan in enumerate(spec.plans) if not plan.absent]
        for agent in self.agents:
            self._push(agent.plan.login, LOGIN, agent)
        for c in spec.arrivals:
            self._push(c.offered, ARRIVE, c)

    def _push(self, t: int, kind: int, obj: object) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, obj))

    def run(self) -> tuple[list[SimContact], list[SimAgent], list[SimContact]]:
        handlers = {
            ARRIVE: self._arrive,
            LOGIN: self._login,
            FREE: self._free,
            WAKE: self._wake,
            ABANDON: self._abandon,
            RONA_BACK: self._rona_back,
        }
        while self.heap:
            t, _, kind, obj = heapq.heappop(self.heap)
            self.now = t
            handlers[kind](obj, t)  # type: ignore[operator]
        self._flush(self.now)
        return self.contacts, self.agents, self.out_legs

    # --- agents -----------------------------------------------------------------------------

    def _state(self, agent: SimAgent, t: int, state: str, reason: str | None = None) -> None:
        if agent.seg is not None:
            if agent.seg[0] == state and agent.seg[1] == reason:
                return
            if t > agent.seg[2]:
                agent.segments.append((agent.seg[0], agent.seg[1], agent.seg[2], t))
        agent.seg = (state, reason, t)

    def _login(self, agent: SimAgent, t: int) -> None:
        self.logged_in += 1
        agent.state = IDLE
        agent.idle_since = t
        self._state(agent, t, "available")
        self.idle.append(agent)
        self._free(agent, t)

    def _wake(self, obj: tuple[SimAgent, int], t: int) -> None:
        agent, version = obj
        if agent.version == version and agent.state == IDLE:
            self._free(agent, t)

    def _free(self, agent: SimAgent, t: int) -> None:
        """The agent can do something new: a due block, logging out, the next contact, or wait."""
        plan = agent.plan
        while agent.next_block < len(plan.blocks) and plan.blocks[agent.next_block][0] <= t:
            start, seconds, reason = plan.blocks[agent.next_block]
            agent.next_block += 1
            if start < plan.logout and seconds > 0:
                self._leave_idle(agent)
                agent.state = AUX
                self._state(agent, t, "aux", reason)
                self._push(t + seconds, FREE, agent)
                return
        if t >= plan.logout and self._may_leave(t):
            self._logout(agent, t)
            return
        contact = self._next_waiting()
        if contact is not None:
            self._leave_idle(agent)
            self._handle(agent, contact, t)
            return
        if agent.state != IDLE:
            agent.state, agent.idle_since = IDLE, t
            self.idle.append(agent)
        self._state(agent, t, "available")
        wake = [plan.blocks[agent.next_block][0]] if agent.next_block < len(plan.blocks) else []
        wake.append(plan.logout if t < plan.logout else self.spec.close if t < self.spec.close else t + 900)
        agent.version += 1
        self._push(max(t + 1, min(wake)), WAKE, (agent, agent.version))

    def _leave_idle(self, agent: SimAgent) -> None:
        if agent.state == IDLE:
            self.idle.remove(agent)

    def _may_leave(self, t: int) -> bool:
        """Anyone may log out at shift end except the line's last agent before closing time."""
        if self.logged_in > 1:
            return True
        if t < self.spec.close:
            return False
        return not self._has_waiting() or t >= self.spec.close + OVERTIME_S

    def _has_waiting(self) -> bool:
        for waiting in self.classes:
            while waiting and waiting[0].state != WAITING:
                waiting.popleft()
        return any(self.classes)

    def _logout(self, agent: SimAgent, t: int) -> None:
        self._leave_idle(agent)
        if agent.seg is not None and t > agent.seg[2]:
            agent.segments.append((agent.seg[0], agent.seg[1], agent.seg[2], t))
        agent.seg, agent.state = None, GONE
        self.logged_in -= 1
        if self.logged_in == 0 and t >= self.spec.close:
            self._flush(t)

    # --- contacts ---------------------------------------------------------------------------

    def _arrive(self, c: SimContact, t: int) -> None:
        if not c.sampled:
            sample_attributes([c], self.spec.leg_rng)
        self.contacts.append(c)
        if c.patience is not None:
            self._push(t + c.patience, ABANDON, c)
        self._route(c, t, front=False)

    def _route(self, c: SimContact, t: int, front: bool) -> None:
        if self.idle:
            agent = min(self.idle, key=lambda a: (a.idle_since, a.index))
            self.idle.remove(agent)
            self._handle(agent, c, t)
        elif front:
            self.classes[c.queue.priority].appendleft(c)
        else:
            self.classes[c.queue.priority].append(c)

    def _next_waiting(self) -> SimContact | None:
        for waiting in self.classes:
            while waiting:
                c = waiting.popleft()
                if c.state == WAITING:
                    return c
        return None

    def _handle(self, agent: SimAgent, c: SimContact, t: int) -> None:
        if c.rona == 0 and c.u_rona < RONA_P:
            c.state, c.rona = RINGING, 1
            agent.state = AUX
            self._state(agent, t, "aux", "other")
            self._push(t + RING_S, RONA_BACK, c)
            self._push(t + RING_S + RONA_PAUSE_S, FREE, agent)
            return
        info, q = agent.plan.agent, c.queue
        factor = info.aht_factor * tenure_factor(info.tenure_days(agent.plan.day))
        target = self.spec.transfer_target(c, t) if c.u_transfer < _transfer_p(c, info, agent) else None
        talk = TALK_MEDIAN[q.channel][q.line] * np.exp(TALK_SIGMA[q.channel] * c.talk_z) * factor
        talk *= TRANSFERRED_TALK_FACTOR if target else 1.0
        acw = ACW_MEDIAN[q.channel] * np.exp(ACW_SIGMA * c.acw_z) * (1.4 if q.line == "billing" else 1.0)
        c.state, c.agent, c.answered, c.wait = DONE, info, t, t - c.offered
        c.talk = max(5, int(round(talk)))
        c.acw = max(2, int(round(acw * (0.5 if target else 1.0))))
        c.ended = t + c.talk + c.hold_total
        c.completed = c.ended + c.acw
        c.transferred = target is not None
        agent.state = BUSY
        self._state(agent, t, "on_contact")
        self._state(agent, c.ended, "acw")
        self._push(c.completed, FREE, agent)
        if target is not None:
            leg = SimContact(f"{c.key}-T", target, c.ended, parent=c)
            if target.line == q.line:
                self._push(leg.offered, ARRIVE, leg)
            else:
                self.out_legs.append(leg)

    def _abandon(self, c: SimContact, t: int) -> None:
        if c.state in (WAITING, RINGING):
            timeout = TIMEOUT_S[c.queue.channel]
            self._leave_queue(c, t, "timeout" if timeout and c.patience >= timeout else "caller_abandon")

    def _leave_queue(self, c: SimContact, t: int, reason: str) -> None:
        c.state, c.left, c.wait, c.exit_reason = ABANDONED, t, t - c.offered, reason

    def _rona_back(self, c: SimContact, t: int) -> None:
        if c.state == RINGING:
            c.state = WAITING
            self._route(c, t, front=True)

    def _flush(self, t: int) -> None:
        """Nobody is left: waiting contacts leave (the queue empties; email times out)."""
        for waiting in self.classes:
            while waiting:
                c = waiting.popleft()
                if c.state in (WAITING, RINGING):
                    reason = "timeout" if c.queue.channel == "email" else "exit_empty"
                    self._leave_queue(c, max(t, c.offered), reason)


def _transfer_p(c: SimContact, info: AgentInfo, agent: SimAgent) -> float:
    base = TRANSFER_P.get(c.queue.channel, 0.0)
    if c.parent is not None:
        base *= 0.3
    new_hire = info.tenure_days(agent.plan.day) < 90
    return base * info.transfer_factor * (1.6 if new_hire else 1.0) * (1.3 if c.queue.line == "tech" else 1.0)
