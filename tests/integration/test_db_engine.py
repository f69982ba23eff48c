"""What every connection from models.db.make_engine is set up with, on both databases: the settings
the ingest speed and the readers' safety depend on (models/db.py says why each one)."""

from __future__ import annotations

from sqlalchemy.engine import Engine


def test_each_connection_gets_the_settings_the_loads_rely_on(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA temp_store").scalar_one() == 2  # MEMORY
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30_000
        else:
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "force_custom_plan"
