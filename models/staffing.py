"""Staffing models of METRICS.md "Staffing (Erlang C)": Erlang C (M/M/N) and Erlang A (M/M/N+M).

Own implementation, numerically stable: Erlang B by its recursion, Erlang A in closed form (below).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_EPS = 1e-9


@dataclass(frozen=True)
class StaffingResult:
    """Agents needed on the phones (`agents`) and heads to schedule after shrinkage."""

    agents: int
    scheduled_agents: int
    service_level: float | None
    asa: float | None
    occupancy: float | None
    wait_probability: float | None
    abandon_probability: float | None = None  # Erlang A only


@dataclass(frozen=True)
class ErlangAResult:
    wait_probability: float
    abandon_probability: float
    occupancy: float | None
    service_level: float
    asa: float | None  # mean wait of answered contacts


def traffic_erlangs(*, calls: float, aht_s: float, interval_s: float) -> float:
    """Offered load A = contacts per interval × AHT ÷ interval length."""
    return calls * aht_s / interval_s


def erlang_b(*, traffic: float, agents: int) -> float:
    """Blocking probability by the stable recursion B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1))."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def _erlang_c_from_b(traffic: float, agents: int, blocking: float) -> float:
    if agents <= traffic:
        return 1.0
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def erlang_c_wait_probability(*, traffic: float, agents: int) -> float:
    """P(an arriving contact waits) in M/M/N; 1 when N ≤ A (the queue never empties)."""
    if traffic <= 0:
        return 0.0
    return _erlang_c_from_b(traffic, agents, erlang_b(traffic=traffic, agents=agents))


def _sl_from_c(wait_p: float, traffic: float, agents: int, aht_s: float, threshold_s: float) -> float:
    if agents <= traffic:
        return 0.0
    return 1.0 - wait_p * math.exp(-(agents - traffic) * threshold_s / aht_s)


def _asa_from_c(wait_p: float, traffic: float, agents: int, aht_s: float) -> float | None:
    return None if agents <= traffic else wait_p * aht_s / (agents - traffic)


def service_level(*, calls: float, aht_s: float, interval_s: float, agents: int, threshold_s: float) -> float:
    """Erlang C SL: 1 − P(wait)·exp(−(N − A)·T ÷ AHT); 0 when N ≤ A (unstable queue)."""
    traffic = traffic_erlangs(calls=calls, aht_s=aht_s, interval_s=interval_s)
    wait_p = erlang_c_wait_probability(traffic=traffic, agents=agents)
    return _sl_from_c(wait_p, traffic, agents, aht_s, threshold_s)


def asa(*, calls: float, aht_s: float, interval_s: float, agents: int) -> float | None:
    """Erlang C ASA: P(wait)·AHT ÷ (N − A); None (undefined) when N ≤ A."""
    traffic = traffic_erlangs(calls=calls, aht_s=aht_s, interval_s=interval_s)
    wait_p = erlang_c_wait_probability(traffic=traffic, agents=agents)
    return _asa_from_c(wait_p, traffic, agents, aht_s)


def occupancy(*, calls: float, aht_s: float, interval_s: float, agents: int) -> float | None:
    """Erlang C occupancy A ÷ N (capped at 1: agents cannot be busier); None without agents."""
    if agents <= 0:
        return None
    return min(1.0, traffic_erlangs(calls=calls, aht_s=aht_s, interval_s=interval_s) / agents)


