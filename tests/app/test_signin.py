"""Sign-in under AppTest on the simulator's tiny demo: nobody sees data before signing in; local
passwords, lock-out, idle timeout and sign-out; the identity provider's user (at.user) mapped by
e-mail; demo mode; the pages each role may open; the language rule; every attempt audited."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from models import auth, users
from models.access import OPERATOR
from models.db import make_engine, session_factory, session_scope
from models.tables import Agent, AppUser, AuditEvent
from tests.app.seed_data import APP, ROOT, TIMEOUT_S
from ui.auth import SESSION_KEY, session_record
from ui.i18n import plain

PASSWORD = "correct horse battery"
SUPERVISOR = "supervisor"
ALL_PAGES = ("home", "weekly_trends", "live_team", "agent_coach", "data_health", "upload", "users", "audit")
# The brief's role navigation (issue 7), written out by hand rather than read from models.access.
EXPECTED_PAGES = {
    "admin": {"home", "weekly_trends", "live_team", "agent_coach", "data_health", "upload", "users", "audit"},
    "director": {"home", "weekly_trends", "live_team", "agent_coach", "data_health"},
    "supervisor": {"home", "live_team", "agent_coach"},
    "coach": {"home", "agent_coach"},
    "agent": {"agent_coach"},
}


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with small parameters (the default costs ~0.25 s per hash on this machine)."""
    monkeypatch.setattr(auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@contextmanager
def db(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    try:
        with session_scope(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def first_of_role(url: str, role: str) -> AppUser:
    with db(url) as s:
        return s.execute(select(AppUser).where(AppUser.role == role).order_by(AppUser.id)).scalars().first()


def give_password(url: str, email: str) -> int:
    with db(url) as s:
        user_id = users.user_id_for(session=s, email=email)
        assert user_id is not None
        users.set_password(session=s, actor=OPERATOR, user_id=user_id, password=PASSWORD)
    return user_id


def add_agent_user(url: str) -> tuple[str, int]:
    """An agent-role account linked to the first agent record (the demo seeds none)."""
    with db(url) as s:
        agent_id = s.execute(select(Agent.id).order_by(Agent.id)).scalars().first()
        uid = users.add_user(
            session=s, actor=OPERATOR, email="ana.agent@mirador.demo", name="Ana Agent", role="agent"
        )
        users.set_agents(session=s, actor=OPERATOR, user_id=uid, agent_ids=[agent_id])
    return "ana.agent@mirador.demo", int(agent_id)


def audit_rows(url: str, action: str | None = None) -> list[tuple[str, str, dict]]:
    with db(url) as s:
        stmt = select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id)
        rows = [(a, b, json.loads(c) if c and c.startswith("{") else {}) for a, b, c in s.execute(stmt)]
    return [r for r in rows if action is None or r[1] == action]


def app(path: str = APP, **session_state: object) -> AppTest:
    at = AppTest.from_file(path, default_timeout=TIMEOUT_S)
    for key, value in session_state.items():
        at.session_state[key] = value
    return at


def texts(elements) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.value for e in elements]


def sign_in_with_password(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="signin_email").input(email)
    at.text_input(key="signin_password").input(password)
    return at.button(key="signin_submit").click().run()


def shows_no_data(at: AppTest) -> bool:
    return not at.metric and not at.dataframe and not at.get("plotly_chart")


# --- Nobody signed in -------------------------------------------------------------------------------


@pytest.mark.signed_out
@pytest.mark.usefixtures("seeded_env")
def test_without_a_session_only_the_sign_in_screen_shows() -> None:
    at = app().run()
    assert not at.exception
    assert texts(at.title) == ["Sign in to Mirador"]
    assert shows_no_data(at)
    assert not any("updated" in m for m in texts(at.sidebar.markdown))  # no freshness either
    with pytest.raises(ValueError):
        at.switch_page("pages/home.py")  # the router lists the sign-in screen only
    for page in ALL_PAGES:  # a page run on its own stops at the sign-in screen too
        alone = app(str(ROOT / "pages" / f"{page}.py")).run()
        assert not alone.exception, page
        assert texts(alone.title) == ["Sign in to Mirador"], page
        assert shows_no_data(alone), page


# --- Local accounts ---------------------------------------------------------------------------------


@pytest.mark.signed_out
def test_password_sign_in_opens_the_home_page_and_is_audited(seeded_env: str) -> None:
    supervisor = first_of_role(seeded_env, SUPERVISOR)
    give_password(seeded_env, supervisor.email)
    at = sign_in_with_password(app().run(), f"  {supervisor.email.upper()} ", PASSWORD)
    assert not at.exception
    assert texts(at.title) == ["El día de un vistazo"]  # the supervisor's remembered language (es)
    assert f"Viendo como {plain(supervisor.name)} (supervisión)" in texts(at.sidebar.caption)
    assert "signin_password" not in at.session_state  # the password is not kept
    assert audit_rows(seeded_env, "signin") == [(supervisor.email, "signin", {"method": "password"})]


@pytest.mark.signed_out
def test_wrong_passwords_lock_the_account_and_the_right_one_is_refused_meanwhile(
    seeded_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIRADOR_MAX_FAILED_LOGINS", "2")
    monkeypatch.setenv("MIRADOR_LOCKOUT_MIN", "10")
    director = first_of_role(seeded_env, "director")
    give_password(seeded_env, director.email)
    at = sign_in_with_password(app().run(), director.email, "not the password")
    assert texts(at.error) == ["Wrong e-mail or password."]
    at = sign_in_with_password(at, director.email, "still not it")
    assert texts(at.error)[0].startswith("Too many failed attempts: this account is locked until ")
    at = sign_in_with_password(at, director.email, PASSWORD)
    assert texts(at.error)[0].startswith("Too many failed attempts") and shows_no_data(at)
    at = sign_in_with_password(at, "nobody@mirador.demo", PASSWORD)
    assert texts(at.error) == ["Wrong e-mail or password."]  # unknown account: the same answer
    actions = [(actor, action) for actor, action, _ in audit_rows(seeded_env)]
    assert actions[-4:] == [
        (director.email, "signin.failed"),
        (director.email, "signin.failed"),
        (director.email, "signin.locked"),
        ("nobody@mirador.demo", "signin.failed"),
    ]
    with db(seeded_env) as s:  # an admin unlocks: the right password works again
        users.unlock(session=s, actor=OPERATOR, user_id=int(director.id))
    at = sign_in_with_password(at, director.email, PASSWORD)
    assert not at.error and at.metric


def test_an_idle_session_ends_after_the_timeout_and_says_so(
    seeded_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIRADOR_SESSION_TIMEOUT_MIN", "30")
    director = first_of_role(seeded_env, "director")
    recent = session_record(int(director.id), "password", last_seen=time.time() - 29 * 60)
    at = app(**{SESSION_KEY: recent}).run()
    assert at.metric  # 29 idle minutes: still in, and the clock starts again
    assert time.time() - at.session_state[SESSION_KEY]["last_seen"] < 60
    stale = session_record(int(director.id), "password", last_seen=time.time() - 31 * 60)
    at = app(**{SESSION_KEY: stale}).run()
    assert not at.exception and shows_no_data(at)
    assert texts(at.title) == ["Sign in to Mirador"]
    assert "Your session ended after 30 min without activity. Please sign in again." in texts(at.info)
    assert audit_rows(seeded_env, "signout")[-1] == (director.email, "signout", {"reason": "timeout"})


@pytest.mark.signed_out
def test_signing_out_ends_the_session_for_good(seeded_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    director = first_of_role(seeded_env, "director")
    monkeypatch.setenv("MIRADOR_DEMO_USER", director.email)  # even the automatic demo sign-in stays off
    at = app().run()
    assert at.metric
    at = at.button(key="signout").click().run()
    assert shows_no_data(at) and "You are signed out." in texts(at.info)
    at.run()
    assert shows_no_data(at)
    assert audit_rows(seeded_env, "signout")[-1] == (director.email, "signout", {"reason": "user"})


def test_a_deactivated_user_is_out_at_the_next_click(seeded_env: str) -> None:
    at = app().run()
    assert at.metric
    director_id = at.session_state[SESSION_KEY]["user_id"]
    with db(seeded_env) as s:
        s.get(AppUser, director_id).active = False
    at.run()
    assert shows_no_data(at) and "Your account is no longer active." in texts(at.info)


# --- Identity provider (OIDC) -----------------------------------------------------------------------


@pytest.mark.signed_out
def test_the_providers_user_is_mapped_by_email_and_gets_their_role(
    seeded_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIRADOR_AUTH_MODE", "oidc")
    monkeypatch.delenv("MIRADOR_DEMO_MODE")
    coach = first_of_role(seeded_env, "coach")
    at = app()
    at.user = {"is_logged_in": True, "email": coach.email.upper(), "iss": "http://idp.test", "sub": "c1"}
    at.run()
    assert not at.exception
    assert texts(at.title) == ["El día de un vistazo"]  # the coach's remembered language
    with pytest.raises(ValueError):
        at.switch_page("pages/live_team.py")  # not a coach's page
    signins = audit_rows(seeded_env, "signin")
    assert signins == [(coach.email, "signin", {"method": "oidc", "issuer": "http://idp.test"})]
    at.run()
    assert len(audit_rows(seeded_env, "signin")) == 1  # one sign-in per session, not per click


@pytest.mark.signed_out
def test_a_provider_user_without_an_account_sees_nothing(
    seeded_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIRADOR_AUTH_MODE", "oidc")
    monkeypatch.delenv("MIRADOR_DEMO_MODE")
    at = app()
    at.user = {"is_logged_in": True, "email": "stranger@example.com"}
    at.run()
    at.run()
    assert not at.exception and shows_no_data(at)
    assert texts(at.error) == [  # the e-mail as a code span: shown as typed, never as a link
        "` stranger@example.com ` has no Mirador account. Ask an admin to add you, then sign in again."
    ]
    assert [(a, b) for a, b, _ in audit_rows(seeded_env)] == [("stranger@example.com", "signin.denied")]
    unverified = app()  # an address the provider has not verified is not trusted either
    unverified.user = {
        "is_logged_in": True,
        "email": first_of_role(seeded_env, "director").email,
        "email_verified": False,
    }
    unverified.run()
    assert shows_no_data(unverified) and unverified.error


@pytest.mark.signed_out
def test_provider_claims_are_ignored_unless_the_provider_is_the_sign_in(seeded_env: str) -> None:
    at = app()  # local accounts (the default): st.user cannot sign anyone in
    at.user = {"is_logged_in": True, "email": first_of_role(seeded_env, "director").email}
    at.run()
    assert shows_no_data(at) and texts(at.title) == ["Sign in to Mirador"]


@pytest.mark.signed_out
@pytest.mark.usefixtures("seeded_env")
def test_oidc_mode_offers_the_provider_button_not_the_password_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIRADOR_AUTH_MODE", "oidc")
    monkeypatch.delenv("MIRADOR_DEMO_MODE")
    at = app().run()  # AppTest's default user has no is_logged_in: nobody is signed in
    assert [b.key for b in at.button] == ["signin_provider"] and not at.text_input
    at = at.button(key="signin_provider").click().run()  # no [auth] secrets here: one clear line
    assert any(e.startswith("Single sign-on is not set up on this server") for e in texts(at.error))


# --- Demo mode --------------------------------------------------------------------------------------


@pytest.mark.signed_out
def test_demo_mode_offers_one_click_sign_in_clearly_labelled(seeded_env: str) -> None:
    at = app().run()
    buttons = {b.key: b.label for b in at.button}
    assert set(buttons) == {
        "signin_submit",
        *(f"demo_signin_{r}" for r in ("admin", "director", "supervisor", "coach")),
    }
    assert "Demo mode" in " ".join(texts(at.markdown) + texts(at.sidebar.markdown))
    supervisor = first_of_role(seeded_env, SUPERVISOR)
    assert buttons["demo_signin_supervisor"] == f"Sign in as {plain(supervisor.name)} (supervisor)"
    at = at.button(key="demo_signin_supervisor").click().run()
    assert at.metric and at.session_state[SESSION_KEY]["user_id"] == supervisor.id
    assert audit_rows(seeded_env, "signin")[-1] == (
        supervisor.email,
        "signin",
        {"automatic": False, "method": "demo"},
    )


@pytest.mark.signed_out
@pytest.mark.usefixtures("seeded_env")
def test_without_demo_mode_there_is_no_demo_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIRADOR_DEMO_MODE")
    at = app().run()
    assert [b.key for b in at.button] == ["signin_submit"]
    assert "Demo mode" not in " ".join(texts(at.markdown) + texts(at.sidebar.markdown))


@pytest.mark.signed_out
@pytest.mark.usefixtures("seeded_env")
def test_demo_mode_on_postgresql_is_refused_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIRADOR_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    at = app().run()
    assert texts(at.error) == [
        "MIRADOR_DEMO_MODE: demo mode runs only on the embedded SQLite database; "
        "unset MIRADOR_DEMO_MODE in production"
    ]
    assert not at.title and shows_no_data(at)


# --- Pages by role ----------------------------------------------------------------------------------


@pytest.mark.signed_out
@pytest.mark.parametrize("role", list(EXPECTED_PAGES))
def test_each_role_is_offered_exactly_its_pages(role: str, seeded_env: str) -> None:
    email, agent_id = (
        add_agent_user(seeded_env) if role == "agent" else (first_of_role(seeded_env, role).email, None)
    )
    with db(seeded_env) as s:
        user_id = users.user_id_for(session=s, email=email)
    at = app(**{SESSION_KEY: session_record(int(user_id), "test")}).run()
    assert not at.exception
    for page in ALL_PAGES:
        if page in EXPECTED_PAGES[role]:
            at.switch_page(f"pages/{page}.py")
        else:
            with pytest.raises(ValueError):
                at.switch_page(f"pages/{page}.py")
    if role == "agent":  # the agent's only page opens first, offering nobody but themselves
        assert texts(at.title) == ["Agent coaching"]
        with db(seeded_env) as s:
            code = s.get(Agent, agent_id).code
        assert [option.split(" · ")[1] for option in at.selectbox(key="coach_agent").options] == [code]


@pytest.mark.signed_out
@pytest.mark.parametrize(
    ("role", "page"), [("coach", "data_health"), ("supervisor", "users"), ("director", "audit")]
)
def test_a_page_run_on_its_own_refuses_a_role_it_is_not_for(role: str, page: str, seeded_env: str) -> None:
    user = first_of_role(seeded_env, role)
    at = app(str(ROOT / "pages" / f"{page}.py"), **{SESSION_KEY: session_record(int(user.id), "test")}).run()
    assert not at.exception
    assert texts(at.error) == ["Your role does not give access to this page."]
    assert shows_no_data(at) and not at.title


# --- Language ---------------------------------------------------------------------------------------


@pytest.mark.signed_out
@pytest.mark.parametrize(
    ("browser", "title"),
    [("es-MX", "Iniciar sesión en Mirador"), ("en-GB", "Sign in to Mirador"), (None, "Sign in to Mirador")],
)
@pytest.mark.usefixtures("seeded_env")
def test_the_sign_in_screen_speaks_the_browsers_language(browser: str | None, title: str) -> None:
    at = app()
    if browser:
        at.context = {"locale": browser}
    at.run()
    assert texts(at.title) == [title]


@pytest.mark.signed_out
def test_the_language_switch_is_remembered_for_the_next_sign_in(seeded_env: str) -> None:
    director = first_of_role(seeded_env, "director")
    give_password(seeded_env, director.email)
    at = sign_in_with_password(app().run(), director.email, PASSWORD)
    assert texts(at.title) == ["El día de un vistazo"]  # seeded preference: Spanish
    at.sidebar.selectbox(key="locale").set_value("en").run()
    assert texts(at.title) == ["Today at a glance"]
    with db(seeded_env) as s:
        assert s.get(AppUser, director.id).locale == "en"
    again = app()
    again.context = {"locale": "es-ES"}  # a Spanish browser, yet the remembered choice wins
    again = sign_in_with_password(again.run(), director.email, PASSWORD)
    assert texts(again.title) == ["Today at a glance"]


@pytest.mark.signed_out
def test_a_language_picked_before_signing_in_is_kept_and_remembered(seeded_env: str) -> None:
    director = first_of_role(seeded_env, "director")
    give_password(seeded_env, director.email)
    at = app()
    at.context = {"locale": "es-ES"}
    at.run()
    assert texts(at.title) == ["Iniciar sesión en Mirador"]
    at.sidebar.selectbox(key="locale").set_value("en").run()
    at = sign_in_with_password(at, director.email, PASSWORD)
    assert texts(at.title) == ["Today at a glance"]
    with db(seeded_env) as s:
        assert s.get(AppUser, director.id).locale == "en"


def test_admin_pages_open_for_an_admin(seeded_env: str, signed_in_as) -> None:  # type: ignore[no-untyped-def]
    signed_in_as(first_of_role(seeded_env, "admin").email)
    at = app().run()
    at.switch_page("pages/users.py").run()
    assert not at.exception and texts(at.title) == ["Users"]
    at.switch_page("pages/audit.py").run()
    assert not at.exception and texts(at.title) == ["Audit trail"]


def test_pages_folder_is_what_the_role_table_names() -> None:
    on_disk = {p.stem for p in Path(ROOT / "pages").glob("*.py") if p.stem != "__init__"}
    assert set(ALL_PAGES) <= on_disk


def test_a_page_missing_from_the_role_table_opens_for_nobody(seeded_env: str, tmp_path: Path) -> None:
    """A new pages/*.py file that nobody registered in models.access.PAGES_BY_ROLE is refused even
    for an admin (deep links on a fresh server run pages without the router)."""
    script = tmp_path / "pages" / "unregistered.py"
    script.parent.mkdir()
    script.write_text(
        "import streamlit as st\nfrom ui import state\nctx = state.page_context()\nst.title('Secret page')\n"
    )
    admin = first_of_role(seeded_env, "admin")
    at = app(str(script), **{SESSION_KEY: session_record(int(admin.id), "test")}).run()
    assert texts(at.error) == ["Your role does not give access to this page."] and not at.title
