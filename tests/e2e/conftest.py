"""E2E fixtures: a seeded SQLite file, `streamlit run dashboard.py` on a free local port, and a
headless Debian Chromium driven by plain playwright.sync_api (no `playwright install`: offline).

Sign-in: a browser cannot be handed a session, so the shared server runs in demo mode with the
automatic demo sign-in (DEMO_SIGN_IN: MIRADOR_DEMO_MODE=true, MIRADOR_DEMO_USER=the demo director),
which only works on SQLite with the seeded @mirador.demo accounts. A test module that starts its own
server adds DEMO_SIGN_IN to the environment the same way (or uses `streamlit_server`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.db import make_engine, upgrade_to_head
from tests.app.seed_data import seed_tiny_demo
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
START_TIMEOUT_S = 60
DEMO_SIGN_IN = {"MIRADOR_DEMO_MODE": "true", "MIRADOR_DEMO_USER": "director@mirador.demo"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:  # noqa: S310 - local
            return response.read() == b"ok"
    except OSError:
        return False


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        skip_or_fail("Debian chromium not installed (apt-get install chromium)")
    return str(path)


@contextmanager
def streamlit_server(
    script: str,
    folder: Path,
    env: Mapping[str, str],
    extra_args: tuple[str, ...] = (),
    port: int | None = None,
) -> Iterator[str]:
    """`streamlit run SCRIPT` on a free 127.0.0.1 port (or `port`) with only these MIRADOR_*
    settings (worker mode unless told otherwise); yields the URL once healthy, then stops it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MIRADOR_")}
    clean.update({"MIRADOR_SCHEDULER_MODE": "worker", **env})
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = folder / f"streamlit-{port}.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                script,
                "--server.headless=true",
                "--server.address=127.0.0.1",
                f"--server.port={port}",
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
                *extra_args,
            ],
            cwd=ROOT,
            env=clean,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not _healthy(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard served by a real Streamlit server on a seeded database (worker mode: no
    background jobs change the numbers mid-test), signed in as the demo director."""
    folder = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{folder / 'mirador.db'}"
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    engine.dispose()
    seed_tiny_demo(database_url, now=datetime.now(UTC))  # real now: fresh, not stale
    with streamlit_server(
        "dashboard.py", folder, {"MIRADOR_DATABASE_URL": database_url, **DEMO_SIGN_IN}
    ) as url:
        yield url


@pytest.fixture(scope="session")
def chromium_browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def app_page(chromium_browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page with a tall viewport (Streamlit scrolls inside its own container)."""
    context = chromium_browser.new_context(viewport={"width": 1500, "height": 1400})
    new_page = context.new_page()
    yield new_page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
