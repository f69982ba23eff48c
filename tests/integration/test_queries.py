"""Read side on the hand-built day of test_refresh.py: KPIs per grouping, scope, headline and
freshness. Expected values are worked out by hand from METRICS.md (see test_refresh.py's facts)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from jobs import refresh
from models.access import Viewer
from models.db import session_scope
from models.queries import freshness, headline, kpis, latest_data_day, refresh_version
from models.settings import load_settings
from models.tables import Queue
from tests.integration.test_refresh import (
    DAY,
    NOW,
    at,
    build_day,
    contact,
    finish_run,
    load,
    new_batch,
    state,
)

DIRECTOR = Viewer(user_id=1, email="dir@x.test", role="director", name="Dora")
SUPERVISOR = Viewer(user_id=2, email="sup@x.test", role="supervisor", name="Sam")  # North
COACH = Viewer(user_id=3, email="coach@x.test", role="coach", name="Cleo")  # agent a1
AGENT_B1 = Viewer(user_id=4, email="agent@x.test", role="agent", name="Bea")  # agent b1 (South)

# The hand-built day (North only), per METRICS.md:
DAY_KPIS = {
    "offered": 8,  # 6 in I0, 1 in I1, 1 stale at 04:00
    "answered": 3,
    "abandoned": 2,
    "short_abandoned": 1,
    "service_level": 2 / 7,  # answered <= 20 s (c1, c8) / (offered - short abandons)
    "asa": 40 / 3,  # (10 + 25 + 5) / 3
    "abandon_rate": 2 / 7,
    "avg_abandon_time": 27.5,  # (40 + 15) / 2
    "aht": 1400 / 3,  # (380 + 900 + 120) / 3 handled
    "transfer_rate": 1 / 3,
    "hold_rate": 1 / 2,  # c1 held; c8's hold unknown
    "occupancy": 1200 / 3000,  # handle / (handle + available)
    "utilization": 1200 / 3900,
    "adherence": 3000 / 3600,
    "conformance": 3900 / 2700,
    "shrinkage": 900 / 3600,
    "csat": 1 / 2,
    "ces": 4.0,  # (6 + 2) / 2
    "ces_easy": 1 / 2,
    "nps": 0.0,  # 1 promoter, 1 detractor of 2
    "fcr": 2 / 3,  # c4, c8 resolved of 3 known-customer contacts
    "repeat_rate": 1 / 3,  # c8 repeats c1
    "channel_switch_rate": 0.0,
    "response_rate": 1.0,
}


def close(actual, expected) -> bool:
    if expected is None:
        return actual is None or (isinstance(actual, float) and math.isnan(actual))
    return actual is not None and math.isclose(float(actual), float(expected), rel_tol=1e-9)


@pytest.fixture
def day(factory, settings):
    build_day(factory)
    refresh.run(session_factory=factory, settings=settings, now=NOW)
    return factory


@pytest.fixture
def two_teams(day, settings):
    """Adds South: one billing contact answered by b1 and b1's half hour of work."""
    batch = new_batch(day)
    load(
        day,
        contacts=[
            contact(
                "s1",
                batch=batch,
                queue=2,
                offered=at(5),
                outcome="answered",
                wait=8,
                talk=100,
                acw=10,
                agent=2,
            )
        ],
        states=[state(2, "available", at(0), at(30), batch=batch)],
        batch=batch,
    )
    finish_run(day, batch, status="ok")
    refresh.run(session_factory=day, settings=settings, now=NOW)
    return day


def table(factory, settings, by, viewer=DIRECTOR, start=DAY, end=DAY):
    with session_scope(factory) as s:
        return kpis(session=s, viewer=viewer, settings=settings, start=start, end=end, by=by)


def test_kpis_by_day_match_the_hand_computed_day(day, settings):
    result = table(day, settings, "day")
    assert result["day"].tolist() == ["2024-03-04"]
    row = result.iloc[0].to_dict()
    assert {k: close(row[k], v) for k, v in DAY_KPIS.items()} == dict.fromkeys(DAY_KPIS, True)


def test_kpis_by_queue_have_no_agent_metrics(day, settings):
    result = table(day, settings, "queue")
    assert result["queue"].tolist() == ["sales"]
    row = result.iloc[0].to_dict()
    for key in ("offered", "service_level", "asa", "aht", "csat", "fcr"):
        assert close(row[key], DAY_KPIS[key]), key
    for key in ("occupancy", "utilization", "adherence"):
        assert close(row[key], None), key


def test_kpis_by_agent_have_no_queue_only_metrics(day, settings):
    result = table(day, settings, "agent")
    assert result[["agent", "agent_name"]].values.tolist() == [["a1", "Ana"]]
    row = result.iloc[0].to_dict()
    for key in ("offered", "service_level", "abandon_rate", "asa"):
        assert close(row[key], None), key
    expected = {"answered": 3, "aht": 1400 / 3, "transfer_rate": 1 / 3, "occupancy": 0.4, "adherence": 5 / 6}
    expected |= {"csat": 0.5, "fcr": 2 / 3, "repeat_rate": 1 / 3}
    assert {k: close(row[k], v) for k, v in expected.items()} == dict.fromkeys(expected, True)


@pytest.mark.parametrize(
    ("by", "column", "key"),
    [("team", "team", "North"), ("channel", "channel", "voice"), ("touchpoint", "touchpoint", "order")],
)
def test_kpis_by_other_groupings(day, settings, by, column, key):
    result = table(day, settings, by)
    assert result[column].tolist() == [key]
    assert close(result.iloc[0]["service_level"], 2 / 7)
    agent_side = close(result.iloc[0]["occupancy"], 0.4)
    assert agent_side is (by == "team")  # channel and touchpoint carry no agent metrics


