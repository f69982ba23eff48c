"""models.staffing against METRICS.md "Staffing (Erlang C)", a textbook table and independent models."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import staffing as s

C1 = {"calls": 100, "aht_s": 180, "interval_s": 1800}
C2 = {"calls": 360, "aht_s": 240, "interval_s": 1800}
C3 = {"calls": 250, "aht_s": 330, "interval_s": 3600}


def test_c1():
    result = s.required_agents(**C1, target=0.8, threshold_s=20, shrinkage=0.3)
    assert s.traffic_erlangs(**C1) == pytest.approx(10.0)
    assert result.agents == 14
    assert result.wait_probability == pytest.approx(0.174132, abs=5e-7)
    assert result.service_level == pytest.approx(0.888350, abs=5e-7)
    assert result.asa == pytest.approx(7.836, abs=5e-4)
    assert result.occupancy == pytest.approx(0.714286, abs=5e-7)
    assert result.scheduled_agents == 20  # 14 / 0.7 is exactly 20, not 21 by rounding noise
    assert s.service_level(**C1, agents=13, threshold_s=20) == pytest.approx(0.7956, abs=5e-5)


def test_c2():
    assert s.erlang_c_wait_probability(traffic=48, agents=55) == pytest.approx(0.238701, abs=5e-7)
    assert s.asa(**C2, agents=55) == pytest.approx(8.184, abs=5e-4)
    assert s.occupancy(**C2, agents=55) == pytest.approx(0.872727, abs=5e-7)
    assert s.service_level(**C2, agents=55, threshold_s=15) == pytest.approx(0.845883, abs=5e-7)
    assert s.service_level(**C2, agents=55, threshold_s=20) == pytest.approx(0.866796, abs=5e-7)
    result = s.required_agents(**C2, target=0.8, threshold_s=20)
    assert result.agents == 54
    assert result.service_level == pytest.approx(0.8172, abs=5e-5)


def test_c3():
    result = s.required_agents(**C3, target=0.8, threshold_s=30)
    assert result.agents == 28
    assert result.service_level == pytest.approx(0.8569, abs=5e-5)
    assert s.service_level(**C3, agents=27, threshold_s=30) == pytest.approx(0.7822, abs=5e-5)


def test_a1_erlang_a():
    result = s.erlang_a(**C1, agents=14, threshold_s=20, patience_s=300)
    assert result.wait_probability == pytest.approx(0.14526, abs=5e-6)
    assert result.abandon_probability == pytest.approx(0.013984, abs=5e-7)
    assert result.occupancy == pytest.approx(0.704297, abs=5e-7)
    assert result.service_level == pytest.approx(0.916792, abs=5e-7)


def test_textbook_erlang_tables():
    # Standard Erlang B table: 10 erlangs on 10 servers block 21.46 %; Erlang C with 11 agents: 68.21 %.
    assert s.erlang_b(traffic=10, agents=10) == pytest.approx(0.2146, abs=5e-5)
    assert s.erlang_c_wait_probability(traffic=10, agents=11) == pytest.approx(0.6821, abs=5e-5)
    # Erlang B stays finite and exact-ish for large loads (recursion, no factorials): B(1000, 1000).
    assert 0.02 < s.erlang_b(traffic=1000, agents=1000) < 0.03


def test_zero_calls_need_no_agents():
    result = s.required_agents(calls=0, aht_s=180, interval_s=900, target=0.8, threshold_s=20)
    assert (result.agents, result.scheduled_agents, result.service_level) == (0, 0, None)
    result_a = s.required_agents_erlang_a(
        calls=0, aht_s=180, interval_s=900, target=0.8, threshold_s=20, patience_s=120
    )
    assert result_a.agents == 0


def test_unstable_queue():
    assert s.erlang_c_wait_probability(traffic=10, agents=10) == 1.0
    assert s.service_level(**C1, agents=9, threshold_s=20) == 0.0
    assert s.asa(**C1, agents=10) is None
    assert s.occupancy(**C1, agents=0) is None


def test_max_occupancy_adds_agents():
    # 10 erlangs: 14 agents would be 71.4 % busy; a 70 % cap needs 15 (66.7 %).
    assert s.required_agents(**C1, target=0.8, threshold_s=20, max_occupancy=0.7).agents == 15


@pytest.mark.parametrize("bad", [0.0, 1.0, 1.2])
def test_unreachable_targets_are_refused(bad):
    with pytest.raises(ValueError):
        s.required_agents(**C1, target=bad, threshold_s=20)


def test_scheduled_heads():
    assert s.scheduled_heads(agents=14, shrinkage=0.3) == 20
    assert s.scheduled_heads(agents=15, shrinkage=0.3) == 22  # 21.43 -> 22
    assert s.scheduled_heads(agents=7, shrinkage=0.0) == 7
    with pytest.raises(ValueError):
        s.scheduled_heads(agents=7, shrinkage=1.0)


def test_erlang_a_tends_to_erlang_c_with_endless_patience():
    result = s.erlang_a(**C1, agents=14, threshold_s=20, patience_s=1e9)
    assert result.wait_probability == pytest.approx(0.174132, abs=1e-6)
    assert result.service_level == pytest.approx(0.888350, abs=1e-6)
    assert result.asa == pytest.approx(7.836, abs=1e-3)
    assert result.abandon_probability < 1e-6


def _erlang_a_by_brute_force(calls, aht_s, interval_s, agents, threshold_s, patience_s, size=200, steps=4000):
    """Independent model: solve the truncated chain's balance equations, then integrate the tagged
    contact's journey (j ahead -> served / abandoned) with RK4."""
    lam, mu, theta = calls / interval_s, 1 / aht_s, 1 / patience_s
    gen = np.zeros((size, size))
    for n in range(size):
        if n + 1 < size:
            gen[n, n + 1] = lam
        if n > 0:
            gen[n, n - 1] = min(n, agents) * mu + max(n - agents, 0) * theta
        gen[n, n] = -gen[n].sum()
    system = np.vstack([gen.T, np.ones(size)])
    rhs = np.zeros(size + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(system, rhs, rcond=None)[0]
    ahead = size - agents
    # u[j] = P(served by time t | j ahead); du_j/dt = r_j (u_{j-1} - u_j) - theta u_j, u_{-1} = 1.
    rates = agents * mu + np.arange(ahead) * theta

    def deriv(u):
        before = np.concatenate([[1.0], u[:-1]])
        return rates * (before - u) - theta * u

    u, dt = np.zeros(ahead), threshold_s / steps
    for _ in range(steps):
        k1 = deriv(u)
        k2 = deriv(u + dt / 2 * k1)
        k3 = deriv(u + dt / 2 * k2)
        k4 = deriv(u + dt * k3)
        u = u + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return {
        "wait_probability": pi[agents:].sum(),
        # abandons per second = theta x mean queue length (rate balance), divided by arrivals per second
        "abandon_probability": theta * (pi * np.maximum(np.arange(size) - agents, 0)).sum() / lam,
        "service_level": pi[:agents].sum() + (pi[agents:] * u).sum(),
    }


@pytest.mark.parametrize(
    ("calls", "aht_s", "agents", "threshold_s", "patience_s"),
    [(64, 240, 17, 30, 60), (80, 200, 15, 20, 45), (40, 300, 11, 60, 400)],
)
def test_erlang_a_matches_an_independent_model(calls, aht_s, agents, threshold_s, patience_s):
    got = s.erlang_a(
        calls=calls,
        aht_s=aht_s,
        interval_s=900,
        agents=agents,
        threshold_s=threshold_s,
        patience_s=patience_s,
    )
    want = _erlang_a_by_brute_force(calls, aht_s, 900, agents, threshold_s, patience_s)
    assert got.wait_probability == pytest.approx(want["wait_probability"], abs=1e-7)
    assert got.abandon_probability == pytest.approx(want["abandon_probability"], abs=1e-7)
    assert got.service_level == pytest.approx(want["service_level"], abs=1e-7)


def test_required_agents_erlang_a_is_minimal():
    result = s.required_agents_erlang_a(**C1, target=0.8, threshold_s=20, patience_s=300, shrinkage=0.3)
    below = s.erlang_a(**C1, agents=result.agents - 1, threshold_s=20, patience_s=300)
    assert result.service_level >= 0.8 > below.service_level
    assert result.scheduled_agents * 0.7 >= result.agents > (result.scheduled_agents - 1) * 0.7
    assert result.abandon_probability is not None


def test_estimate_patience_hand_case():
    # 10 abandons after 400 s of waiting in all; answered contacts waited 2600 s (censored patience).
    assert s.estimate_patience_s(abandoned_wait_sum=400.0, answered_wait_sum=2600.0, abandoned=10) == 300.0
    assert s.estimate_patience_s(abandoned_wait_sum=0.0, answered_wait_sum=900.0, abandoned=0) is None


def test_estimate_patience_recovers_simulated_patience():
    rng = np.random.default_rng(7)
    patience = rng.exponential(240.0, 200_000)
    service_start = rng.exponential(60.0, 200_000)  # when an agent would pick the contact up
    abandoned = patience < service_start
    waits = np.minimum(patience, service_start)
    estimate = s.estimate_patience_s(
        abandoned_wait_sum=waits[abandoned].sum(),
        answered_wait_sum=waits[~abandoned].sum(),
        abandoned=int(abandoned.sum()),
    )
    assert estimate == pytest.approx(240.0, rel=0.02)
    assert waits[abandoned].mean() < 100  # the naive mean abandon time would be far off


@settings(max_examples=60, deadline=None)
@given(
    calls=st.integers(1, 400),
    aht_s=st.integers(30, 900),
    threshold_s=st.integers(0, 120),
    target=st.floats(0.5, 0.95),
)
def test_staffing_is_monotone(calls, aht_s, threshold_s, target):
    base = {"aht_s": aht_s, "interval_s": 1800, "target": target, "threshold_s": threshold_s}
    result = s.required_agents(calls=calls, **base)
    assert result.service_level >= target
    if result.agents - 1 > s.traffic_erlangs(calls=calls, aht_s=aht_s, interval_s=1800):
        below = s.service_level(
            calls=calls, aht_s=aht_s, interval_s=1800, agents=result.agents - 1, threshold_s=threshold_s
        )
        assert below < target
    assert s.required_agents(calls=calls + 10, **base).agents >= result.agents
    more = s.service_level(
        calls=calls, aht_s=aht_s, interval_s=1800, agents=result.agents + 1, threshold_s=threshold_s
    )
    assert more >= result.service_level


@settings(max_examples=30, deadline=None)
@given(calls=st.integers(1, 200), agents=st.integers(1, 40), patience_s=st.integers(10, 1200))
def test_erlang_a_is_monotone_in_agents(calls, agents, patience_s):
    kwargs = {"calls": calls, "aht_s": 240, "interval_s": 1800, "threshold_s": 20, "patience_s": patience_s}
    fewer, more = s.erlang_a(**kwargs, agents=agents), s.erlang_a(**kwargs, agents=agents + 1)
    assert more.service_level >= fewer.service_level - 1e-12
    assert more.abandon_probability <= fewer.abandon_probability + 1e-12
    assert 0 <= more.abandon_probability <= more.wait_probability <= 1
