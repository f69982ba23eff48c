"""Database side of the file sources (Amazon Connect, surveys, generic CSV), on top of models.ingest:
contacts replaced when a later delivery differs, schedules, the latest agent state to continue
from, and survey answers linked to the contact they rate."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import Session

from models.ingest import CONTACT_COLUMNS, bulk_upsert, utc
from models.tables import (
    AgentStateSegment,
    Contact,
    Quarantine,
    ScheduleSegment,
    SourceCheckpoint,
    SurveyResponse,
)
from models.writes import CHUNK

CONTACT = Contact.__table__  # type: ignore[attr-defined]
SURVEY = SurveyResponse.__table__  # type: ignore[attr-defined]
SEGMENT = AgentStateSegment.__table__  # type: ignore[attr-defined]
SCHEDULE = ScheduleSegment.__table__  # type: ignore[attr-defined]
QUARANTINE = Quarantine.__table__  # type: ignore[attr-defined]
CHECKPOINT = SourceCheckpoint.__table__  # type: ignore[attr-defined]
REPLACED = [c for c in CONTACT_COLUMNS if c not in ("source", "source_key", "survey_offered")]
COMPARED = [c for c in REPLACED if c != "batch_id"]
SCHEDULE_COLUMNS = "source batch_id agent_id activity start_at end_at paid".split()
SURVEY_COLUMNS = (
    "source source_key batch_id contact_id customer_key answered_at csat ces nps resolved verbatim language"
).split()
ASTERISK_CALLID = re.compile(r"\d+\.\d+")  # UNIQUEID / linkedid: epoch.sequence
PLACE = ("queue_id", "agent_id", "offered_interval", "completed_interval")


def replace_contacts(*, session: Session, rows: Sequence[tuple[Any, ...]]) -> int:
    """Upsert contacts (tuples in models.ingest.CONTACT_COLUMNS order, timestamps from
    stamp_encoder, one row per key) on (source, source_key): a stored row is overwritten only when
    a value differs (a later delivery or a corrected export wins; survey_offered is kept) and the
    row is not older than the stored one (source_updated_at), so a reload writes nothing and a late
    re-delivery of an earlier version cannot undo a newer one. Returns the rows inserted or changed."""
    return bulk_upsert(
        session,
        Contact,
        CONTACT_COLUMNS,
        rows,
        conflict=["source", "source_key"],
        update_columns=REPLACED,
        compare_columns=COMPARED,
        version_column="source_updated_at",
    )


def contact_places(*, session: Session, source: str, keys: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """(queue, agent, offered and completed interval) of stored contacts: a replacement that moves
    one needs a full refresh, as the incremental one only revisits where contacts are now."""
    found: dict[str, tuple[Any, ...]] = {}
    columns = [CONTACT.c[name] for name in PLACE]
    for start in range(0, len(keys), CHUNK):
        chunk = list(keys[start : start + CHUNK])
        query = select(CONTACT.c.source_key, *columns).where(
            CONTACT.c.source == source, CONTACT.c.source_key.in_(chunk)
        )
        found.update((row[0], tuple(row[1:])) for row in session.execute(query))
    return found


def latest_segments(*, session: Session, source: str, agent_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Each agent's latest state segment from `source` (state, reason, start_at, end_at): where an
    event stream continues from."""
    found: dict[int, dict[str, Any]] = {}
    ids = sorted(set(agent_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        newest = (
            select(SEGMENT.c.agent_id, func.max(SEGMENT.c.start_at).label("start_at"))
            .where(SEGMENT.c.source == source, SEGMENT.c.agent_id.in_(chunk))
            .group_by(SEGMENT.c.agent_id)
            .subquery()
        )
        query = select(
            SEGMENT.c.agent_id, SEGMENT.c.state, SEGMENT.c.reason, SEGMENT.c.start_at, SEGMENT.c.end_at
        ).join(newest, and_(SEGMENT.c.agent_id == newest.c.agent_id, SEGMENT.c.start_at == newest.c.start_at))
        for agent_id, state, reason, start_at, end_at in session.execute(query):
            found[agent_id] = {
                "state": state,
                "reason": reason,
                "start_at": utc(start_at),
                "end_at": utc(end_at),
            }
    return found


def stored_ends(
    *, session: Session, schedules: bool, agent_ids: Iterable[int], start: datetime, end: datetime
) -> dict[tuple[int, datetime], datetime | None]:
    """End of every stored state (or schedule) segment of these agents starting in [start, end]:
    a reload that shortens one needs a full refresh (the days it no longer covers)."""
    table = SCHEDULE if schedules else SEGMENT
    ids = sorted(set(agent_ids))
    found: dict[tuple[int, datetime], datetime | None] = {}
    for first in range(0, len(ids), CHUNK):
        query = select(table.c.agent_id, table.c.start_at, table.c.end_at).where(
            table.c.agent_id.in_(ids[first : first + CHUNK]),
            table.c.start_at >= start,
            table.c.start_at <= end,
        )
        for agent_id, start_at, end_at in session.execute(query):
            found[(agent_id, utc(start_at))] = utc(end_at)  # type: ignore[index]
    return found


def write_schedules(*, session: Session, rows: Sequence[tuple[Any, ...]]) -> int:
    """Upsert planned activities (tuples in SCHEDULE_COLUMNS order) on (agent, start); a changed
    one is overwritten, an identical one left alone. Returns the rows inserted or changed."""
    return bulk_upsert(
        session,
        ScheduleSegment,
        SCHEDULE_COLUMNS,
        rows,
        conflict=["agent_id", "start_at"],
        update_columns=["source", "batch_id", "activity", "end_at", "paid"],
        compare_columns=["activity", "end_at", "paid"],
    )


# --- Surveys --------------------------------------------------------------------------------------


def contacts_by_reference(*, session: Session, references: Iterable[str]) -> dict[str, int]:
    """The contact each reference names: its source_key (any source; the latest if several); else
    an Asterisk call id, whose contacts are keyed "callid|queue|entry" (the last queue it entered);
    else, for digits only, the contact's id."""
    wanted = sorted({r for r in references if r})
    found: dict[str, tuple[Any, int]] = {}

    def keep(reference: str, offered: Any, contact_id: int) -> None:
        best = found.get(reference)
        if best is None or (utc(offered), contact_id) > best:
            found[reference] = (utc(offered), contact_id)

    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        query = select(CONTACT.c.source_key, CONTACT.c.offered_at, CONTACT.c.id).where(
            CONTACT.c.source_key.in_(chunk)
        )
        for key, offered, contact_id in session.execute(query):
            keep(key, offered, contact_id)
    callids = [r for r in wanted if r not in found and ASTERISK_CALLID.fullmatch(r)]
    for start in range(0, len(callids), 200):
        prefixes = [
            CONTACT.c.source_key.startswith(f"{c}|", autoescape=True) for c in callids[start : start + 200]
        ]
        query = select(CONTACT.c.source_key, CONTACT.c.offered_at, CONTACT.c.id).where(
            CONTACT.c.source == "asterisk", or_(*prefixes)
        )
        for key, offered, contact_id in session.execute(query):
            keep(key.split("|", 1)[0], offered, contact_id)
    numbers = [int(r) for r in wanted if r not in found and r.isdigit() and len(r) < 18]
    for start in range(0, len(numbers), CHUNK):
        query = select(CONTACT.c.id, CONTACT.c.offered_at).where(
            CONTACT.c.id.in_(numbers[start : start + CHUNK])
        )
        for contact_id, offered in session.execute(query):
            keep(str(contact_id), offered, contact_id)
    return {reference: contact_id for reference, (_, contact_id) in found.items()}


def contacts_by_customer(
    *, session: Session, answers: Iterable[tuple[str, datetime]], window_s: float
) -> dict[tuple[str, datetime], int]:
    """For each (customer, answer time): that customer's latest contact offered at or before the
    answer and at most `window_s` earlier (a survey rates the contact that came just before it)."""
    by_customer: dict[str, list[datetime]] = {}
    for customer, moment in answers:
        by_customer.setdefault(customer, []).append(moment)
    found: dict[tuple[str, datetime], int] = {}
    customers = sorted(by_customer)
    for start in range(0, len(customers), CHUNK):
        chunk = customers[start : start + CHUNK]
        times = [t for c in chunk for t in by_customer[c]]
        earliest = min(times).timestamp() - window_s
        query = select(CONTACT.c.customer_key, CONTACT.c.offered_at, CONTACT.c.id).where(
            CONTACT.c.customer_key.in_(chunk),
            CONTACT.c.offered_at >= datetime.fromtimestamp(earliest, min(times).tzinfo),
            CONTACT.c.offered_at <= max(times),
        )
        contacts: dict[str, list[tuple[datetime, int]]] = {}
        for customer, offered, contact_id in session.execute(query):
            contacts.setdefault(customer, []).append((utc(offered), contact_id))  # type: ignore[arg-type]
        for customer in chunk:
            for moment in by_customer[customer]:
                before = [
                    (offered, contact_id)
                    for offered, contact_id in contacts.get(customer, [])
                    if offered <= moment and (moment - offered).total_seconds() <= window_s
                ]
                if before:
                    found[(customer, moment)] = max(before)[1]
    return found


def write_surveys(*, session: Session, rows: Sequence[tuple[Any, ...]], batch_id: int) -> tuple[int, int]:
    """Insert survey answers (tuples in SURVEY_COLUMNS order) new on (source, source_key); an answer
    already stored is left as it is (an answer does not change), except that one stored without its
    contact gets the contact found now. Returns (inserted, linked later)."""
    inserted = bulk_upsert(session, SurveyResponse, SURVEY_COLUMNS, rows, conflict=["source", "source_key"])
    links = {(row[0], row[1]): row[3] for row in rows if row[3] is not None}
    unlinked: list[tuple[str, str]] = []
    by_source: dict[str, list[str]] = {}
    for source, key in links:
        by_source.setdefault(source, []).append(key)
    for source, keys in by_source.items():
        for start in range(0, len(keys), CHUNK):
            query = select(SURVEY.c.source_key).where(
                SURVEY.c.source == source,
                SURVEY.c.source_key.in_(keys[start : start + CHUNK]),
                SURVEY.c.contact_id.is_(None),
            )
            unlinked.extend((source, key) for key in session.execute(query).scalars())
    for source, key in unlinked:
        session.execute(
            update(SURVEY)
            .where(SURVEY.c.source == source, SURVEY.c.source_key == key)
            .values(contact_id=links[(source, key)], batch_id=batch_id)
        )
    return inserted, len(unlinked)


def mark_surveys_offered(*, session: Session, contact_ids: Iterable[int], batch_id: int) -> int:
    """A contact with an answered survey was offered one: set survey_offered (and the batch, so the
    refresh recounts it) where it is not set yet. Returns the contacts changed."""
    ids = sorted(set(contact_ids))
    changed = 0
    for start in range(0, len(ids), CHUNK):
        statement = (
            update(CONTACT)
            .where(CONTACT.c.id.in_(ids[start : start + CHUNK]), CONTACT.c.survey_offered.is_(False))
            .values(survey_offered=True, batch_id=batch_id)
        )
        changed += int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
    return changed


def quarantined_rows(*, session: Session, batch_ids: Sequence[int], limit: int) -> list[dict[str, Any]]:
    """The rows a run quarantined (location, line, reason), in the order they were kept."""
    if not batch_ids:
        return []
    query = (
        select(QUARANTINE.c.location, QUARANTINE.c.line_no, QUARANTINE.c.reason)
        .where(QUARANTINE.c.batch_id.in_(list(batch_ids)))
        .order_by(QUARANTINE.c.id)
        .limit(limit)
    )
    return [dict(row) for row in session.execute(query).mappings()]


def file_versions(*, session: Session, source: str) -> dict[str, tuple[str | None, str | None]]:
    """(file identity, version) of every file a source has checkpointed, in one query: a folder
    job checks thousands of Firehose objects each run."""
    query = select(CHECKPOINT.c.location, CHECKPOINT.c.file_id, CHECKPOINT.c.last_key).where(
        CHECKPOINT.c.source == source
    )
    return {location: (file_id, last_key) for location, file_id, last_key in session.execute(query)}
