"""Aggregate refresh on hand-built facts: every expected number below is worked out by hand from
METRICS.md (voice T = 20 s, short abandon < 5 s, Europe/Madrid = UTC+1 on 2024-03-04)."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from jobs import refresh
from models.db import SessionFactory, session_scope
from models.tables import (
    Agent,
    AgentDay,
    AgentInterval,
    AgentStateSegment,
    AppUser,
    Contact,
    EffortAnswer,
    JobRun,
    JourneyStep,
    Queue,
    QueueInterval,
    RefreshState,
    ScheduleSegment,
    Site,
    SurveyResponse,
    Team,
    Touchpoint,
    UserAgent,
    UserTeam,
)
from models.timegrid import interval_of
from models.writes import finish_run, insert_rows, start_run

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # 10:00 in Madrid
DAY = date(2024, 3, 4)
I0 = int(T0.timestamp())  # 09:00-09:15 UTC
I1 = I0 + 900
EARLY = I0 - 5 * 3600  # 04:00 UTC, still 2024-03-04 in Madrid


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


# --- Builders shared with test_queries.py and test_cli.py -------------------------------------------


def build_org(factory: SessionFactory) -> None:
    """Two teams (North: queue sales + agent a1; South: queue billing + agent b1) and five users:
    1 director, 2 North supervisor, 3 coach of a1, 4 agent b1, 5 inactive supervisor of South."""
    with session_scope(factory) as s:
        s.add(Site(id=1, name="Remote", timezone="Europe/Madrid"))
        s.add_all(
            [
                AppUser(id=1, email="dir@x.test", name="Dora", role="director"),
                AppUser(id=2, email="sup@x.test", name="Sam", role="supervisor"),
                AppUser(id=3, email="coach@x.test", name="Cleo", role="coach"),
                AppUser(id=4, email="agent@x.test", name="Bea", role="agent"),
                AppUser(id=5, email="old@x.test", name="Olga", role="supervisor", active=False),
            ]
        )
        s.flush()
        s.add_all([Team(id=1, name="North", site_id=1, supervisor_id=2), Team(id=2, name="South", site_id=1)])
        s.add_all(
            [Touchpoint(id=1, key="order", name="Order"), Touchpoint(id=2, key="billing", name="Billing")]
        )
        s.flush()
        s.add_all(
            [
                Queue(id=1, name="sales", channel="voice", touchpoint_id=1, team_id=1),
                Queue(id=2, name="billing", channel="voice", touchpoint_id=2, team_id=2),
                Agent(id=1, code="a1", name="Ana", team_id=1, coach_id=3),
                Agent(id=2, code="b1", name="Bea", team_id=2),
            ]
        )
        s.flush()
        s.add_all([UserTeam(user_id=5, team_id=2), UserAgent(user_id=4, agent_id=2)])


def contact(
    key: str,
    *,
    batch: int,
    offered: datetime,
    outcome: str,
    wait: float | None = None,
    talk: float | None = None,
    hold: float | None = None,
    acw: float | None = None,
    queue: int = 1,
    agent: int | None = None,
    customer: str | None = None,
    exit_reason: str | None = None,
    transferred: bool = False,
    survey: bool = False,
) -> dict[str, Any]:
    answered = offered + timedelta(seconds=wait) if outcome == "answered" and wait is not None else None
    ended = answered + timedelta(seconds=(talk or 0) + (hold or 0)) if answered else None
    completed = ended + timedelta(seconds=acw or 0) if ended else None
    return {
        "source": "test",
        "source_key": key,
        "batch_id": batch,
        "queue_id": queue,
        "channel": "voice",
        "touchpoint_id": queue,
        "agent_id": agent,
        "customer_key": customer,
        "offered_at": offered,
        "answered_at": answered,
        "ended_at": ended,
        "completed_at": completed,
        "offered_interval": interval_of(offered),
        "completed_interval": interval_of(completed) if completed else None,
        "wait_s": wait,
        "talk_s": talk,
        "hold_s": hold,
        "acw_s": acw,
        "hold_count": None if hold is None else int(hold > 0),
        "outcome": outcome,
        "exit_reason": exit_reason,
        "transferred": transferred,
        "reconstructed": False,
        "survey_offered": survey,
        "ring_no_answer": 0,
    }


def state(
    agent: int, name: str, start: datetime, end: datetime | None, *, batch: int, reason: str | None = None
):
    return {
        "source": "test",
        "batch_id": batch,
        "agent_id": agent,
        "state": name,
        "reason": reason,
        "start_at": start,
        "end_at": end,
    }


def planned(agent: int, activity: str, start: datetime, end: datetime, *, batch: int, paid: bool = True):
    return {
        "source": "test",
        "batch_id": batch,
        "agent_id": agent,
        "activity": activity,
        "start_at": start,
        "end_at": end,
        "paid": paid,
    }


def survey(key: str, contact_key: str, *, batch: int, csat: int, ces: int, nps: int) -> dict[str, Any]:
    return {"key": key, "contact_key": contact_key, "batch": batch, "csat": csat, "ces": ces, "nps": nps}


def load(
    factory: SessionFactory,
    *,
    contacts: list[dict[str, Any]] = (),  # type: ignore[assignment]
    states: list[dict[str, Any]] = (),  # type: ignore[assignment]
    schedules: list[dict[str, Any]] = (),  # type: ignore[assignment]
    surveys: list[dict[str, Any]] = (),  # type: ignore[assignment]
    closes: list[tuple[int, datetime, datetime]] = (),  # type: ignore[assignment]
    batch: int,
) -> None:
    """Write facts as a source job would (closing an open state sets its end and the new batch id)."""
    with session_scope(factory) as s:
        insert_rows(s, Contact, list(contacts))
        insert_rows(s, AgentStateSegment, list(states))
        insert_rows(s, ScheduleSegment, list(schedules))
        s.flush()
        for agent_id, start, end in closes:
            seg = s.execute(
                select(AgentStateSegment).where(
                    AgentStateSegment.agent_id == agent_id, AgentStateSegment.start_at == start
                )
            ).scalar_one()
            seg.end_at, seg.batch_id = end, batch
            s.add(seg)
        for sv in surveys:
            contact_id = s.execute(
                select(Contact.id).where(Contact.source_key == sv["contact_key"])
            ).scalar_one()
            s.add(
                SurveyResponse(
                    source="test",
                    source_key=sv["key"],
                    batch_id=sv["batch"],
                    contact_id=contact_id,
                    answered_at=at(60),
                    csat=sv["csat"],
                    ces=sv["ces"],
                    nps=sv["nps"],
                )
            )


def new_batch(factory: SessionFactory, job: str = "load") -> int:
    return start_run(factory, job, now=T0)


def queue_contacts(batch: int) -> list[dict[str, Any]]:
    """Queue sales, 2024-03-04 (UTC times):
    I0 09:00-09:15: c1 answered in 10 s (380 s handle, completes in I0), c2 short abandon (3 s),
      c3 abandoned after 40 s, c4 answered after 25 s and transferred (900 s handle, completes
      09:18:25 in I1), c5 abandoned after 15 s (timeout), c6 still waiting.
    I1 09:15-09:30: c8 answered in 5 s, same customer and touchpoint as c1 (a repeat).
    04:00: c7 waiting for 5 h 40 min at 09:40: stale, counts as unknown."""
    return [
        contact("c1", batch=batch, offered=at(0, 10), outcome="answered", wait=10, talk=300, hold=20, acw=60,
                agent=1, customer="cust-1", survey=True),
        contact("c2", batch=batch, offered=at(1), outcome="abandoned", wait=3, exit_reason="caller_abandon"),
        contact("c3", batch=batch, offered=at(2), outcome="abandoned", wait=40, exit_reason="caller_abandon"),
        contact("c4", batch=batch, offered=at(3), outcome="answered", wait=25, talk=600, hold=0, acw=300,
                agent=1, customer="cust-2", transferred=True, survey=True),
        contact("c5", batch=batch, offered=at(10), outcome="abandoned", wait=15, exit_reason="timeout"),
        contact("c6", batch=batch, offered=at(12), outcome="waiting"),
        contact("c7", batch=batch, offered=at(-300), outcome="waiting"),
        contact("c8", batch=batch, offered=at(20), outcome="answered", wait=5, talk=100, acw=20, agent=1,
                customer="cust-1"),
    ]  # fmt: skip


def agent_facts(batch: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Agent a1: available 08:55-09:05, on_contact 09:05-09:20, acw 09:20-09:25, aux break
    09:25-09:40, available from 09:40 (still open). Schedule: work 09:00-11:00 with a break
    09:30-09:45 laid on top of it."""
    states = [
        state(1, "available", at(-5), at(5), batch=batch),
        state(1, "on_contact", at(5), at(20), batch=batch),
        state(1, "acw", at(20), at(25), batch=batch),
        state(1, "aux", at(25), at(40), batch=batch, reason="break"),
        state(1, "available", at(40), None, batch=batch),
    ]
    schedules = [
        planned(1, "work", at(0), at(120), batch=batch),
        planned(1, "break", at(30), at(45), batch=batch),
    ]
    return states, schedules