def scheduled_heads(*, agents: int, shrinkage: float) -> int:
    """Heads to schedule so that `agents` remain after shrinkage: ⌈N ÷ (1 − shrinkage)⌉."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage is a fraction in [0, 1)")
    return math.ceil(agents / (1.0 - shrinkage) - _EPS)


def _check_target(target: float) -> None:
    if not 0 < target < 1:
        raise ValueError("service-level target is a fraction in (0, 1)")


def required_agents(
    *,
    calls: float,
    aht_s: float,
    interval_s: float,
    target: float,
    threshold_s: float,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
) -> StaffingResult:
    """Smallest N whose Erlang C SL reaches `target` at T (and occupancy ≤ `max_occupancy`)."""
    _check_target(target)
    traffic = traffic_erlangs(calls=calls, aht_s=aht_s, interval_s=interval_s)
    if traffic <= 0:
        return StaffingResult(0, 0, None, None, None, None)
    agents = math.floor(traffic) + 1
    blocking = erlang_b(traffic=traffic, agents=agents)
    while True:
        wait_p = _erlang_c_from_b(traffic, agents, blocking)
        sl = _sl_from_c(wait_p, traffic, agents, aht_s, threshold_s)
        if sl >= target and traffic / agents <= max_occupancy + _EPS:
            return StaffingResult(
                agents=agents,
                scheduled_agents=scheduled_heads(agents=agents, shrinkage=shrinkage),
                service_level=sl,
                asa=_asa_from_c(wait_p, traffic, agents, aht_s),
                occupancy=traffic / agents,
                wait_probability=wait_p,
            )
        agents += 1
        blocking = traffic * blocking / (agents + traffic * blocking)


# --- Erlang A --------------------------------------------------------------------------------------


def _queue_log_weights(lam: float, served_rate: float, theta: float) -> np.ndarray:
    """log of π(N + j) ÷ π(N), j = 0..J, truncated where the terms vanish (≈ e^-40 of the peak)."""
    peak = max(0.0, (lam - served_rate) / theta)
    reach = math.sqrt(80.0 * lam / theta) + 50.0
    if served_rate > lam:
        reach = min(reach, 40.0 / math.log(served_rate / lam) + 50.0)
    size = int(min(peak + reach, 5_000_000))
    k = np.arange(1, size + 1)
    return np.concatenate([[0.0], np.cumsum(np.log(lam / (served_rate + k * theta)))])


def _negbin_cdf(a: float, x: float, size: int) -> np.ndarray:
    """Σ_{k<m} Γ(a+k)/(Γ(a)k!)·x^a·(1−x)^k for m = 1..size, i.e. the regularized I_x(a, m)."""
    k = np.arange(1, size)
    log_terms = np.concatenate([[0.0], np.cumsum(np.log((a + k - 1) / k) + math.log1p(-x))])
    return np.minimum(1.0, np.cumsum(np.exp(a * math.log(x) + log_terms)))


def erlang_a(
    *, calls: float, aht_s: float, interval_s: float, agents: int, threshold_s: float, patience_s: float
) -> ErlangAResult:
    """M/M/N+M (exponential patience): waiting, abandonment, occupancy, SL and ASA.

    Stationary law of the birth-death chain (death rate min(n, N)·μ + max(n − N, 0)·θ). A contact
    arriving with j waiting ahead reaches an agent after Σ_{i=0..j} Exp(Nμ + iθ) unless its own
    patience runs out first; it is answered with probability Nμ ÷ (Nμ + (j+1)θ), and
    e^{−θ·wait} follows a Beta law, so P(answered within T | j) = Nμ/(Nμ+(j+1)θ)·(1 − I_x(Nμ/θ + 1,
    j + 1)), x = e^{−θT}. SL here is answered within T ÷ offered (abandons count as misses, the
    `abandons_negative` form): that is the definition giving METRICS.md case A1 (0.916792).
    """
    if patience_s <= 0 or not math.isfinite(patience_s):
        raise ValueError("patience_s must be a positive, finite number of seconds")
    lam = calls / interval_s
    mu = 1.0 / aht_s
    theta = 1.0 / patience_s
    if lam <= 0:
        return ErlangAResult(0.0, 0.0, 0.0 if agents > 0 else None, 1.0, 0.0)
    if agents <= 0:
        return ErlangAResult(1.0, 1.0, None, 0.0, None)
    traffic = lam / mu
    served_rate = agents * mu
    n = np.arange(agents)
    log_low = n * math.log(traffic) - np.array([math.lgamma(v + 1) for v in n])
    log_high = (
        agents * math.log(traffic) - math.lgamma(agents + 1) + _queue_log_weights(lam, served_rate, theta)
    )
    top = max(log_low.max(), log_high.max())
    low, high = np.exp(log_low - top), np.exp(log_high - top)
    total = low.sum() + high.sum()
    low, high = low / total, high / total
    ahead = np.arange(1, high.size + 1)  # j + 1
    answered_given_j = served_rate / (served_rate + ahead * theta)
    x = math.exp(-theta * threshold_s)
    in_time = answered_given_j * (1.0 - _negbin_cdf(served_rate / theta + 1.0, x, high.size)) if x < 1 else 0
    mean_wait_given_answered_j = np.cumsum(1.0 / (served_rate + ahead * theta))
    abandon_p = float((high * (1.0 - answered_given_j)).sum())
    answered_p = 1.0 - abandon_p
    return ErlangAResult(
        wait_probability=float(high.sum()),
        abandon_probability=abandon_p,
        occupancy=traffic * answered_p / agents,
        service_level=float(low.sum() + (high * in_time).sum()),
        asa=float((high * answered_given_j * mean_wait_given_answered_j).sum() / answered_p),
    )


def required_agents_erlang_a(
    *,
    calls: float,
    aht_s: float,
    interval_s: float,
    target: float,
    threshold_s: float,
    patience_s: float,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
) -> StaffingResult:
    """Smallest N whose Erlang A SL (answered within T ÷ offered) reaches `target`."""
    _check_target(target)
    if calls <= 0:
        return StaffingResult(0, 0, None, None, None, None, None)

    def model(agents: int) -> ErlangAResult:
        return erlang_a(
            calls=calls,
            aht_s=aht_s,
            interval_s=interval_s,
            agents=agents,
            threshold_s=threshold_s,
            patience_s=patience_s,
        )

    def enough(agents: int) -> bool:
        result = model(agents)
        return result.service_level >= target and (result.occupancy or 0.0) <= max_occupancy + _EPS

    low, high = 0, 1  # SL and 1/occupancy grow with N: double, then bisect
    while not enough(high):
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid, high)
    result = model(high)
    return StaffingResult(
        agents=high,
        scheduled_agents=scheduled_heads(agents=high, shrinkage=shrinkage),
        service_level=result.service_level,
        asa=result.asa,
        occupancy=result.occupancy,
        wait_probability=result.wait_probability,
        abandon_probability=result.abandon_probability,
    )


def estimate_patience_s(
    *, abandoned_wait_sum: float, answered_wait_sum: float, abandoned: int
) -> float | None:
    """Mean caller patience for Erlang A: the maximum-likelihood estimate for exponential patience
    with censoring, total time all contacts spent in queue ÷ number of abandons (an answered
    contact's wait is a censored patience). None without abandons (patience cannot be estimated)."""
    if abandoned <= 0:
        return None
    return (abandoned_wait_sum + answered_wait_sum) / abandoned
