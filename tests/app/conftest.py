"""AppTest fixtures: the app's environment on a fresh SQLite file, a seeded variant, clean caches,
and who is signed in.

The app reads MIRADOR_* settings, so each test points MIRADOR_DATABASE_URL at its own database and
sets MIRADOR_SCHEDULER_MODE=worker (no background jobs while a test runs). Streamlit's caches are
process-wide: they are cleared before and after every test.

Sign-in: every AppTest run starts signed in as the first active director (the seeded demo director;
looked up at run time in the database MIRADOR_DATABASE_URL names), the way a session is signed in
after the sign-in screen: a record in session state. `signed_in_as("someone@...")` picks another
account for the test, `signed_in_as(None)` (or the `signed_out` marker) leaves every run signed
out; a test that writes the record itself (ui.auth.SESSION_KEY) keeps it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from models.access import demo_viewer
from models.auth import user_by_email
from models.db import make_engine, session_factory, upgrade_to_head
from tests.app.seed_data import seed_tiny_demo
from ui.auth import SESSION_KEY, session_record

FIRST_DIRECTOR = "first director"


@pytest.fixture(autouse=True)
def _clean_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app_env(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty migrated database and only the settings a test chooses; returns the URL. Demo mode
    is on (embedded SQLite), as for someone trying Mirador out with `mirador demo`."""
    for name in [n for n in os.environ if n.startswith("MIRADOR_") and n != "MIRADOR_REQUIRE_ALL"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MIRADOR_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MIRADOR_SCHEDULER_MODE", "worker")
    monkeypatch.setenv("MIRADOR_DEMO_MODE", "true")
    return sqlite_url


@pytest.fixture(scope="session")
def tiny_demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulator's tiny demo, seeded and refreshed once per session (about 2 s)."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    seed_tiny_demo(f"sqlite:///{path}")
    return path


@pytest.fixture
def seeded_env(app_env: str, tiny_demo_file: Path) -> str:
    """The app's environment on a private copy of the tiny demo database."""
    shutil.copy(tiny_demo_file, app_env.removeprefix("sqlite:///"))
    return app_env


def _user_id(email: str) -> int | None:
    url = os.environ.get("MIRADOR_DATABASE_URL")
    if not url:
        return None
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            if email == FIRST_DIRECTOR:
                director = demo_viewer(session=session)
                return None if director is None else director.user_id
            user = user_by_email(session, email)
            return None if user is None or not user.active else int(user.id or 0)
    except Exception:  # noqa: BLE001 - no schema yet, unreachable database: nobody to sign in
        return None
    finally:
        engine.dispose()


class _Account:
    """Whom the patched AppTest.run signs in (None: nobody)."""

    def __init__(self, email: str | None) -> None:
        self.email = email

    def __call__(self, email: str | None) -> None:
        self.email = email


@pytest.fixture(autouse=True)
def signed_in_as(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> _Account:
    """Every AppTest run of the test starts signed in as `signed_in_as.email` (the first director
    unless changed; None under the `signed_out` marker) if its session has no sign-in yet."""
    account = _Account(None if request.node.get_closest_marker("signed_out") else FIRST_DIRECTOR)
    original = AppTest.run

    def run(self: AppTest, *, timeout: float | None = None) -> AppTest:
        if account.email and SESSION_KEY not in self.session_state:
            user_id = _user_id(account.email)
            if user_id is not None:
                self.session_state[SESSION_KEY] = session_record(user_id, "test")
        return original(self, timeout=timeout)

    monkeypatch.setattr(AppTest, "run", run)
    return account


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "signed_out: AppTest runs start with nobody signed in")


def add_director(email: str = "dora@x.test") -> None:
    """An empty database has no accounts, so nobody could sign in: create one director in the
    database MIRADOR_DATABASE_URL points at (the harness then signs the first director in)."""
    from models.access import OPERATOR
    from models.db import session_scope, upgrade_to_head
    from models.users import add_user

    engine = make_engine(os.environ["MIRADOR_DATABASE_URL"])
    try:
        upgrade_to_head(engine)
        with session_scope(session_factory(engine)) as session:
            add_user(session=session, actor=OPERATOR, email=email, name="Dora", role="director")
    finally:
        engine.dispose()