def build_day(factory: SessionFactory) -> int:
    """The whole hand-built day in one finished batch; returns its id."""
    build_org(factory)
    batch = new_batch(factory)
    states, schedules = agent_facts(batch)
    load(
        factory,
        contacts=queue_contacts(batch),
        states=states,
        schedules=schedules,
        surveys=[
            survey("s1", "c1", batch=batch, csat=5, ces=6, nps=9),
            survey("s4", "c4", batch=batch, csat=2, ces=2, nps=3),
        ],
        batch=batch,
    )
    finish_run(factory, batch, status="ok")
    return batch


def rows(factory: SessionFactory, model: Any) -> list[dict[str, Any]]:
    with session_scope(factory) as s:
        found = s.execute(select(model)).scalars().all()
        return sorted((r.model_dump() for r in found), key=lambda r: tuple(str(v) for v in r.values()))


def snapshot(factory: SessionFactory) -> dict[str, list[dict[str, Any]]]:
    return {
        m.__name__: rows(factory, m)
        for m in (QueueInterval, AgentInterval, AgentDay, EffortAnswer, JourneyStep)
    }


NOW = at(60)  # 10:00 UTC


# --- Queue x interval -------------------------------------------------------------------------------


def test_queue_interval_counts_match_metrics_md(factory, settings):
    build_day(factory)
    refresh.run(session_factory=factory, settings=settings, now=at(40))
    by_interval = {r["interval_start"]: r for r in rows(factory, QueueInterval)}
    assert set(by_interval) == {EARLY, I0, I1}
    i0 = by_interval[I0]
    assert i0["local_date"] == DAY
    expected = {
        "offered": 6,
        "short_abandoned": 1,  # c2 (3 s < 5 s)
        "answered": 2,  # c1, c4
        "answered_within_t": 1,  # c1 (10 s <= 20 s); c4 waited 25 s
        "abandoned": 2,  # c3, c5 (short abandon excluded)
        "abandoned_within_t": 1,  # c5 (15 s)
        "waiting": 1,  # c6
        "unknown": 0,
        "answered_wait_sum": 35.0,
        "abandoned_wait_sum": 55.0,
        "max_wait": 40.0,
        "exit_caller_abandon": 1,
        "exit_timeout": 1,
        "transferred": 1,
        "held": 1,  # c1 held 20 s
        "hold_known": 2,
        "handled": 1,  # only c1 completes in I0
        "handle_time_sum": 380.0,
        "known_customer": 2,
        "repeats": 0,
        "fcr_resolved": 1,  # c4; c1 is followed by c8 within 7 days
        "surveys_offered": 2,
        "surveys_answered": 2,
        "csat_n": 2,
        "csat_top2": 1,
        "ces_n": 2,
        "ces_sum": 8.0,
        "ces_easy": 1,
        "ces_difficult": 1,
        "nps_n": 2,
        "nps_promoters": 1,
        "nps_detractors": 1,
    }
    assert {k: i0[k] for k in expected} == expected


