"""Generic CSV for any platform's export: contacts, agent states or schedules, one header row with
the column names of the README's "Generic CSV" schema (case and spaces do not matter; a few common
aliases are accepted). Naive times are in the centre's zone; durations are seconds; an empty cell
means "not reported" (never 0). A row that breaks the schema is quarantined with its line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from jobs.sources.common import (
    CHANNELS,
    EXIT_REASONS,
    OUTCOMES,
    ContactFact,
    Parsed,
    ScheduleFact,
    SegmentFact,
    aux_reason,
    clean_text,
    csv_rows,
    decode_text,
    nul_free,
    parse_bool,
    parse_int,
    parse_number,
    parse_time,
)

SOURCE = "csv"
JOB = "ingest_csv"
KINDS = ("contacts", "states", "schedules")
DAY = 86_400.0
REQUIRED = {
    "contacts": ("contact_id", "queue", "offered_at"),
    "states": ("agent", "state", "start_at"),
    "schedules": ("agent", "activity", "start_at", "end_at"),
}
OPTIONAL = {
    "contacts": (
        "channel agent customer answered_at ended_at completed_at wait_s talk_s hold_s hold_count acw_s "
        "outcome exit_reason transferred ring_no_answer"
    ).split(),
    "states": ["reason", "end_at"],
    "schedules": ["paid"],
}
ALIASES = {
    "id": "contact_id",
    "contact": "contact_id",
    "queue_name": "queue",
    "agent_code": "agent",
    "customer_key": "customer",
    "start": "start_at",
    "end": "end_at",
    "status": "state",
}
STATE_WORDS = {
    "available": "available",
    "ready": "available",
    "idle": "available",
    "on_contact": "on_contact",
    "talking": "on_contact",
    "on_call": "on_contact",
    "busy": "on_contact",
    "acw": "acw",
    "wrap": "acw",
    "wrapup": "acw",
    "wrap_up": "acw",
    "after_call_work": "acw",
    "aux": "aux",
    "not_ready": "aux",
    "pause": "aux",
    "paused": "aux",
    "offline": "offline",
    "logged_out": "offline",
    "logout": "offline",
}
ACTIVITIES = ("work", "break", "lunch", "meeting", "coaching", "training", "absence", "off")
Row = dict[str, str | None]


def parse_generic(data: bytes, *, kind: str, zone: ZoneInfo, **_: Any) -> Parsed:
    """Every row of one CSV of `kind` (contacts | states | schedules); never raises on bad content."""
    if kind not in KINDS:
        raise ValueError(f"unknown CSV kind {kind!r} (contacts, states or schedules)")
    parsed = Parsed()
    text, encoding = decode_text(data)
    parsed.detail["encoding"] = encoding
    rows = csv_rows(text)
    first = next(rows, None)
    if first is None:
        return parsed
    line_no, header, error = first
    names = [_name(cell) for cell in header or []]
    missing = [name for name in REQUIRED[kind] if name not in names]
    if error is not None or missing:
        parsed.reject_file(
            line_no, error or f"missing column(s) {missing} for {kind}", ",".join(header or [])
        )
        return parsed
    row_parser: Callable[[Row, ZoneInfo], Any] = {
        "contacts": contact_row,
        "states": state_row,
        "schedules": schedule_row,
    }[kind]
    facts: dict[Any, Any] = {}
    for line_no, cells, error in rows:
        parsed.records += 1
        raw = ",".join(cells or [])
        if cells is None or error is not None:
            parsed.reject(line_no, error or "unreadable row", raw)
            continue
        if not nul_free(cells):
            parsed.reject(line_no, "NUL byte in row", raw.replace("\x00", "\\x00"))
            continue
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names) :]):
            parsed.reject(line_no, f"{len(cells)} cells for {len(names)} columns", raw)
            continue
        row = {name: clean_text(cells[i]) if i < len(cells) else None for i, name in enumerate(names)}
        try:
            fact = row_parser(row, zone)
        except ValueError as exc:
            parsed.reject(line_no, str(exc), raw)
            continue
        key = _key(fact)
        if key in facts:
            parsed.duplicates += 1  # the same key twice in one file: the later row wins
        facts[key] = fact
    values = list(facts.values())
    if kind == "contacts":
        parsed.contacts = values
    elif kind == "states":
        parsed.segments = _close_open_states(values)
    else:
        parsed.schedules = values
    return parsed


def _name(cell: str) -> str:
    name = cell.strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(name, name)


def _key(fact: Any) -> Any:
    return fact.key if isinstance(fact, ContactFact) else (fact.agent, fact.start)


def _required(row: Row, name: str) -> str:
    value = row.get(name)
    if value is None:
        raise ValueError(f"{name} is empty")
    return value


def _time(row: Row, name: str, zone: ZoneInfo) -> float:
    moment = parse_time(_required(row, name), zone, what=name)
    assert moment is not None  # a non-empty cell is a time or raises
    return moment


def _choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if value is None:
        return None
    word = value.strip().lower()
    if word not in allowed:
        raise ValueError(f"{what} {value[:40]!r} is not one of {', '.join(allowed)}")
    return word


def contact_row(row: Row, zone: ZoneInfo) -> ContactFact:
    """One contact; missing durations are derived from the times (and times from durations)."""

    def when(name: str) -> float | None:
        return parse_time(row.get(name), zone, what=name)

    def seconds(name: str) -> float | None:
        return parse_number(row.get(name), what=name, low=0.0, high=366 * DAY)

    offered = _time(row, "offered_at", zone)
    answered, ended, completed = when("answered_at"), when("ended_at"), when("completed_at")
    wait, talk, acw = seconds("wait_s"), seconds("talk_s"), seconds("acw_s")
    outcome = _choice(row.get("outcome"), OUTCOMES, "outcome")
    if outcome is None:
        outcome = (
            "answered"
            if answered is not None or talk is not None
            else "abandoned"
            if ended is not None
            else "waiting"
        )
    if outcome == "answered" and answered is None:
        if wait is None:
            raise ValueError("an answered contact needs answered_at or wait_s")
        answered = offered + wait
    if outcome == "answered":
        assert answered is not None
        wait = answered - offered if wait is None else wait
        if ended is None and talk is not None:
            ended = answered + talk
        talk = ended - answered if talk is None and ended is not None else talk
        if completed is None and ended is not None:
            completed = ended + (acw or 0.0)
        acw = completed - ended if acw is None and completed is not None and ended is not None else acw
    elif outcome == "abandoned":
        wait = ended - offered if wait is None and ended is not None else wait
        ended = offered + wait if ended is None and wait is not None else ended
        answered = completed = talk = acw = None
    _in_order(offered_at=offered, answered_at=answered, ended_at=ended, completed_at=completed)
    if min(v for v in (wait, talk, acw, 0.0) if v is not None) < 0:
        raise ValueError("a duration derived from the times is negative")
    channel = _choice(row.get("channel"), CHANNELS, "channel") or "voice"
    return ContactFact(
        key=_required(row, "contact_id"),
        queue=_required(row, "queue"),
        channel=channel,
        offered=offered,
        agent=row.get("agent") if outcome == "answered" else None,
        customer=row.get("customer"),
        answered=answered,
        ended=ended,
        completed=completed,
        wait=wait,
        talk=talk,
        hold=seconds("hold_s"),
        hold_count=parse_int(row.get("hold_count"), what="hold_count", low=0, high=1e6),
        acw=acw,
        outcome=outcome,
        exit_reason=_choice(row.get("exit_reason"), EXIT_REASONS, "exit_reason")
        if outcome == "abandoned"
        else None,
        transferred=bool(parse_bool(row.get("transferred"), what="transferred")) and outcome == "answered",
        ring_no_answer=parse_int(row.get("ring_no_answer"), what="ring_no_answer", low=0, high=1e6) or 0,
    )


def _in_order(**times: float | None) -> None:
    known = [(name, value) for name, value in times.items() if value is not None]
    for (earlier, a), (later, b) in zip(known, known[1:], strict=False):
        if b < a:
            raise ValueError(f"{later} is before {earlier}")


def state_row(row: Row, zone: ZoneInfo) -> SegmentFact:
    word = _required(row, "state").strip().lower().replace(" ", "_").replace("-", "_")
    if word not in STATE_WORDS:
        raise ValueError(f"state {word[:40]!r} is not one of available, on_contact, acw, aux, offline")
    state = STATE_WORDS[word]
    start = _time(row, "start_at", zone)
    end = parse_time(row.get("end_at"), zone, what="end_at")
    if end is not None and end <= start:
        raise ValueError("end_at is not after start_at")
    reason = aux_reason(row.get("reason")) if state == "aux" else None
    return SegmentFact(_required(row, "agent"), state, start, end, reason)


def _close_open_states(segments: list[SegmentFact]) -> list[SegmentFact]:
    """A state without end_at lasts until the agent's next state in the file (the last one stays
    open: the agent's current state)."""
    segments.sort(key=lambda s: (s.agent, s.start))
    for this, after in zip(segments, segments[1:], strict=False):
        if this.end is None and this.agent == after.agent:
            this.end = after.start
    return segments


def schedule_row(row: Row, zone: ZoneInfo) -> ScheduleFact:
    activity = _choice(_required(row, "activity"), ACTIVITIES, "activity")
    assert activity is not None
    start, end = _time(row, "start_at", zone), _time(row, "end_at", zone)
    if end <= start:
        raise ValueError("end_at is not after start_at")
    paid = parse_bool(row.get("paid"), what="paid")
    return ScheduleFact(
        _required(row, "agent"), activity, start, end, activity != "off" if paid is None else paid
    )
