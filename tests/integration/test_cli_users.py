"""`mirador users ...` on SQLite and PostgreSQL: the first admin of a new installation, passwords
from stdin or a hidden prompt (never an argument), assignments by team name and agent code,
deactivation, unlock, the listing, and refusals with an exit code and one line on stderr."""

from __future__ import annotations

import io
import json

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from jobs import cli
from models import auth
from models.db import SessionFactory, session_scope
from models.settings import load_settings
from models.tables import Agent, AppUser, AuditEvent, Site, Team, UserAgent, UserTeam

PASSWORD = "first admin passphrase"


@pytest.fixture(autouse=True)
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [
        n for n in __import__("os").environ if n.startswith("MIRADOR_") and n != "MIRADOR_REQUIRE_ALL"
    ]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MIRADOR_DATABASE_URL", db_url)
    monkeypatch.setattr(auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def users_cli(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(["users", *argv])


def org(factory: SessionFactory) -> None:
    with session_scope(factory) as s:
        site = Site(name="Remote", timezone="Europe/Madrid")
        s.add(site)
        s.flush()
        north, south = Team(name="North", site_id=site.id), Team(name="South", site_id=site.id)
        s.add_all([north, south])
        s.flush()
        s.add_all(
            [Agent(code="a1", name="Ana", team_id=north.id), Agent(code="b1", name="Bea", team_id=south.id)]
        )


def test_the_first_admin_signs_in_with_the_password_from_stdin(monkeypatch, factory, capsys) -> None:  # type: ignore[no-untyped-def]
    code = users_cli(
        monkeypatch, "add", "--email", "Root@Example.com", "--name", "Rosa Root", "--role", "admin",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0 and capsys.readouterr().out.startswith("added root@example.com (admin, id ")
    with session_scope(factory) as s:
        result = auth.sign_in(
            session=s, settings=load_settings(), email="root@example.com", password=PASSWORD
        )
        assert result.outcome == "ok" and result.viewer.role == "admin"
        assert auth.first_run(session=s) is None
        added = s.execute(
            select(AuditEvent.actor, AuditEvent.action).where(AuditEvent.action == "user.add")
        ).one()
    assert tuple(added) == ("operator@localhost", "user.add")


def test_the_password_prompt_asks_twice_and_refuses_a_mismatch(monkeypatch, factory, capsys) -> None:  # type: ignore[no-untyped-def]
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt="": next(answers))
    code = users_cli(monkeypatch, "add", "--email", "a@x.test", "--name", "A", "--role", "admin")
    assert code == 2 and "the two passwords differ" in capsys.readouterr().err
    with factory() as s:
        assert s.execute(select(AppUser)).first() is None  # nothing written


def test_a_short_password_and_a_duplicate_are_refused_with_exit_1(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    base = ("add", "--email", "a@x.test", "--name", "A", "--role", "coach")
    assert users_cli(monkeypatch, *base, "--password-stdin", stdin="short\n") == 1
    assert "at least 12 characters" in capsys.readouterr().err
    assert users_cli(monkeypatch, *base, "--no-password") == 0
    assert users_cli(monkeypatch, *base, "--no-password") == 1
    assert "already has an account" in capsys.readouterr().err


def test_assignments_by_name_and_code_add_and_remove(monkeypatch, factory, capsys) -> None:  # type: ignore[no-untyped-def]
    org(factory)
    assert (
        users_cli(
            monkeypatch, "add", "--email", "s@x.test", "--name", "S", "--role", "supervisor", "--no-password"
        )
        == 0
    )
    assert (
        users_cli(monkeypatch, "assign-team", "--email", "s@x.test", "--team", "North", "--team", "South")
        == 0
    )
    assert users_cli(monkeypatch, "assign-team", "--email", "s@x.test", "--team", "North", "--remove") == 0
    assert users_cli(monkeypatch, "assign-agent", "--email", "s@x.test", "--agent", "a1") == 0
    assert users_cli(monkeypatch, "assign-team", "--email", "s@x.test", "--team", "Nowhere") == 1
    assert "no team named ['Nowhere']" in capsys.readouterr().err
    with factory() as s:
        teams = s.execute(select(Team.name).join(UserTeam, UserTeam.team_id == Team.id)).scalars().all()
        agents = s.execute(select(Agent.code).join(UserAgent, UserAgent.agent_id == Agent.id)).scalars().all()
    assert (teams, agents) == (["South"], ["a1"])


def test_deactivate_unlock_set_password_and_list(monkeypatch, factory, capsys) -> None:  # type: ignore[no-untyped-def]
    assert (
        users_cli(
            monkeypatch, "add", "--email", "c@x.test", "--name", "Cleo", "--role", "coach", "--no-password"
        )
        == 0
    )
    with session_scope(factory) as s:
        user = s.execute(select(AppUser)).scalar_one()
        user.failed_logins = 5
    assert users_cli(monkeypatch, "unlock", "--email", "c@x.test") == 0
    assert (
        users_cli(monkeypatch, "set-password", "--email", "c@x.test", "--password-stdin", stdin=PASSWORD) == 0
    )
    assert users_cli(monkeypatch, "deactivate", "--email", "c@x.test") == 0
    assert (
        users_cli(monkeypatch, "set-password", "--email", "nobody@x.test", "--password-stdin", stdin=PASSWORD)
        == 1
    )
    capsys.readouterr()
    assert users_cli(monkeypatch, "list", "--format", "json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(u["email"], u["active"], u["has_password"], u["failed_logins"]) for u in listed] == [
        ("c@x.test", False, True, 0)
    ]
    assert "password_hash" not in listed[0]
