"""Effort drivers: Student t and Welch on hand-computed cases, the factor rules on hand-built contacts,
and recovery of known effects, first from a synthetic data set, then from the demo simulator whose
planted CES effects are documented in jobs/sources/sim_surveys.py (CES_EFFECTS)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models import effort
from models import rollup_queue as rq
from models.rollup_effort import effort_answers
from models.settings import load_settings
from models.trends import TrendFilters

SETTINGS = load_settings(database_url="sqlite://", timezone="Europe/Madrid")


# --- Student t and Welch ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "expected"),
    [  # two-sided 95 % critical values from a printed t table (and the closed form for df = 2)
        (1, 12.706205),
        (2, 4.302653),
        (4, 2.776445),
        (10, 2.228139),
        (30, 2.042272),
        (120, 1.979930),
        (1e7, 1.959964),
    ],
)
def test_t_quantile_matches_the_table(df: float, expected: float) -> None:
    assert effort.t_quantile(0.975, df) == pytest.approx(expected, abs=2e-6)


def test_t_cdf_is_symmetric_and_inverts_the_quantile() -> None:
    assert effort.t_cdf(0.0, 7) == pytest.approx(0.5)
    assert effort.t_cdf(-1.3, 3.7) == pytest.approx(1 - effort.t_cdf(1.3, 3.7), abs=1e-12)
    assert effort.t_cdf(effort.t_quantile(0.9, 3.7), 3.7) == pytest.approx(0.9, abs=1e-10)


def test_welch_equal_groups_by_hand() -> None:
    # A = 1,2,3 (mean 2, s² 1); B = 4,5,6 (mean 5, s² 1): se = √(1/3 + 1/3) = 0.816497, df = 4,
    # t(0.975, 4) = 2.776445, half width 2.266958.
    result = effort.welch_difference(group_a=[1, 2, 3], group_b=[4, 5, 6])
    assert result.difference == pytest.approx(-3.0)
    assert result.df == pytest.approx(4.0)
    assert result.ci_low == pytest.approx(-5.266958, abs=1e-6)
    assert result.ci_high == pytest.approx(-0.733042, abs=1e-6)


def test_welch_unequal_variances_by_hand() -> None:
    # A = 2,4,6,8: mean 5, s² 20/3; B = 1,2: mean 1.5, s² 0.5. se² = 5/3 + 1/4 = 23/12;
    # df = (23/12)² / ((5/3)²/3 + (1/4)²/1) = 3.716628.
    result = effort.welch_difference(group_a=[2, 4, 6, 8], group_b=[1, 2])
    assert result.difference == pytest.approx(3.5)
    assert result.df == pytest.approx(3.716628, abs=1e-6)
    half = effort.t_quantile(0.975, 3.716628) * math.sqrt(23 / 12)
    assert half > effort.t_quantile(0.975, 4) * math.sqrt(23 / 12)  # fewer df than 4: wider
    assert result.ci_low == pytest.approx(3.5 - half, abs=1e-5)
    assert result.ci_high == pytest.approx(3.5 + half, abs=1e-5)


def test_welch_undefined_cases() -> None:
    empty = effort.welch_difference(group_a=[], group_b=[3, 4])
    assert empty.difference is None and empty.ci_low is None
    single = effort.welch_difference(group_a=[5], group_b=[3, 4])
    assert single.difference == pytest.approx(1.5) and single.ci_low is None


# --- Factor rules on hand-built contacts --------------------------------------------------------------


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def _row(contact_id: int, at: str, **values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "contact_id": contact_id, "ces": 5, "queue_id": 1, "team_id": 1, "site_id": 1, "channel": "voice",
        "touchpoint_id": 1, "touchpoint": "billing", "customer_key": None, "offered_ms": _ms(at),
        "outcome": "answered", "wait_s": 5.0, "sl_threshold_s": None, "transferred": False, "hold_s": 0.0,
        "hold_count": 0, "hire_date": date(2020, 1, 1), "agent_id": 1, "resolved": True,
    }  # fmt: skip
    base.update(values)
    return base


def test_add_factors_applies_each_rule() -> None:
    rows = pd.DataFrame(
        [
            _row(1, "2026-03-02T07:59:00+01:00", wait_s=20.0),  # T = 20 s (voice default): not above
            _row(2, "2026-03-02T08:00:00+01:00", wait_s=21.0),  # above; 08:00 is business hours
            _row(3, "2026-03-02T19:59:00+01:00", wait_s=70.0, channel="chat"),  # chat T = 60 s
            _row(4, "2026-03-02T20:00:00+01:00", wait_s=30.0, sl_threshold_s=40.0),  # queue T 40 s
            _row(5, "2026-03-02T12:00:00+01:00", hold_s=None, hold_count=None, wait_s=None),
            _row(6, "2026-03-02T12:00:00+01:00", hold_s=0.0, hold_count=2, transferred=True, resolved=False),
            _row(7, "2026-03-02T12:00:00+01:00", hire_date=date(2026, 3, 2) - timedelta(days=89)),
            _row(
                8, "2026-03-02T12:00:00+01:00", hire_date=date(2026, 3, 2) - timedelta(days=90), resolved=None
            ),
            _row(9, "2026-03-02T12:00:00+01:00", hire_date=None, outcome="abandoned"),
        ]
    )
    out = effort.add_factors(rows, settings=SETTINGS).set_index("contact_id")
    assert out["wait_above_threshold"].tolist()[:4] == [False, True, True, False]
    assert pd.isna(out.at[5, "wait_above_threshold"]) and pd.isna(out.at[9, "wait_above_threshold"])
    assert out["after_hours"].tolist()[:4] == [True, False, False, True]
    assert pd.isna(out.at[5, "hold"]) and bool(out.at[6, "hold"]) and not bool(out.at[1, "hold"])
    assert bool(out.at[6, "transfer"]) and bool(out.at[6, "unresolved"]) and not bool(out.at[1, "unresolved"])
    assert pd.isna(out.at[8, "unresolved"])
    assert out.at[7, "tenure_band"] == "lt_3m" and out.at[8, "tenure_band"] == "3_12m"
    assert pd.isna(out.at[9, "tenure_band"]) and out.at[1, "tenure_band"] == "3y_plus"


def _fact(contact_id: int, at: str, customer: str | None, *, channel: str = "voice", topic: int = 1) -> dict:
    """A contact as the refresh loads it (rollup_queue.CONTACT_DTYPES)."""
    ms = _ms(at)
    return {
        "id": contact_id, "queue_id": 1, "channel": channel, "touchpoint_id": float(topic), "agent_id": 1.0,
        "customer_key": customer, "offered_ms": ms, "offered_interval": ms // 1000 // 900 * 900,
        "completed_interval": float(ms // 1000 // 900 * 900), "wait_s": 12.0, "talk_s": 200.0,
        "hold_s": None, "acw_s": 30.0, "hold_count": None, "outcome": "answered", "exit_reason": None,
        "transferred": False, "survey_offered": True,
    }  # fmt: skip


def test_effort_answers_carry_the_refreshs_repeat_and_channel_switch_flags() -> None:
    """METRICS.md repeat (same touchpoint within 7 days) and channel switch (other channel within
    24 h), worked out by the refresh's classification and kept on each CES answer."""
    contacts = pd.DataFrame(
        [
            _fact(1, "2026-03-02T11:00:00+01:00", "A"),  # 6 days 23 h before #10, same topic
            _fact(2, "2026-03-02T09:59:00+01:00", "B"),  # 7 days 1 min before #11
            _fact(3, "2026-03-09T07:00:00+01:00", "C", topic=2),  # voice 3 h before #12 (chat)
            _fact(10, "2026-03-09T10:00:00+01:00", "A"),
            _fact(11, "2026-03-09T10:00:00+01:00", "B"),
            _fact(12, "2026-03-09T10:00:00+01:00", "C", channel="chat"),
            _fact(13, "2026-03-09T10:00:00+01:00", None),
        ]
    )
    contacts = rq.typed(contacts, rq.CONTACT_DTYPES)
    surveys = pd.DataFrame(
        {
            "survey_id": [100, 110, 120, 130, 131],
            "contact_id": [1, 11, 12, 13, 10],
            "csat": [4.0, 4.0, 4.0, 4.0, 4.0],
            "ces": [6.0, 2.0, 5.0, 4.0, 9.0],  # 9 is off the 1..7 scale: not an effort answer
            "nps": [None] * 5,
            "resolved": [True, None, False, True, True],
        }
    )
    classified = rq.classify(
        contacts,
        surveys=surveys,
        queues=pd.DataFrame({"queue_id": [1], "sl_threshold_s": [None]}),
        settings=SETTINGS,
        now=datetime(2026, 3, 10, tzinfo=UTC),
    )
    out = effort_answers(contacts, classified, surveys).set_index("contact_id")
    assert sorted(out.index) == [1, 11, 12, 13]
    assert [bool(out.at[i, "repeat_contact"]) for i in (1, 11, 12)] == [False, False, False]
    assert [bool(out.at[i, "channel_switch"]) for i in (1, 11, 12)] == [False, False, True]
    assert pd.isna(out.at[13, "repeat_contact"]) and pd.isna(out.at[13, "channel_switch"])
    assert out.at[11, "ces"] == 2 and pd.isna(out.at[11, "resolved"]) and not out.at[12, "resolved"]
    assert pd.isna(out.at[1, "hold_count"]) and out.at[1, "survey_id"] == 100
    # #10's answer is off the scale, yet #10 is a repeat: rated alone it would carry the flag
    rated_10 = surveys.assign(ces=[6.0, 2.0, 5.0, 4.0, 3.0])
    again = effort_answers(contacts, classified, rated_10, contact_ids=[10]).set_index("contact_id")
    assert list(again.index) == [10] and bool(again.at[10, "repeat_contact"])


