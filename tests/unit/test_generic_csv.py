"""Generic CSV without a database: the documented schema of contacts, agent states and schedules,
derived durations, rows breaking the schema quarantined by line, and hypothesis fuzzing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.sources.generic_csv import parse_generic

MADRID = ZoneInfo("Europe/Madrid")


def local(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=MADRID).timestamp()


def parse(kind: str, text: str):  # type: ignore[no-untyped-def]
    return parse_generic(text.encode(), kind=kind, zone=MADRID)


def test_contacts_with_times_derive_the_durations() -> None:
    parsed = parse(
        "contacts",
        "Contact ID,Queue,Offered At,Answered At,Ended At,ACW_s,Agent,Customer,Channel,Transferred\n"
        "c1,sales,2024-03-04 09:00:00,2024-03-04 09:00:12,2024-03-04 09:05:12,30,ana,+34600,chat,yes\n"
        "c2,sales,2024-03-04 09:01:00,,2024-03-04 09:01:40,,,+34601,,\n"
        "c3,support,2024-03-04T08:02:00Z,,,,,,,\n",
    )
    assert parsed.rejected == [] and parsed.records == 3
    c1, c2, c3 = parsed.contacts
    # answered 12 s after the offer, talk 09:00:12 -> 09:05:12 = 300 s, ACW 30 s after that
    assert (c1.outcome, c1.wait, c1.talk, c1.acw, c1.agent, c1.channel, c1.transferred) == (
        "answered",
        12,
        300,
        30,
        "ana",
        "chat",
        True,
    )
    assert (c1.offered, c1.completed) == (local("2024-03-04 09:00:00"), local("2024-03-04 09:05:42"))
    assert (c1.hold, c1.hold_count) == (None, None)  # not reported: unknown, never 0
    # no answer, an end: abandoned after 40 s, on the default channel
    assert (c2.outcome, c2.wait, c2.agent, c2.channel, c2.completed) == ("abandoned", 40, None, "voice", None)
    # neither: still waiting (METRICS.md turns it unknown after stale_after)
    assert (c3.outcome, c3.offered, c3.wait) == ("waiting", local("2024-03-04 09:02:00"), None)


def test_contacts_from_durations_and_explicit_outcomes() -> None:
    (c,) = parse(
        "contacts",
        "contact_id,queue,offered_at,wait_s,talk_s,hold_s,hold_count,acw_s,outcome,agent\n"
        "c9,sales,2024-03-04T08:00:00Z,20,100,15,1,0,answered,bob\n",
    ).contacts
    start = local("2024-03-04 09:00:00")
    assert (c.answered, c.ended, c.completed) == (start + 20, start + 120, start + 120)
    assert (c.hold, c.hold_count, c.acw) == (15, 1, 0)


def test_contact_rows_breaking_the_schema_are_quarantined_by_line() -> None:
    text = (
        "contact_id,queue,offered_at,answered_at,ended_at,outcome,channel,exit_reason,wait_s\n"  # 1
        "ok,sales,2024-03-04T08:00:00Z,,,abandoned,,timeout,30\n"  # 2
        ",sales,2024-03-04T08:00:00Z,,,,,,\n"  # 3
        "x1,sales,,,,,,,\n"  # 4
        "x2,sales,2024-03-04T08:00:00Z,2024-03-04T07:59:00Z,,,,,\n"  # 5
        "x3,sales,2024-03-04T08:00:00Z,,,answered,,,\n"  # 6
        "x4,sales,2024-03-04T08:00:00Z,,,,fax,,\n"  # 7
        "x5,sales,2024-03-04T08:00:00Z,,,lost,,,\n"  # 8
        "x6,sales,2024-03-04T08:00:00Z,,,,,,-4\n"  # 9
        "x7,sales,2024-03-04T08:00:00Z,,,,,,,surplus\n"  # 10
    )
    parsed = parse("contacts", text)
    assert [(c.key, c.outcome, c.exit_reason, c.wait) for c in parsed.contacts] == [
        ("ok", "abandoned", "timeout", 30)
    ]
    assert [(r.line_no, r.reason) for r in parsed.rejected] == [
        (3, "contact_id is empty"),
        (4, "offered_at is empty"),
        (5, "answered_at is before offered_at"),
        (6, "an answered contact needs answered_at or wait_s"),
        (7, "channel 'fax' is not one of voice, chat, email, whatsapp"),
        (8, "outcome 'lost' is not one of waiting, answered, abandoned, unknown"),
        (9, "wait_s -4 is outside 0..3.16224e+07"),
        (10, "10 cells for 9 columns"),
    ]


def test_missing_required_columns_reject_the_file() -> None:
    parsed = parse("contacts", "id,when\n1,2\n")
    (rejected,) = parsed.rejected
    assert (rejected.line_no, rejected.reason) == (
        1,
        "missing column(s) ['queue', 'offered_at'] for contacts",
    )
    assert parsed.contacts == []


def test_same_contact_twice_the_later_row_wins() -> None:
    parsed = parse(
        "contacts",
        "contact_id,queue,offered_at,wait_s,outcome\nc1,q,2024-03-04T08:00:00Z,5,abandoned\n"
        "c1,q,2024-03-04T08:00:00Z,9,abandoned\n",
    )
    assert ([c.wait for c in parsed.contacts], parsed.duplicates) == ([9], 1)


def test_states_without_end_last_until_the_agents_next_state() -> None:
    parsed = parse(
        "states",
        "agent,state,reason,start_at,end_at\n"
        "ana,ready,,2024-03-04 09:00,\n"
        "ana,Not Ready,Lunch,2024-03-04 13:00,2024-03-04 14:00\n"
        "ana,talking,,2024-03-04 10:00,\n"
        "bob,logged out,,2024-03-04 08:00,\n"
        "bob,pause,Descanso,2024-03-04 07:00,2024-03-04 06:00\n",
    )
    assert [(r.line_no, r.reason) for r in parsed.rejected] == [(6, "end_at is not after start_at")]
    found = [(s.agent, s.state, s.reason, s.start, s.end) for s in parsed.segments]
    assert found == [
        ("ana", "available", None, local("2024-03-04 09:00"), local("2024-03-04 10:00")),
        ("ana", "on_contact", None, local("2024-03-04 10:00"), local("2024-03-04 13:00")),
        ("ana", "aux", "lunch", local("2024-03-04 13:00"), local("2024-03-04 14:00")),
        ("bob", "offline", None, local("2024-03-04 08:00"), None),  # the agent's current state
    ]


def test_schedules() -> None:
    parsed = parse(
        "schedules",
        "agent,activity,start_at,end_at,paid\n"
        "ana,work,2024-03-04 09:00,2024-03-04 13:00,\n"
        "ana,Lunch,2024-03-04 13:00,2024-03-04 14:00,no\n"
        "ana,off,2024-03-05 00:00,2024-03-06 00:00,\n"
        "ana,nap,2024-03-04 15:00,2024-03-04 16:00,\n"
        "bob,work,2024-03-04 09:00,,\n",
    )
    assert [(s.activity, s.start, s.end, s.paid) for s in parsed.schedules] == [
        ("work", local("2024-03-04 09:00"), local("2024-03-04 13:00"), True),
        ("lunch", local("2024-03-04 13:00"), local("2024-03-04 14:00"), False),
        ("off", local("2024-03-05 00:00"), local("2024-03-06 00:00"), False),  # "off" is unpaid by default
    ]
    assert [(r.line_no, r.reason.split(" '")[0]) for r in parsed.rejected] == [
        (5, "activity"),
        (6, "end_at is empty"),
    ]


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse("calls", "a\n1\n")


# --- fuzzing ------------------------------------------------------------------------------------

CELLS = st.sampled_from(
    ["", "x", "ana", "5", "-1", "1e999", "2024-03-04T08:00:00Z", "2024-03-04 09:00", "1709539200", "answered",
     "abandoned", "aux", "work", "yes", '"', "\x00", ",", "nan"]
)  # fmt: skip
HEADERS = {
    "contacts": "contact_id,queue,offered_at,answered_at,ended_at,wait_s,talk_s,outcome,agent,channel",
    "states": "agent,state,reason,start_at,end_at",
    "schedules": "agent,activity,start_at,end_at,paid",
}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(HEADERS)), st.lists(st.lists(CELLS, max_size=11), max_size=8))
def test_fuzz_rows_parse_or_are_quarantined_with_a_reason(kind: str, rows: list[list[str]]) -> None:
    text = HEADERS[kind] + "\n" + "\n".join(",".join(row) for row in rows) + "\n"
    parsed = parse(kind, text)
    facts = {"contacts": parsed.contacts, "states": parsed.segments, "schedules": parsed.schedules}[kind]
    assert parsed.records == len(facts) + len(parsed.rejected) + parsed.duplicates
    assert all(r.reason and r.line_no >= 2 for r in parsed.rejected)  # type: ignore[operator]
    for c in parsed.contacts:
        assert c.answered is None or c.answered >= c.offered
        assert all(v is None or v >= 0 for v in (c.wait, c.talk, c.acw))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(HEADERS)), st.binary(max_size=300))
def test_fuzz_any_bytes_never_raise(kind: str, data: bytes) -> None:
    parsed = parse_generic(data, kind=kind, zone=MADRID)
    facts = len(parsed.contacts) + len(parsed.segments) + len(parsed.schedules)
    assert parsed.records == facts + len(parsed.rejected) + parsed.duplicates
