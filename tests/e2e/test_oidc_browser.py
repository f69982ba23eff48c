"""Single sign-on for real, offline: a local OpenID Connect provider on loopback
(oidc-provider-mock 0.3.4, run from its own virtual environment), the dashboard in OIDC mode with an
[auth] section in a secrets file, and headless Chromium going through Streamlit's st.login flow:
the provider's user is mapped to a Mirador account by e-mail and gets that account's role, pages
and language; signing out ends the provider's session too; an e-mail without an account sees
nothing. Screenshots go to test-artifacts/oidc_*.png.

The provider is found at $MIRADOR_TEST_OIDC_PROVIDER, on PATH, or in .venv-oidc/ at the repo root
(`python3 -m venv .venv-oidc && .venv-oidc/bin/pip install oidc-provider-mock==0.3.4`).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models.db import make_engine, session_factory, upgrade_to_head
from models.tables import AppUser, AuditEvent
from tests.app.seed_data import seed_tiny_demo
from tests.conftest import skip_or_fail
from tests.e2e.conftest import ROOT, START_TIMEOUT_S, _free_port, streamlit_server

pytestmark = pytest.mark.e2e
RENDER_TIMEOUT_MS = 60_000


def provider_command() -> str | None:
    for candidate in (
        os.environ.get("MIRADOR_TEST_OIDC_PROVIDER"),
        shutil.which("oidc-provider-mock"),
        str(ROOT / ".venv-oidc" / "bin" / "oidc-provider-mock"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The mock identity provider on a free loopback port; yields its base URL."""
    command = provider_command()
    if command is None:
        skip_or_fail("oidc-provider-mock not found ($MIRADOR_TEST_OIDC_PROVIDER, PATH or .venv-oidc/)")
    try:
        import authlib  # noqa: F401 - st.login needs it in the app's environment
    except ImportError:
        skip_or_fail("Authlib is not installed: pip install 'streamlit[auth]'")
    port = _free_port()
    log = (tmp_path_factory.mktemp("idp") / "idp.log").open("wb")
    server = subprocess.Popen(
        [command, "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(f"{base}/.well-known/openid-configuration"):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("oidc-provider-mock did not start")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(10)
        log.close()


@pytest.fixture(scope="module")
def oidc_app(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The dashboard in OIDC mode on the seeded tiny demo; yields (app URL, database URL)."""
    folder = tmp_path_factory.mktemp("e2e_oidc")
    database_url = f"sqlite:///{folder / 'mirador.db'}"
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    engine.dispose()
    seed_tiny_demo(database_url, now=datetime.now(UTC).replace(microsecond=0))
    port = _free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "mirador-e2e"\n'
        'client_secret = "not-a-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    env = {"MIRADOR_DATABASE_URL": database_url, "MIRADOR_AUTH_MODE": "oidc"}
    with streamlit_server(
        "dashboard.py", folder, env, (f"--secrets.files={secrets_file}",), port=port
    ) as url:
        yield url, database_url


def first_supervisor(database_url: str) -> AppUser:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as s:
            return (
                s.execute(select(AppUser).where(AppUser.role == "supervisor").order_by(AppUser.id))
                .scalars()
                .first()
            )
    finally:
        engine.dispose()


def audit_actions(database_url: str) -> list[tuple[str, str]]:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as s:
            return [
                tuple(r)
                for r in s.execute(select(AuditEvent.actor, AuditEvent.action).order_by(AuditEvent.id))
            ]
    finally:
        engine.dispose()


def sign_in_at_the_provider(page: Page, app: str, email: str) -> None:
    page.goto(app)
    page.get_by_role("button", name="Sign in with your organisation account").click(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    page.locator("input[name=sub]").fill(email)
    page.get_by_role("button", name="Authorize", exact=True).click()


def test_a_provider_user_gets_their_accounts_role_pages_and_language(
    app_page: Page, oidc_app: tuple[str, str], artifacts: Path
) -> None:
    app, database_url = oidc_app
    supervisor = first_supervisor(database_url)
    page = app_page
    started = time.monotonic()
    sign_in_at_the_provider(page, app, supervisor.email)
    expect(page.get_by_role("heading", name="El día de un vistazo")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    sign_in_s = time.monotonic() - started
    expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(f"Viendo como {supervisor.name} (supervisión)")).to_be_visible()
    links = page.get_by_test_id("stSidebarNavLink")
    expect(links).to_have_count(3)  # a supervisor's pages: home, live team, coaching
    titles = sorted(text.splitlines()[-1] for text in links.all_inner_texts())  # after the icon's name
    assert titles == sorted(["El día de un vistazo", "Equipo en vivo", "Coaching de agentes"])
    page.screenshot(path=str(artifacts / "oidc_signed_in.png"))
    assert (supervisor.email, "signin") in audit_actions(database_url)
    print(f"OIDC sign-in round trip: {sign_in_s:.1f} s")  # noqa: T201 - a measured timing for the report

    sidebar.get_by_role("button", name="Cerrar sesión").click()
    end_session = page.get_by_role("button", name=re.compile("End session"))
    expect(end_session).to_be_visible(timeout=RENDER_TIMEOUT_MS)  # the provider's session ends too
    end_session.click()
    expect(
        page.get_by_role("button", name=re.compile("organisation account|cuenta de tu organización"))
    ).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    assert audit_actions(database_url)[-1] == (supervisor.email, "signout")


def test_an_email_without_an_account_sees_nothing(
    app_page: Page, oidc_app: tuple[str, str], artifacts: Path
) -> None:
    app, database_url = oidc_app
    page = app_page
    sign_in_at_the_provider(page, app, "stranger@example.com")
    expect(page.get_by_text("stranger@example.com has no Mirador account")).to_be_visible(
        timeout=RENDER_TIMEOUT_MS
    )
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(0)
    expect(page.get_by_role("link", name="stranger@example.com")).to_have_count(0)  # shown as text
    page.screenshot(path=str(artifacts / "oidc_no_account.png"))
    assert audit_actions(database_url)[-1] == ("stranger@example.com", "signin.denied")
