"""models.metrics against hand-computed METRICS.md cases: one table per section, plus the edges."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import kpis
from models import metrics as m

DAY = 86400.0


def _stored(offered, answered, answered_within_t, abandoned, abandoned_within_t, short_abandoned):
    """Counts as the aggregate stores them (abandoned* exclude short abandons)."""
    return {
        "offered": offered,
        "answered": answered,
        "answered_within_t": answered_within_t,
        "abandoned": abandoned,
        "abandoned_within_t": abandoned_within_t,
        "short_abandoned": short_abandoned,
    }


# --- Service-level variants -----------------------------------------------------------------------


def test_cisco_reference_case_by_letters():
    # METRICS.md: 70 answered within T, 10 abandoned within T, 20 beyond T, 100 offered.
    assert m.sl_abandons_ignored(q=100, a_t=70, ab_t=10) == pytest.approx(0.7778, abs=5e-5)
    assert m.sl_abandons_negative(q=100, a_t=70) == pytest.approx(0.70)
    assert m.sl_abandons_positive(q=100, a_t=70, ab_t=10) == pytest.approx(0.80)


def test_cisco_reference_case_from_stored_columns():
    # Stored columns: no short abandons; the 20 beyond T are answered late (A = 90).
    counts = _stored(100, 90, 70, 10, 10, 0)
    assert m.service_level(**counts, formula="abandons_ignored") == pytest.approx(70 / 90)
    assert m.service_level(**counts, formula="abandons_negative") == pytest.approx(0.70)
    assert m.service_level(**counts, formula="abandons_positive") == pytest.approx(0.80)


def test_genesys_reference_case_short_abandons_excluded():
    # 400 offered, 200 answered <= 20 s, 100 later, 50 short abandons (< 10 s), 50 abandoned later.
    counts = _stored(400, 300, 200, 50, 0, 50)
    assert m.service_level(**counts) == pytest.approx(0.5714, abs=5e-5)
    assert m.sl_short_abandons_excluded(q=400, a_t=200, ab_short=50) == pytest.approx(200 / 350)


def test_short_abandons_count_as_abandoned_within_t_for_cisco_variants():
    # Stored abandoned_within_t excludes short abandons: Ab_T = 4 + 6 = 10.
    counts = _stored(100, 80, 60, 14, 4, 6)
    assert m.service_level(**counts, formula="abandons_ignored") == pytest.approx(60 / 90)
    assert m.service_level(**counts, formula="abandons_positive") == pytest.approx(70 / 100)
    # ICMI: A_T / (A + abandoned after T) = 60 / (80 + 10)
    assert m.service_level(**counts, formula="icmi") == pytest.approx(60 / 90)
    assert m.service_level(**counts, formula="answered_only") == pytest.approx(60 / 80)
    assert m.service_level(**counts, formula="short_abandons_excluded") == pytest.approx(60 / 94)


@pytest.mark.parametrize(
    "formula",
    [
        "short_abandons_excluded",
        "abandons_ignored",
        "abandons_negative",
        "abandons_positive",
        "icmi",
        "answered_only",
    ],
)
def test_every_sl_variant_is_none_on_an_empty_interval(formula):
    zero = _stored(0, 0, 0, 0, 0, 0)
    assert m.service_level(**zero, formula=formula) is None


def test_only_short_abandons_gives_undefined_sl_not_zero():
    counts = _stored(3, 0, 0, 0, 0, 3)
    assert m.service_level(**counts) is None


def test_unknown_formula_is_refused():
    with pytest.raises(ValueError, match="unknown service-level formula"):
        m.service_level(
            offered=1, answered=1, answered_within_t=1, abandoned=0, abandoned_within_t=0, short_abandoned=0,
            formula="made_up",
        )  # fmt: skip


# --- One row per METRICS.md ratio: (function, kwargs, expected, zero-denominator kwargs) ---------

# (function, argument names, values, expected, values giving a zero denominator or None)
RATIO_CASES = [
    (m.asa, "answered_wait_sum answered", (300.0, 12), 25.0, (0.0, 0)),
    (m.abandon_rate, "abandoned offered short_abandoned", (9, 100, 10), 0.1, (0, 4, 4)),
    (m.avg_abandon_time, "abandoned_wait_sum abandoned", (450.0, 9), 50.0, (0.0, 0)),
    (m.aht, "handle_time_sum handled", (3600.0, 16), 225.0, (0.0, 0)),
    (m.transfer_rate, "transferred answered", (3, 12), 0.25, (0, 0)),
    (m.hold_rate, "held hold_known", (2, 8), 0.25, (0, 0)),
    (m.occupancy, "handle_s available_s", (2700.0, 900.0), 0.75, (0.0, 0.0)),
    (m.utilization, "handle_s staffed_s", (2700.0, 3600.0), 0.75, (0.0, 0.0)),
    (m.adherence, "adherent_s scheduled_s", (3240.0, 3600.0), 0.9, (0.0, 0.0)),
    (m.conformance, "staffed_s scheduled_work_s", (3960.0, 3600.0), 1.1, (60.0, 0.0)),
    (m.shrinkage, "shrinkage_s paid_scheduled_s", (1080.0, 3600.0), 0.3, (0.0, 0.0)),
    (m.csat, "csat_top2 csat_n", (7, 10), 0.7, (0, 0)),
    (m.ces, "ces_sum ces_n", (52.0, 10), 5.2, (0.0, 0)),
    (m.ces_easy_share, "ces_easy ces_n", (6, 8), 0.75, (0, 0)),
    (m.ces_difficult_share, "ces_difficult ces_n", (1, 8), 0.125, (0, 0)),
    (m.nps, "nps_promoters nps_detractors nps_n", (5, 2, 10), 30.0, (0, 0, 0)),
    (m.nps, "nps_promoters nps_detractors nps_n", (1, 6, 20), -25.0, None),
    (m.fcr, "fcr_resolved known_customer", (15, 20), 0.75, (0, 0)),
    (m.repeat_rate, "repeats known_customer", (4, 20), 0.2, (0, 0)),
    (m.channel_switch_rate, "channel_switches known_customer", (1, 20), 0.05, (0, 0)),
    (m.response_rate, "surveys_answered surveys_offered", (30, 120), 0.25, (0, 0)),
]


@pytest.mark.parametrize(("func", "names", "values", "expected", "zero"), RATIO_CASES)
def test_ratio_definitions(func, names, values, expected, zero):
    names = names.split()
    assert func(**dict(zip(names, values, strict=True))) == pytest.approx(expected)
    if zero is not None:
        assert func(**dict(zip(names, zero, strict=True))) is None
    # The same definition on vectors: NaN where the denominator is zero, never 0.
    second = zero or values
    vec = {n: pd.Series([v, w], dtype=float) for n, v, w in zip(names, values, second, strict=True)}
    result = func(**vec)
    assert result.iloc[0] == pytest.approx(expected)
    assert math.isnan(result.iloc[1]) == (zero is not None)


def test_missing_input_gives_none():
    assert m.hold_rate(held=None, hold_known=None) is None
    assert m.asa(answered_wait_sum=10.0, answered=None) is None


def test_longest_wait_and_handle_time():
    assert m.longest_wait(waits_s=[12.0, float("nan"), 95.5, 3.0]) == 95.5
    assert m.longest_wait(waits_s=[]) is None
    assert m.handle_time(talk_s=120.0, hold_s=30.0, acw_s=45.0) == 195.0
    assert m.handle_time(talk_s=120.0, hold_s=None, acw_s=None) == 120.0  # queue_log: talk only
    assert m.handle_time(talk_s=None, hold_s=5.0, acw_s=5.0) is None
    vec = m.handle_time(talk_s=pd.Series([100.0, 60.0]), hold_s=pd.Series([np.nan, 10.0]), acw_s=None)
    assert vec.tolist() == [100.0, 70.0]


@pytest.mark.parametrize(("n", "flag"), [(0, True), (9, True), (10, False), (250, False), (None, True)])
def test_low_confidence(n, flag):
    assert m.low_confidence(n, 10) is flag


def test_low_confidence_on_vectors():
    assert m.low_confidence(pd.Series([3, 10, np.nan]), 10).tolist() == [True, False, True]


# --- contact_flags ---------------------------------------------------------------------------------


def _contacts(rows):
    cols = ["outcome", "wait_s", "hold_s", "hold_count", "transferred", "exit_reason"]
    return pd.DataFrame(rows, columns=cols)


def test_contact_flags_classification_boundaries():
    nan = float("nan")
    df = _contacts(
        [
            ("answered", 20.0, 0.0, 0, False, None),  # 0 within T (= T), hold known, not held
            ("answered", 20.5, 35.0, 1, True, None),  # 1 after T, held, transferred
            ("abandoned", 4.9, nan, nan, False, "caller_abandon"),  # 2 short abandon
            ("abandoned", 5.0, nan, nan, False, "caller_abandon"),  # 3 not short (wait < 5 is strict)
            ("abandoned", 30.0, nan, nan, False, "timeout"),  # 4 after T
            ("abandoned", 12.0, nan, nan, False, "exit_key"),  # 5
            ("abandoned", 40.0, nan, nan, False, "exit_empty"),  # 6
            ("abandoned", 41.0, nan, nan, False, "full"),  # 7 other
            ("abandoned", 42.0, nan, nan, False, None),  # 8 other
            ("unknown", nan, nan, nan, False, None),  # 9
            ("waiting", nan, nan, nan, False, None),  # 10
            ("answered", 3.0, nan, nan, True, None),  # 11 queue_log: hold unknown
            ("answered", 8.0, nan, 2, False, None),  # 12 hold_count only
        ]
    )
    flags = m.contact_flags(df, short_abandon_s=5.0, threshold_s=20.0)
    col = {c: flags[c].tolist() for c in flags.columns}
    assert col["offered"] == [1] * 13
    assert col["short_abandoned"] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert col["answered"] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    assert col["answered_within_t"] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    assert col["abandoned"] == [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    assert col["abandoned_within_t"] == [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    assert col["unknown"] == [0] * 9 + [1, 0, 0, 0]
    assert col["waiting"] == [0] * 10 + [1, 0, 0]
    assert col["exit_caller_abandon"] == [0, 0, 0, 1] + [0] * 9  # the short one is not counted
    assert col["exit_timeout"] == [0] * 4 + [1] + [0] * 8
    assert col["exit_key"] == [0] * 5 + [1] + [0] * 7
    assert col["exit_empty"] == [0] * 6 + [1] + [0] * 6
    assert col["exit_other"] == [0] * 7 + [1, 1] + [0] * 4
    assert col["transferred"] == [0, 1] + [0] * 9 + [1, 0]
    assert col["held"] == [0, 1] + [0] * 10 + [1]
    assert col["hold_known"] == [1, 1] + [0] * 10 + [1]
    assert col["answered_wait_sum"] == [20.0, 20.5] + [0.0] * 9 + [3.0, 8.0]
    assert col["abandoned_wait_sum"] == [0.0, 0.0, 0.0, 5.0, 30.0, 12.0, 40.0, 41.0, 42.0, 0.0, 0.0, 0.0, 0.0]
    assert all(flags[c].dtype == np.int64 for c in flags.columns if not c.endswith("_sum"))


def test_contact_flags_per_row_threshold_and_index():
    df = _contacts(
        [("answered", 50.0, None, None, False, None), ("answered", 50.0, None, None, False, None)]
    ).set_axis([10, 20])
    thresholds = pd.Series([20.0, 60.0], index=[10, 20])  # voice, chat
    flags = m.contact_flags(df, short_abandon_s=5.0, threshold_s=thresholds)
    assert list(flags.index) == [10, 20]
    assert flags["answered_within_t"].tolist() == [0, 1]


def test_contact_flags_feed_the_genesys_case():
    rows = (
        [("answered", 10.0, None, None, False, None)] * 200
        + [("answered", 60.0, None, None, False, None)] * 100
        + [("abandoned", 3.0, None, None, False, "caller_abandon")] * 50
        + [("abandoned", 45.0, None, None, False, "caller_abandon")] * 50
    )
    sums = m.contact_flags(_contacts(rows), short_abandon_s=10.0, threshold_s=20.0).sum()
    kpis = m.kpi_frame(sums.to_frame().T)
    assert kpis["service_level"].iloc[0] == pytest.approx(200 / 350)
    assert kpis["abandon_rate"].iloc[0] == pytest.approx(50 / 350)
    assert kpis["hold_rate"].isna().iloc[0]  # queue_log-like: hold unknown, never 0


# --- repeat_flags ----------------------------------------------------------------------------------


def _journeys(rows):
    return pd.DataFrame(
        rows, columns=["customer_key", "touchpoint_id", "channel", "offered_epoch", "outcome"]
    )


def test_repeat_window_boundaries_and_fcr():
    week = 7 * DAY
    df = _journeys(
        [
            ("c1", 1, "voice", 0.0, "answered"),  # 0 followed at exactly 7 d: not resolved
            ("c1", 1, "voice", week, "answered"),  # 1 repeat (gap = window), next gap 7 d + 1 s: resolved
            ("c1", 1, "voice", 2 * week + 1, "answered"),  # 2 not a repeat (gap > window)
            ("c1", 2, "voice", 2 * week + 5, "answered"),  # 3 other touchpoint: not a repeat
            ("c2", 1, "voice", 10.0, "abandoned"),  # 4 abandoned: never resolved
            (None, 1, "voice", 20.0, "answered"),  # 5 unknown customer
            ("", 1, "voice", 30.0, "answered"),  # 6 empty key is unknown too
        ]
    )
    flags = m.repeat_flags(df, repeat_window_s=week, switch_window_s=DAY)
    assert flags["known_customer"].tolist() == [1, 1, 1, 1, 1, 0, 0]
    assert flags["repeats"].tolist() == [0, 1, 0, 0, 0, 0, 0]
    assert flags["fcr_resolved"].tolist() == [0, 1, 1, 1, 0, 0, 0]
    assert flags["channel_switches"].tolist() == [0] * 7


def test_channel_switch_window_and_runs():
    df = _journeys(
        [
            ("c1", 1, "chat", 3600.0, "answered"),  # 1: voice at 0 within 24 h -> switch
            ("c1", 1, "voice", 0.0, "answered"),  # 0: first contact
            ("c1", 1, "chat", 7200.0, "answered"),  # 2: still the voice at 0 within 24 h -> switch
            ("c1", 1, "chat", DAY + 1, "answered"),  # 3: voice at 0 is 24 h + 1 s back -> no
            ("c1", 3, "voice", DAY + 7200, "answered"),  # 4: chat at 7200 + ... last chat DAY+1 -> switch
            ("c2", 1, "voice", 100.0, "answered"),  # 5: another customer's chat does not count
            ("c3", 1, "email", 0.0, "answered"),
            ("c3", 1, "chat", DAY, "answered"),  # 7: exactly 24 h -> switch
        ]
    )
    flags = m.repeat_flags(df, repeat_window_s=7 * DAY, switch_window_s=DAY)
    assert flags["channel_switches"].tolist() == [1, 0, 1, 0, 1, 0, 0, 1]


def test_nothing_known():
    df = _journeys([(None, None, "voice", 0.0, "answered")])
    flags = m.repeat_flags(df, repeat_window_s=DAY, switch_window_s=DAY)
    assert flags.iloc[0].tolist() == [0, 0, 0, 0]


def _brute_force(df, window, switch_window):
    rows = list(df.itertuples(index=False))
    order = sorted(range(len(rows)), key=lambda i: (rows[i].offered_epoch, i))
    rank = {i: r for r, i in enumerate(order)}
    out = []
    for i, row in enumerate(rows):
        if pd.isna(row.customer_key) or not row.customer_key:
            out.append((0, 0, 0, 0))
            continue
        same = [j for j, o in enumerate(rows) if j != i and o.customer_key == row.customer_key]
        topic = [j for j in same if rows[j].touchpoint_id == row.touchpoint_id]
        before = [
            j for j in topic if rank[j] < rank[i] and row.offered_epoch - rows[j].offered_epoch <= window
        ]
        after = [
            j for j in topic if rank[j] > rank[i] and rows[j].offered_epoch - row.offered_epoch <= window
        ]
        switch = [
            j
            for j in same
            if rank[j] < rank[i]
            and rows[j].channel != row.channel
            and row.offered_epoch - rows[j].offered_epoch <= switch_window
        ]
        resolved = row.outcome == "answered" and not after
        out.append((1, int(bool(before)), int(resolved), int(bool(switch))))
    return out


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", None]),
            st.sampled_from([1, 2]),
            st.sampled_from(["voice", "chat", "email"]),
            st.integers(0, 12).map(lambda h: h * 3600.0),
            st.sampled_from(["answered", "abandoned"]),
        ),
        max_size=12,
    )
)
def test_repeat_flags_match_brute_force(rows):
    df = _journeys(rows)
    flags = m.repeat_flags(df, repeat_window_s=4 * 3600.0, switch_window_s=3 * 3600.0)
    assert [tuple(r) for r in flags.itertuples(index=False)] == _brute_force(df, 4 * 3600.0, 3 * 3600.0)


# --- survey_flags and the effort conversion --------------------------------------------------------


def test_survey_flags_scales_and_boundaries():
    nan = float("nan")
    df = pd.DataFrame(
        {
            "csat": [5, 4, 3, 1, nan, 6],
            "ces": [7, 5, 4, 3, 1, nan],
            "nps": [10, 9, 8, 7, 6, 0],
        }
    )
    f = m.survey_flags(df)
    assert f["csat_n"].tolist() == [1, 1, 1, 1, 0, 0]  # 6 is off the 1-5 scale
    assert f["csat_top2"].tolist() == [1, 1, 0, 0, 0, 0]
    assert f["ces_n"].tolist() == [1, 1, 1, 1, 1, 0]
    assert f["ces_sum"].tolist() == [7.0, 5.0, 4.0, 3.0, 1.0, 0.0]
    assert f["ces_easy"].tolist() == [1, 1, 0, 0, 0, 0]
    assert f["ces_difficult"].tolist() == [0, 0, 0, 1, 1, 0]
    assert f["nps_n"].tolist() == [1] * 6
    assert f["nps_promoters"].tolist() == [1, 1, 0, 0, 0, 0]
    assert f["nps_detractors"].tolist() == [0, 0, 0, 0, 1, 1]
    kpis = m.kpi_frame(f.sum().to_frame().T).iloc[0]
    assert kpis["csat"] == pytest.approx(2 / 4)
    assert kpis["ces"] == pytest.approx(20 / 5)
    assert kpis["nps"] == pytest.approx(100 * (2 - 2) / 6)


@pytest.mark.parametrize(("effort", "ces"), [(1, 7), (2, 6), (3, 4), (4, 2), (5, 1), (None, None)])
def test_effort_1_5_to_ces_1_7(effort, ces):
    assert m.convert_effort_1_5_to_ces_1_7(effort) == ces


@pytest.mark.parametrize("bad", [0, 6, -1])
def test_effort_out_of_scale_is_refused(bad):
    with pytest.raises(ValueError):
        m.convert_effort_1_5_to_ces_1_7(bad)


# --- kpi_frame, records, registry, formatting ------------------------------------------------------


def _sums():
    return pd.DataFrame(
        {
            "offered": [110, 0],
            "short_abandoned": [10, 0],
            "answered": [90, 0],
            "answered_within_t": [72, 0],
            "abandoned": [10, 0],
            "abandoned_within_t": [4, 0],
            "answered_wait_sum": [900.0, 0.0],
            "abandoned_wait_sum": [300.0, 0.0],
            "handled": [80, 0],
            "handle_time_sum": [16000.0, 0.0],
            "transferred": [9, 0],
            "held": [5, 0],
            "hold_known": [0, 0],
            "staffed_s": [28800.0, 0.0],
            "available_s": [7200.0, 0.0],
            "handle_s": [16000.0, 0.0],
            "scheduled_s": [28800.0, 0.0],
            "scheduled_work_s": [25200.0, 0.0],
            "adherent_s": [25920.0, 0.0],
            "paid_scheduled_s": [28800.0, 0.0],
            "shrinkage_s": [8640.0, 0.0],
            "known_customer": [50, 0],
            "repeats": [5, 0],
            "fcr_resolved": [40, 0],
            "channel_switches": [2, 0],
            "surveys_offered": [40, 0],
            "surveys_answered": [10, 0],
            "csat_n": [8, 0],
            "csat_top2": [6, 0],
            "ces_n": [10, 0],
            "ces_sum": [55.0, 0.0],
            "ces_easy": [7, 0],
            "ces_difficult": [2, 0],
            "nps_n": [20, 0],
            "nps_promoters": [9, 0],
            "nps_detractors": [4, 0],
        },
        index=["queue A", "empty"],
    )


def test_kpi_frame_hand_computed():
    row = m.kpi_frame(_sums()).loc["queue A"]
    expected = {
        "offered": 110,
        "service_level": 72 / 100,
        "asa": 10.0,
        "abandon_rate": 10 / 100,
        "avg_abandon_time": 30.0,
        "aht": 200.0,
        "transfer_rate": 0.1,
        "occupancy": 16000 / 23200,
        "utilization": 16000 / 28800,
        "adherence": 0.9,
        "conformance": 28800 / 25200,
        "shrinkage": 0.3,
        "csat": 0.75,
        "ces": 5.5,
        "ces_easy": 0.7,
        "ces_difficult": 0.2,
        "nps": 25.0,
        "fcr": 0.8,
        "repeat_rate": 0.1,
        "channel_switch_rate": 0.04,
        "response_rate": 0.25,
        "csat_n": 8,
    }
    for key, value in expected.items():
        assert row[key] == pytest.approx(value), key
    assert math.isnan(row["hold_rate"])  # hold never reported: undefined, not 0


def test_kpi_frame_empty_row_and_records_are_none():
    frame = m.kpi_frame(_sums())
    empty = m.frame_records(frame)[1]
    ratios = [k for k, d in kpis.KPIS.items() if d.unit != "count"]
    assert all(empty[k] is None for k in ratios)
    assert empty["offered"] == 0


def test_kpi_frame_missing_columns_are_none():
    agent_day = pd.DataFrame({"handle_s": [1800.0], "available_s": [600.0], "staffed_s": [3600.0]})
    record = m.frame_records(m.kpi_frame(agent_day))[0]
    assert record["occupancy"] == pytest.approx(0.75)
    assert record["utilization"] == pytest.approx(0.5)
    assert record["service_level"] is None and record["offered"] is None and record["csat"] is None


def test_kpi_frame_per_row_formula():
    sums = _sums().iloc[[0, 0]].set_axis(["q1", "q2"])
    frame = m.kpi_frame(
        sums, sl_formula=pd.Series(["answered_only", "abandons_negative"], index=["q1", "q2"])
    )
    assert frame["service_level"].tolist() == pytest.approx([72 / 90, 72 / 110])


def test_kpi_frame_agrees_with_scalar_functions():
    row = _sums().iloc[0]
    frame = m.kpi_frame(_sums()).iloc[0]
    assert frame["occupancy"] == pytest.approx(
        m.occupancy(handle_s=row.handle_s, available_s=row.available_s)
    )
    assert frame["service_level"] == pytest.approx(
        m.service_level(**{c: row[c] for c in m.SL_INPUTS}, formula="short_abandons_excluded")
    )


def test_registry_covers_every_kpi_frame_column():
    assert set(m.kpi_frame(_sums()).columns) == set(kpis.KPIS)
    for key, kpi in kpis.KPIS.items():
        assert kpi.key == key
        assert kpi.unit in {"ratio", "seconds", "count", "score", "nps"}
        assert kpi.section.split(" / ")[0] in {"Queue metrics", "Agent metrics", "Customer outcome metrics"}
        assert kpi.label("es") and kpi.label("en")
        assert kpi.sample_key is None or kpi.sample_key in kpis.KPIS
    assert kpis.KPIS["csat"].sample_key == "csat_n"


@pytest.mark.parametrize(
    ("key", "value", "locale", "text"),
    [
        ("service_level", 0.875, "en", "87.5 %"),
        ("service_level", 0.875, "es", "87,5 %"),
        ("service_level", None, "en", "—"),
        ("service_level", float("nan"), "es", "—"),
        ("asa", 42.4, "en", "42 s"),
        ("asa", 59.6, "en", "1:00"),
        ("aht", 185.0, "en", "3:05"),
        ("aht", 3725.0, "en", "1:02:05"),
        ("nps", 23.2, "en", "+23"),
        ("nps", -5.0, "en", "-5"),
        ("nps", 0.2, "en", "0"),
        ("offered", 12345, "en", "12,345"),
        ("offered", 12345, "es", "12.345"),
        ("ces", 5.25, "es", "5,2"),
    ],
)
def test_format_value(key, value, locale, text):
    assert kpis.format_value(key, value, locale) == text


# --- Agent activity helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activity", "state", "reason", "match"),
    [
        ("work", "available", None, True),
        ("work", "on_contact", None, True),
        ("work", "acw", None, True),
        ("work", "aux", "break", False),
        ("work", "offline", None, False),
        ("break", "aux", "break", True),
        ("break", "aux", "lunch", False),
        ("lunch", "aux", "lunch", True),
        ("meeting", "aux", "meeting", True),
        ("coaching", "aux", "coaching", True),
        ("training", "aux", "training", True),
        ("training", "available", None, False),
        (None, None, None, True),
        (None, "offline", None, True),
        (None, "available", None, False),
        ("absence", "offline", None, True),
    ],
)
def test_adherence_match(activity, state, reason, match):
    assert m.adherence_match(activity, state, reason) is match


def test_out_of_adherence_events_need_more_than_grace():
    assert m.out_of_adherence_events([30.0, 120.0, 121.0, 600.0], 120.0) == 2
    assert m.out_of_adherence_events([], 120.0) == 0


@pytest.mark.parametrize(
    ("state", "reason", "shrink"),
    [
        ("aux", "break", True),
        ("aux", "training", True),
        ("aux", "meeting", True),
        ("offline", None, True),
        (None, None, True),
        ("available", None, False),
        ("on_contact", None, False),
        ("acw", None, False),
    ],
)
def test_is_shrinkage(state, reason, shrink):
    assert m.is_shrinkage(state, reason) is shrink
