"""What every connection from models.db.make_engine is set up with, on both databases: the settings
the ingest speed and the readers' safety depend on (models/db.py says why each one)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine, make_url

from models.db import make_engine


def test_each_connection_gets_the_settings_the_loads_rely_on(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA temp_store").scalar_one() == 2  # MEMORY
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30_000
        else:
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "force_custom_plan"


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # SQLite URLs carry no server options
def test_postgres_options_in_the_url_are_kept_beside_ours(db_url: str) -> None:
    url = make_url(db_url).update_query_dict({"options": "-c application_name=mirador_probe"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW application_name").scalar_one() == "mirador_probe"
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "force_custom_plan"
    finally:
        engine.dispose()
