"""Engine and sessions: SQLite in WAL mode with a busy timeout, or PostgreSQL through psycopg 3.

The schema is owned by Alembic (models/migrations); `upgrade_to_head` brings any existing database
forward without losing data, and is what the app and the CLI call on start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from models.settings import Settings

SessionFactory = Callable[[], Session]
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(database_url: str) -> Engine:
    """One engine per process. SQLite gets WAL (readers never block the writer), a busy timeout, and
    temporary structures in memory (an INSERT of many rows inside a transaction keeps a statement
    journal of every page it touches: on disk, two thirds of the ingest's page writes).
    PostgreSQL plans each statement for its own parameters (see below)."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(database_url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()

        return engine
    # Plans for the statements at hand, never a cached generic one: psycopg prepares a statement on its
    # fifth run, and a generic plan chosen while a table was small (a seed or a first load filling it
    # inside one transaction, with no statistics yet) stays cached while the table grows: a lookup by
    # source key turned into a scan of the whole table (measured: seeding `large` never finished).
    # Added to any `options` the URL carries (connect_args would replace them: a search_path, say).
    url = make_url(database_url)
    options = " ".join(filter(None, [url.query.get("options"), "-c plan_cache_mode=force_custom_plan"]))
    url = url.update_query_dict({"options": options})
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def session_factory(engine: Engine) -> SessionFactory:
    """A callable returning a new short-lived Session; jobs receive this, never a Session."""

    def _new() -> Session:
        return Session(engine, expire_on_commit=False)

    return _new


@contextmanager
def session_scope(factory: SessionFactory) -> Iterator[Session]:
    """Commit on success, roll back on error: one transaction per unit of work."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(database_url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision` with Alembic (never drops data).

    On SQLite a migration may rebuild a table (copy, drop, rename: SQLite's way to drop a constraint),
    and dropping a table that others reference is refused while foreign keys are enforced. So, as
    SQLite documents for such changes, enforcement is off for the upgrade (it can only change outside a
    transaction), and an upgrade that leaves more broken keys than it found is rolled back (checked
    only when a migration runs: the check reads every referencing table)."""
    from alembic import command
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # SQLAlchemy began a transaction around the pragma: end it
        try:
            with connection.begin():
                current = MigrationContext.configure(connection).get_current_revision()
                target = ScriptDirectory.from_config(cfg).as_revision_number(revision)
                checked = sqlite and current != target
                broken = _broken_keys(connection) if checked else 0
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, revision)
                if checked and _broken_keys(connection) > broken:
                    raise RuntimeError("the schema upgrade broke foreign keys; it was rolled back")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _broken_keys(connection: Connection) -> int:
    """SQLite: rows whose foreign key names no stored row."""
    return len(connection.exec_driver_sql("PRAGMA foreign_key_check").all())


def open_database(settings: Settings) -> tuple[Engine, SessionFactory]:
    """Engine + session factory for the configured database, upgraded to the current schema."""
    engine = make_engine(settings.database_url)
    upgrade_to_head(engine)
    return engine, session_factory(engine)


def analyze(factory: SessionFactory) -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load (autovacuum would, minutes later).

    SQLite is left alone: its queries are written to pick good indexes without statistics, and an
    ANALYZE there can change plans the pages were measured with.
    """
    with session_scope(factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection().exec_driver_sql("ANALYZE")
