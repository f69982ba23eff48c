"""Customers: who contacts (known for ~85 % of contacts), whether their issue was resolved, and the
repeat contacts and channel switches that follow abandons, transfers, long waits and unresolved
issues. Each rule is a pure function of a contact's final fields and key, so the live mode rebuilds
exactly what the seed decided from the stored rows."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from jobs.sources.sim_model import units

KNOWN_CUSTOMER_P = 0.85
CLAIM_WINDOW_S = 4 * 3600  # a repeat takes the first arrival on its queue within this window
REPEAT_WINDOW_S = 7 * 86400  # METRICS.md repeat_window default
UNRESOLVED_P = {"order": 0.08, "delivery": 0.12, "returns": 0.12, "billing": 0.14, "tech": 0.2}
UNRESOLVED_IF_TRANSFERRED, UNRESOLVED_IF_LONG_WAIT = 0.08, 0.04
REPEAT_P = {"resolved": 0.035, "unresolved": 0.5, "abandoned": 0.45}
REPEAT_EXTRA = {"transferred": 0.04, "long_wait": 0.05}
# Channel a customer comes back on (the rest return on the same channel).
SWITCH_TO = {
    "voice": ("chat", 0.10),
    "chat": ("voice", 0.5),
    "whatsapp": ("voice", 0.3),
    "email": ("voice", 0.35),
}
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Outcome:
    """What the customer side needs to know about a finished contact."""

    source_key: str
    line: str
    channel: str
    customer_key: str | None
    answered: bool
    transferred: bool
    wait: float
    offered: int
    end: int


@dataclass(frozen=True)
class Intent:
    """A customer who will contact again: when, on which queue (by line and channel), with what key."""

    at: int
    line: str
    channel: str
    customer_key: str
    source_key: str


def fresh_customer(seed: int, source_key: str) -> str | None:
    u, pick = units(seed, source_key, "customer", 2)
    return f"C{1_000_000 + int(pick * 8_999_999):07d}" if u < KNOWN_CUSTOMER_P else None


def _dice(seed: int, o: Outcome) -> tuple[float, ...]:
    return units(seed, o.source_key, "outcome", 5)


def resolved(seed: int, o: Outcome, long_wait: bool, dice: tuple[float, ...] | None = None) -> bool:
    """Was the issue solved? (abandoned contacts never are)"""
    if not o.answered:
        return False
    p = UNRESOLVED_P[o.line] + UNRESOLVED_IF_TRANSFERRED * o.transferred + UNRESOLVED_IF_LONG_WAIT * long_wait
    return (dice or _dice(seed, o))[4] >= p


def intent_of(seed: int, o: Outcome, long_wait: bool, channels: tuple[str, ...]) -> Intent | None:
    """Whether and when this customer comes back (more likely after a bad outcome)."""
    if o.customer_key is None:
        return None
    dice = _dice(seed, o)
    u_go, u_delay, u_switch, u_quick = dice[:4]
    if not o.answered:
        p = REPEAT_P["abandoned"]
    else:
        p = REPEAT_P["resolved" if resolved(seed, o, long_wait, dice) else "unresolved"]
        p += REPEAT_EXTRA["transferred"] * o.transferred
    p += REPEAT_EXTRA["long_wait"] * long_wait
    if u_go >= p:
        return None
    channel = o.channel
    target, switch_p = SWITCH_TO[o.channel]
    if u_switch < switch_p and target in channels:
        channel = target
        delay = 600 + 82_800 * u_delay**2  # a channel switch happens within the day
    elif not o.answered and u_quick < 0.65:
        delay = 120 + 3_300 * u_delay**2  # calls back within the hour
    else:
        z = _NORMAL.inv_cdf(min(max(u_delay, 1e-9), 1 - 1e-9))
        delay = min(max(72_000 * math.exp(z), 900), 6.5 * 86400)
    # Never more than 7 days after the first contact (so a week of stored history is enough).
    at = min(int(o.end + delay), o.offered + REPEAT_WINDOW_S - 1)
    return Intent(at, o.line, channel, o.customer_key, o.source_key) if at > o.end else None


class CustomerBook:
    """Assigns customer keys to one line-day's contacts in arrival order: a transfer leg keeps its
    caller, an arrival may be the repeat a pending intent is waiting for, others are new customers.
    It also remembers contact times per (customer, touchpoint) to flag repeats (METRICS.md)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.history: dict[tuple[str, str], list[int]] = {}

    def remember(self, customer_key: str, line: str, offered: int) -> bool:
        """Record a contact; True if the same customer asked about the same touchpoint within 7 days."""
        times = self.history.setdefault((customer_key, line), [])
        repeat = any(offered - REPEAT_WINDOW_S <= x < offered for x in times)
        times.append(offered)
        return repeat

    def assign(
        self,
        contacts: list[Any],
        pending: list[Intent],
        intent_for: Callable[[Any], Intent | None],
        owns: Callable[[Intent], bool],
    ) -> list[Intent]:
        """Key every contact; returns the intents of these contacts that later line-days own.

        `pending` are intents owned by this line-day from earlier days; `owns(intent)` tells whether
        an intent of a contact of this line-day is for this same line-day."""
        heaps: dict[str, list[tuple[int, str, str]]] = {}
        for it in pending:
            heapq.heappush(heaps.setdefault(it.channel, []), (it.at, it.source_key, it.customer_key))
        later: list[Intent] = []
        for c in contacts:
            if c.parent is not None:
                c.customer_key = c.parent.customer_key
            else:
                heap = heaps.get(c.queue.channel)
                while heap and heap[0][0] < c.offered - CLAIM_WINDOW_S:
                    heapq.heappop(heap)
                if heap and heap[0][0] <= c.offered:
                    c.customer_key = heapq.heappop(heap)[2]
                else:
                    c.customer_key = fresh_customer(self.seed, c.key)
            if c.customer_key is None:
                continue
            c.is_repeat = self.remember(c.customer_key, c.queue.line, c.offered)
            it = intent_for(c)
            if it is None:
                continue
            if owns(it):
                heapq.heappush(heaps.setdefault(it.channel, []), (it.at, it.source_key, it.customer_key))
            else:
                later.append(it)
        return later
