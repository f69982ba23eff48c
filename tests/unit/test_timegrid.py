"""models.timegrid on daylight-saving days: no interval dropped or doubled, spans split exactly."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models import timegrid as tg

MADRID = ZoneInfo("Europe/Madrid")
SPRING = date(2026, 3, 29)  # 02:00 CET -> 03:00 CEST: a 23-hour day
AUTUMN = date(2026, 10, 25)  # 03:00 CEST -> 02:00 CET: a 25-hour day
PLAIN = date(2026, 3, 28)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("day", "count"), [(SPRING, 92), (AUTUMN, 100), (PLAIN, 96)])
def test_base_intervals_per_local_day(day, count):
    starts = tg.intervals_of_day(day, MADRID)
    assert len(starts) == count
    assert all(b - a == 900 for a, b in zip(starts, starts[1:], strict=False))
    assert all(tg.local_date_of(s, MADRID) == day for s in starts)
    assert all(tg.local_date_of(s + 899, MADRID) == day for s in starts)


def test_local_day_bounds_on_dst_days():
    # Madrid midnight is 23:00 UTC in winter, 22:00 UTC in summer.
    assert tg.local_day_bounds(SPRING, MADRID) == (_utc(2026, 3, 28, 23), _utc(2026, 3, 29, 22))
    assert tg.local_day_bounds(AUTUMN, MADRID) == (_utc(2026, 10, 24, 22), _utc(2026, 10, 25, 23))


@pytest.mark.parametrize("around", [SPRING, AUTUMN])
def test_consecutive_days_tile_time_without_gaps_or_overlaps(around):
    days = [around + timedelta(days=d) for d in (-1, 0, 1)]
    starts = [s for d in days for s in tg.intervals_of_day(d, MADRID)]
    assert len(starts) == len(set(starts))
    assert starts == list(range(starts[0], starts[-1] + 900, 900))


@pytest.mark.parametrize(
    ("day", "minutes", "count"),
    [(SPRING, 30, 46), (SPRING, 60, 23), (AUTUMN, 30, 50), (AUTUMN, 60, 25), (PLAIN, 60, 24)],
)
def test_coarse_rollups_keep_every_base_interval_once(day, minutes, count):
    base = tg.intervals_of_day(day, MADRID)
    coarse = tg.intervals_of_day(day, MADRID, minutes)
    assert len(coarse) == count
    members = Counter(tg.coarse_interval(s, minutes, MADRID) for s in base)
    assert set(members) == set(coarse)  # every base interval lands in a listed coarse interval
    assert set(members.values()) == {minutes // 15}  # ... and every coarse one holds exactly its share
    # An agent logged in the whole local day: split, rolled up, every coarse interval is full.
    day_start, day_end = tg.local_day_bounds(day, MADRID)
    rolled: Counter[int] = Counter()
    for start, seconds in tg.split_by_interval(day_start.timestamp(), day_end.timestamp()):
        rolled[tg.coarse_interval(start, minutes, MADRID)] += seconds
    assert set(rolled.values()) == {minutes * 60.0}
    assert sum(rolled.values()) == (day_end - day_start).total_seconds() == 900.0 * len(base)


def test_the_repeated_autumn_hour_gives_two_distinct_hours():
    # 02:00-03:00 local happens twice on 2026-10-25: 00:00-01:00 UTC (CEST) and 01:00-02:00 UTC (CET).
    first = tg.coarse_interval(int(_utc(2026, 10, 25, 0, 45).timestamp()), 60, MADRID)
    second = tg.coarse_interval(int(_utc(2026, 10, 25, 1, 45).timestamp()), 60, MADRID)
    assert first == int(_utc(2026, 10, 25, 0).timestamp())
    assert second == int(_utc(2026, 10, 25, 1).timestamp())


def test_spring_gap_hour_is_skipped_not_invented():
    # Local 01:45 CET (00:45 UTC) is followed by local 03:00 CEST (01:00 UTC).
    before = int(_utc(2026, 3, 29, 0, 45).timestamp())
    after = before + 900
    assert tg.from_epoch(after).astimezone(MADRID).hour == 3
    assert tg.coarse_interval(before, 60, MADRID) == int(_utc(2026, 3, 29, 0).timestamp())
    assert tg.coarse_interval(after, 60, MADRID) == after


def test_half_hour_offset_zone_aligns_hours_locally():
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+05:30: local hours start at :30 UTC
    start = int(_utc(2026, 1, 10, 4, 45).timestamp())  # 10:15 local
    assert tg.coarse_interval(start, 60, kolkata) == int(_utc(2026, 1, 10, 4, 30).timestamp())
    assert len(tg.intervals_of_day(date(2026, 1, 10), kolkata, 60)) == 24


def test_interval_of():
    assert tg.interval_of(_utc(2026, 3, 29, 0, 59, 59)) == int(_utc(2026, 3, 29, 0, 45).timestamp())
    assert tg.interval_of(_utc(2026, 3, 29, 1, 0).timestamp()) == int(_utc(2026, 3, 29, 1).timestamp())
    with pytest.raises(ValueError, match="naive"):
        tg.interval_of(datetime(2026, 3, 29, 1, 0))


def test_a_contact_spanning_intervals_is_split_exactly():
    start = _utc(2026, 10, 25, 0, 7, 30).timestamp()
    end = _utc(2026, 10, 25, 0, 40).timestamp()
    parts = list(tg.split_by_interval(start, end))
    base = int(_utc(2026, 10, 25, 0).timestamp())
    assert parts == [(base, 450.0), (base + 900, 900.0), (base + 1800, 600.0)]
    assert sum(sec for _, sec in parts) == end - start


def test_a_span_across_the_autumn_change_keeps_every_second():
    # 02:50 CEST to 02:10 CET local = 00:50 to 01:10 UTC: 20 minutes, not 1 h 20 nor -40 min.
    start = _utc(2026, 10, 25, 0, 50).timestamp()
    end = _utc(2026, 10, 25, 1, 10).timestamp()
    parts = list(tg.split_by_interval(start, end))
    assert [sec for _, sec in parts] == [600.0, 600.0]
    assert {tg.local_date_of(s, MADRID) for s, _ in parts} == {AUTUMN}


def test_split_edges():
    assert list(tg.split_by_interval(1000.0, 1000.0)) == []
    assert list(tg.split_by_interval(1000.0, 900.0)) == []
    assert list(tg.split_by_interval(900.0, 1800.0)) == [(900, 900.0)]
    assert list(tg.split_by_interval(905.5, 910.0)) == [(900, 4.5)]


def test_week_start_is_iso_monday():
    assert tg.week_start(SPRING) == date(2026, 3, 23)  # a Sunday belongs to the week before
    assert tg.week_start(date(2026, 3, 30)) == date(2026, 3, 30)
