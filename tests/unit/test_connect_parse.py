"""Amazon Connect without a database: JSON framing (lines, arrays, Firehose concatenation, broken
records), contact records (every real sample, hand-read), agent events to state segments (the
documented ACW example), and hypothesis fuzzing: nothing raises, every record is accounted for."""

from __future__ import annotations

import copy
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.sources.amazon_connect import CONTACT_EVENT, NOT_QUEUED, parse_connect, parse_ctr
from jobs.sources.common import SegmentFact
from jobs.sources.connect_agents import AgentEvent, build_segments, parse_agent_event
from jobs.sources.json_records import json_records

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "amazon_connect"
SINGLE = "ctr_single_inbound_hold_acw_transfer_call-center-analytics.json"
REDELIVERED = "ctr_redelivered_duplicates_call-center-analytics.json"
ENTER_ACW = "aws-doc-2019_agent-event_STATE_CHANGE_enter-ACW.jsonc"
LEAVE_ACW = "aws-doc-2019_agent-event_STATE_CHANGE_leave-ACW.json"
HEART_BEAT = "aws-doc-2023_agent-event_HEART_BEAT.jsonc"
DETAIL_ONLY = "aws-doc-2023_contact-event_CONNECTED_TO_AGENT_detail-only.json"
ENVELOPE = "aws-doc-2023_contact-event_DISCONNECTED_envelope.jsonc"


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def sample(name: str) -> bytes:
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"sample {path} not found")
    return path.read_bytes()


def accounted(parsed) -> int:  # type: ignore[no-untyped-def]
    """Every record ends up somewhere: loaded, repeated, skipped with a reason, or rejected."""
    return (
        len(parsed.contacts)
        + len(parsed.events)
        + parsed.duplicates
        + sum(parsed.skipped.values())
        + len(parsed.rejected)
    )


# --- framing ------------------------------------------------------------------------------------


def test_lines_arrays_and_firehose_concatenation_all_split_into_records() -> None:
    text = '{"a": 1}{"b": 2}\n[{"c": 3},\n {"d": 4}]\n{"e":\n 5}\n'
    found = [(r.line_no, r.value, r.error) for r in json_records(text)]
    assert found == [
        (1, {"a": 1}, None),
        (1, {"b": 2}, None),
        (2, {"c": 3}, None),
        (3, {"d": 4}, None),
        (4, {"e": 5}, None),
    ]


def test_broken_records_are_rejected_whole_and_the_rest_kept() -> None:
    text = (
        '{"ok": 1}\n'
        '{"x": 1, // a comment\n "y": 2}\n'  # lines 2-3
        '{"z": [1, 2,]}\n'  # line 4: trailing comma
        "not json at all\n"  # line 5
        '{"ok": 2}\n'  # line 6
        '{"cut": {"off": 1}\n'  # line 7: never closed
    )
    found = [(r.line_no, r.value, r.error) for r in json_records(text)]
    assert found[0] == (1, {"ok": 1}, None)
    assert found[1] == (2, None, "not valid JSON: a comment (// or /* */) at line 2")
    assert found[2] == (4, None, "not valid JSON: a trailing comma at line 4")
    assert found[3] == (5, None, "text outside any JSON record")
    assert found[4] == (6, {"ok": 2}, None)
    assert found[5][0] == 7 and "cut off" in (found[5][2] or "")
    assert len(found) == 6


def test_trailing_comma_after_the_last_array_element_keeps_the_elements() -> None:
    found = [(r.line_no, r.value) for r in json_records('[\n{"a": 1},\n{"b": 2},\n]')]
    assert found == [(2, {"a": 1}), (3, {"b": 2})]


# --- the real samples ---------------------------------------------------------------------------


def test_single_ctr_sample_hand_read() -> None:
    parsed = parse_connect(sample(SINGLE))
    assert (parsed.records, parsed.rejected, parsed.skipped, parsed.duplicates) == (1, [], {}, 0)
    (c,) = parsed.contacts
    assert (c.key, c.queue, c.channel, c.agent, c.customer) == (
        "6fe40d2a-1a89-4d73-bfcf-5d9c33894f47",
        "TCC Refrig AC LLA",
        "voice",
        "Steve.Lusk",
        "+190011112222",
    )
    # Queue.EnqueueTimestamp 17:14:46, Duration 346 = DequeueTimestamp 17:20:32 - 17:14:46
    assert (c.offered, c.wait, c.answered) == (utc("2022-01-05T17:14:46"), 346, utc("2022-01-05T17:20:32"))
    # talk 239 + hold 221 = 460 s after 17:20:32 is 17:28:12 = AfterContactWorkStartTimestamp
    assert (c.talk, c.hold, c.hold_count, c.acw) == (239, 221, 2, 5)
    assert (c.ended, c.completed) == (utc("2022-01-05T17:28:12"), utc("2022-01-05T17:28:17"))
    # TransferCompletedTimestamp 17:28:12 and TransferredToEndpoint: transferred out to +18002430000
    assert (c.outcome, c.transferred, c.exit_reason, c.ring_no_answer) == ("answered", True, None, 0)
    assert c.updated == utc("2022-01-05T17:48:35")