def test_handle_time_is_booked_where_after_contact_work_completes(factory, settings):
    build_day(factory)
    refresh.run(session_factory=factory, settings=settings, now=at(40))
    i1 = {r["interval_start"]: r for r in rows(factory, QueueInterval)}[I1]
    # c8 offered here; c4 (offered in I0) completes here: 600 + 0 + 300 s, plus c8's 100 + 20 s.
    assert (i1["offered"], i1["answered"], i1["handled"], i1["handle_time_sum"]) == (1, 1, 2, 1020.0)
    assert (i1["repeats"], i1["fcr_resolved"], i1["known_customer"]) == (1, 1, 1)
    assert i1["hold_known"] == 0  # c8's source reported no hold: unknown, not 0


def test_stale_waiting_contact_counts_as_unknown(factory, settings):
    build_day(factory)
    refresh.run(session_factory=factory, settings=settings, now=at(40))
    early = {r["interval_start"]: r for r in rows(factory, QueueInterval)}[EARLY]
    assert (early["offered"], early["unknown"], early["waiting"], early["answered"]) == (1, 1, 0, 0)


def test_waiting_contact_turns_unknown_without_a_new_batch(factory, settings):
    build_org(factory)
    batch = new_batch(factory)
    load(factory, contacts=[contact("w", batch=batch, offered=at(-180), outcome="waiting")], batch=batch)
    finish_run(factory, batch, status="ok")
    refresh.run(session_factory=factory, settings=settings, now=at(0))  # waited 3 h: still waiting
    (row,) = rows(factory, QueueInterval)
    assert (row["waiting"], row["unknown"]) == (1, 0)
    refresh.run(session_factory=factory, settings=settings, now=at(90))  # 4 h 30 min: stale
    (row,) = rows(factory, QueueInterval)
    assert (row["waiting"], row["unknown"], row["offered"]) == (0, 1, 1)


