"""What the platform would have recorded by a given moment: simulated contacts, agent states, schedules
and surveys as rows "known at t", and the rows that changed between two moments (the live delta)."""

from __future__ import annotations

from typing import Any

from jobs.sources.sim_engine import LineDayResult
from jobs.sources.sim_model import SOURCE, to_dt
from jobs.sources.sim_queueing import DONE, SimContact
from models.timegrid import interval_of

NEVER = float("-inf")
CONTACT_UPDATE_COLUMNS = (
    "batch_id agent_id customer_key answered_at ended_at completed_at completed_interval wait_s talk_s "
    "hold_s acw_s hold_count outcome exit_reason transferred survey_offered ring_no_answer"
).split()


def _events(c: SimContact) -> tuple[int, ...]:
    if c.state == DONE:
        return (c.offered, c.answered, c.ended, c.completed)  # type: ignore[return-value]
    return (c.offered, c.left)  # type: ignore[return-value]


def _changed(events: tuple[Any, ...], since: float, until: float) -> bool:
    return any(e is not None and since < e <= until for e in events)


def contact_row(c: SimContact, t: float, batch_id: int) -> dict[str, Any]:
    """The contact as known at t (waiting, talking, in after-contact work, or finished)."""
    q = c.queue
    row: dict[str, Any] = {
        "source": SOURCE,
        "source_key": c.key,
        "batch_id": batch_id,
        "queue_id": q.id,
        "channel": q.channel,
        "touchpoint_id": q.touchpoint_id,
        "agent_id": None,
        "customer_key": c.customer_key,
        "offered_at": to_dt(c.offered),
        "answered_at": None,
        "ended_at": None,
        "completed_at": None,
        "offered_interval": interval_of(c.offered),
        "completed_interval": None,
        "wait_s": None,
        "talk_s": None,
        "hold_s": None,
        "acw_s": None,
        "hold_count": None,
        "outcome": "waiting",
        "exit_reason": None,
        "transferred": False,
        "reconstructed": False,
        "survey_offered": False,
        "ring_no_answer": 0,
    }
    if c.state == DONE and c.answered <= t:  # type: ignore[operator]
        assert c.agent is not None
        row.update(
            outcome="answered", agent_id=c.agent.id, answered_at=to_dt(c.answered), wait_s=float(c.wait),
            ring_no_answer=c.rona,
        )  # fmt: skip
        if c.ended <= t:  # type: ignore[operator]
            row.update(
                ended_at=to_dt(c.ended), talk_s=float(c.talk), hold_s=float(c.hold_total),
                hold_count=c.hold_n, transferred=c.transferred,
            )  # fmt: skip
        if c.completed <= t:  # type: ignore[operator]
            row.update(
                completed_at=to_dt(c.completed), completed_interval=interval_of(c.completed),
                acw_s=float(c.acw), survey_offered=c.survey_offered,
            )  # fmt: skip
    elif c.state != DONE and c.left <= t:  # type: ignore[operator]
        row.update(
            outcome="abandoned", wait_s=float(c.wait), exit_reason=c.exit_reason, ring_no_answer=c.rona
        )
    return row


def changed_rows(
    results: list[LineDayResult], since: float, until: float, batch_id: int
) -> dict[str, list[dict[str, Any]]]:
    """Rows whose recorded state differs between `since` and `until` (all rows up to `until` when
    since is NEVER), plus the schedules of these days and the surveys answered in between.

    Surveys come as (contact source_key, row without contact_id) pairs under "survey_pending"."""
    contacts, segments, schedules, surveys = [], [], [], []
    for res in results:
        for c in res.contacts:
            if _changed(_events(c), since, until):
                contacts.append(contact_row(c, until, batch_id))
            s = c.survey
            if s is not None and since < s.answered_at <= until:
                surveys.append(
                    {
                        "source": SOURCE,
                        "source_key": f"{c.key}-S",
                        "batch_id": batch_id,
                        "contact_key": c.key,
                        "customer_key": c.customer_key,
                        "answered_at": to_dt(s.answered_at),
                        "csat": s.csat,
                        "ces": s.ces,
                        "nps": s.nps,
                        "resolved": s.resolved,
                        "verbatim": s.verbatim,
                        "language": s.language,
                    }
                )
        for agent in res.agents:
            agent_id = agent.plan.agent.id
            for state, reason, start, end in agent.segments:  # the full day: every segment has an end
                if _changed((start, end), since, until):
                    segments.append(
                        {
                            "source": SOURCE,
                            "batch_id": batch_id,
                            "agent_id": agent_id,
                            "state": state,
                            "reason": reason,
                            "start_at": to_dt(start),
                            "end_at": to_dt(end) if end is not None and end <= until else None,
                        }
                    )
        for plan in res.plans:
            for activity, start, end, paid in plan.activities:
                schedules.append(
                    {
                        "source": SOURCE,
                        "batch_id": batch_id,
                        "agent_id": plan.agent.id,
                        "activity": activity,
                        "start_at": to_dt(start),
                        "end_at": to_dt(end),
                        "paid": paid,
                    }
                )
    return {"contact": contacts, "segment": segments, "schedule": schedules, "survey": surveys}