def test_redelivered_sample_keeps_the_greatest_last_update() -> None:
    parsed = parse_connect(sample(REDELIVERED))
    # six records of one ContactId: LastUpdateTimestamp 17:48:35 (x2), 01-11 03:41:32 (x2), 04:09:47 (x2)
    assert (parsed.records, len(parsed.contacts), parsed.duplicates, parsed.rejected) == (6, 1, 5, [])
    (c,) = parsed.contacts
    assert c.updated == utc("2022-01-11T04:09:47")
    single = parse_connect(sample(SINGLE)).contacts[0]
    assert {**c.__dict__, "updated": None} == {**single.__dict__, "updated": None}  # only attributes changed


def test_documented_agent_event_samples() -> None:
    enter = parse_connect(sample(ENTER_ACW))
    assert [(r.line_no, r.reason) for r in enter.rejected] == [
        (1, "not valid JSON: a comment (// or /* */) at line 47")  # `//Agent entered ACW at this time`
    ]
    heart = parse_connect(sample(HEART_BEAT))
    assert [(r.line_no, r.reason) for r in heart.rejected] == [
        (1, "not valid JSON: a comment (// or /* */) at line 7"),
        (68, "text outside any JSON record"),  # mis-nested braces: "EventId" ends up outside the object
    ]
    leave = parse_connect(sample(LEAVE_ACW))
    assert leave.rejected == [] and leave.contacts == []
    (event,) = leave.events
    assert (event.agent, event.kind, event.time) == (
        "(Removed)",
        "STATE_CHANGE",
        utc("2018-10-25T18:55:32.032"),
    )
    # no contacts now, Available since 18:43:59.059; before: contact ENDED at 18:55:27.027 (ACW)
    assert event.current == ("available", None, utc("2018-10-25T18:43:59.059"))
    assert event.previous == ("acw", None, utc("2018-10-25T18:55:27.027"))


def test_contact_event_samples_are_rejected_with_reasons() -> None:
    detail = parse_connect(sample(DETAIL_ONLY))
    assert [(r.line_no, r.reason) for r in detail.rejected] == [(1, CONTACT_EVENT)]
    envelope = parse_connect(sample(ENVELOPE))
    assert [(r.line_no, r.reason) for r in envelope.rejected] == [
        (1, "not valid JSON: a trailing comma at line 37")  # after greetingEndTimestamp
    ]


def test_every_sample_accounts_for_every_record() -> None:
    for path in sorted(DATA.glob("*")):
        parsed = parse_connect(path.read_bytes())
        assert accounted(parsed) == parsed.records, path.name


# --- agent events to segments -------------------------------------------------------------------


def _repaired_enter_acw() -> dict:
    text = sample(ENTER_ACW).decode().replace("//Agent entered ACW at this time", "")
    return json.loads(text)


def test_acw_runs_from_ended_to_the_next_change_without_contacts() -> None:
    enter = parse_agent_event(_repaired_enter_acw())
    leave = parse_agent_event(json.loads(sample(LEAVE_ACW)))
    for order in ([enter, leave], [leave, enter]):
        outcome = build_segments(order, {})
        found = sorted((s.state, s.start, s.end) for s in outcome.segments)
        assert found == [
            ("acw", utc("2018-10-25T18:55:27.027"), utc("2018-10-25T18:55:32.032")),
            ("available", utc("2018-10-25T18:55:32.032"), None),
            # seeded from the previous snapshot: CONNECTED since 18:55:21.021
            ("on_contact", utc("2018-10-25T18:55:21.021"), utc("2018-10-25T18:55:27.027")),
        ]
        acw = next(s for s in outcome.segments if s.state == "acw")
        assert acw.end - acw.start == pytest.approx(5.005)  # FORMATS.md 2.2: 18:55:27.027 -> 18:55:32.032
        assert (outcome.changed, outcome.unchanged, outcome.late) == (2, 0, 0)


def test_leave_event_alone_still_gives_the_acw_from_its_previous_snapshot() -> None:
    outcome = build_segments([parse_agent_event(json.loads(sample(LEAVE_ACW)))], {})
    assert sorted((s.state, s.start, s.end) for s in outcome.segments) == [
        ("acw", utc("2018-10-25T18:55:27.027"), utc("2018-10-25T18:55:32.032")),
        ("available", utc("2018-10-25T18:55:32.032"), None),
    ]


