"""One simulated day at a time: arrivals per line, the queue simulation line by line (transfers flow
downstream the same day), customer keys and repeats, then surveys. A day's result depends only on
the seed, the organisation and the contacts of earlier days, so any day can be replayed exactly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from jobs.sources.sim_customers import CustomerBook, Intent, Outcome, intent_of, resolved
from jobs.sources.sim_demand import (
    arrivals_on,
    close_minute,
    daily_volumes,
    email_cutoff,
    open_window,
    sim_day_of,
    window_start,
    works_on,
)
from jobs.sources.sim_model import Org, QueueInfo, local_epoch, rng_for, stable_int
from jobs.sources.sim_org import LINE_BY_KEY, Line
from jobs.sources.sim_params import SimParams
from jobs.sources.sim_queueing import (
    DONE,
    TRANSFER_DOWNSTREAM_P,
    LineDay,
    QueueSim,
    SimAgent,
    SimContact,
    sample_attributes,
)
from jobs.sources.sim_schedule import DayPlan, plan_line_day
from jobs.sources.sim_surveys import survey_for
from models.timegrid import local_date_of

DAY_END_HOURS = 27  # every contact of a line-day is over by 03:00 the next day
SURVEY_END_HOURS = 35  # and every survey answer is in by 11:00 the next day


@dataclass
class LineDayResult:
    line: str
    day: date
    plans: list[DayPlan]
    contacts: list[SimContact]
    agents: list[SimAgent]


class World:
    """Runs days in order, carrying each customer's history and pending repeat intents between them."""

    def __init__(self, *, org: Org, params: SimParams) -> None:
        self.org, self.seed, self.params, self.zone = org, params.seed, params, org.zone
        self.book = CustomerBook(params.seed)
        self.pending: dict[tuple[str, date], list[Intent]] = {}
        self.volumes = {ln.key: daily_volumes(ln, len(org.agents[ln.key])) for ln in org.lines}

    # --- customers ----------------------------------------------------------------------------

    def _outcome(self, c: SimContact) -> Outcome:
        return Outcome(
            c.key, c.queue.line, c.queue.channel, c.customer_key, c.state == DONE, c.transferred,
            float(c.wait), c.offered, c.end,
        )  # fmt: skip

    def _intent(self, o: Outcome) -> Intent | None:
        channels = tuple(q.channel for q in self.org.queues[o.line])
        return intent_of(self.seed, o, o.wait > self.params.threshold_for(o.channel), channels)

    def _owner(self, it: Intent) -> date | None:
        return sim_day_of(LINE_BY_KEY[it.line], it.channel, it.at, self.zone)

    def add_history(self, outcomes: list[Outcome]) -> None:
        """Stored contacts of earlier days (live mode): their customers and their pending repeats."""
        for o in sorted(outcomes, key=lambda x: (x.offered, x.source_key)):
            if o.customer_key is None or o.line not in self.org.queues:
                continue
            self.book.remember(o.customer_key, o.line, o.offered)
            self._defer(self._intent(o))

    def _defer(self, it: Intent | None) -> None:
        if it is not None and (owner := self._owner(it)) is not None:
            self.pending.setdefault((it.line, owner), []).append(it)

    # --- one day -------------------------------------------------------------------------------

    def run_day(self, day: date) -> list[LineDayResult]:
        results, legs_in = [], {}  # type: ignore[var-annotated]
        for line in self.org.lines:
            if not works_on(line, day):
                continue
            result, legs = self._line_day(line, day, legs_in.get(line.key, []))
            for leg in legs:
                legs_in.setdefault(leg.queue.line, []).append(leg)
            results.append(result)
        return results

    def _arrivals(self, line: Line, day: date) -> list[SimContact]:
        start, cutoff = window_start(line, day, self.zone), email_cutoff(line, day, self.zone)
        by_queue: list[tuple[QueueInfo, list[int]]] = []
        for q in self.org.queues[line.key]:
            volume = self.volumes[line.key][q.channel]
            if q.channel == "email":
                times: list[int] = []
                d = local_date_of(start, self.zone)
                while d <= day:
                    arr = arrivals_on(
                        seed=self.seed, queue=q, line=line, day=d, zone=self.zone, volume=volume
                    )
                    times.extend(int(x) for x in arr if start <= x < cutoff)
                    d += timedelta(days=1)
            else:
                arr = arrivals_on(seed=self.seed, queue=q, line=line, day=day, zone=self.zone, volume=volume)
                times = [int(x) for x in arr]
            by_queue.append((q, times))
        ordered = sorted((t, q.name, q) for q, times in by_queue for t in times)
        contacts = [
            SimContact(f"{day:%Y%m%d}-{line.key}-{i:05d}", q, t) for i, (t, _, q) in enumerate(ordered)
        ]
        rng = rng_for(self.seed, 501, stable_int(line.key), day.toordinal())
        for q, _ in by_queue:
            sample_attributes([c for c in contacts if c.queue is q], rng)
        return contacts

    def _transfer_target(self, line: Line, day: date):  # type: ignore[no-untyped-def]
        downstream = [q for k in line.transfers_to if (q := self.org.queue_for(k, "voice")) is not None]

        def voice_open(q: QueueInfo, t: int) -> bool:
            window = open_window("voice", LINE_BY_KEY[q.line], day.weekday())
            return window is not None and local_epoch(day, window[0], self.zone) <= t < local_epoch(
                day, window[1], self.zone
            )

        def target(c: SimContact, t: int) -> QueueInfo | None:
            if c.queue.channel == "chat":
                return c.queue
            if c.queue.channel != "voice":
                return None
            options = [q for q in downstream if voice_open(q, t)]
            if options and c.u_target < TRANSFER_DOWNSTREAM_P:
                return options[int(c.u_target / TRANSFER_DOWNSTREAM_P * len(options)) % len(options)]
            return c.queue

        return target

    def _line_day(
        self, line: Line, day: date, legs: list[SimContact]
    ) -> tuple[LineDayResult, list[SimContact]]:
        plans = plan_line_day(
            seed=self.seed, line=line, agents=self.org.agents[line.key], day=day, zone=self.zone
        )
        arrivals = sorted(self._arrivals(line, day) + legs, key=lambda c: (c.offered, c.key))
        spec = LineDay(
            plans=plans,
            arrivals=arrivals,
            close=local_epoch(day, close_minute(line, day.weekday()), self.zone),
            transfer_target=self._transfer_target(line, day),
            leg_rng=rng_for(self.seed, 502, stable_int(line.key), day.toordinal()),
        )
        contacts, agents, out_legs = QueueSim(spec).run()
        contacts.sort(key=lambda c: (c.offered, c.key))
        later = self.book.assign(
            contacts,
            self.pending.pop((line.key, day), []),
            lambda c: self._intent(self._outcome(c)),
            lambda it: self._owner(it) == day,
        )
        for it in later:
            self._defer(it)
        self._surveys(line, day, contacts)
        return LineDayResult(line.key, day, plans, contacts, agents), out_legs

    def _surveys(self, line: Line, day: date, contacts: list[SimContact]) -> None:
        rng = rng_for(self.seed, 503, stable_int(line.key), day.toordinal())
        for c in contacts:
            if c.state != DONE:
                continue
            threshold = self.params.threshold_for(c.queue.channel)
            o = self._outcome(c)
            c.survey = survey_for(
                c,
                seed=self.seed,
                rng=rng,
                threshold=threshold,
                resolved=resolved(self.seed, o, o.wait > threshold),
                new_agent=c.agent is not None and c.agent.tenure_days(day) < 90,
                zone=self.zone,
            )


def days_touching(org: Org, since: float, until: float) -> list[date]:
    """Days whose line-days may hold an event in (since, until]: a window opened by `until`, and
    activity (surveys included) that can still happen after `since`."""
    first = local_date_of(since, org.zone) - timedelta(days=2)
    last = local_date_of(until, org.zone) + timedelta(days=3)
    out = []
    d = first
    while d <= last:
        ends = local_epoch(d, SURVEY_END_HOURS * 60, org.zone)
        opens = [window_start(ln, d, org.zone) for ln in org.lines if works_on(ln, d)]
        if opens and min(opens) <= until and ends >= since:
            out.append(d)
        d += timedelta(days=1)
    return out
