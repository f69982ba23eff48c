"""Contact and AgentStateSegment declare no foreign keys on their queue, agent and touchpoint ids
(models/tables.py says why). The guarantee moves to the code: every loader takes those ids from the
dimension rows it created or found, and nothing deletes a dimension row. Both halves are checked here.
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from jobs.sources.asterisk_gen import generate_queue_log
from jobs.sources.files import ingest_path
from jobs.sources.simulator import seed_demo
from models.db import SessionFactory
from models.settings import Settings
from models.tables import Agent, AgentStateSegment, Contact, Queue, Touchpoint

ROOT = Path(__file__).resolve().parents[2]
DIMENSIONS = {"Agent": "agent", "Queue": "queue", "Touchpoint": "touchpoint"}


def orphans(factory: SessionFactory) -> dict[str, int]:
    """Fact rows whose dimension id names no stored row, per reference."""
    references = [
        ("contact.queue_id", Contact, Contact.queue_id, Queue.id),
        ("contact.agent_id", Contact, Contact.agent_id, Agent.id),
        ("contact.touchpoint_id", Contact, Contact.touchpoint_id, Touchpoint.id),
        ("agentstatesegment.agent_id", AgentStateSegment, AgentStateSegment.agent_id, Agent.id),
    ]
    found = {}
    with factory() as session:
        for name, fact, column, target in references:
            query = (
                select(func.count())
                .select_from(fact)
                .where(column.is_not(None), column.not_in(select(target)))  # type: ignore[union-attr]
            )
            found[name] = session.execute(query).scalar_one()
    return found


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


def test_every_loader_leaves_fact_ids_pointing_at_stored_dimensions(
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
        segments = session.execute(select(func.count()).select_from(AgentStateSegment)).scalar_one()
    assert {"sim", "asterisk", "connect", "csv"} <= sources.keys(), sources
    assert segments > 0
    assert orphans(factory) == dict.fromkeys(
        ["contact.queue_id", "contact.agent_id", "contact.touchpoint_id", "agentstatesegment.agent_id"], 0
    )


def dimension_deletes(source: str) -> list[str]:
    """Statements in `source` that delete agent, queue or touchpoint rows."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "delete"
        ):
            names = {getattr(arg, "id", getattr(arg, "attr", "")) for arg in node.args}
            found += sorted(names & (DIMENSIONS.keys() | {name.upper() for name in DIMENSIONS}))
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            pattern = r"\bDELETE\s+FROM\s+\"?(" + "|".join(DIMENSIONS.values()) + r")\b"
            found += re.findall(pattern, node.value, flags=re.IGNORECASE)
    return found


def test_the_delete_finder_sees_builders_and_sql_text() -> None:
    assert dimension_deletes("session.execute(delete(Agent).where(Agent.id == 1))") == ["Agent"]
    assert dimension_deletes("q = sa.delete(QUEUE)") == ["QUEUE"]
    assert dimension_deletes("conn.exec_driver_sql('DELETE FROM touchpoint WHERE id = 1')") == ["touchpoint"]
    assert dimension_deletes("session.execute(delete(AgentDay))") == []


def test_no_code_deletes_a_dimension_row() -> None:
    files = [
        ROOT / "dashboard.py",
        *(p for d in ("models", "jobs", "pages", "ui") for p in (ROOT / d).rglob("*.py")),
    ]
    found = {
        str(path.relative_to(ROOT)): hits
        for path in files
        if "migrations" not in path.parts and (hits := dimension_deletes(path.read_text(encoding="utf-8")))
    }
    assert found == {}
