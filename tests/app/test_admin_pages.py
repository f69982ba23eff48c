"""The admin pages under AppTest on the tiny demo: the users page adds an account, changes a role,
refuses to deactivate the last admin, assigns teams and agents, sets a password; the audit page
filters the trail, and its CSV download is formula-safe and itself audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from models import auth
from models.access import Viewer
from models.db import make_engine, session_factory, session_scope
from models.settings import load_settings
from models.tables import Agent, AppUser, AuditEvent, Team, UserAgent, UserTeam
from tests.app.seed_data import ROOT, TIMEOUT_S
from ui import audit_log

USERS = str(ROOT / "pages" / "users.py")
AUDIT = str(ROOT / "pages" / "audit.py")
PASSWORD = "twelve chars at least"


@pytest.fixture(autouse=True)
def as_admin(signed_in_as, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    signed_in_as("admin@mirador.demo")
    monkeypatch.setattr(auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@contextmanager
def db(url: str) -> Iterator[Session]:
    """A session that commits on success, on an engine disposed afterwards."""
    engine = make_engine(url)
    try:
        with session_scope(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def user(url: str, email: str) -> AppUser:
    with db(url) as s:
        return s.execute(select(AppUser).where(AppUser.email == email)).scalar_one()


def texts(elements) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.value for e in elements]


def page(path: str = USERS) -> AppTest:
    at = AppTest.from_file(path, default_timeout=TIMEOUT_S).run()
    assert not at.exception
    return at


def test_the_users_page_lists_every_account_without_secrets(seeded_env: str) -> None:
    at = page()
    assert texts(at.title) == ["Users"]
    table = at.dataframe[0].value
    with db(seeded_env) as s:
        emails = sorted(s.execute(select(AppUser.email)).scalars())
    assert sorted(table["E-mail"]) == emails
    assert not any("hash" in str(c).lower() for c in table.columns)
    assert set(table["Role"]) == {"admin", "director", "supervisor", "coach"}


def test_adding_a_person_then_giving_them_a_role_teams_and_a_password(seeded_env: str) -> None:
    at = page()
    at.text_input(key="user_add_email").input("  Nuevo@Mirador.demo ")
    at.text_input(key="user_add_name").input("Nuevo Coach")
    at.selectbox(key="user_add_role").set_value("coach")
    at = at.button(key="user_add_submit").click().run()
    assert texts(at.success) == ["Added ` nuevo@mirador.demo `."]
    added = user(seeded_env, "nuevo@mirador.demo")
    assert (added.role, added.password_hash, added.locale) == ("coach", None, "en")  # the admin's language

    at.selectbox(key="user_pick").set_value(added.id).run()
    at.selectbox(key=f"user_role_{added.id}").set_value("supervisor")
    at = at.button(key=f"user_role_save_{added.id}").click().run()
    assert user(seeded_env, "nuevo@mirador.demo").role == "supervisor"
    with db(seeded_env) as s:
        team_id = s.execute(select(Team.id).order_by(Team.id)).scalars().first()
        agent_id = s.execute(select(Agent.id).order_by(Agent.id)).scalars().first()
    at.multiselect(key=f"user_teams_{added.id}").set_value([team_id])
    at.multiselect(key=f"user_agents_{added.id}").set_value([agent_id])
    at = at.button(key=f"user_assign_submit_{added.id}").click().run()
    with db(seeded_env) as s:
        assert s.execute(select(UserTeam.team_id).where(UserTeam.user_id == added.id)).scalars().all() == [
            team_id
        ]
        assert s.execute(select(UserAgent.agent_id).where(UserAgent.user_id == added.id)).scalars().all() == [
            agent_id
        ]
    at.text_input(key=f"user_password_{added.id}").input("short")
    at = at.button(key=f"user_password_submit_{added.id}").click().run()
    assert texts(at.error) == ["The password needs at least 12 characters."]
    at.text_input(key=f"user_password_{added.id}").input(PASSWORD)
    at = at.button(key=f"user_password_submit_{added.id}").click().run()
    assert auth.verify_password(user(seeded_env, "nuevo@mirador.demo").password_hash, PASSWORD)
    with db(seeded_env) as s:
        actions = (
            s.execute(
                select(AuditEvent.action)
                .where(AuditEvent.target == "nuevo@mirador.demo")
                .order_by(AuditEvent.id)
            )
            .scalars()
            .all()
        )
    assert actions == ["user.add", "user.role", "user.teams", "user.agents", "user.password"]


@pytest.mark.usefixtures("seeded_env")
def test_a_duplicate_email_is_refused_in_the_viewers_language() -> None:
    at = AppTest.from_file(USERS, default_timeout=TIMEOUT_S)
    at.session_state["locale"] = "es"
    at.run()
    at.text_input(key="user_add_email").input("director@mirador.demo")
    at.text_input(key="user_add_name").input("Otra")
    at = at.button(key="user_add_submit").click().run()
    assert texts(at.error) == ["Ese correo ya tiene cuenta."]


def test_the_last_admin_cannot_be_switched_off_and_the_switch_springs_back(seeded_env: str) -> None:
    admin = user(seeded_env, "admin@mirador.demo")
    at = page()
    at.selectbox(key="user_pick").set_value(admin.id).run()
    at = at.toggle(key=f"user_active_{admin.id}").set_value(False).run()
    assert texts(at.error) == ["The last active admin must stay an active admin."]
    assert at.toggle(key=f"user_active_{admin.id}").value is True
    assert user(seeded_env, "admin@mirador.demo").active


def test_deactivating_a_supervisor_ends_their_access(seeded_env: str) -> None:
    with db(seeded_env) as s:
        boss = (
            s.execute(select(AppUser).where(AppUser.role == "supervisor").order_by(AppUser.id))
            .scalars()
            .first()
        )
    at = page()
    at.selectbox(key="user_pick").set_value(boss.id).run()
    at = at.toggle(key=f"user_active_{boss.id}").set_value(False).run()
    assert texts(at.success) == ["Saved: Active."]
    assert not user(seeded_env, boss.email).active


def test_the_audit_page_filters_by_action_and_person(seeded_env: str) -> None:
    with db(seeded_env) as s:
        for actor, action in (
            ("ana@x.test", "signin"),
            ("bob@x.test", "export"),
            ("ana@x.test", "signin.failed"),
        ):
            s.add(AuditEvent(at=datetime.now(UTC), actor=actor, action=action))
    at = page(AUDIT)
    assert texts(at.title) == ["Audit trail"]
    assert {"signin", "export", "signin.failed"} <= set(at.multiselect(key="audit_actions").options)
    at.multiselect(key="audit_actions").set_value(["signin", "signin.failed"]).run()
    at.text_input(key="audit_actor").input("ANA").run()
    shown = at.dataframe[0].value
    assert list(zip(shown["Who"], shown["Action"], strict=True)) == [
        ("ana@x.test", "signin.failed"),
        ("ana@x.test", "signin"),
    ]


def test_the_audit_csv_is_formula_safe_and_the_download_is_audited(seeded_env: str) -> None:
    with db(seeded_env) as s:
        s.add(AuditEvent(at=datetime.now(UTC), actor='=HYPERLINK("http://x")', action="signin.failed"))
    settings = load_settings(database_url=seeded_env)
    admin = user(seeded_env, "admin@mirador.demo")
    viewer = Viewer(user_id=admin.id, email=admin.email, role="admin", name=admin.name)
    frame = audit_log.load_events(settings, viewer, {"days": 1, "actor": "", "actions": [], "target": ""})
    produce = audit_log.audited_csv(settings, viewer, frame)
    with db(seeded_env) as s:
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "export")).first() is None
    rows = list(csv.DictReader(io.StringIO(produce().decode("utf-8-sig"))))
    assert rows[0]["actor"] == '\'=HYPERLINK("http://x")'  # neutralised: shown as text, never run
    with db(seeded_env) as s:
        exported = s.execute(
            select(AuditEvent.actor, AuditEvent.target).where(AuditEvent.action == "export")
        ).one()
    assert tuple(exported) == ("admin@mirador.demo", "audit")