def test_events_at_or_before_the_stored_state_are_late_and_later_ones_continue_it() -> None:
    leave = parse_agent_event(json.loads(sample(LEAVE_ACW)))
    stored = {"(Removed)": SegmentFact("(Removed)", "available", leave.time, None)}
    again = build_segments([leave], stored)
    assert (again.segments, again.late) == ([], 1)
    lunch = AgentEvent(
        "e9", "(Removed)", leave.time + 60, "STATE_CHANGE", ("aux", "lunch", leave.time + 59), None
    )
    later = build_segments([lunch], stored)
    assert sorted((s.state, s.reason, s.start, s.end) for s in later.segments) == [
        ("aux", "lunch", leave.time + 59, None),
        ("available", None, leave.time, leave.time + 59),  # the stored segment is closed
    ]


def _status_event(name: str, status_type: str | None, kind: str = "STATE_CHANGE") -> dict:
    record = json.loads(sample(LEAVE_ACW))
    record["EventType"] = kind
    record["CurrentAgentSnapshot"]["AgentStatus"]["Name"] = name
    if status_type:
        record["CurrentAgentSnapshot"]["AgentStatus"]["Type"] = status_type
    return record


@pytest.mark.parametrize(
    ("name", "status_type", "kind", "expected"),
    [
        ("Available", "ROUTABLE", "STATE_CHANGE", ("available", None)),
        ("Offline", "OFFLINE", "STATE_CHANGE", ("offline", None)),
        ("Lunch", "CUSTOM", "STATE_CHANGE", ("aux", "lunch")),
        ("Break", None, "STATE_CHANGE", ("aux", "break")),
        ("Team meeting", "CUSTOM", "HEART_BEAT", ("aux", "meeting")),
        ("Descanso", "CUSTOM", "LOGIN", ("aux", "break")),
        ("Quality review", "CUSTOM", "STATE_CHANGE", ("aux", "other")),
        ("Available", "ROUTABLE", "LOGOUT", ("offline", None)),
    ],
)
def test_agent_statuses_map_to_states(name: str, status_type: str | None, kind: str, expected: tuple) -> None:
    event = parse_agent_event(_status_event(name, status_type, kind))
    assert event.current[:2] == expected


def test_connected_contact_is_on_contact_even_when_the_status_is_a_break() -> None:
    record = _repaired_enter_acw()
    record["CurrentAgentSnapshot"]["Contacts"][0]["State"] = "CONNECTED_ONHOLD"
    record["CurrentAgentSnapshot"]["AgentStatus"]["Name"] = "Break"
    event = parse_agent_event(record)
    assert event.current == ("on_contact", None, utc("2018-10-25T18:55:21.021"))  # ConnectedToAgentTimestamp


# --- contact records: the rules ------------------------------------------------------------------


def _ctr() -> dict:
    return json.loads(sample(SINGLE))


def test_abandoned_is_queued_without_an_agent_connection() -> None:
    record = _ctr()
    record["Agent"] = None
    record["Queue"]["DequeueTimestamp"] = "2022-01-05T17:15:16Z"
    record["Queue"]["Duration"] = 30
    record["TransferCompletedTimestamp"] = None
    c = parse_ctr(record)
    assert not isinstance(c, str)
    assert (c.outcome, c.wait, c.ended, c.agent, c.talk) == (
        "abandoned",
        30,
        utc("2022-01-05T17:15:16"),
        None,
        None,
    )
    assert (c.exit_reason, c.transferred, c.completed) == (
        "caller_abandon",
        False,
        None,
    )  # CUSTOMER_DISCONNECT
    record["NextContactId"] = "another-contact"
    assert parse_ctr(record).exit_reason == "transfer_out"  # type: ignore[union-attr]


def test_contact_that_never_queued_is_skipped_with_a_reason() -> None:
    record = _ctr()
    record["Queue"] = None
    assert parse_ctr(record) == NOT_QUEUED
    parsed = parse_connect(json.dumps(record).encode())
    assert (parsed.contacts, parsed.skipped, parsed.rejected) == ([], {NOT_QUEUED: 1}, [])


@pytest.mark.parametrize(
    ("channel", "expected"), [("VOICE", "voice"), ("CHAT", "chat"), ("TASK", "email"), ("EMAIL", "email")]
)
def test_channels(channel: str, expected: str) -> None:
    record = _ctr()
    record["Channel"] = channel
    assert parse_ctr(record).channel == expected  # type: ignore[union-attr]


