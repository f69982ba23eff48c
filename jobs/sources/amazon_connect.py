"""Amazon Connect exports (FORMATS.md 2): contact records (CTR) become contacts, agent event stream
records become agent state segments. Any JSON framing is read (json_records); records arrive at
least once, so a ContactId keeps its greatest LastUpdateTimestamp and a repeated EventId counts
once; unknown keys are ignored and null objects tolerated; a record that is not valid JSON or not
usable is quarantined with its reason and the rest load.

Mapping (documented choices): channel VOICE -> voice, CHAT -> chat, TASK and EMAIL -> email (a task
is asynchronous back-office work measured like e-mail, with its 24 h service-level threshold);
wait = Queue.Duration; talk = Agent.AgentInteractionDuration; hold = CustomerHoldDuration (count
NumberOfHolds); after-contact work = AfterContactWorkDuration; talk ends at
AfterContactWorkStartTimestamp (else connected + talk + hold); the contact is transferred when it
has a TransferCompletedTimestamp, a TransferredToEndpoint or a NextContactId (a segment created BY
a transfer, InitiationMethod TRANSFER or QUEUE_TRANSFER, is a new entry into its own queue); abandoned
= queued (Queue.EnqueueTimestamp) and never connected to an agent; a contact that never queued
(outbound, self-service) is not a queue contact and is skipped, counted by reason.
"""

from __future__ import annotations

from typing import Any

from jobs.sources.common import ContactFact, Parsed, decode_text, parse_number, unpack
from jobs.sources.connect_agents import AgentEvent, get, parse_agent_event, stamp, text
from jobs.sources.json_records import json_records

SOURCE = "connect"
JOB = "ingest_connect"
CHANNELS = {"VOICE": "voice", "CHAT": "chat", "TASK": "email", "EMAIL": "email"}
EXIT_REASONS = {"CUSTOMER_DISCONNECT": "caller_abandon", "EXPIRED": "timeout"}
NOT_QUEUED = "contact record without Queue.EnqueueTimestamp (outbound or self-service: not a queue contact)"
CONTACT_EVENT = "EventBridge contact event: not loaded (Mirador reads contact records and agent events)"
UNKNOWN = "neither a contact record (ContactId) nor an agent event (EventType)"


def parse_connect(data: bytes, **_options: Any) -> Parsed:
    """Every record of one export file (bytes; gzip is inflated). Never raises on bad content."""
    parsed = Parsed()
    try:
        raw = unpack(data)
    except ValueError as exc:
        parsed.reject_file(None, str(exc), "")
        return parsed
    text_value, encoding = decode_text(raw)
    if encoding not in ("utf-8-sig", "utf-16"):
        parsed.detail["encoding"] = encoding
    latest: dict[str, tuple[float, ContactFact]] = {}
    events: dict[str, AgentEvent] = {}
    for record in json_records(text_value):
        parsed.records += 1
        if record.error is not None:
            parsed.reject(record.line_no, record.error, record.text)
            continue
        value = record.value
        if not isinstance(value, dict):
            parsed.reject(record.line_no, "not a JSON object", record.text)
            continue
        try:
            kind = record_kind(value)
            if kind == "contact":
                contact = parse_ctr(value)
                if isinstance(contact, str):
                    parsed.skip(contact)
                    continue
                version = contact.updated if contact.updated is not None else float("-inf")
                if contact.key in latest:
                    parsed.duplicates += 1  # a re-delivery: the greatest LastUpdateTimestamp wins
                    if version <= latest[contact.key][0]:
                        continue
                latest[contact.key] = (version, contact)
            elif kind == "agent_event":
                event = parse_agent_event(value, record.line_no)
                key = event.event_id or f"{event.agent}|{event.time}|{event.kind}|{event.current}"
                if key in events:
                    parsed.duplicates += 1
                    continue
                events[key] = event
            else:
                parsed.reject(
                    record.line_no, CONTACT_EVENT if kind == "contact_event" else UNKNOWN, record.text
                )
        except ValueError as exc:
            parsed.reject(record.line_no, str(exc), record.text)
    parsed.contacts = [contact for _, contact in latest.values()]
    parsed.events = list(events.values())
    return parsed


def record_kind(record: dict[str, Any]) -> str | None:
    """contact (a CTR), agent_event, contact_event (EventBridge), or None."""
    if get(record, "detail-type") is not None or (
        get(record, "eventType") is not None
        and get(record, "contactId") is not None
        and "ContactId" not in record
    ):
        return "contact_event"
    if "ContactId" in record or get(record, "ContactId") is not None:
        return "contact"
    if get(record, "EventType") is not None and (
        get(record, "AgentARN") is not None or get(record, "CurrentAgentSnapshot") is not None
    ):
        return "agent_event"
    return None


