"""Asterisk queue_log without a database: the line parser (every event type, version variants, the
realtime forms), the identity rules 1-5 of METRICS.md and the agent state machine."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.sources.asterisk import _parse_lines
from jobs.sources.asterisk_machine import ContactState, QueueLogMachine
from jobs.sources.asterisk_parse import QueueEvent, aux_category, parse_line, parse_realtime_row

T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC
HOUR = 3600.0


def ev(line: str) -> QueueEvent:
    parsed = parse_line(line)
    assert isinstance(parsed, QueueEvent), parsed
    return parsed


def machine_for(*lines: str, stale_h: float = 4.0) -> QueueLogMachine:
    machine = QueueLogMachine(stale_after_s=stale_h * HOUR)
    machine.feed([ev(line) for line in lines])
    return machine


def contacts(machine: QueueLogMachine) -> dict[str, ContactState]:
    found, _ = machine.take()
    return {c.key: c for c in found}


def segments(machine: QueueLogMachine) -> list[tuple[str, str, str | None, float, float | None]]:
    _, found = machine.take()
    return sorted(((s.agent, s.state, s.reason, s.start, s.end) for s in found), key=lambda s: (s[0], s[3]))


# --- line parser -------------------------------------------------------------------------------------


def test_connect_line_with_agent_name_with_spaces() -> None:
    parsed = ev("1546015425|1546015415.757927|201|Paty Marin|CONNECT|10|1546015415.757936|9")
    assert parsed.time == 1546015425
    assert (parsed.callid, parsed.queue, parsed.agent, parsed.event) == (
        "1546015415.757927",
        "201",
        "Paty Marin",
        "CONNECT",
    )
    assert parsed.params == ["10", "1546015415.757936", "9"]
    assert (parsed.wait, parsed.talk, parsed.ring) == (10, None, None)


def test_trailing_pipe_and_none_agent() -> None:
    parsed = ev("1759217554|NONE|NONE|NONE|QUEUESTART|")
    assert parsed.params == [] and parsed.agent is None
    enter = ev("100|1.1|q|NONE|ENTERQUEUE||+3460000|1|")  # 4th param (caller id name) empty
    assert enter.params == ["", "+3460000", "1"]


@pytest.mark.parametrize("line", ["", "   ", "\r", "\t \r\n"])
def test_blank_lines_are_skipped_not_quarantined(line: str) -> None:
    assert parse_line(line) is None


@pytest.mark.parametrize(
    ("line", "reason_starts"),
    [
        ("abc|1.1|q|NONE|ENTERQUEUE||1|1", "time is not a number"),
        ("|1.1|q|NONE|ENTERQUEUE||1|1", "time is empty"),
        ("100|1.1|q|NONE", "too few fields"),
        ("garbage without pipes", "too few fields"),
        ("100|1.1|q|A|CONNECT|ten|x|1", "CONNECT: bad number"),
        ("100|1.1|q|A|COMPLETECALLER|5|-3|1", "COMPLETECALLER: bad number"),
        ("100|1.1|q|A|RINGNOANSWER|nan", "RINGNOANSWER: bad number"),
        ("100|1.1|q|NONE|ABANDON|1|1|1e999", "ABANDON: bad number"),
        ("100|1.1|q|NONE||x", "empty event name"),
        ("99999999999|1.1|q|NONE|ENTERQUEUE||1|1", "time out of range"),
        ("-5|1.1|q|NONE|ENTERQUEUE||1|1", "time out of range"),
        ("100|NONE|q|NONE|ENTERQUEUE||1|1", "ENTERQUEUE without callid or queue"),
        ("100|1.1|NONE|A|CONNECT|1|x|1", "CONNECT without callid or queue"),
        ("100|NONE|q|NONE|PAUSE|Lunch", "PAUSE without agent"),
        ("100|1.1|q|NONE|ENTER\x00QUEUE||1|1", "NUL byte"),
    ],
)
def test_malformed_lines_give_a_reason(line: str, reason_starts: str) -> None:
    parsed = parse_line(line)
    assert isinstance(parsed, str) and parsed.startswith(reason_starts), parsed


@pytest.mark.parametrize(
    ("line", "wait", "talk"),
    [
        # CONNECT: 1.2 holdtime only; 1.4 + member uniqueid; 1.6+ + ringtime
        ("100|c|q|A|CONNECT|7", 7, None),
        ("100|c|q|A|CONNECT|7|c2", 7, None),
        ("100|c|q|A|CONNECT|7|c2|3", 7, None),
        ("100|c|q|A|COMPLETEAGENT|7|60|1", 7, 60),
        ("100|c|q|A|COMPLETECALLER|7|60|1", 7, 60),
        ("100|c|q|NONE|ABANDON|2|1|35", 35, None),
        ("100|c|q|NONE|EXITEMPTY|1|1|2", 2, None),
        ("100|c|q|NONE|EXITWITHTIMEOUT|1|1|300", 300, None),
        ("100|c|q|NONE|EXITWITHTIMEOUT|1", None, None),  # 1.2: position only
        ("100|c|q|NONE|EXITWITHKEY|5|1|1|12", 12, None),
        ("100|c|q|NONE|EXITWITHKEY|5|1", None, None),  # 1.2/1.4: key|position
        ("100|c|q|NONE|WITHDRAW|1|1|40|moved by supervisor", 40, None),
        ("100|c|q|A|TRANSFER|200|from-internal", None, None),  # 1.2: exten|context
        ("100|c|q|A|TRANSFER|200|from-internal|8|90", 8, 90),  # 1.4: + hold|call
        ("100|c|q|A|TRANSFER|200|from-internal|8|90|1", 8, 90),  # 1.6.2+: + origposition
        ("100|c|q|A|BLINDTRANSFER|200|from-internal|8|90|1", 8, 90),
        ("100|c|q|A|ATTENDEDTRANSFER|BRIDGE|b-1|8|90|1", 8, 90),
        ("100|c|q|A|ATTENDEDTRANSFER|APP|Dial|8|90|1", 8, 90),
        ("100|c|q|A|ATTENDEDTRANSFER|LINK|SIP/1-1|SIP/2-2|8|90|1", 8, 90),
        ("100|c|q|NONE|ENTERQUEUE||+34600|1|Ana Lopez", None, None),  # log-caller-id-name
        ("100|c|q|A|AGENTDUMP|", None, None),
        ("100|c|q|A|SYSCOMPAT|", None, None),
    ],
)
def test_wait_and_talk_positions_per_event_and_version(
    line: str, wait: float | None, talk: float | None
) -> None:
    parsed = ev(line)
    assert (parsed.wait, parsed.talk) == (wait, talk)


def test_ring_times_are_milliseconds() -> None:
    assert ev("100|c|q|A|RINGNOANSWER|15000").ring == 15.0  # 15000 ms = 15 s
    assert ev("100|c|q|A|RINGCANCELED|2500").ring == 2.5
    assert ev("100|c|q|A|RINGNOANSWER|0").ring == 0.0
    assert ev("100|c|q|A|RINGNOANSWER|").ring is None  # no ring time logged


@pytest.mark.parametrize(
    "line",
    [
        "100|MANAGER|q|SIP/1001|ADDMEMBER|",
        "100|MANAGER|q|Ana Lopez|ADDMEMBER|PAUSED",
        "100|NONE|q|SIP/1001|REMOVEMEMBER|",
        "100|NONE|q|Ana Lopez|PAUSE|Lunch",
        "100|NONE|q|Ana Lopez|UNPAUSE|",
        "100|NONE|NONE|Ana Lopez|PAUSEALL|Break",
        "100|NONE|NONE|Ana Lopez|UNPAUSEALL|",
        "100|NONE|NONE|Agent/1001|AGENTLOGIN|SIP/1001-0001",
        "100|NONE|NONE|Agent/1001|AGENTLOGOFF|SIP/1001-0001|3600",
        "100|NONE|NONE|Agent/1001|AGENTCALLBACKLOGIN|1001@from-internal",
        "100|NONE|NONE|Agent/1001|AGENTCALLBACKLOGOFF|1001@from-internal|3600|Autologoff",
        "100|NONE|NONE|NONE|CONFIGRELOAD|",
        "100|c|q|NONE|DID|+15556667775",
        "100|c|q|SIP/1001|PENALTY|3",
        "100|c|q|A|MYCUSTOMEVENT|anything|at all",
    ],
)
def test_member_system_and_custom_events_parse(line: str) -> None:
    parsed = ev(line)
    assert parsed.event == line.split("|")[4]


# --- realtime (database) form ---------------------------------------------------------------------------

MADRID = ZoneInfo("Europe/Madrid")


def test_realtime_row_with_data_column_and_local_time() -> None:
    row = {
        "time": "2012-07-03 15:27:23.896208",
        "callid": "1341322030.11",
        "queuename": "sales",
        "agent": "SIP/1001",
        "event": "CONNECT",
        "data": "10|1341322043.12|4",
    }
    parsed = parse_realtime_row(row, MADRID)
    assert isinstance(parsed, QueueEvent)
    # 2012-07-03 15:27:23.896208 in Madrid (CEST, UTC+2) = 13:27:23.896208 UTC;
    # 2012-07-03 00:00 UTC = 1325376000 (2012-01-01) + 184 days * 86400 = 1341273600;
    # + 13 h 27 min 23.896208 s = 48443.896208 -> 1341322043.896208
    assert parsed.time == pytest.approx(1341322043.896208, abs=1e-6)
    assert (parsed.agent, parsed.wait) == ("SIP/1001", 10)


def test_realtime_row_with_epoch_time_and_data1_to_data5_remainder_in_data5() -> None:
    row = {
        "time": "1341322043",
        "callid": "c",
        "queuename": "sales",
        "agent": "SIP/1001",
        "event": "ATTENDEDTRANSFER",
        "data1": "LINK",
        "data2": "SIP/1-1",
        "data3": "SIP/2-2",
        "data4": "8",
        "data5": "90|1",  # split into 5 columns: the 5th keeps the rest, pipes included
    }
    parsed = parse_realtime_row(row, MADRID)
    assert isinstance(parsed, QueueEvent)
    assert parsed.time == 1341322043
    assert parsed.params == ["LINK", "SIP/1-1", "SIP/2-2", "8", "90", "1"]
    assert (parsed.wait, parsed.talk) == (8, 90)


def test_realtime_row_empty_trailing_data_columns_and_errors() -> None:
    base = {"callid": "c", "queuename": "q", "agent": "A", "event": "COMPLETECALLER"}
    row = {**base, "time": "1000", "data1": "5", "data2": "60", "data3": "1", "data4": "", "data5": ""}
    parsed = parse_realtime_row(row, MADRID)
    assert isinstance(parsed, QueueEvent) and parsed.params == ["5", "60", "1"] and parsed.talk == 60
    bad_time = parse_realtime_row({**base, "time": "yesterday", "data": "5|60|1"}, MADRID)
    assert isinstance(bad_time, str) and bad_time.startswith("time is neither")
    assert (
        parse_realtime_row({"time": "", "callid": "", "queuename": "", "agent": "", "event": ""}, MADRID)
        is None
    )


# --- fuzz: the parser never raises ------------------------------------------------------------------

EVENTS = [
    "ENTERQUEUE",
    "CONNECT",
    "COMPLETECALLER",
    "ABANDON",
    "EXITWITHKEY",
    "ATTENDEDTRANSFER",
    "PAUSE",
    "X",
]
FIELD = st.one_of(
    st.sampled_from(["", "NONE", "10", "-1", "1e400", "LINK", "nan", " 7"]), st.text(max_size=12)
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=120), st.lists(FIELD, max_size=10).map("|".join)))
def test_fuzz_parse_line_never_raises(line: str) -> None:
    parsed = parse_line(line)
    if parsed is None:
        assert not line.strip()
    else:
        assert isinstance(parsed, (QueueEvent, str))


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=4_102_444_799),
    st.sampled_from(EVENTS),
    st.lists(FIELD, max_size=7),
)
def test_fuzz_structured_lines_parse_or_are_rejected(moment: int, event: str, params: list[str]) -> None:
    line = "|".join([str(moment), "1.1", "q", "Agent One", event, *params])
    parsed = parse_line(line)
    assert isinstance(parsed, (QueueEvent, str))
    if isinstance(parsed, QueueEvent):
        for value in (parsed.wait, parsed.talk, parsed.ring):
            assert value is None or value >= 0


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["time", "callid", "queuename", "agent", "event", "data", "data5"]), FIELD
    )
)
def test_fuzz_realtime_rows_never_raise(row: dict[str, str]) -> None:
    assert parse_realtime_row(row, MADRID) is None or isinstance(
        parse_realtime_row(row, MADRID), (QueueEvent, str)
    )


# --- identity rules (METRICS.md "Reading Asterisk queue_log") ----------------------------------------


def test_rule1_exact_duplicates_ignored_and_batch_sorted_by_time() -> None:
    raw = [
        b"105|c1|q|A|CONNECT|5|c1b|2",
        b"100|c1|q|NONE|ENTERQUEUE||+34600|1",
        b"",
        b"100|c1|q|NONE|ENTERQUEUE||+34600|1",
        b"165|c1|q|A|COMPLETECALLER|5|60|1",
        b"not|a line",
    ]
    events, rejects, duplicates = _parse_lines(raw, first=1)
    assert duplicates == 1  # line 4 repeats line 2 exactly; blank lines are not counted
    assert rejects == [(6, "too few fields (2; need time|callid|queue|agent|event)", "not|a line")]
    machine = QueueLogMachine(stale_after_s=4 * HOUR)
    machine.feed(events)
    (c,) = contacts(machine).values()
    # CONNECT (t=105) sorts after ENTERQUEUE (t=100): a normal contact, not a rebuilt one
    assert (c.key, c.reconstructed, c.wait, c.talk, c.outcome) == ("c1|q|100", False, 5, 60, "answered")


def test_rule2_repeated_enterqueue_is_the_same_contact() -> None:
    m = machine_for(
        "100|c1|q|NONE|ENTERQUEUE||+34600|1",
        "103|c1|q|NONE|ENTERQUEUE||+34600|1",
        "110|c1|q|NONE|ABANDON|1|1|10",
    )
    (c,) = contacts(m).values()
    assert (c.key, c.outcome, c.exit_reason, c.wait) == ("c1|q|100", "abandoned", "caller_abandon", 10)


def test_rule3_event_under_another_callid_attaches_by_implied_entry() -> None:
    m = machine_for(
        "1000|c1|q|NONE|ENTERQUEUE||+34600|1",
        "1030|c9|q|A|CONNECT|30|x|2",  # implied entry 1030 - 30 = 1000 = c1's entry
        "1090|c9|q|A|COMPLETEAGENT|30|60|1",  # implied entry 1090 - 60 - 30 = 1000
    )
    (c,) = contacts(m).values()
    assert (c.key, c.answered, c.ended, c.reconstructed) == ("c1|q|1000", 1030, 1090, False)
    assert m.anomalies["reconstructed"] == 0


def test_rule3_within_one_second_but_not_two() -> None:
    near = machine_for("1000|c1|q|NONE|ENTERQUEUE||1|1", "1031|c9|q|A|CONNECT|30|x|2")  # 1001: 1 s off
    assert list(contacts(near)) == ["c1|q|1000"]
    far = machine_for("1000|c1|q|NONE|ENTERQUEUE||1|1", "1032|c9|q|A|CONNECT|30|x|2")  # 1002: 2 s off
    found = contacts(far)
    assert sorted(found) == ["c1|q|1000", "c9|q|1002"]
    assert found["c9|q|1002"].reconstructed and found["c1|q|1000"].outcome == "waiting"


def test_rule3_rebuilt_contact_from_complete_without_connect() -> None:
    m = machine_for("1546024020|c|201|Vanessa Flores|COMPLETECALLER|10|406|1")
    (c,) = contacts(m).values()
    # entry = 1546024020 - 406 - 10 = 1546023604; answered = entry + 10; ended = answered + 406
    assert (c.key, c.entry, c.answered, c.ended) == ("c|201|1546023604", 1546023604, 1546023614, 1546024020)
    assert (c.reconstructed, c.agent, c.outcome) == (True, "Vanessa Flores", "answered")


def test_rule4_second_outcome_is_ignored_and_counted() -> None:
    m = machine_for(
        "100|c|q|NONE|ENTERQUEUE||1|1",
        "106|c|q|A|CONNECT|6|x|2",
        "334|c|q|A|COMPLETEAGENT|6|228|1",
        "334|c|q|A|COMPLETEAGENT|6|228|4",
        "340|c|q|NONE|ABANDON|1|1|240",  # implied entry 340 - 240 = 100: the same, ended contact
    )
    (c,) = contacts(m).values()
    assert (c.outcome, c.talk, c.ended) == ("answered", 228, 334)
    assert m.anomalies["outcome_after_end"] == 2


def test_rule5_queuestart_closes_open_contacts() -> None:
    m = machine_for(
        "100|w|q|NONE|ENTERQUEUE||1|1",
        "100|a|q|NONE|ENTERQUEUE||2|1",
        "110|a|q|Ana|CONNECT|10|x|2",
        "200|NONE|NONE|NONE|QUEUESTART|",
        "250|a|q|Ana|COMPLETECALLER|10|140|1",  # after the restart: an outcome for an ended contact
    )
    found = contacts(m)
    waiting, answered = found["w|q|100"], found["a|q|100"]
    assert (waiting.outcome, waiting.wait, waiting.ended) == (
        "unknown",
        None,
        None,
    )  # never guessed abandoned
    assert (answered.outcome, answered.ended, answered.talk) == ("answered", 200, None)
    assert m.open == {} and m.anomalies["outcome_after_end"] == 1


@pytest.mark.parametrize(
    ("exit_line", "reason", "wait", "ended"),
    [
        ("130|c|q|NONE|ABANDON|2|1|30", "caller_abandon", 30, 130),
        ("102|c|q|NONE|EXITEMPTY|1|1|2", "exit_empty", 2, 102),
        ("400|c|q|NONE|EXITWITHTIMEOUT|1|1|300", "timeout", 300, 400),
        ("400|c|q|NONE|EXITWITHTIMEOUT|1", "timeout", 300, 400),  # 1.2: wait = 400 - 100 from the entry
        ("112|c|q|NONE|EXITWITHKEY|5|1|1|12", "exit_key", 12, 112),
        ("140|c|q|NONE|WITHDRAW|1|1|40|moved", "withdraw", 40, 140),
        ("104|c|q|Ana|SYSCOMPAT|", "sys_compat", 4, 104),
    ],
)
def test_exits_are_abandoned_with_their_reason(
    exit_line: str, reason: str, wait: float, ended: float
) -> None:
    m = machine_for("100|c|q|NONE|ENTERQUEUE||1|1", exit_line)
    (c,) = contacts(m).values()
    assert (c.outcome, c.exit_reason, c.wait, c.ended, c.answered) == ("abandoned", reason, wait, ended, None)


def test_agentdump_marks_the_contact_and_a_later_line_decides() -> None:
    dumped = machine_for("100|c|q|NONE|ENTERQUEUE||1|1", "109|c|q|Ana|AGENTDUMP|")
    (c,) = contacts(dumped).values()
    assert (c.outcome, c.exit_reason, c.wait) == ("waiting", "agent_dump", None)  # 1.2 drops, 1.4+ waits on
    again = machine_for(
        "100|c|q|NONE|ENTERQUEUE||1|1",
        "109|c|q|Ana|AGENTDUMP|",
        "130|c|q|Luis|CONNECT|30|x|2",
        "190|c|q|Luis|COMPLETECALLER|30|60|1",
    )
    (c,) = contacts(again).values()
    assert (c.outcome, c.exit_reason, c.agent, c.wait, c.talk) == ("answered", None, "Luis", 30, 60)
    gave_up = machine_for(
        "100|c|q|NONE|ENTERQUEUE||1|1", "109|c|q|Ana|AGENTDUMP|", "150|c|q|NONE|ABANDON|1|1|50"
    )
    (c,) = contacts(gave_up).values()
    assert (c.outcome, c.exit_reason, c.wait) == ("abandoned", "caller_abandon", 50)


@pytest.mark.parametrize(
    "end_line",
    [
        "190|c|q|Ana|BLINDTRANSFER|200|from-internal|10|80|1",
        "190|c|q|Ana|ATTENDEDTRANSFER|BRIDGE|b1|10|80|1",
        "190|c|q|Ana|ATTENDEDTRANSFER|LINK|SIP/1-1|SIP/2-2|10|80|1",
        "190|c|q|Ana|TRANSFER|200|from-internal|10|80|1",
    ],
)
def test_transfers_end_the_talk_and_mark_transferred(end_line: str) -> None:
    m = machine_for("100|c|q|NONE|ENTERQUEUE||1|1", "110|c|q|Ana|CONNECT|10|x|2", end_line)
    (c,) = contacts(m).values()
    # answered = 100 + 10 = 110; ended = 110 + 80 = 190
    assert (c.outcome, c.transferred, c.wait, c.talk, c.answered, c.ended) == (
        "answered",
        True,
        10,
        80,
        110,
        190,
    )


def test_ring_no_answer_counts_but_ring_canceled_does_not() -> None:
    m = machine_for(
        "100|c|q|NONE|ENTERQUEUE||+34600|1",
        "100|c|q|Ana|RINGNOANSWER|15000",
        "100|c|q|Luis|RINGNOANSWER|0",
        "130|c|q|Ana|RINGCANCELED|2000",
        "130|c|q|NONE|ABANDON|1|1|30",
        "140|x|q|Ana|RINGNOANSWER|15000",  # no contact: an orphan, counted as an anomaly
    )
    (c,) = contacts(m).values()
    assert (c.ring_no_answer, c.customer) == (2, "+34600")
    assert m.anomalies["orphan_event"] == 1


def test_custom_and_system_events_are_counted_without_effect() -> None:
    m = machine_for(
        "100|c|q|NONE|DID|+15556667775",
        "100|NONE|NONE|NONE|CONFIGRELOAD|",
        "101|c|q|A|WHATEVER|x",
        "102|c|q|NONE|ENTERQUEUE||1|1",
    )
    assert m.events == {"DID": 1, "CONFIGRELOAD": 1, "WHATEVER": 1, "ENTERQUEUE": 1}
    (c,) = contacts(m).values()
    assert c.outcome == "waiting"


def test_stale_waiting_contact_closes_as_unknown_by_log_time() -> None:
    m = machine_for("100|old|q|NONE|ENTERQUEUE||1|1", f"{100 + 4 * 3600 + 1}|new|q|NONE|ENTERQUEUE||1|1")
    m.end_batch()  # the log clock is 4 h 1 s after the first entry
    found = contacts(m)
    assert (
        found["old|q|100"].outcome == "unknown" and found[f"new|q|{100 + 4 * 3600 + 1}"].outcome == "waiting"
    )


# --- agent states ---------------------------------------------------------------------------------------


def test_agent_state_segments_through_a_shift() -> None:
    m = machine_for(
        "1000|MANAGER|sales|Ana Lopez|ADDMEMBER|",
        "1000|MANAGER|support|Ana Lopez|ADDMEMBER|",
        "1100|c|sales|NONE|ENTERQUEUE||1|1",
        "1105|c|sales|Ana Lopez|CONNECT|5|x|1",
        "1150|NONE|sales|Ana Lopez|PAUSE|Lunch",  # paused during the call: aux once it ends
        "1200|c|sales|Ana Lopez|COMPLETEAGENT|5|95|1",
        "1300|NONE|sales|Ana Lopez|UNPAUSE|",
        "1400|NONE|sales|Ana Lopez|REMOVEMEMBER|",  # still in support
        "1500|NONE|support|Ana Lopez|REMOVEMEMBER|",
    )
    assert segments(m) == [
        ("Ana Lopez", "available", None, 1000, 1105),
        ("Ana Lopez", "on_contact", None, 1105, 1200),  # CONNECT: answered = 1100 + 5
        ("Ana Lopez", "aux", "lunch", 1200, 1300),  # COMPLETEAGENT: 1105 + 95 talk
        ("Ana Lopez", "available", None, 1300, 1500),
        ("Ana Lopez", "offline", None, 1500, None),
    ]


def test_agent_login_pauseall_and_paused_addmember() -> None:
    m = machine_for(
        "10|NONE|NONE|Agent/1001|AGENTLOGIN|SIP/1001-1",
        "20|NONE|NONE|Agent/1001|PAUSEALL|Reunión de equipo",
        "20|NONE|q|Agent/1001|PAUSE|Reunión de equipo",
        "30|NONE|NONE|Agent/1001|UNPAUSEALL|",
        "40|NONE|NONE|Agent/1001|AGENTLOGOFF|SIP/1001-1|30",
        "50|MANAGER|q|SIP/2002|ADDMEMBER|PAUSED",
    )
    assert segments(m) == [
        ("Agent/1001", "available", None, 10, 20),
        ("Agent/1001", "aux", "meeting", 20, 30),
        ("Agent/1001", "available", None, 30, 40),
        ("Agent/1001", "offline", None, 40, None),  # logged off, though PAUSE showed queue q
        ("SIP/2002", "aux", "other", 50, None),
    ]


def test_same_second_changes_leave_no_zero_length_segment() -> None:
    m = machine_for(
        "10|MANAGER|q|Ana|ADDMEMBER|",
        "20|NONE|q|Ana|PAUSE|Break",
        "20|NONE|q|Ana|UNPAUSE|Auto-Unpause",  # log_unpause_on_reason_change, then the new reason
        "20|NONE|q|Ana|PAUSE|Training",
    )
    assert segments(m) == [("Ana", "available", None, 10, 20), ("Ana", "aux", "training", 20, None)]


def test_static_member_known_only_from_calls_is_available_between_them() -> None:
    m = machine_for(
        "100|c|q|NONE|ENTERQUEUE||1|1",
        "110|c|q|Paty Marin|CONNECT|10|x|2",
        "170|c|q|Paty Marin|COMPLETECALLER|10|60|1",
    )
    assert segments(m) == [
        ("Paty Marin", "on_contact", None, 110, 170),
        ("Paty Marin", "available", None, 170, None),
    ]


def test_agent_snapshot_round_trip() -> None:
    m = machine_for("10|MANAGER|q|Ana|ADDMEMBER|", "20|NONE|q|Ana|PAUSE|Lunch")
    agent = m.agents["Ana"]
    again = type(agent).restore("Ana", agent.snapshot())
    assert again.derived() == ("aux", "lunch") and again.seg is not None and again.seg.start == 20


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        ("Lunch", "lunch"),
        ("Comida", "lunch"),
        ("Break", "break"),
        ("Descanso", "break"),
        ("Meeting", "meeting"),
        ("Reunión", "meeting"),
        ("Coaching 1:1", "coaching"),
        ("Training", "training"),
        ("Formación", "training"),
        ("Problema técnico", "technical"),
        ("System down", "technical"),
        ("", "other"),
        (None, "other"),
        ("Admin", "other"),
    ],
)
def test_aux_reason_keywords(reason: str | None, category: str) -> None:
    assert aux_category(reason) == category