# --- Agent x interval and agent-day -------------------------------------------------------------------


def test_state_segments_are_split_across_intervals(factory, settings):
    build_day(factory)
    refresh.run(session_factory=factory, settings=settings, now=NOW)
    got = {
        (r["interval_start"] - I0) // 60: (r["staffed_s"], r["available_s"], r["handle_s"], r["aux_s"])
        for r in rows(factory, AgentInterval)
    }
    assert got == {
        -15: (300.0, 300.0, 0.0, 0.0),  # 08:55-09:00 available
        0: (900.0, 300.0, 600.0, 0.0),  # on_contact 09:05-09:20 split 600 | 300
        15: (900.0, 0.0, 600.0, 300.0),
        30: (900.0, 300.0, 0.0, 600.0),
        45: (900.0, 900.0, 0.0, 0.0),  # open state runs until now (10:00)
    }


def test_adherence_and_shrinkage_against_a_layered_schedule(factory, settings):
    build_day(factory)
    refresh.run(session_factory=factory, settings=settings, now=NOW)
    by_interval = {(r["interval_start"] - I0) // 60: r for r in rows(factory, AgentInterval)}
    sched = {
        k: (r["scheduled_s"], r["scheduled_work_s"], r["adherent_s"], r["shrinkage_s"])
        for k, r in by_interval.items()
    }
    assert sched == {
        -15: (0.0, 0.0, 0.0, 0.0),  # before the shift: not scheduled, not judged
        0: (900.0, 900.0, 900.0, 0.0),
        15: (900.0, 900.0, 600.0, 300.0),  # on break 09:25 while scheduled to work
        30: (900.0, 0.0, 600.0, 600.0),  # scheduled break: aux/break matches, available 09:40 does not
        45: (900.0, 900.0, 900.0, 0.0),  # schedule counts only up to now
    }
    (day,) = rows(factory, AgentDay)
    assert day["local_date"] == DAY
    assert (day["staffed_s"], day["available_s"], day["handle_s"], day["aux_s"], day["aux_break_s"]) == (
        3900.0,
        1800.0,
        1200.0,
        900.0,
        900.0,
    )
    assert (day["scheduled_s"], day["paid_scheduled_s"], day["adherent_s"], day["shrinkage_s"]) == (
        3600.0,
        3600.0,
        3000.0,
        900.0,
    )
    # two mismatch runs of 300 s each (> 120 s grace): 09:25-09:30 and 09:40-09:45
    assert day["out_of_adherence_events"] == 2


def test_agent_day_carries_the_outcomes_of_the_contacts_answered(factory, settings):
    build_day(factory)
    refresh.run(session_factory=factory, settings=settings, now=NOW)
    (day,) = rows(factory, AgentDay)
    got = {
        k: day[k]
        for k in ("answered", "answered_within_t", "answered_wait_sum", "handled", "handle_time_sum")
    }
    assert got == {
        "answered": 3,
        "answered_within_t": 2,
        "answered_wait_sum": 40.0,
        "handled": 3,
        "handle_time_sum": 1400.0,
    }
    got = {
        k: day[k] for k in ("transferred", "held", "hold_known", "known_customer", "repeats", "fcr_resolved")
    }
    assert got == {
        "transferred": 1,
        "held": 1,
        "hold_known": 2,
        "known_customer": 3,
        "repeats": 1,
        "fcr_resolved": 2,
    }
    assert (
        day["surveys_answered"],
        day["csat_n"],
        day["csat_top2"],
        day["ces_sum"],
        day["nps_detractors"],
    ) == (
        2,
        2,
        1,
        8.0,
        1,
    )


# --- Incremental, idempotent, watermark -----------------------------------------------------------------


def test_incremental_refresh_equals_a_full_rebuild(factory, settings):
    build_org(factory)
    first = new_batch(factory)
    contacts = queue_contacts(first)
    states, schedules = agent_facts(first)
    # First batch: half the contacts, states up to the break (the break still open), the schedule.
    open_break = state(1, "aux", at(25), None, batch=first, reason="break")
    load(factory, contacts=contacts[:4], states=[*states[:3], open_break], schedules=schedules, batch=first)
    finish_run(factory, first, status="ok")
    refresh.run(session_factory=factory, settings=settings, now=at(30))
    refresh.run(session_factory=factory, settings=settings, now=at(35))  # time passes, nothing new

    second = new_batch(factory)
    later = [{**c, "batch_id": second} for c in contacts[4:]]
    load(
        factory,
        contacts=later,
        states=[state(1, "available", at(40), None, batch=second)],
        closes=[(1, at(25), at(40))],
        surveys=[
            survey("s1", "c1", batch=second, csat=5, ces=6, nps=9),
            survey("s4", "c4", batch=second, csat=2, ces=2, nps=3),
        ],
        batch=second,
    )
    finish_run(factory, second, status="ok")
    result = refresh.run(session_factory=factory, settings=settings, now=NOW)
    assert result["full"] is False and result["batches"] == [second]
    incremental = snapshot(factory)

    refresh.run(session_factory=factory, settings=settings, now=NOW, full=True)
    assert snapshot(factory) == incremental
    # and the incremental result is the hand-computed day, not just self-consistent
    (day,) = incremental["AgentDay"]
    assert (day["adherent_s"], day["out_of_adherence_events"], day["answered"]) == (3000.0, 2, 3)


def test_refresh_twice_changes_nothing(factory, settings):
    build_day(factory)
    refresh.run(session_factory=factory, settings=settings, now=NOW)
    before = snapshot(factory)
    again = refresh.run(session_factory=factory, settings=settings, now=NOW)
    assert again["batches"] == []
    assert snapshot(factory) == before
    refresh.run(session_factory=factory, settings=settings, now=NOW, full=True)
    assert snapshot(factory) == before


def test_a_run_still_going_is_folded_in_once_it_finishes(factory, settings):
    build_org(factory)
    refresh.run(session_factory=factory, settings=settings, now=at(0))
    slow = new_batch(factory, "slow-ingest")  # started first, still running
    load(
        factory,
        contacts=[contact("slow", batch=slow, offered=at(1), outcome="abandoned", wait=30)],
        batch=slow,
    )
    quick = new_batch(factory, "quick-ingest")
    load(
        factory,
        contacts=[contact("quick", batch=quick, offered=at(31), outcome="abandoned", wait=30)],
        batch=quick,
    )
    finish_run(factory, quick, status="ok")

    result = refresh.run(session_factory=factory, settings=settings, now=at(40))
    assert result["batches"] == [quick]
    assert result["watermark"] == slow - 1  # held back below the run still going
    assert {r["interval_start"] for r in rows(factory, QueueInterval)} == {I0 + 1800}

    finish_run(factory, slow, status="failed")  # even a failed run's rows are facts
    result = refresh.run(session_factory=factory, settings=settings, now=at(41))
    assert result["batches"] == [slow]  # the quick batch is not redone
    assert result["watermark"] == quick
    assert {r["interval_start"]: r["abandoned"] for r in rows(factory, QueueInterval)} == {
        I0: 1,
        I0 + 1800: 1,
    }
    with session_scope(factory) as s:
        assert s.get(RefreshState, "aggregates").last_batch_id == quick


def test_refresh_is_recorded_as_a_job_run(factory, settings):
    batch = build_day(factory)
    result = refresh.run(session_factory=factory, settings=settings, now=NOW)
    with session_scope(factory) as s:
        run = s.get(JobRun, result["run_id"])
        assert (run.job, run.status) == ("refresh", "ok")
        kinds = ("queue_intervals", "agent_intervals", "agent_days", "effort_answers", "journey_steps")
        assert run.rows_out == sum(result[k] for k in kinds)
    assert result["watermark"] == batch


@pytest.mark.parametrize("minutes", [15, 60])
def test_day_boundary_is_local(factory, settings, minutes):
    """A state at 23:00-23:30 UTC belongs to the next Madrid day (00:00-00:30 local)."""
    build_org(factory)
    batch = new_batch(factory)
    late = datetime(2024, 3, 4, 23, 0, tzinfo=UTC)
    load(
        factory,
        states=[state(1, "available", late, late + timedelta(minutes=minutes), batch=batch)],
        batch=batch,
    )
    finish_run(factory, batch, status="ok")
    refresh.run(session_factory=factory, settings=settings, now=late + timedelta(hours=2))
    (day,) = rows(factory, AgentDay)
    assert (day["local_date"], day["staffed_s"]) == (date(2024, 3, 5), minutes * 60.0)


def test_a_repeat_changes_the_earlier_contacts_fcr_where_it_was_booked(factory, settings):
    """A customer calls again two days later: the first contact is no longer resolved at first
    contact. Only that old (queue, interval) and agent-day change, and incremental == full."""
    build_org(factory)
    first = new_batch(factory)
    earlier = at(-2 * 24 * 60)  # 2024-03-02 09:00 UTC
    load(
        factory,
        contacts=[
            contact("old", batch=first, offered=earlier, outcome="answered", wait=5, talk=60, acw=10,
                    agent=1, customer="k"),
            contact("other", batch=first, offered=earlier, outcome="answered", wait=5, talk=60, acw=10,
                    queue=2, agent=2, customer="z"),
        ],
        batch=first,
    )  # fmt: skip
    finish_run(factory, first, status="ok")
    refresh.run(session_factory=factory, settings=settings, now=at(0))
    old_row = {(r["queue_id"], r["interval_start"]): r for r in rows(factory, QueueInterval)}[
        (1, I0 - 2 * 86400)
    ]
    assert (old_row["fcr_resolved"], old_row["known_customer"]) == (1, 1)

    second = new_batch(factory)
    load(factory, contacts=[contact("again", batch=second, offered=at(5), outcome="abandoned", wait=50,
                                    customer="k")], batch=second)  # fmt: skip
    finish_run(factory, second, status="ok")
    result = refresh.run(session_factory=factory, settings=settings, now=at(10))
    assert result["full"] is False
    queue_rows = {(r["queue_id"], r["interval_start"]): r for r in rows(factory, QueueInterval)}
    assert (queue_rows[(1, I0 - 2 * 86400)]["fcr_resolved"], queue_rows[(1, I0 - 2 * 86400)]["handled"]) == (
        0,
        1,
    )
    assert queue_rows[(2, I0 - 2 * 86400)]["fcr_resolved"] == 1  # another customer: unchanged
    assert queue_rows[(1, I0)]["repeats"] == 1
    days = {(r["agent_id"], r["local_date"]): r for r in rows(factory, AgentDay)}
    assert days[(1, date(2024, 3, 2))]["fcr_resolved"] == 0 and days[(1, date(2024, 3, 2))]["answered"] == 1
    incremental = snapshot(factory)
    refresh.run(session_factory=factory, settings=settings, now=at(10), full=True)
    assert snapshot(factory) == incremental


def test_effort_answers_follow_late_surveys_and_late_earlier_contacts(factory, settings):
    """The refresh keeps one EffortAnswer per CES answer with its contact's repeat flag, and one
    JourneyStep per contact with its predecessor: a survey arriving later adds its row, and an
    earlier contact of the same customer and touchpoint loaded later turns the rated contact into a
    repeat and a journey step, incrementally exactly as a full rebuild."""
    build_org(factory)
    first = new_batch(factory)
    load(
        factory,
        contacts=[
            contact("rated", batch=first, offered=at(0), outcome="answered", wait=30, talk=60, hold=15,
                    acw=10, agent=1, customer="k"),
            contact("anon", batch=first, offered=at(1), outcome="answered", wait=5, talk=60, acw=10,
                    agent=1),
        ],
        surveys=[survey("s-rated", "rated", batch=first, csat=2, ces=3, nps=4)],
        batch=first,
    )  # fmt: skip
    finish_run(factory, first, status="ok")
    refresh.run(session_factory=factory, settings=settings, now=at(10))
    (only,) = rows(factory, EffortAnswer)
    assert (only["ces"], only["repeat_contact"], only["channel_switch"]) == (3, False, False)
    assert rows(factory, JourneyStep) == []  # k's first contact, the anonymous one never has a step
    assert (only["wait_s"], only["hold_s"], only["hold_count"], only["agent_id"]) == (30.0, 15.0, 1, 1)

    second = new_batch(factory)
    load(
        factory,
        contacts=[contact("day-before", batch=second, offered=at(-24 * 60), outcome="answered", wait=5,
                          talk=60, acw=10, agent=1, customer="k")],
        surveys=[survey("s-anon", "anon", batch=second, csat=5, ces=7, nps=10)],
        batch=second,
    )  # fmt: skip
    finish_run(factory, second, status="ok")
    assert refresh.run(session_factory=factory, settings=settings, now=at(20))["full"] is False
    by_ces = {r["ces"]: r for r in rows(factory, EffortAnswer)}
    assert set(by_ces) == {3, 7}
    assert by_ces[3]["repeat_contact"] is True  # a repeat of the contact loaded after it
    assert by_ces[7]["repeat_contact"] is None and by_ces[7]["channel_switch"] is None  # anonymous
    (step,) = rows(factory, JourneyStep)  # the late earlier contact now leads to the rated one
    assert (step["from_interval"], step["offered_interval"]) == (
        interval_of(at(-24 * 60)),
        interval_of(at(0)),
    )
    incremental = snapshot(factory)
    refresh.run(session_factory=factory, settings=settings, now=at(20), full=True)
    assert snapshot(factory) == incremental


def test_a_run_stuck_in_running_for_hours_stops_holding_the_watermark(factory, settings):
    build_org(factory)
    stuck = start_run(factory, "crashed-ingest", now=at(-7 * 60))  # its process died 7 h ago
    load(
        factory,
        contacts=[contact("s", batch=stuck, offered=at(-400), outcome="abandoned", wait=30)],
        batch=stuck,
    )
    later = new_batch(factory)
    finish_run(factory, later, status="ok")
    result = refresh.run(session_factory=factory, settings=settings, now=at(0))
    assert result["watermark"] == later and stuck in result["batches"]
    assert [r["abandoned"] for r in rows(factory, QueueInterval)] == [1]


def test_a_run_whose_process_died_is_failed_and_folded_in_at_once(factory, settings):
    """A loader killed mid-file leaves its JobRun "running"; its process on this host is gone, so
    the next refresh marks it failed and folds in what it committed, without waiting hours."""
    build_org(factory)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead_pid = int(finished.stdout)  # a process that has ended
    killed = start_run(factory, "ingest_asterisk", now=at(-5))
    with session_scope(factory) as s:
        s.get(JobRun, killed).runner = f"{socket.gethostname()}:{dead_pid}"
    alive = start_run(factory, "ingest_connect", now=at(-5))  # this process: still going
    load(factory, contacts=[contact("k", batch=killed, offered=at(-3), outcome="abandoned", wait=30)],
         batch=killed)  # fmt: skip

    result = refresh.run(session_factory=factory, settings=settings, now=at(0))

    assert killed in result["batches"] and result["watermark"] == alive - 1
    with session_scope(factory) as s:
        run = s.get(JobRun, killed)
        assert (run.status, run.error) == ("failed", "its process ended before the run finished")
        assert s.get(JobRun, alive).status == "running"
    assert [r["abandoned"] for r in rows(factory, QueueInterval)] == [1]


def test_a_daylight_saving_day_has_23_hours_and_no_lost_interval(factory, settings):
    """Madrid springs forward on 2024-03-31: the local day runs 2024-03-30 23:00 to 2024-03-31
    22:00 UTC (23 h = 92 intervals), all booked on that date."""
    build_org(factory)
    batch = new_batch(factory)
    start, end = datetime(2024, 3, 30, 23, 0, tzinfo=UTC), datetime(2024, 3, 31, 22, 0, tzinfo=UTC)
    load(factory, states=[state(1, "available", start, end, batch=batch)], batch=batch)
    finish_run(factory, batch, status="ok")
    refresh.run(session_factory=factory, settings=settings, now=end + timedelta(hours=1))
    (day,) = rows(factory, AgentDay)
    assert (day["local_date"], day["staffed_s"]) == (date(2024, 3, 31), 23 * 3600.0)
    intervals = rows(factory, AgentInterval)
    assert len(intervals) == 92 and {r["local_date"] for r in intervals} == {date(2024, 3, 31)}


def test_an_open_state_from_long_ago_touches_only_the_days_it_can_count_for(settings):
    """A missed logout a year ago counts for at most MAX_STATE_S; an incremental refresh must not walk
    (and rewrite) every day between then and now (this once made a 1,000-line ingest take 16 s)."""
    import numpy as np
    import pandas as pd

    from models import rollup, rollup_agent

    start_ms = int((T0 - timedelta(days=365)).timestamp() * 1000)
    closed_end = start_ms + 3_600_000
    segments = pd.DataFrame(
        {"agent_id": [1, 2], "start_ms": [start_ms, start_ms], "end_ms": [np.nan, float(closed_end)]}
    )
    touched: dict = {}
    rollup._touch_segment_days(touched, segments, settings.zone, int(T0.timestamp() * 1000))
    open_days = sorted(day for agent, day in touched if agent == 1)
    assert open_days[0] == (T0 - timedelta(days=365)).date()
    span_days = rollup_agent.MAX_STATE_S / 86400
    assert len(open_days) <= span_days + 1
    assert [day for agent, day in touched if agent == 2] == [(T0 - timedelta(days=365)).date()]
