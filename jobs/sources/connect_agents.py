"""Amazon Connect agent event stream (LOGIN, LOGOUT, STATE_CHANGE, HEART_BEAT) to agent state
segments (FORMATS.md 2.2). A snapshot's state: a CONNECTED contact is on_contact; contacts that are
all ENDED are after-contact work, which has no event of its own and lasts until the next change
with no contacts; otherwise the agent status: Available, Offline, or a custom status = aux with
its mapped reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC

from jobs.sources.common import SegmentFact, aux_reason, parse_time

EVENT_TYPES = ("LOGIN", "LOGOUT", "STATE_CHANGE", "HEART_BEAT")
ON_CONTACT = ("CONNECTED", "CONNECTED_ONHOLD")
State = tuple[str, str | None, float]  # (state, aux reason, start epoch)


@dataclass(frozen=True)
class AgentEvent:
    event_id: str | None
    agent: str
    time: float
    kind: str
    current: State
    previous: State | None
    line_no: int = 0


@dataclass
class SegmentOutcome:
    """Segments to write, and how many events changed a state, confirmed it, or came too late."""

    segments: list[SegmentFact]
    changed: int = 0
    unchanged: int = 0
    late: int = 0


def get(obj: object, name: str) -> object:
    """obj[name], matching the key's case loosely (AWS's own samples mix AgentInfo / agentInfo)."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    wanted = name.lower()
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == wanted:
            return value
    return None


def text(value: object) -> str | None:
    """A stripped string (None for anything else or empty). JSON may smuggle in what no database
    column holds: a NUL or a lone surrogate ("\\ud800") rejects the record instead."""
    if not isinstance(value, str):
        return None
    if "\x00" in value:
        raise ValueError("NUL character in a text value")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text value is not valid Unicode (a lone surrogate)") from None
    return value.strip() or None


def stamp(value: object, what: str) -> float | None:
    """A Connect timestamp (always UTC ISO 8601); a non-string is an error, not a silent None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a timestamp: {str(value)[:40]!r}")
    return parse_time(value, UTC, what=what)


def parse_agent_event(record: dict[str, object], line_no: int = 0) -> AgentEvent:
    """One agent event; raises ValueError with the reason when it cannot be used."""
    kind = (text(get(record, "EventType")) or "").upper()
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown EventType {get(record, 'EventType')!r}")
    moment = stamp(get(record, "EventTimestamp"), "EventTimestamp")
    if moment is None:
        raise ValueError("EventTimestamp is missing")
    current, previous = get(record, "CurrentAgentSnapshot"), get(record, "PreviousAgentSnapshot")
    agent = _agent_code(record, current, previous)
    state = snapshot_state(current, kind, moment)
    try:
        before = None if not isinstance(previous, dict) else snapshot_state(previous, "STATE_CHANGE", moment)
    except ValueError:
        before = None  # the previous snapshot only seeds an agent seen for the first time
    event_id = text(get(record, "EventId"))
    return AgentEvent(event_id, agent, moment, kind, state, before, line_no)


def _agent_code(record: dict[str, object], *snapshots: object) -> str:
    """Configuration.Username (the same code contact records carry), else the agent id of the ARN."""
    for snapshot in snapshots:
        username = text(get(get(snapshot, "Configuration"), "Username"))
        if username:
            return username
    arn = text(get(record, "AgentARN"))
    if arn:
        return arn.rsplit("/agent/", 1)[-1]
    raise ValueError("no agent: AgentARN and Configuration.Username are both missing")


def snapshot_state(snapshot: object, kind: str, moment: float) -> State:
    """What the agent is doing in a snapshot, and since when."""
    if kind == "LOGOUT":
        return ("offline", None, moment)
    if not isinstance(snapshot, dict):
        raise ValueError("CurrentAgentSnapshot is missing")
    contacts = get(snapshot, "Contacts") or []
    if not isinstance(contacts, list):
        raise ValueError("Contacts is not a list")
    states = [((text(get(c, "State")) or "").upper(), c) for c in contacts if isinstance(c, dict)]
    connected = [c for state, c in states if state in ON_CONTACT]
    if connected:
        starts = [
            stamp(get(c, "ConnectedToAgentTimestamp"), "ConnectedToAgentTimestamp")
            or stamp(get(c, "StateStartTimestamp"), "StateStartTimestamp")
            or moment
            for c in connected
        ]
        return ("on_contact", None, min(starts))
    ended = [c for state, c in states if state == "ENDED"]
    if ended:
        starts = [stamp(get(c, "StateStartTimestamp"), "StateStartTimestamp") or moment for c in ended]
        return ("acw", None, max(starts))
    status = get(snapshot, "AgentStatus")
    if not isinstance(status, dict):
        raise ValueError("AgentStatus is missing")
    name = (text(get(status, "Name")) or "").lower()
    status_type = (text(get(status, "Type")) or "").upper()
    start = stamp(get(status, "StartTimestamp"), "AgentStatus.StartTimestamp") or moment
    if status_type == "OFFLINE" or name == "offline":
        return ("offline", None, start)
    if status_type == "ROUTABLE" or name == "available":
        return ("available", None, start)
    return ("aux", aux_reason(name), start)


def build_segments(events: Iterable[AgentEvent], known: dict[str, SegmentFact]) -> SegmentOutcome:
    """Turn each agent's events (any order) into segments, continuing from `known`, the agent's
    latest stored segment: events at or before its start were seen already (at-least-once
    delivery) and are skipped. An agent seen for the first time starts from its previous snapshot.
    A state starts at its own timestamp when that is later than the current segment's start, else
    at the event; the segment before it ends there."""
    outcome = SegmentOutcome(segments=[])
    by_agent: dict[str, list[AgentEvent]] = {}
    for event in events:
        by_agent.setdefault(event.agent, []).append(event)
    for agent, mine in by_agent.items():
        mine.sort(key=lambda e: (e.time, e.line_no))
        stored = known.get(agent)
        current = (
            None
            if stored is None
            else SegmentFact(agent, stored.state, stored.start, stored.end, stored.reason)
        )
        floor = None if stored is None else stored.start
        written: dict[float, SegmentFact] = {}
        for event in mine:
            if floor is not None and event.time <= floor:
                outcome.late += 1
                continue
            if current is None and event.previous is not None and event.previous[2] <= event.time:
                state, reason, start = event.previous
                current = written[start] = SegmentFact(agent, state, start, None, reason)
            state, reason, start = event.current
            if current is not None and (current.state, current.reason) == (state, reason):
                outcome.unchanged += 1
                continue
            outcome.changed += 1
            if current is None:
                current = written[start] = SegmentFact(agent, state, start, None, reason)
                continue
            if start <= current.start:
                start = event.time if event.time > current.start else current.start
            if start == current.start:  # two states at one instant: the later event's wins
                current.state, current.reason = state, reason
            else:
                current.end = start
                written[current.start] = current
                current = SegmentFact(agent, state, start, None, reason)
            written[current.start] = current
        outcome.segments.extend(written.values())
    return outcome