def parse_ctr(record: dict[str, Any]) -> ContactFact | str:
    """One contact record as a contact, or the reason it is not a queue contact; raises
    ValueError when it is unusable."""
    key = text(get(record, "ContactId"))
    if not key:
        raise ValueError("ContactId is missing or empty")
    channel_name = (text(get(record, "Channel")) or "").upper()
    if channel_name not in CHANNELS:
        raise ValueError(f"unknown Channel {get(record, 'Channel')!r} (VOICE, CHAT, TASK or EMAIL)")
    queue = get(record, "Queue")
    offered = stamp(get(queue, "EnqueueTimestamp"), "Queue.EnqueueTimestamp")
    if offered is None:
        return NOT_QUEUED
    queue_name = text(get(queue, "Name")) or (text(get(queue, "ARN")) or "").rsplit("/queue/", 1)[-1] or None
    if not queue_name:
        raise ValueError("Queue has neither Name nor ARN")
    agent = get(record, "Agent")
    answered = stamp(get(agent, "ConnectedToAgentTimestamp"), "Agent.ConnectedToAgentTimestamp")
    dequeued = stamp(get(queue, "DequeueTimestamp"), "Queue.DequeueTimestamp")
    disconnected = stamp(get(record, "DisconnectTimestamp"), "DisconnectTimestamp")
    wait = _seconds(queue, "Duration", "Queue")
    if wait is None:
        end_of_wait = answered if answered is not None else dequeued
        wait = None if end_of_wait is None else max(0.0, end_of_wait - offered)
    attempts = _seconds(record, "AgentConnectionAttempts", "") or 0.0
    next_contact = text(get(record, "NextContactId"))
    contact = ContactFact(
        key=key,
        queue=queue_name,
        channel=CHANNELS[channel_name],
        offered=offered,
        customer=text(get(get(record, "CustomerEndpoint"), "Address")),
        wait=wait,
        updated=stamp(get(record, "LastUpdateTimestamp"), "LastUpdateTimestamp"),
    )
    if answered is None:  # queued, never connected to an agent: abandoned (the CTR data model's rule)
        contact.outcome = "abandoned"
        contact.ended = dequeued if dequeued is not None else disconnected
        contact.exit_reason = (
            "transfer_out"
            if next_contact
            else EXIT_REASONS.get((text(get(record, "DisconnectReason")) or "").upper())
        )
        contact.ring_no_answer = int(attempts)
        return contact
    if answered < offered:
        raise ValueError("Agent.ConnectedToAgentTimestamp is before Queue.EnqueueTimestamp")
    contact.outcome, contact.answered = "answered", answered
    contact.agent = (
        text(get(agent, "Username")) or (text(get(agent, "ARN")) or "").rsplit("/agent/", 1)[-1] or None
    )
    contact.talk = _seconds(agent, "AgentInteractionDuration", "Agent")
    contact.hold = _seconds(agent, "CustomerHoldDuration", "Agent")
    holds = _seconds(agent, "NumberOfHolds", "Agent")
    contact.hold_count = None if holds is None else int(holds)
    contact.acw = _seconds(agent, "AfterContactWorkDuration", "Agent")
    acw_start = stamp(get(agent, "AfterContactWorkStartTimestamp"), "Agent.AfterContactWorkStartTimestamp")
    acw_end = stamp(get(agent, "AfterContactWorkEndTimestamp"), "Agent.AfterContactWorkEndTimestamp")
    if acw_start is not None:
        contact.ended = acw_start
    elif contact.talk is not None:
        contact.ended = answered + contact.talk + (contact.hold or 0.0)
    else:
        contact.ended = disconnected
    if acw_end is not None:
        contact.completed = acw_end
    elif contact.ended is not None:
        contact.completed = contact.ended + (contact.acw or 0.0)
    contact.transferred = bool(
        text(get(record, "TransferCompletedTimestamp"))
        or get(record, "TransferredToEndpoint")
        or next_contact
    )
    contact.ring_no_answer = max(0, int(attempts) - 1)
    return contact


def _seconds(obj: object, name: str, parent: str) -> float | None:
    what = f"{parent}.{name}" if parent else name
    return parse_number(get(obj, name), what=what, low=0.0, high=366 * 86400.0)
