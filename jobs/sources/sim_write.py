"""Writing simulated rows (through models.writes only): a seed inserts into empty tables; a live step
inserts new rows and fills in open ones under sim_guard's rule, never touching a final row."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from jobs.sources.sim_guard import (
    Merge,
    contact_key,
    merge_contacts,
    merge_final,
    merge_segments,
    segment_key,
)
from jobs.sources.sim_model import SOURCE
from jobs.sources.sim_rows import CONTACT_UPDATE_COLUMNS
from models.tables import AgentStateSegment, Contact, ScheduleSegment, SurveyResponse
from models.writes import fetch_rows, insert_rows, upsert_rows

CHUNK = 500  # keys per IN (...) look-up
CONTACT_KEY = ["source", "source_key"]
SEGMENT_KEY = ["agent_id", "start_at"]


def insert_seed_rows(session: Session, rows: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """A seed writes into tables without simulated rows: plain inserts."""
    insert_rows(session, Contact, rows["contact"])
    insert_rows(session, AgentStateSegment, rows["segment"])
    insert_rows(session, ScheduleSegment, rows["schedule"])
    ids = _contact_ids(session, rows["survey"])
    surveys = [_survey_row(s, ids) for s in rows["survey"]]
    insert_rows(session, SurveyResponse, surveys)
    return {
        "contact": len(rows["contact"]),
        "agentstatesegment": len(rows["segment"]),
        "schedulesegment": len(rows["schedule"]),
        "surveyresponse": len(surveys),
    }


@dataclass
class LiveWrite:
    """Rows a live step wrote per table, and the keys of the replayed changes it refused."""

    written: dict[str, int]
    conflicts: dict[str, list[Hashable]]


def write_live_rows(session: Session, rows: dict[str, list[dict[str, Any]]]) -> LiveWrite:
    """Insert new rows and fill in open ones; rows already recorded as they are cost nothing."""
    contacts = merge_contacts(rows["contact"], _stored_contacts(session, Contact, rows["contact"]))
    upsert_rows(session, Contact, contacts.inserts, conflict=CONTACT_KEY)
    upsert_rows(
        session, Contact, contacts.updates, conflict=CONTACT_KEY, update_columns=CONTACT_UPDATE_COLUMNS
    )
    segments = merge_segments(rows["segment"], _stored_by_start(session, AgentStateSegment, rows["segment"]))
    upsert_rows(session, AgentStateSegment, segments.inserts, conflict=SEGMENT_KEY)
    upsert_rows(
        session,
        AgentStateSegment,
        segments.updates,
        conflict=SEGMENT_KEY,
        update_columns=["batch_id", "end_at"],
    )
    schedules = merge_final(
        rows["schedule"], _stored_by_start(session, ScheduleSegment, rows["schedule"]), segment_key
    )
    upsert_rows(session, ScheduleSegment, schedules.inserts, conflict=SEGMENT_KEY)
    ids = _contact_ids(session, rows["survey"])
    surveys = [_survey_row(s, ids) for s in rows["survey"] if s["contact_key"] in ids]
    answers = merge_final(surveys, _stored_contacts(session, SurveyResponse, surveys), contact_key)
    # An answer whose contact is not stored cannot be linked: refused like any other conflict.
    answers.conflicts += [(SOURCE, s["source_key"]) for s in rows["survey"] if s["contact_key"] not in ids]
    upsert_rows(session, SurveyResponse, answers.inserts, conflict=CONTACT_KEY)
    merges: dict[str, Merge] = {
        "contact": contacts,
        "agentstatesegment": segments,
        "schedulesegment": schedules,
        "surveyresponse": answers,
    }
    return LiveWrite(
        written={table: m.written for table, m in merges.items()},
        conflicts={table: m.conflicts for table, m in merges.items() if m.conflicts},
    )


def _chunks(keys: list[Any]) -> list[list[Any]]:
    return [keys[i : i + CHUNK] for i in range(0, len(keys), CHUNK)]


def _stored_contacts(
    session: Session, model: type, rows: list[dict[str, Any]]
) -> dict[Hashable, dict[str, Any]]:
    """Stored simulated rows (contacts or survey answers) with the source keys of `rows`."""
    keys = sorted({r["source_key"] for r in rows})
    return {
        contact_key(r): r
        for chunk in _chunks(keys)
        for r in fetch_rows(session, model, where=[("source", "==", SOURCE), ("source_key", "in", chunk)])
    }


def _stored_by_start(
    session: Session, model: type, rows: list[dict[str, Any]]
) -> dict[Hashable, dict[str, Any]]:
    """Stored rows of the same agents in the time span of `rows`, by (agent_id, start_at)."""
    if not rows:
        return {}
    starts = [r["start_at"] for r in rows]
    where = [
        ("agent_id", "in", sorted({r["agent_id"] for r in rows})),
        ("start_at", ">=", min(starts)),
        ("start_at", "<=", max(starts)),
    ]
    return {segment_key(r): r for r in fetch_rows(session, model, where=where)}


def _contact_ids(session: Session, surveys: list[dict[str, Any]]) -> dict[str, int]:
    keys = sorted({s["contact_key"] for s in surveys})
    return {
        r["source_key"]: r["id"]
        for chunk in _chunks(keys)
        for r in fetch_rows(
            session,
            Contact,
            columns=["source_key", "id"],
            where=[("source", "==", SOURCE), ("source_key", "in", chunk)],
        )
    }


def _survey_row(survey: dict[str, Any], contact_ids: dict[str, int]) -> dict[str, Any]:
    """Survey rows carry their contact's key; the table wants its id."""
    return {k: v for k, v in survey.items() if k != "contact_key"} | {
        "contact_id": contact_ids[survey["contact_key"]]
    }
