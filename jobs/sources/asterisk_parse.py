"""Asterisk queue_log without a database: parse lines (file and realtime forms, FORMATS.md 1) and turn
events into contacts and agent state segments by the identity rules of METRICS.md."""

from __future__ import annotations

import math
from datetime import datetime, tzinfo
from typing import NamedTuple

CONTACT_EVENTS = frozenset(
    "ENTERQUEUE CONNECT COMPLETEAGENT COMPLETECALLER ABANDON EXITEMPTY EXITWITHTIMEOUT EXITWITHKEY "
    "WITHDRAW TRANSFER BLINDTRANSFER ATTENDEDTRANSFER RINGNOANSWER RINGCANCELED AGENTDUMP SYSCOMPAT".split()
)
AGENT_EVENTS = frozenset(
    "ADDMEMBER REMOVEMEMBER PAUSE UNPAUSE PAUSEALL UNPAUSEALL AGENTLOGIN AGENTLOGOFF "
    "AGENTCALLBACKLOGIN AGENTCALLBACKLOGOFF".split()
)
# Param positions (0-based after the event name) of wait and talk seconds; version-tolerant: a
# missing position (older Asterisk) gives None, never an error.
WAIT_TALK = {
    "CONNECT": (0, None),
    "COMPLETEAGENT": (0, 1),
    "COMPLETECALLER": (0, 1),
    "ABANDON": (2, None),
    "EXITEMPTY": (2, None),
    "EXITWITHTIMEOUT": (2, None),
    "WITHDRAW": (2, None),
    "EXITWITHKEY": (3, None),
    "TRANSFER": (2, 3),
    "BLINDTRANSFER": (2, 3),
    "ATTENDEDTRANSFER": (2, 3),  # BRIDGE|id|wait|talk|pos and APP|app|wait|talk|pos; LINK is wider
}
EXIT_REASONS = {
    "ABANDON": "caller_abandon",
    "EXITEMPTY": "exit_empty",
    "EXITWITHTIMEOUT": "timeout",
    "EXITWITHKEY": "exit_key",
    "WITHDRAW": "withdraw",
    "SYSCOMPAT": "sys_compat",  # the call is dropped (every version returns -1)
}
AUX_KEYWORDS = (  # first match wins; reasons are free text typed by admins (English and Spanish)
    ("lunch", ("lunch", "comida", "almuerzo", "meal", "dinner", "cena")),
    ("break", ("break", "descanso", "cafe", "café", "coffee", "restroom", "bano", "baño", "toilet")),
    ("meeting", ("meeting", "reunion", "reunión", "huddle")),
    ("coaching", ("coach", "feedback", "1:1", "one-on-one")),
    ("training", ("training", "formacion", "formación", "capacitacion", "capacitación", "course")),
    ("technical", ("tech", "técnic", "tecnic", "system", "sistema", "incidencia", "outage", "network")),
)
MAX_EPOCH = 4_102_444_800  # 2100-01-01: anything later is a corrupt time field
# event -> (needs callid and queue, needs an agent, wait position, talk position, ring ms in p1)
_SPECS = {
    **dict.fromkeys(AGENT_EVENTS, (False, True, None, None, False)),
    **{
        name: (True, False, *WAIT_TALK.get(name, (None, None)), name in ("RINGNOANSWER", "RINGCANCELED"))
        for name in CONTACT_EVENTS
    },
}
_PLAIN = (False, False, None, None, False)
_tuple_new = tuple.__new__


class QueueEvent(NamedTuple):
    """One parsed queue_log line; wait/talk/ring in seconds (RINGNOANSWER's ms already converted)."""

    time: float
    callid: str
    queue: str
    agent: str | None  # None for NONE / empty
    event: str
    params: list[str]  # trailing empty ones dropped
    wait: float | None
    talk: float | None
    ring: float | None
    line_no: int


def _number(text: str) -> float | None:
    """A non-negative finite number, None when empty; ValueError otherwise."""
    if not text:
        return None
    try:
        value: float = int(text)
    except ValueError:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text) from None
    if value < 0:
        raise ValueError(text)
    return value