def test_kpis_by_week_use_the_iso_monday(day, settings):
    result = table(day, settings, "week", start=DAY - timedelta(days=3), end=DAY + timedelta(days=3))
    assert result["week"].tolist() == ["2024-03-04"]
    assert close(result.iloc[0]["offered"], 8) and close(result.iloc[0]["adherence"], 5 / 6)


def test_kpis_by_15_minute_interval(day, settings):
    result = table(day, settings, "interval").set_index("interval_start")
    assert list(result.index) == [
        "2024-03-04T04:00:00+00:00",
        "2024-03-04T08:45:00+00:00",
        "2024-03-04T09:00:00+00:00",
        "2024-03-04T09:15:00+00:00",
        "2024-03-04T09:30:00+00:00",
        "2024-03-04T09:45:00+00:00",
    ]
    i0 = result.loc["2024-03-04T09:00:00+00:00"]
    assert close(i0["offered"], 6) and close(i0["service_level"], 1 / 5)  # c1 of 6 - 1 short
    assert close(i0["occupancy"], 600 / 900)


def test_kpis_by_hour_roll_up_locally_aligned_intervals(day):
    hourly = load_settings(database_url="sqlite://", interval_minutes=60)
    result = table(day, hourly, "interval").set_index("interval_start")
    assert list(result.index) == [
        "2024-03-04T04:00:00+00:00",
        "2024-03-04T08:00:00+00:00",
        "2024-03-04T09:00:00+00:00",
    ]
    hour = result.loc["2024-03-04T09:00:00+00:00"]
    assert close(hour["offered"], 7) and close(hour["occupancy"], 1200 / 2700)


def test_queue_formula_setting_is_used(day, settings):
    with session_scope(day) as s:
        queue = s.get(Queue, 1)
        queue.sl_formula = "answered_only"
        s.add(queue)
    assert close(table(day, settings, "queue").iloc[0]["service_level"], 2 / 3)


def test_dates_are_inclusive_and_empty_ranges_are_empty(day, settings):
    assert table(day, settings, "day", start=DAY, end=DAY)["day"].tolist() == ["2024-03-04"]
    empty = table(day, settings, "day", start=DAY + timedelta(days=1), end=DAY + timedelta(days=2))
    assert empty.empty and "service_level" in empty.columns and "day" in empty.columns


def test_unknown_grouping_is_refused(day, settings):
    with pytest.raises(ValueError, match="unknown grouping"):
        table(day, settings, "galaxy")


# --- Scope ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["queue", "team", "agent", "channel", "touchpoint", "day", "week", "interval"])
def test_supervisor_never_sees_another_teams_rows(two_teams, settings, by):
    everyone = table(two_teams, settings, by)
    mine = table(two_teams, settings, by, viewer=SUPERVISOR)
    assert close(everyone["answered"].sum(), 4)  # the director sees South's contact too
    assert close(mine["answered"].sum(), 3)  # North's three only
    if by == "queue":
        assert mine["queue"].tolist() == ["sales"]
    if by == "team":
        assert everyone["team"].tolist() == ["North", "South"] and mine["team"].tolist() == ["North"]
    if by == "agent":
        assert mine["agent"].tolist() == ["a1"]
    if by == "touchpoint":
        assert mine["touchpoint"].tolist() == ["order"]


def test_coach_and_agent_scopes(two_teams, settings):
    assert table(two_teams, settings, "agent", viewer=COACH)["agent"].tolist() == ["a1"]
    own = table(two_teams, settings, "agent", viewer=AGENT_B1)
    assert own["agent"].tolist() == ["b1"] and close(own.iloc[0]["answered"], 1)
    assert table(two_teams, settings, "queue", viewer=AGENT_B1).empty  # agents see no queue totals


# --- Headline and freshness -----------------------------------------------------------------------


def test_headline_puts_performance_and_customer_side_by_side(day, settings):
    with session_scope(day) as s:
        top = headline(session=s, viewer=DIRECTOR, settings=settings, day=DAY)
    assert (top["day"], top["previous_day"]) == (DAY, date(2024, 3, 3))
    assert (top["sl_target"], top["sl_formula"]) == (0.8, "short_abandons_excluded")
    for key, value in top["performance"].items():
        assert close(value, DAY_KPIS[key]), key
    for key, value in top["customer"].items():
        assert close(value, DAY_KPIS[key]), key
    assert top["samples"] == {"csat": 2, "ces": 2, "ces_easy": 2, "nps": 2, "fcr": 3, "repeat_rate": 3}
    assert top["low_confidence"]["csat"] is True  # 2 answers < min_sample 10
    assert all(v is None for v in top["previous"]["performance"].values())  # nothing on the 3rd


def test_latest_data_day_respects_scope(day, settings):
    with session_scope(day) as s:
        assert latest_data_day(session=s, viewer=DIRECTOR, settings=settings) == DAY
        assert latest_data_day(session=s, viewer=AGENT_B1, settings=settings) is None


def test_refresh_version_is_the_latest_successful_refresh(day, settings):
    with session_scope(day) as s:
        first = refresh_version(session=s)
    assert first > 0
    again = refresh.run(session_factory=day, settings=settings, now=NOW)
    with session_scope(day) as s:
        assert refresh_version(session=s) == again["run_id"] > first


def test_freshness_reports_the_newest_contact_and_lag(day):
    with session_scope(day) as s:
        fresh = freshness(session=s, now=NOW)
    assert fresh["newest_contact_at"] == at(20)  # c8
    assert fresh["lag_s"] == 2400.0
    assert fresh["last_refresh_at"] is not None and fresh["last_refresh_at"].tzinfo is not None