def test_unknown_keys_are_ignored_and_bad_values_rejected_with_the_field_named() -> None:
    record = _ctr()
    record["SomethingNew"] = {"Nested": [1, 2]}
    record["Agent"]["QualityMetrics"] = None
    assert not isinstance(parse_ctr(record), str)
    for path, value, reason in [
        (("Channel",), "FAX", "unknown Channel 'FAX' (VOICE, CHAT, TASK or EMAIL)"),
        (("Queue", "EnqueueTimestamp"), "yesterday", "Queue.EnqueueTimestamp 'yesterday' is not a timestamp"),
        (("Agent", "CustomerHoldDuration"), -3, "Agent.CustomerHoldDuration -3 is outside 0..3.16224e+07"),
        (
            ("Agent", "AgentInteractionDuration"),
            "long",
            "Agent.AgentInteractionDuration is not a number: 'long'",
        ),
        (("ContactId",), "", "ContactId is missing or empty"),
    ]:
        bad = copy.deepcopy(record)
        target = bad
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(ValueError) as info:
            parse_ctr(bad)
        assert str(info.value) == reason


def test_gzip_firehose_object_and_a_bad_line_among_good_ones() -> None:
    good = json.loads(sample(SINGLE))
    other = {**copy.deepcopy(good), "ContactId": "second"}
    lines = json.dumps(good) + "\n" + "{broken\n" + json.dumps(other) + "\n"
    parsed = parse_connect(gzip.compress(lines.encode()))
    assert sorted(c.key for c in parsed.contacts) == ["6fe40d2a-1a89-4d73-bfcf-5d9c33894f47", "second"]
    assert [r.line_no for r in parsed.rejected] == [2]
    damaged = parse_connect(gzip.compress(lines.encode())[:40])
    assert damaged.contacts == [] and "gzip" in damaged.rejected[0].reason


# --- fuzzing ------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**13)
    | st.floats(allow_nan=True)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
CTR_PATHS = [
    ("ContactId",),
    ("Channel",),
    ("Queue",),
    ("Queue", "EnqueueTimestamp"),
    ("Queue", "Duration"),
    ("Queue", "Name"),
    ("Agent",),
    ("Agent", "ConnectedToAgentTimestamp"),
    ("Agent", "AgentInteractionDuration"),
    ("Agent", "NumberOfHolds"),
    ("Agent", "AfterContactWorkStartTimestamp"),
    ("Agent", "Username"),
    ("CustomerEndpoint",),
    ("LastUpdateTimestamp",),
    ("AgentConnectionAttempts",),
    ("NextContactId",),
    ("DisconnectReason",),
]
EVENT_PATHS = [
    ("EventType",),
    ("EventTimestamp",),
    ("AgentARN",),
    ("CurrentAgentSnapshot",),
    ("CurrentAgentSnapshot", "AgentStatus"),
    ("CurrentAgentSnapshot", "AgentStatus", "Name"),
    ("CurrentAgentSnapshot", "Contacts"),
    ("CurrentAgentSnapshot", "Configuration"),
    ("PreviousAgentSnapshot",),
    ("PreviousAgentSnapshot", "Contacts"),
]


def _mutate(record: dict, path: tuple[str, ...], value: object) -> dict:
    target = record
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            return record
        target = target[key]
    target[path[-1]] = value
    return record


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.sampled_from(range(max(len(CTR_PATHS), len(EVENT_PATHS)))), JSON_VALUES),
        max_size=6,
    )
)
def test_fuzz_mutated_records_parse_or_are_rejected_with_a_reason(mutations: list) -> None:
    ctr, event = json.loads(sample(SINGLE)), json.loads(sample(LEAVE_ACW))
    for is_ctr, index, value in mutations:
        if is_ctr:
            _mutate(ctr, CTR_PATHS[index % len(CTR_PATHS)], value)
        else:
            _mutate(event, EVENT_PATHS[index % len(EVENT_PATHS)], value)
    text = json.dumps(ctr, allow_nan=True) + "\n" + json.dumps(event, allow_nan=True)
    parsed = parse_connect(text.encode())
    assert accounted(parsed) == parsed.records == 2
    assert all(r.reason for r in parsed.rejected)
    build_segments(parsed.events, {})  # never raises either


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='{}[]",:/*\n\t abc01-.TZtrue\\nul', max_size=200))
def test_fuzz_any_text_never_raises(text: str) -> None:
    parsed = parse_connect(text.encode())
    assert accounted(parsed) == parsed.records
    assert all(r.reason for r in parsed.rejected)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_any_bytes_never_raise(data: bytes) -> None:
    parsed = parse_connect(data)
    assert accounted(parsed) == parsed.records