def parse_line(line: str, line_no: int = 0) -> QueueEvent | str | None:
    """File form `epoch|callid|queue|agent|event|p1|...`: an event, a quarantine reason, or None (blank)."""
    text = line.rstrip("\r\n")
    if not text or text.isspace():
        return None
    if "\x00" in text:
        return "NUL byte in line"
    fields = text.split("|")
    if len(fields) < 5:
        return f"too few fields ({len(fields)}; need time|callid|queue|agent|event)"
    try:
        moment = int(fields[0])
    except ValueError:
        try:
            moment = _number(fields[0].strip())  # type: ignore[assignment]
        except ValueError:
            return f"time is not a number: {fields[0][:40]!r}"
        if moment is None:
            return "time is empty"
    return build_event(moment, fields, line_no)


def build_event(moment: float, fields: list[str], line_no: int) -> QueueEvent | str:
    """Validate `[time, callid, queue, agent, event, *params]` (file and realtime forms alike) and read
    the wait/talk/ring numbers. Callers have already refused NUL bytes (PostgreSQL cannot store them)."""
    if not 0 <= moment < MAX_EPOCH:
        return f"time out of range: {moment}"
    _, callid, queue, agent, event, *params = fields
    if not event:
        return "empty event name"
    if params and not params[-1]:  # a trailing '|' (or empty trailing data columns)
        while params and not params[-1]:
            params.pop()
    for_contact, for_agent, wait_at, talk_at, ring_ms = _SPECS.get(event, _PLAIN)
    if for_contact and (not callid or callid == "NONE" or not queue or queue == "NONE"):
        return f"{event} without callid or queue"
    if for_agent and (not agent or agent == "NONE"):
        return f"{event} without agent"
    wait = talk = ring = None
    if wait_at is not None or ring_ms:
        if event == "ATTENDEDTRANSFER" and params and params[0] == "LINK":
            wait_at, talk_at = 3, 4  # LINK|chan1|chan2|wait|talk|origposition
        count = len(params)
        try:
            if wait_at is not None and count > wait_at:
                wait = _number(params[wait_at])
            if talk_at is not None and count > talk_at:
                talk = _number(params[talk_at])
            if ring_ms and count:
                ms = _number(params[0])
                ring = None if ms is None else ms / 1000.0
        except ValueError:
            return f"{event}: bad number in {'|'.join(params)[:60]!r}"
    member = None if agent == "NONE" or not agent else agent
    return _tuple_new(QueueEvent, (moment, callid, queue, member, event, params, wait, talk, ring, line_no))


def parse_realtime_row(row: dict[str, str], zone: tzinfo, line_no: int = 0) -> QueueEvent | str | None:
    """Database form (a CSV export of the realtime table): `time` is local "%F %T.%6q" or an epoch;
    params are `data` ('|'-joined) or `data1..data5` (data5 keeps the remainder, pipes included)."""
    values = [v for v in row.values() if isinstance(v, str)]
    if not any(v.strip() for v in values):
        return None
    raw_time = (row.get("time") or "").strip()
    try:
        moment = _number(raw_time)
    except ValueError:
        try:
            local = datetime.fromisoformat(raw_time)
            moment = (local if local.tzinfo else local.replace(tzinfo=zone)).timestamp()
        except (ValueError, OverflowError):
            return f"time is neither an epoch nor a date-time: {raw_time[:40]!r}"
    if moment is None:
        return "time is empty"
    if row.get("data1") is None and row.get("data") is not None:
        data = row["data"] or ""
    else:
        parts = [row.get(f"data{i}") or "" for i in range(1, 6)]
        while parts and not parts[-1]:
            parts.pop()
        data = "|".join(parts)
    params = data.split("|") if data else []
    fields = [raw_time, *(row.get(name) or "" for name in ("callid", "queuename", "agent", "event"))]
    if "\x00" in "".join(fields) or "\x00" in data:
        return "NUL byte in row"
    return build_event(moment, fields + params, line_no)


def aux_category(reason: str | None) -> str:
    """Map a free-text pause reason to the METRICS.md aux codes (unknown -> other)."""
    text = f"{(reason or '').lower()} "
    for category, words in AUX_KEYWORDS:
        if any(word in text for word in words):
            return category
    return "other"