def test_filter_contacts_by_page_filters() -> None:
    frame = pd.DataFrame(
        {
            "site_id": [1, 1, 2],
            "team_id": [1, 2, 3],
            "channel": ["voice", "chat", "voice"],
            "touchpoint_id": [1, 2, 1],
        }
    )
    assert len(effort.filter_contacts(frame, TrendFilters())) == 3
    assert effort.filter_contacts(frame, TrendFilters(channels=("voice",), site_ids=(1,)))[
        "team_id"
    ].tolist() == [1]
    assert effort.filter_contacts(frame, TrendFilters(touchpoint_ids=(2,)))["team_id"].tolist() == [2]


# --- Drivers table --------------------------------------------------------------------------------------


def test_one_factor_alone_adjusted_equals_raw_and_cost_is_impact_times_frequency() -> None:
    # Transferred: 2, 3, 4 (mean 3); not: 5, 6, 6, 7 (mean 6). Cost = 3 points x 3 contacts = 9.
    frame = pd.DataFrame({"ces": [2, 3, 4, 5, 6, 6, 7], "transfer": [True] * 3 + [False] * 4})
    table = effort.effort_drivers(frame, min_sample=3)
    row = table.iloc[0]
    assert (row["factor"], row["n_with"], row["n_without"]) == ("transfer", 3, 4)
    assert row["difference"] == pytest.approx(-3.0) and row["adjusted"] == pytest.approx(-3.0)
    assert row["share"] == pytest.approx(3 / 7)
    assert row["effort_cost"] == pytest.approx(9.0)
    assert bool(row["significant"]) and not bool(row["low_confidence"])


