"""The queue_log state machine: events in timestamp order become contacts (identity rules 1-5 of
METRICS.md "Reading Asterisk queue_log") and agent state segments. Pure: no database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from jobs.sources.asterisk_parse import AGENT_EVENTS, EXIT_REASONS, QueueEvent, aux_category


@dataclass(slots=True, eq=False)
class ContactState:
    """A contact as the log has shown it so far (times are epoch seconds)."""

    key: str
    callid: str
    queue: str
    entry: float
    customer: str | None = None
    agent: str | None = None
    answered: float | None = None
    wait: float | None = None
    talk: float | None = None
    ended: float | None = None
    outcome: str = "waiting"
    exit_reason: str | None = None
    transferred: bool = False
    reconstructed: bool = False
    ring_no_answer: int = 0
    aliases: list[tuple[str, str]] | None = None  # other callids attached by rule 3

    @property
    def is_open(self) -> bool:
        return self.outcome == "waiting" or (self.outcome == "answered" and self.ended is None)


@dataclass(slots=True)
class Segment:
    agent: str
    state: str
    reason: str | None
    start: float
    end: float | None = None


@dataclass(slots=True)
class AgentState:
    """What the log says about one member: queues joined, login, pause (raw reason), contacts on."""

    code: str
    queues: set[str] = field(default_factory=set)
    login: bool | None = None  # AGENTLOGIN/LOGOFF seen: then it alone says logged in or not
    implicit: bool = False  # took a call or paused without a logged join: a static member
    paused: str | None = None
    active: set[str] = field(default_factory=set)
    seg: Segment | None = None

    def derived(self) -> tuple[str, str | None]:
        if self.active:
            return "on_contact", None
        if not self.logged_in():
            return "offline", None
        if self.paused is not None:
            return "aux", aux_category(self.paused)
        return "available", None

    def logged_in(self) -> bool:
        return self.login if self.login is not None else bool(self.queues or self.implicit)

    def snapshot(self) -> list[object]:
        seg = None if self.seg is None else [self.seg.state, self.seg.reason, self.seg.start]
        return [sorted(self.queues), self.login, self.implicit, self.paused, sorted(self.active), seg]

    @classmethod
    def restore(cls, code: str, data: list) -> AgentState:  # type: ignore[type-arg]
        queues, login, implicit, paused, active, seg = data
        state = cls(code, set(queues), login, bool(implicit), paused, set(active))
        state.seg = None if seg is None else Segment(code, seg[0], seg[1], float(seg[2]))
        return state


class QueueLogMachine:
    """Turn events (sorted per batch) into contacts and segments; rules 1-5 of METRICS.md.

    Changed contacts and segments collect in `dirty_*` until the loader takes them with `take()`.
    Contacts still open stay in memory across batches; `end_batch()` closes or forgets those older than
    `stale_after_s` of log time (waiting ones become outcome unknown, never abandoned)."""

    def __init__(self, *, stale_after_s: float, clock: float = 0.0) -> None:
        self.stale_after_s = stale_after_s
        self.clock = clock
        self.open: dict[tuple[str, str], ContactState] = {}
        self.closed: dict[tuple[str, str], ContactState] = {}
        self.agents: dict[str, AgentState] = {}
        self.dirty_contacts: dict[str, ContactState] = {}
        self.dirty_segments: dict[tuple[str, float], Segment] = {}
        self.events: Counter[str] = Counter()  # every event name seen, custom and unknown ones too
        self.anomalies: Counter[str] = Counter()

    # --- state kept between runs -------------------------------------------------------------------
    def restore_contact(self, contact: ContactState) -> None:
        """Re-open (or remember as ended, for rule 4) a contact loaded from the database."""
        if contact.is_open:
            self._register(contact)
        else:
            pair = (contact.callid, contact.queue)
            if pair not in self.closed or self.closed[pair].entry <= contact.entry:
                self.closed[pair] = contact

    def take(self) -> tuple[list[ContactState], list[Segment]]:
        contacts, segments = list(self.dirty_contacts.values()), list(self.dirty_segments.values())
        self.dirty_contacts.clear()
        self.dirty_segments.clear()
        return contacts, segments

    # --- driving -----------------------------------------------------------------------------------
    def feed(self, events: list[QueueEvent]) -> None:
        """Apply one batch of events in timestamp order (stable: file order breaks ties)."""
        if not events:
            return
        events.sort(key=_by_time)
        self.events.update(ev.event for ev in events)
        self.clock = max(self.clock, events[-1].time)
        handlers = _HANDLERS
        for ev in events:
            handler = handlers.get(ev.event)
            if handler is not None:
                handler(self, ev)

    def end_batch(self) -> None:
        """Apply the stale rule by log time and forget ended contacts too old to get a 2nd outcome."""
        cutoff = self.clock - self.stale_after_s
        for contact in [c for c in _unique(self.open.values()) if c.entry < cutoff]:
            if contact.outcome == "waiting":
                contact.outcome = "unknown"
                self._close(contact, self.clock)
            else:  # answered, end never seen: keep the row as is, release the agent
                self._unregister(contact)
                self._agent_done(contact, self.clock)
        for key in [k for k, ended in self.closed.items() if ended.entry < cutoff]:
            del self.closed[key]

    # --- contacts ----------------------------------------------------------------------------------
    def _register(self, c: ContactState) -> None:
        self.open[(c.callid, c.queue)] = c

    def _unregister(self, c: ContactState) -> None:
        pair = (c.callid, c.queue)
        if self.open.get(pair) is c:
            del self.open[pair]
        for alias in c.aliases or ():
            if self.open.get(alias) is c:
                del self.open[alias]

    def _close(self, c: ContactState, when: float) -> None:
        self._unregister(c)
        self.closed[(c.callid, c.queue)] = c  # the latest ended contact of that call in that queue
        self.dirty_contacts[c.key] = c
        if c.agent is not None:
            self._agent_done(c, when)

    def _new(self, ev: QueueEvent, entry: float, reconstructed: bool) -> ContactState:
        c = ContactState(f"{ev.callid}|{ev.queue}|{int(entry)}", ev.callid, ev.queue, entry)
        c.reconstructed = reconstructed
        self._register(c)
        self.dirty_contacts[c.key] = c
        return c

    def _locate(self, ev: QueueEvent, implied: float | None, rebuild: bool) -> ContactState | None:
        """Rules 3 and 4: the open contact this event belongs to, a rebuilt one, or None (ignored)."""
        pair = (ev.callid, ev.queue)
        contact = self.open.get(pair)
        if contact is not None:
            return contact
        probe = ev.time if implied is None else implied
        ended = self.closed.get(pair)
        if ended is not None and (implied is None or abs(ended.entry - implied) <= 1):
            self.anomalies["outcome_after_end"] += 1
            return None
        if implied is not None:
            found = self._match_entry(ev.queue, implied)
            if found is not None:
                found.aliases = [*(found.aliases or ()), pair]
                self.open[pair] = found
                return found
        if not rebuild:
            self.anomalies["orphan_event"] += 1
            return None
        self.anomalies["reconstructed"] += 1
        return self._new(ev, probe, reconstructed=True)

    def _match_entry(self, queue: str, implied: float) -> ContactState | None:
        """Rule 3: the open contact of the queue that entered when the event says (within 1 s).
        A scan, as only events whose own call has no open contact get here."""
        near = [c for c in self.open.values() if c.queue == queue and abs(c.entry - implied) <= 1]
        return min(near, key=lambda c: abs(c.entry - implied)) if near else None

    def _enter(self, ev: QueueEvent) -> None:
        pair = (ev.callid, ev.queue)
        contact = self.open.get(pair)
        customer = ev.params[1] if len(ev.params) > 1 and ev.params[1] else None
        if contact is not None:  # rule 2; an ENTERQUEUE found late confirms a rebuilt contact
            if contact.reconstructed and abs(contact.entry - ev.time) <= 1:
                contact.reconstructed, contact.customer = False, customer
                self.dirty_contacts[contact.key] = contact
            return
        ended = self.closed.get(pair)
        if ended is not None and int(ended.entry) == int(ev.time):
            self.anomalies["enter_after_end"] += 1
            return
        self._new(ev, ev.time, reconstructed=False).customer = customer

    def _connect(self, ev: QueueEvent) -> None:
        c = self._locate(ev, None if ev.wait is None else ev.time - ev.wait, rebuild=True)
        if c is None:
            return
        if c.answered is not None:
            self.anomalies["second_connect"] += 1
            return
        self._answer(c, ev)
        self.dirty_contacts[c.key] = c

    def _answer(self, c: ContactState, ev: QueueEvent) -> None:
        wait = ev.wait
        if wait is None and not c.reconstructed:
            wait = max(0.0, ev.time - c.entry)
        c.wait = wait
        c.answered = ev.time if wait is None else c.entry + wait
        c.outcome, c.agent, c.exit_reason = "answered", ev.agent, None
        if ev.agent is not None:  # on contact from the answer (earlier than a COMPLETE that rebuilt it)
            agent = self._agent(ev.agent)
            if agent.seg is None or c.answered >= agent.seg.start:
                agent.active.add(c.key)
                agent.implicit = agent.implicit or not agent.logged_in()
                self._refresh(agent, c.answered)

    def _complete(self, ev: QueueEvent) -> None:
        implied = None if ev.wait is None else ev.time - ev.wait - (ev.talk or 0.0)
        c = self._locate(ev, implied, rebuild=True)
        if c is None:
            return
        if c.answered is None:  # the CONNECT line is missing
            self._answer(c, ev)
        assert c.answered is not None
        if ev.talk is not None:
            c.talk = ev.talk
        else:  # old TRANSFER lines carry no talk time: the event time tells it, if the answer is known
            c.talk = ev.time - c.answered if ev.time > c.answered else None
        c.ended = ev.time if c.talk is None else c.answered + c.talk
        c.agent = c.agent or ev.agent
        c.transferred = ev.event.endswith("TRANSFER")
        self._close(c, ev.time)

    def _exit(self, ev: QueueEvent) -> None:
        implied = None if ev.wait is None else ev.time - ev.wait
        c = self._locate(ev, implied, rebuild=True)
        if c is None:
            return
        if c.answered is not None:  # hung up after the CONNECT: the talk ended here
            self.anomalies["exit_after_connect"] += 1
            c.talk, c.ended = max(0.0, ev.time - c.answered), ev.time
        else:
            wait = ev.wait if ev.wait is not None or c.reconstructed else max(0.0, ev.time - c.entry)
            c.outcome, c.exit_reason, c.wait = "abandoned", EXIT_REASONS[ev.event], wait
            c.ended = ev.time if wait is None else c.entry + wait
        self._close(c, ev.time)

    def _dump(self, ev: QueueEvent) -> None:
        """AGENTDUMP: the member hung up during the announcement. Asterisk 1.2 then drops the caller,
        later versions may keep them waiting: mark the contact and let a later line (or the stale
        rule, as unknown) decide."""
        c = self._locate(ev, None, rebuild=False)
        if c is not None and c.answered is None:
            c.exit_reason = "agent_dump"
            self.dirty_contacts[c.key] = c

    def _ring(self, ev: QueueEvent) -> None:
        c = self._locate(ev, None, rebuild=False)
        if c is not None and ev.event == "RINGNOANSWER":
            c.ring_no_answer += 1
            self.dirty_contacts[c.key] = c

    def _restart(self, ev: QueueEvent) -> None:
        """Rule 5: the PBX restarted, so every open contact is over (never answered: unknown)."""
        for c in _unique(self.open.values()):
            if c.outcome == "waiting":
                c.outcome = "unknown"
            else:
                c.ended = ev.time  # talk stays unknown (None)
            self._close(c, ev.time)

    # --- agents ------------------------------------------------------------------------------------
    def _agent(self, code: str) -> AgentState:
        agent = self.agents.get(code)
        if agent is None:
            agent = self.agents[code] = AgentState(code)
        return agent

    def _agent_done(self, c: ContactState, when: float) -> None:
        agent = self.agents.get(c.agent) if c.agent else None
        if agent is not None and c.key in agent.active:
            agent.active.discard(c.key)
            self._refresh(agent, max(when, agent.seg.start if agent.seg else when))

    def _refresh(self, agent: AgentState, when: float) -> None:
        state, reason = agent.derived()
        seg = agent.seg
        if seg is not None:
            if seg.state == state and seg.reason == reason:
                return
            self.dirty_segments[(seg.agent, seg.start)] = seg
            if when <= seg.start:  # same second: the later state wins, no zero-length segment
                seg.state, seg.reason = state, reason
                return
            seg.end = when
        agent.seg = Segment(agent.code, state, reason, when)
        self.dirty_segments[(agent.code, when)] = agent.seg

    def _member(self, ev: QueueEvent) -> None:
        agent = self._agent(ev.agent or "")
        if agent.seg is not None and ev.time < agent.seg.start:
            self.anomalies["agent_event_out_of_order"] += 1
            return
        name, queue, reason = ev.event, ev.queue, ev.params[0] if ev.params else ""
        if name == "ADDMEMBER":
            agent.queues.add(queue)
            if reason == "PAUSED" and agent.paused is None:
                agent.paused = ""
        elif name == "REMOVEMEMBER":
            agent.queues.discard(queue)
            agent.implicit = False
        elif name in ("AGENTLOGIN", "AGENTCALLBACKLOGIN"):
            agent.login = True
        elif name in ("AGENTLOGOFF", "AGENTCALLBACKLOGOFF"):
            agent.login = agent.implicit = False
        elif name in ("PAUSE", "PAUSEALL"):
            agent.paused = reason
            if queue != "NONE" and queue:
                agent.queues.add(queue)
            elif not agent.queues:
                agent.implicit = True
        else:  # UNPAUSE / UNPAUSEALL
            agent.paused = None
        if not agent.logged_in():
            agent.paused = None
        self._refresh(agent, ev.time)


def _by_time(ev: QueueEvent) -> float:
    return ev.time


def _unique(contacts: Iterable[ContactState]) -> list[ContactState]:
    """Each contact once (a contact attached to a second callid is in `open` twice)."""
    return list({id(c): c for c in contacts}.values())


_HANDLERS = {
    "ENTERQUEUE": QueueLogMachine._enter,
    "CONNECT": QueueLogMachine._connect,
    "COMPLETEAGENT": QueueLogMachine._complete,
    "COMPLETECALLER": QueueLogMachine._complete,
    "TRANSFER": QueueLogMachine._complete,
    "BLINDTRANSFER": QueueLogMachine._complete,
    "ATTENDEDTRANSFER": QueueLogMachine._complete,
    "RINGNOANSWER": QueueLogMachine._ring,
    "RINGCANCELED": QueueLogMachine._ring,
    "QUEUESTART": QueueLogMachine._restart,
    "AGENTDUMP": QueueLogMachine._dump,
    **dict.fromkeys(EXIT_REASONS, QueueLogMachine._exit),
    **dict.fromkeys(AGENT_EVENTS, QueueLogMachine._member),
}
