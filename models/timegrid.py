"""The time grid: UTC storage, 15-minute base intervals, local days and ISO weeks in the centre's zone.

Intervals are kept as UTC epoch seconds of their start. Every real UTC offset is a multiple of
15 minutes, so a 15-minute UTC boundary is also a local one; a daylight-saving change therefore
never drops or doubles an interval (a local day simply has 92 or 100 of them instead of 96).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BASE_INTERVAL_S = 900


def to_epoch(moment: datetime) -> float:
    """Seconds since the epoch of a tz-aware datetime (naive ones are refused: they are ambiguous)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: store and pass UTC-aware datetimes only")
    return moment.timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def interval_of(moment: datetime | float) -> int:
    """Start (epoch s) of the 15-minute interval containing `moment`."""
    seconds = to_epoch(moment) if isinstance(moment, datetime) else float(moment)
    return int(seconds // BASE_INTERVAL_S) * BASE_INTERVAL_S


def local_date_of(moment: datetime | float, zone: ZoneInfo) -> date:
    """The centre-local calendar day of a moment."""
    dt = moment if isinstance(moment, datetime) else from_epoch(moment)
    return dt.astimezone(zone).date()


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC start and end of a local day (23 or 25 hours long on daylight-saving days)."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone).astimezone(UTC)
    return start, end


def intervals_of_day(day: date, zone: ZoneInfo, minutes: int = 15) -> list[int]:
    """Interval starts of one local day at the given grain (15, 30 or 60 minutes, locally aligned)."""
    start, end = local_day_bounds(day, zone)
    starts = range(int(to_epoch(start)), int(to_epoch(end)), BASE_INTERVAL_S)
    if minutes == 15:
        return list(starts)
    return sorted({coarse_interval(s, minutes, zone) for s in starts})


def coarse_interval(interval_start: int, minutes: int, zone: ZoneInfo) -> int:
    """Roll a 15-minute interval up to the locally aligned 30- or 60-minute interval containing it."""
    if minutes == 15:
        return interval_start
    local = from_epoch(interval_start).astimezone(zone)
    floored = local.replace(minute=(local.minute // minutes) * minutes, second=0, microsecond=0)
    return int(floored.timestamp())


def split_by_interval(start: float, end: float) -> Iterator[tuple[int, float]]:
    """Yield (interval_start, seconds) for each 15-minute interval a span [start, end) touches."""
    if end <= start:
        return
    cursor = start
    while cursor < end:
        bucket = int(cursor // BASE_INTERVAL_S) * BASE_INTERVAL_S
        stop = min(end, bucket + BASE_INTERVAL_S)
        yield bucket, stop - cursor
        cursor = stop


def week_start(day: date) -> date:
    """Monday of the ISO week containing `day`."""
    return day - timedelta(days=day.weekday())
