"""The bulk writers' timestamp text must be exactly what SQLAlchemy writes and reads back (SQLite) or
what PostgreSQL parses as UTC (COPY), for whole seconds, fractions and a fraction that rounds up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.ingest import _Stamps


@pytest.mark.parametrize(
    ("epoch", "text"),
    [
        (1_699_948_803, "2023-11-14 08:00:03.000000"),
        (1_699_948_803.25, "2023-11-14 08:00:03.250000"),
        (0, "1970-01-01 00:00:00.000000"),
        (86_399.9999996, "1970-01-02 00:00:00.000000"),  # microseconds round up into the next day
        (951_782_400.5, "2000-02-29 00:00:00.500000"),
        (1_699_919_999, "2023-11-13 23:59:59.000000"),  # the last second of the last hour
        (1_699_883_107.5, "2023-11-13 13:45:07.500000"),
    ],
)
def test_stamp_text(epoch: float, text: str) -> None:
    assert _Stamps(sqlite=True)[epoch] == text
    assert _Stamps(sqlite=False)[epoch] == text + "+00"
    assert datetime.fromisoformat(text + "+00:00") == datetime.fromtimestamp(round(epoch, 6), UTC)


def test_none_stays_none_and_values_are_memoised() -> None:
    stamps = _Stamps(sqlite=True)
    assert stamps[None] is None
    first = stamps[1_699_948_803]
    assert stamps[1_699_948_803] is first