def test_drivers_sorted_by_effort_cost_and_levels_compared_with_the_rest() -> None:
    rng = np.random.default_rng(3)
    n = 400
    touchpoint = np.array(["billing", "order"])[rng.integers(0, 2, n)]
    hold = rng.random(n) < 0.1
    ces = 5 + np.where(touchpoint == "billing", -1.0, 0.0) - 0.5 * hold + rng.normal(0, 0.3, n)
    frame = pd.DataFrame({"ces": ces, "hold": hold, "touchpoint": touchpoint})
    table = effort.effort_drivers(frame)
    costs = table["effort_cost"].tolist()
    assert costs == sorted(costs, reverse=True)
    levels = table.set_index(["factor", "level"])
    billing, order = levels.loc[("touchpoint", "billing")], levels.loc[("touchpoint", "order")]
    assert billing["adjusted"] == pytest.approx(-1.0, abs=0.1) and order["adjusted"] == pytest.approx(
        1.0, abs=0.1
    )
    assert table.iloc[0]["factor"] == "touchpoint" and table.iloc[0]["level"] == "billing"


def test_empty_frame_gives_an_empty_table() -> None:
    assert effort.effort_drivers(pd.DataFrame({"ces": []})).empty


# --- Recovery of known effects --------------------------------------------------------------------------


