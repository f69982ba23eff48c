"""The fact tables (Contact, AgentStateSegment) and the pre-aggregates declare no foreign keys on
the ids they hold (models/tables.py says why). The guarantee moves to the code: every loader takes
those ids from the rows it created or found, the refresh takes them from the facts, and nothing
deletes a queue, agent, touchpoint or contact. Both halves are checked here.
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from jobs.sources.asterisk_gen import generate_queue_log
from jobs.sources.files import ingest_path
from jobs.sources.simulator import seed_demo
from models.db import SessionFactory
from models.settings import Settings
from models.tables import (
    Agent,
    AgentDay,
    AgentInterval,
    AgentStateSegment,
    Contact,
    EffortAnswer,
    JourneyStep,
    Queue,
    QueueInterval,
    SurveyResponse,
    Touchpoint,
)

ROOT = Path(__file__).resolve().parents[2]
REFERENCED = {"Agent": "agent", "Queue": "queue", "Touchpoint": "touchpoint", "Contact": "contact"}


# (name, table, id column, the column it names) of every id these tables hold undeclared
REFERENCES: list[tuple[str, type, Any, Any]] = [
    ("contact.queue_id", Contact, Contact.queue_id, Queue.id),
    ("contact.agent_id", Contact, Contact.agent_id, Agent.id),
    ("contact.touchpoint_id", Contact, Contact.touchpoint_id, Touchpoint.id),
    ("agentstatesegment.agent_id", AgentStateSegment, AgentStateSegment.agent_id, Agent.id),
    ("queueinterval.queue_id", QueueInterval, QueueInterval.queue_id, Queue.id),
    ("agentinterval.agent_id", AgentInterval, AgentInterval.agent_id, Agent.id),
    ("agentday.agent_id", AgentDay, AgentDay.agent_id, Agent.id),
    ("effortanswer.survey_id", EffortAnswer, EffortAnswer.survey_id, SurveyResponse.id),
    ("effortanswer.contact_id", EffortAnswer, EffortAnswer.contact_id, Contact.id),
    ("effortanswer.queue_id", EffortAnswer, EffortAnswer.queue_id, Queue.id),
    ("journeystep.contact_id", JourneyStep, JourneyStep.contact_id, Contact.id),
    ("journeystep.queue_id", JourneyStep, JourneyStep.queue_id, Queue.id),
    ("journeystep.from_queue", JourneyStep, JourneyStep.from_queue, Queue.id),
]


def orphans(factory: SessionFactory) -> dict[str, int]:
    """Rows whose id names no stored row, per reference."""
    found = {}
    with factory() as session:
        for name, table, column, target in REFERENCES:
            query = (
                select(func.count())
                .select_from(table)
                .where(column.is_not(None), column.not_in(select(target)))  # type: ignore[union-attr]
            )
            found[name] = session.execute(query).scalar_one()
    return found


def row_counts(factory: SessionFactory) -> dict[str, int]:
    with factory() as session:
        tables = {table for _, table, _, _ in REFERENCES}
        return {t.__name__: session.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}


def test_the_orphan_check_can_fail(factory: SessionFactory) -> None:
    """Without declared keys a stray id is storable: the check below must see it."""
    with factory() as session:
        queue = Queue(name="billing", channel="voice")
        session.add(queue)
        session.flush()
        stamp = datetime(2024, 1, 8, 9, tzinfo=UTC)
        session.add(
            Contact(
                source="csv",
                source_key="k1",
                batch_id=1,
                queue_id=queue.id,
                channel="voice",
                agent_id=987_654,
                offered_at=stamp,
                offered_interval=0,
                outcome="waiting",
            )
        )
        session.commit()
    assert orphans(factory)["contact.agent_id"] == 1
    assert orphans(factory)["contact.queue_id"] == 0


def test_every_loader_and_the_refresh_leave_each_id_naming_a_stored_row(
    factory: SessionFactory, settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    now = datetime(2024, 6, 1, tzinfo=UTC)
    seed_demo(session_factory=factory, settings=settings, scale="tiny", now=now, seed=3)
    log = tmp_path / "queue_log"
    generate_queue_log(log, lines=20_000, seed=5)
    loads = [
        ("asterisk", shared_data / "asterisk"),
        ("asterisk", log),
        ("connect", shared_data / "amazon_connect"),
        ("surveys", shared_data / "surveys"),
        ("contacts", ROOT / "data" / "samples" / "contacts_example.csv"),
    ]
    for kind, path in loads:
        ingest_path(session_factory=factory, settings=settings, kind=kind, path=path, now=now)
    with factory() as session:
        sources = dict(session.execute(select(Contact.source, func.count()).group_by(Contact.source)).all())
    assert {"sim", "asterisk", "connect", "csv"} <= sources.keys(), sources
    counts = row_counts(factory)
    assert all(count > 0 for count in counts.values()), counts  # the refresh filled the aggregates too
    assert orphans(factory) == {name: 0 for name, *_ in REFERENCES}


def referenced_deletes(source: str) -> list[str]:
    """Statements in `source` that delete agent, queue, touchpoint or contact rows (a query builder, an
    ORM `session.delete(agent)`, or SQL text)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "delete"
        ):
            names = {getattr(arg, "id", getattr(arg, "attr", "")) for arg in node.args}
            found += sorted(
                names & {spelling for name in REFERENCED for spelling in (name, name.upper(), name.lower())}
            )
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            pattern = r"\bDELETE\s+FROM\s+\"?(" + "|".join(REFERENCED.values()) + r")\b"
            found += re.findall(pattern, node.value, flags=re.IGNORECASE)
    return found


def test_the_delete_finder_sees_builders_and_sql_text() -> None:
    assert referenced_deletes("session.execute(delete(Agent).where(Agent.id == 1))") == ["Agent"]
    assert referenced_deletes("q = sa.delete(QUEUE)") == ["QUEUE"]
    assert referenced_deletes("conn.exec_driver_sql('DELETE FROM touchpoint WHERE id = 1')") == ["touchpoint"]
    assert referenced_deletes("session.delete(contact)") == ["contact"]
    assert referenced_deletes("session.execute(delete(AgentDay))") == []


def test_no_code_deletes_a_row_those_ids_name() -> None:
    files = [
        ROOT / "dashboard.py",
        *(p for d in ("models", "jobs", "pages", "ui") for p in (ROOT / d).rglob("*.py")),
    ]
    found = {
        str(path.relative_to(ROOT)): hits
        for path in files
        if "migrations" not in path.parts and (hits := referenced_deletes(path.read_text(encoding="utf-8")))
    }
    assert found == {}
