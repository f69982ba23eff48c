"""Passwords, sign-in, lock-out, the idle timeout, identity-provider and demo sign-in, account
management and the audit trail's reader, on SQLite and PostgreSQL; plus the sign-in settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from models import audit, auth, users
from models.access import OPERATOR, Viewer, viewer_for_id
from models.db import SessionFactory, session_scope
from models.settings import SettingsError, load_settings
from models.tables import Agent, AppUser, AuditEvent, Site, Team, UserAgent, UserTeam

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
PASSWORD = "a long enough passphrase"


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def add(factory: SessionFactory, email: str, role: str, password: str | None = None, **extra: object) -> int:
    with session_scope(factory) as s:
        return users.add_user(session=s, actor=OPERATOR, email=email, name=email.split("@")[0], role=role,
                              password=password, now=NOW, **extra)  # fmt: skip


def row(factory: SessionFactory, user_id: int) -> AppUser:
    with factory() as s:
        return s.get(AppUser, user_id)


def attempt(
    factory: SessionFactory, settings, email: str, password: str, now: datetime = NOW
) -> auth.SignInResult:  # type: ignore[no-untyped-def]
    with session_scope(factory) as s:
        return auth.sign_in(session=s, settings=settings, email=email, password=password, now=now)


def trail(factory: SessionFactory) -> list[tuple[str, str, str | None]]:
    with factory() as s:
        stmt = select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id)
        return [tuple(r) for r in s.execute(stmt)]


# --- Hashing (pure) ---------------------------------------------------------------------------------


def test_the_default_hash_is_argon2id_salted_and_verifies_only_the_right_password() -> None:
    first, second = auth.hash_password(PASSWORD), auth.hash_password(PASSWORD)
    assert first.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert first != second  # a fresh salt each time
    assert auth.verify_password(first, PASSWORD) and auth.verify_password(second, PASSWORD)
    assert not auth.verify_password(first, PASSWORD + " ")
    assert not auth.verify_password(None, PASSWORD)
    assert not auth.verify_password("not a hash", PASSWORD)
    assert not auth.verify_password(first, "x" * 300)  # over the length cap: never hashed


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "too_short"),
        ("x" * 11, "too_short"),
        ("y" * 257, "too_long"),
        ("Ana@Example.com", "is_email"),
    ],
)
def test_the_password_policy_names_the_rule(password: str, code: str) -> None:
    with pytest.raises(auth.PasswordRejected) as caught:
        auth.check_password_policy(password, email="ana@example.com")
    assert caught.value.code == code
    auth.check_password_policy("x" * 12, email="ana@example.com")  # 12 characters are enough


def test_idle_timeout_counts_minutes_since_the_last_interaction() -> None:
    seen = NOW - timedelta(minutes=30)
    assert not auth.session_expired(last_seen=seen, now=NOW, timeout_min=30)  # exactly 30: still in
    assert auth.session_expired(last_seen=seen - timedelta(seconds=1), now=NOW, timeout_min=30)
    assert not auth.session_expired(last_seen=None, now=NOW, timeout_min=30)


# --- Sign-in and lock-out (both databases) ----------------------------------------------------------


@pytest.mark.usefixtures("fast")
def test_sign_in_is_case_insensitive_and_audited(factory: SessionFactory, settings) -> None:  # type: ignore[no-untyped-def]
    uid = add(factory, "Ana@X.test", "supervisor", PASSWORD)
    result = attempt(factory, settings, "  ANA@x.test ", PASSWORD)
    assert result.outcome == "ok" and result.viewer == Viewer(uid, "ana@x.test", "supervisor", "Ana")
    assert trail(factory)[-1] == ("ana@x.test", "signin", json.dumps({"method": "password"}))


@pytest.mark.usefixtures("fast")
def test_lock_out_after_the_allowed_failures_then_a_fresh_series(
    factory: SessionFactory, db_url: str
) -> None:
    settings = load_settings(database_url=db_url, max_failed_logins=3, lockout_min=15)
    uid = add(factory, "ana@x.test", "coach", PASSWORD)
    assert [attempt(factory, settings, "ana@x.test", "wrong").outcome for _ in range(2)] == ["wrong", "wrong"]
    assert row(factory, uid).failed_logins == 2
    third = attempt(factory, settings, "ana@x.test", "wrong")
    assert third.outcome == "locked" and third.locked_until == NOW + timedelta(minutes=15)
    during = attempt(factory, settings, "ana@x.test", PASSWORD, now=NOW + timedelta(minutes=14, seconds=59))
    assert during.outcome == "locked" and during.viewer is None  # the right password is refused too
    after = attempt(factory, settings, "ana@x.test", "wrong", now=NOW + timedelta(minutes=15))
    assert after.outcome == "wrong" and row(factory, uid).failed_logins == 1  # a fresh series
    ok = attempt(factory, settings, "ana@x.test", PASSWORD, now=NOW + timedelta(minutes=16))
    assert ok.outcome == "ok"
    assert (row(factory, uid).failed_logins, row(factory, uid).locked_until) == (0, None)
    actions = [action for _actor, action, _detail in trail(factory)][1:]  # after "user.add"
    assert actions == ["signin.failed"] * 3 + ["signin.locked", "signin.failed", "signin"]


@pytest.mark.usefixtures("fast")
def test_unknown_inactive_and_passwordless_accounts_all_say_wrong(factory: SessionFactory, settings) -> None:  # type: ignore[no-untyped-def]
    gone = add(factory, "gone@x.test", "coach", PASSWORD)
    add(factory, "sso@x.test", "director")  # identity-provider account: no password
    with session_scope(factory) as s:
        users.set_active(session=s, actor=OPERATOR, user_id=gone, active=False)
    for email in ("nobody@x.test", "gone@x.test", "sso@x.test"):
        assert attempt(factory, settings, email, PASSWORD).outcome == "wrong"
    failed = [(a, json.loads(d)["reason"]) for a, act, d in trail(factory) if act == "signin.failed"]
    assert failed == [
        ("nobody@x.test", "unknown"),
        ("gone@x.test", "inactive"),
        ("sso@x.test", "no_password"),
    ]


@pytest.mark.usefixtures("fast")
def test_an_outdated_hash_is_upgraded_at_sign_in(factory: SessionFactory, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    uid = add(factory, "ana@x.test", "coach", PASSWORD)
    old = row(factory, uid).password_hash
    monkeypatch.setattr(auth, "HASHER", PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1))
    assert attempt(factory, settings, "ana@x.test", PASSWORD).outcome == "ok"
    new = row(factory, uid).password_hash
    assert new != old and "t=2" in new and auth.verify_password(new, PASSWORD)


def test_identity_sign_in_maps_by_email_and_refuses_strangers(factory: SessionFactory) -> None:
    uid = add(factory, "dora@x.test", "director")
    with session_scope(factory) as s:
        viewer = auth.identity_sign_in(session=s, email="DORA@x.test", verified=True, issuer="http://idp")
        stranger = auth.identity_sign_in(session=s, email="eve@x.test", verified=True, issuer="http://idp")
        unverified = auth.identity_sign_in(
            session=s, email="dora@x.test", verified=False, issuer="http://idp"
        )
        as_text = auth.identity_sign_in(session=s, email="dora@x.test", verified="false", issuer="http://idp")
        unsaid = auth.identity_sign_in(session=s, email="dora@x.test", verified=None, issuer="http://idp")
    assert (
        viewer is not None and viewer.user_id == uid and (stranger, unverified, as_text) == (None, None, None)
    )
    assert unsaid is not None  # a provider that does not send the claim is trusted as configured
    denied = [(a, json.loads(d)["reason"]) for a, act, d in trail(factory) if act == "signin.denied"]
    assert denied == [("eve@x.test", "no_account")] + [("dora@x.test", "email_not_verified")] * 2


def test_demo_sign_in_needs_demo_mode_and_a_demo_account(factory: SessionFactory, db_url: str) -> None:
    add(factory, "director@mirador.demo", "director")
    add(factory, "real@company.test", "director")
    off = load_settings(database_url=db_url)
    with session_scope(factory) as s:
        assert auth.demo_sign_in(session=s, settings=off, email="director@mirador.demo") is None
    if not db_url.startswith("sqlite"):
        with pytest.raises(SettingsError):
            load_settings(database_url=db_url, demo_mode=True)
        return
    on = load_settings(database_url=db_url, demo_mode=True)
    with session_scope(factory) as s:
        assert auth.demo_sign_in(session=s, settings=on, email="real@company.test") is None
        viewer = auth.demo_sign_in(session=s, settings=on, email="director@mirador.demo")
    assert viewer is not None and viewer.email == "director@mirador.demo"


def test_first_run_says_what_is_missing(factory: SessionFactory) -> None:
    with factory() as s:
        assert auth.first_run(session=s) == "no_accounts"
    add(factory, "dora@x.test", "director")
    with factory() as s:
        assert auth.first_run(session=s) == "no_admin"
    add(factory, "root@x.test", "admin")
    with factory() as s:
        assert auth.first_run(session=s) is None


# --- Account management -----------------------------------------------------------------------------


def org(factory: SessionFactory) -> dict[str, int]:
    with session_scope(factory) as s:
        site = Site(name="Remote", timezone="Europe/Madrid")
        s.add(site)
        s.flush()
        north, south = Team(name="North", site_id=site.id), Team(name="South", site_id=site.id)
        s.add_all([north, south])
        s.flush()
        a1, b1 = (
            Agent(code="a1", name="Ana", team_id=north.id),
            Agent(code="b1", name="Bea", team_id=south.id),
        )
        s.add_all([a1, b1])
        s.flush()
        return {"north": north.id, "south": south.id, "a1": a1.id, "b1": b1.id}


@pytest.mark.usefixtures("fast")
def test_admins_manage_accounts_and_every_change_is_audited(factory: SessionFactory) -> None:
    ids = org(factory)
    admin_id = add(factory, "root@x.test", "admin", PASSWORD)
    with factory() as s:
        admin = viewer_for_id(session=s, user_id=admin_id)
    assert admin is not None
    with session_scope(factory) as s:
        sup = users.add_user(
            session=s, actor=admin, email="sam@x.test", name=" Sam   Super ", role="supervisor", now=NOW
        )
        users.set_teams(session=s, actor=admin, user_id=sup, team_ids=[ids["south"], ids["north"]], now=NOW)
        users.set_teams(session=s, actor=admin, user_id=sup, team_ids=[ids["north"]], now=NOW)  # replaces
        users.set_role(session=s, actor=admin, user_id=sup, role="coach", now=NOW)
        users.set_agents(session=s, actor=admin, user_id=sup, agent_ids=[ids["b1"]], now=NOW)
        users.set_password(session=s, actor=admin, user_id=sup, password=PASSWORD, now=NOW)
    with factory() as s:
        assert s.execute(select(UserTeam.team_id).where(UserTeam.user_id == sup)).scalars().all() == [
            ids["north"]
        ]
        assert s.execute(select(UserAgent.agent_id).where(UserAgent.user_id == sup)).scalars().all() == [
            ids["b1"]
        ]
        listed = users.list_users(session=s, actor=admin).set_index("email")
    assert listed.loc["sam@x.test", ["name", "role", "has_password", "teams", "agents"]].tolist() == [
        "Sam Super", "coach", True, "North", "Bea",
    ]  # fmt: skip
    assert "password_hash" not in listed.columns
    assert [(a, act) for a, act, _ in trail(factory)][1:] == [("root@x.test", act) for act in (
        "user.add", "user.teams", "user.teams", "user.role", "user.agents", "user.password",
    )]  # fmt: skip


def test_only_admins_manage_accounts_or_read_the_audit(factory: SessionFactory) -> None:
    add(factory, "root@x.test", "admin")
    director_id = add(factory, "dora@x.test", "director")
    with factory() as s:
        director = viewer_for_id(session=s, user_id=director_id)
        assert director is not None
        with pytest.raises(audit.AuditDenied):
            users.add_user(session=s, actor=director, email="x@x.test", name="X", role="admin")
        with pytest.raises(audit.AuditDenied):
            users.list_users(session=s, actor=director)
        with pytest.raises(audit.AuditDenied):
            audit.events(session=s, viewer=director)
        forged = Viewer(user_id=director_id, email="dora@x.test", role="admin", name="Dora")
        with pytest.raises(audit.AuditDenied):  # the role comes from the database, not the caller
            audit.events(session=s, viewer=forged)


def test_the_last_active_admin_stays(factory: SessionFactory) -> None:
    root = add(factory, "root@x.test", "admin")
    with session_scope(factory) as s:
        for change in (
            lambda: users.set_role(session=s, actor=OPERATOR, user_id=root, role="director"),
            lambda: users.set_active(session=s, actor=OPERATOR, user_id=root, active=False),
        ):
            with pytest.raises(users.UserError) as caught:
                change()
            assert caught.value.code == "last_admin"
    second = add(factory, "second@x.test", "admin")
    with session_scope(factory) as s:
        users.set_active(session=s, actor=OPERATOR, user_id=root, active=False)
    assert not row(factory, root).active and row(factory, second).active


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"email": "not-an-email"}, "bad_email"),
        ({"email": "ROOT@x.test"}, "taken"),
        ({"name": "   "}, "bad_name"),
        ({"role": "owner"}, "unknown_role"),
        ({"locale": "fr"}, "bad_locale"),
        ({"password": "short"}, "too_short"),
    ],
)
def test_add_user_refuses_bad_input_with_a_code(factory: SessionFactory, fields: dict, code: str) -> None:
    add(factory, "root@x.test", "admin")
    wanted = {"email": "new@x.test", "name": "New", "role": "coach", **fields}
    with session_scope(factory) as s, pytest.raises(users.UserError) as caught:
        users.add_user(session=s, actor=OPERATOR, **wanted)
    assert caught.value.code == code


def test_an_agent_account_links_to_one_agent_record(factory: SessionFactory) -> None:
    ids = org(factory)
    uid = add(factory, "ana@x.test", "agent")
    with session_scope(factory) as s, pytest.raises(users.UserError) as caught:
        users.set_agents(session=s, actor=OPERATOR, user_id=uid, agent_ids=[ids["a1"], ids["b1"]])
    assert caught.value.code == "one_agent"
    with session_scope(factory) as s, pytest.raises(users.UserError) as unknown:
        users.set_agents(session=s, actor=OPERATOR, user_id=uid, agent_ids=[ids["b1"] + 100])
    assert unknown.value.code == "unknown"


# --- The audit trail's reader -----------------------------------------------------------------------


def test_audit_events_filter_by_time_actor_action_and_target(factory: SessionFactory) -> None:
    add(factory, "root@x.test", "admin")
    with session_scope(factory) as s:
        for minutes, actor, action, target in [
            (1, "ana@x.test", "signin", None),
            (2, "ana@x.test", "export", "scorecard:agent:7"),
            (3, "bob@x.test", "export", "audit"),
            (4, "=cmd|' /C calc'!A0", "signin.failed", None),
        ]:
            audit.record(
                session=s, actor=actor, action=action, target=target, now=NOW + timedelta(minutes=minutes)
            )
    with factory() as s:

        def pick(**filters: object) -> list[tuple[str, str]]:
            frame = audit.events(session=s, viewer=OPERATOR, **filters)  # type: ignore[arg-type]
            return list(zip(frame["actor"], frame["action"], strict=True))

        assert pick(start=NOW)[:2] == [("=cmd|' /C calc'!A0", "signin.failed"), ("bob@x.test", "export")]
        assert pick(actions=["export"]) == [("bob@x.test", "export"), ("ana@x.test", "export")]
        assert pick(actor="ANA", actions=["export", "signin"]) == [
            ("ana@x.test", "export"),
            ("ana@x.test", "signin"),
        ]
        assert pick(target="agent:7") == [("ana@x.test", "export")]
        assert pick(start=NOW + timedelta(minutes=2), end=NOW + timedelta(minutes=4)) == [
            ("bob@x.test", "export"), ("ana@x.test", "export"),
        ]  # fmt: skip
        assert pick(actor="%") == []  # "contains" is literal: % and _ are not wildcards
        assert audit.action_names(session=s, viewer=OPERATOR) == [
            "export",
            "signin",
            "signin.failed",
            "user.add",
        ]


def test_record_cuts_long_values_and_drops_control_characters(factory: SessionFactory) -> None:
    with session_scope(factory) as s:
        audit.record(
            session=s, actor="a\x00b" + "x" * 500, action="signin.failed", detail={"k": "v"}, now=NOW
        )
    actor, _action, detail = trail(factory)[0]
    assert actor.startswith("a b") and len(actor) == audit.ACTOR_MAX and detail == '{"k": "v"}'


# --- Settings ---------------------------------------------------------------------------------------


def test_sign_in_settings_and_their_guards() -> None:
    defaults = load_settings(database_url="sqlite:///x.db")
    guards = (defaults.session_timeout_min, defaults.max_failed_logins, defaults.lockout_min)
    assert defaults.auth_mode == "local" and guards == (30.0, 5, 15.0)
    assert not defaults.demo_mode and defaults.demo_user is None
    demo = load_settings(database_url="sqlite:///x.db", demo_mode=True, demo_user=" Director@Mirador.demo ")
    assert demo.demo_user == "director@mirador.demo"
    for overrides, name in [
        ({"demo_mode": True, "database_url": "postgresql+psycopg://u@h/db"}, "MIRADOR_DEMO_MODE"),
        ({"demo_mode": True, "auth_mode": "oidc"}, "MIRADOR_DEMO_MODE"),
        ({"demo_user": "director@mirador.demo"}, "MIRADOR_DEMO_USER"),
        ({"demo_mode": True, "demo_user": "ceo@company.test"}, "MIRADOR_DEMO_USER"),
        ({"auth_mode": "ldap"}, "MIRADOR_AUTH_MODE"),
        ({"session_timeout_min": 0}, "MIRADOR_SESSION_TIMEOUT_MIN"),
        ({"max_failed_logins": 0}, "MIRADOR_MAX_FAILED_LOGINS"),
    ]:
        with pytest.raises(SettingsError) as caught:
            load_settings(**{"database_url": "sqlite:///x.db", **overrides})
        assert str(caught.value).startswith(name + ":"), overrides
