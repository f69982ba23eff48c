"""The committed sample in data/samples parses exactly as its README describes (no quarantine)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from jobs.sources.generic_csv import parse_generic

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "contacts_example.csv"


def test_contacts_example_loads_every_row_with_the_documented_outcomes():
    parsed = parse_generic(SAMPLE.read_bytes(), kind="contacts", zone=ZoneInfo("Europe/Madrid"))
    assert parsed.rejected == []
    assert len(parsed.contacts) == 5
    by_key = {c.key: c for c in parsed.contacts}
    assert {k: c.outcome for k, c in by_key.items()} == {
        "C-1001": "answered",
        "C-1002": "abandoned",
        "C-1003": "abandoned",
        "C-1004": "answered",
        "C-1005": "answered",
    }
    # 09:00:05 -> answered 09:00:17 (12 s), talk to 09:04:47 (270 s), ACW to 09:05:27 (40 s)
    assert (by_key["C-1001"].wait, by_key["C-1001"].talk, by_key["C-1001"].acw) == (12.0, 270.0, 40.0)
    assert by_key["C-1002"].wait == 3.0  # a short abandon (< 5 s)
    assert by_key["C-1003"].wait == 60.0
    assert by_key["C-1004"].transferred is True