def _synthetic(seed: int) -> tuple[pd.DataFrame, dict[tuple[str, str | None], float]]:
    """20,000 answers from 100 agents; transfer and hold travel together (as in real centres);
    channel switch has no effect at all but comes with repeats; agents have their own manner."""
    rng = np.random.default_rng(seed)
    n, agents = 20_000, 100
    agent = rng.integers(0, agents, n)
    hired = np.arange(agents) < 15
    manner_of = rng.normal(0, 0.3, agents)
    # Centred within each tenure group: the planted -0.3 is then the only difference between them.
    manner_of[hired] -= manner_of[hired].mean()
    manner_of[~hired] -= manner_of[~hired].mean()
    manner, new_hire = manner_of[agent], hired[agent]
    transfer = rng.random(n) < np.where(new_hire, 0.15, 0.06)
    hold = rng.random(n) < np.where(transfer, 0.5, 0.12)
    repeat = rng.random(n) < 0.12
    switch = rng.random(n) < np.where(repeat, 0.3, 0.02)
    wait = rng.random(n) < 0.2
    planted = {
        ("transfer", None): -0.8, ("hold", None): -0.3, ("repeat_contact", None): -0.7,
        ("wait_above_threshold", None): -0.6, ("channel_switch", None): 0.0,
    }  # fmt: skip
    ces = 5.2 + manner - 0.3 * new_hire + rng.normal(0, 0.9, n)
    for (factor, _), size in planted.items():
        column = {"transfer": transfer, "hold": hold, "repeat_contact": repeat, "channel_switch": switch}.get(
            factor, wait
        )
        ces = ces + size * column
    frame = pd.DataFrame(
        {
            "ces": ces,
            "agent_id": agent,
            "transfer": transfer,
            "hold": hold,
            "repeat_contact": repeat,
            "channel_switch": switch,
            "wait_above_threshold": wait,
            "tenure_band": np.where(new_hire, "lt_3m", "1_3y"),
        }
    )
    planted[("tenure_band", "lt_3m")] = -0.3
    return frame, planted


def test_planted_effects_are_recovered_on_synthetic_data() -> None:
    frame, planted = _synthetic(seed=11)
    table = effort.effort_drivers(frame, confidence=1 - 0.05 / len(planted)).set_index(["factor", "level"])
    for (factor, level), size in planted.items():
        row = (
            table.loc[(factor, level)] if level else table[table.index.get_level_values(0) == factor].iloc[0]
        )
        assert row["adjusted_low"] <= size <= row["adjusted_high"], (factor, level, row["adjusted"])
    switch = table[table.index.get_level_values(0) == "channel_switch"].iloc[0]
    hold = table[table.index.get_level_values(0) == "hold"].iloc[0]
    # The raw differences carry the companions' effects; the adjusted ones do not.
    assert switch["ci_high"] < 0 and not bool(switch["significant"])
    assert hold["difference"] < -0.4 and hold["ci_high"] < -0.3


