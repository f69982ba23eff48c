"""The schema is Alembic's: a database made by an older revision is upgraded in place, data kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from models.db import alembic_config, make_engine, open_database, upgrade_to_head
from models.settings import load_settings
from models.tables import SQLModel


def test_older_schema_is_upgraded_without_losing_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine, revision="0001")
    assert "coachingsession" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO site (name, timezone) VALUES ('Madrid HQ', 'Europe/Madrid')"))
        conn.execute(
            text(
                "INSERT INTO jobrun (job, status, started_at, rows_in, rows_out, rows_rejected) "
                "VALUES ('demo_seed', 'ok', :t, 1, 1, 0)"
            ),
            {"t": datetime(2026, 11, 2, 9, tzinfo=UTC)},
        )
    engine.dispose()

    engine, _ = open_database(load_settings(database_url=url))  # what the app and the CLI call
    tables = set(inspect(engine).get_table_names())
    assert {"coachingsession", "coachingcommitment", "auditevent", "themekeyword"} <= tables
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM site")).scalars().all() == ["Madrid HQ"]
        assert conn.execute(text("SELECT count(*) FROM jobrun")).scalar_one() == 1
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
    engine.dispose()


def test_head_matches_the_models(engine):
    """No table or column in models/tables.py is missing from the migrations (autogenerate is empty)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_0004_makes_the_next_refresh_a_full_rebuild_that_fills_effort_answers(tmp_path):
    """EffortAnswer arrives empty with 0004; an incremental refresh would leave history out of it,
    so the upgrade forgets the watermark and the next refresh rebuilds everything."""
    from models import rollup
    from models.db import session_factory

    url = f"sqlite:///{tmp_path / 'v3.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine, revision="0003")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO refreshstate (name, last_batch_id, updated_at) VALUES ('aggregates', 42, :t)"),
            {"t": datetime(2026, 11, 2, 9, tzinfo=UTC)},
        )
    upgrade_to_head(engine)
    with session_factory(engine)() as session:
        plan = rollup.plan_refresh(session=session, now=datetime(2026, 11, 2, 10, tzinfo=UTC))
    assert plan.full is True and plan.previous_watermark == 0
    engine.dispose()


def test_0008_rebuilds_sqlite_tables_without_their_foreign_keys_keeping_rows_and_other_keys(tmp_path):
    """0008 drops the foreign keys of the fact and aggregate tables. SQLite can only do that by
    rebuilding each table (copy, drop, rename) while rows of other tables still reference it."""
    from sqlalchemy.exc import IntegrityError

    url = f"sqlite:///{tmp_path / 'v7.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine, revision="0007")
    stamp = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO queue (id, name, channel) VALUES (1, 'billing', 'voice')"))
        conn.execute(
            text(
                "INSERT INTO contact (id, source, source_key, batch_id, queue_id, channel, offered_at, "
                "offered_interval, outcome, transferred, reconstructed, survey_offered, ring_no_answer) "
                "VALUES (7, 'csv', 'k7', 1, 1, 'voice', :t, 0, 'abandoned', 0, 0, 1, 0)"
            ),
            {"t": stamp},
        )
        conn.execute(
            text(
                "INSERT INTO surveyresponse (id, source, source_key, batch_id, contact_id, answered_at, ces) "
                "VALUES (3, 'csv', 's3', 1, 7, :t, 6)"
            ),
            {"t": stamp},
        )
    upgrade_to_head(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_list(contact)").all() == []
        assert conn.exec_driver_sql("PRAGMA foreign_key_list(agentinterval)").all() == []
        assert conn.execute(text("SELECT id, source_key FROM contact")).all() == [(7, "k7")]
        assert conn.execute(text("SELECT contact_id FROM surveyresponse")).scalars().all() == [7]
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1  # enforcement is back on
    with pytest.raises(IntegrityError):  # the keys that stay are still enforced
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO surveyresponse (id, source, source_key, batch_id, contact_id, answered_at) "
                    "VALUES (4, 'csv', 's4', 1, 999, :t)"
                ),
                {"t": stamp},
            )
    engine.dispose()