# --- Recovery from the demo simulator (its documented CES_EFFECTS) ---------------------------------------

SIM_FACTORS = {
    ("transfer", None): "transferred",
    ("wait_above_threshold", None): "wait_above_threshold",
    ("repeat_contact", None): "repeat",
    ("hold", None): "hold",
    ("after_hours", None): "after_hours",
    ("tenure_band", "lt_3m"): "new_agent",
}


@pytest.fixture(scope="module")
def simulated_contacts(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Four weeks of a 60-agent demo centre (seed 7), refreshed, read back through the page's loader."""
    from jobs import refresh
    from jobs.sources import simulator
    from jobs.sources.sim_org import Scale
    from models.access import demo_viewer
    from models.db import open_database

    path = Path(tmp_path_factory.mktemp("effort")) / "sim.db"
    settings = load_settings(database_url=f"sqlite:///{path}")
    engine, factory = open_database(settings)
    original = dict(simulator.SCALES)
    simulator.SCALES["effort_test"] = Scale(agents=60, weeks=4)
    try:
        now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
        simulator.seed_demo(session_factory=factory, settings=settings, scale="effort_test", now=now, seed=7)
    finally:
        simulator.SCALES.clear()
        simulator.SCALES.update(original)
    refresh.run(session_factory=factory, settings=settings, now=now)  # keeps the effort answers
    with factory() as session:
        viewer = demo_viewer(session=session)
        assert viewer is not None
        frame = effort.load_effort_contacts(
            session=session, viewer=viewer, settings=settings, start=date(2026, 10, 1), end=date(2026, 11, 20)
        )
    engine.dispose()
    return frame


def _driver(table: pd.DataFrame, factor: str, level: str | None) -> pd.Series:
    rows = table[
        (table["factor"] == factor) & ((table["level"] == level) if level else table["level"].isna())
    ]
    assert len(rows) == 1, (factor, level)
    return rows.iloc[0]


def test_simulator_definitions_match_the_factor_rules() -> None:
    from jobs.sources import sim_surveys

    assert effort.BUSINESS_HOURS == sim_surveys.AFTER_HOURS
    assert effort.TENURE_BANDS[0][2] == 90  # the simulator's new agent: under 90 days
    assert set(SIM_FACTORS.values()) | {"unresolved"} == set(sim_surveys.CES_EFFECTS)


def test_simulator_planted_effects_are_inside_the_adjusted_ci(simulated_contacts: pd.DataFrame) -> None:
    from jobs.sources.sim_surveys import CES_EFFECTS

    assert len(simulated_contacts) > 5000
    # Six checks at once: Bonferroni keeps the family-wise miss rate at 5 % (each CI at 99.17 %).
    table = effort.effort_drivers(simulated_contacts, confidence=1 - 0.05 / len(SIM_FACTORS))
    for (factor, level), name in SIM_FACTORS.items():
        row = _driver(table, factor, level)
        assert row["adjusted_low"] <= CES_EFFECTS[name] <= row["adjusted_high"], (name, row["adjusted"])
        assert bool(row["significant"])
    # No effect was planted on channel switches: found only through repeats in the raw difference.
    switch = _driver(table, "channel_switch", None)
    assert switch["ci_high"] < 0 and switch["adjusted_low"] <= 0 <= switch["adjusted_high"]


def test_simulator_unresolved_effect_is_seen_through_the_survey_answer(
    simulated_contacts: pd.DataFrame,
) -> None:
    """The simulator flips 4 % of "resolved?" answers, so about a fifth of "not resolved" answers
    come from resolved issues: the effect shows at roughly four fifths of the planted −0.9."""
    from jobs.sources.sim_surveys import CES_EFFECTS

    row = _driver(effort.effort_drivers(simulated_contacts), "unresolved", None)
    assert 0.9 * CES_EFFECTS["unresolved"] <= row["adjusted"] <= 0.6 * CES_EFFECTS["unresolved"]
    assert row["adjusted_high"] < 0
