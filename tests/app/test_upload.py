"""AppTest of the upload page, signed in as the demo admin: a good file loads with its counts, the
same file again is all duplicates, a bad file shows its quarantined rows with line and reason, the
real Amazon Connect samples load together, and a bad column mapping is refused with a message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from models.db import make_engine, session_factory
from models.tables import Contact
from tests.app.seed_data import ROOT, run_app

PAGE = str(ROOT / "pages" / "upload.py")
GOOD = (
    b"contact_id,queue,offered_at,wait_s,talk_s,acw_s,outcome,agent\n"
    b"up-1,uploads,2026-03-04T08:00:00Z,10,100,20,answered,ana.upload\n"
    b"up-2,uploads,2026-03-04T08:05:00Z,30,,,abandoned,\n"
    b"up-3,uploads,2026-03-04T08:10:00Z,8,60,0,answered,ana.upload\n"
)
BAD = b"contact_id,queue,offered_at\nx1,uploads,yesterday\nx2,uploads,\n"


@pytest.fixture
def admin_env(seeded_env: str, signed_in_as, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    signed_in_as("admin@mirador.demo")
    monkeypatch.setenv("MIRADOR_UPLOAD_DIR", str(tmp_path / "uploads"))
    return seeded_env


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def upload(at: AppTest, kind: str, *files: tuple[str, bytes]) -> AppTest:
    at.file_uploader(key=f"upload_{kind}").set_value([(name, data, "text/csv") for name, data in files])
    return at.button(key=f"load_{kind}").click().run()


def stored_keys(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return set(session.execute(select(Contact.source_key).where(Contact.source == "csv")).scalars())
    finally:
        engine.dispose()


def test_good_file_loads_and_the_same_file_again_is_all_duplicates(admin_env: str, tmp_path: Path) -> None:
    at = run_app(PAGE)
    assert not at.exception
    assert [t.value for t in at.title] == ["Upload data"]
    upload(at, "contacts", ("day.csv", GOOD))
    assert not at.exception
    assert metrics(at) == {"Rows loaded": "3", "Duplicates skipped": "0", "Rows quarantined": "0"}
    assert at.success[0].value == "Loaded 1 file(s): 3 row(s) new or changed."
    assert stored_keys(admin_env) == {"up-1", "up-2", "up-3"}
    assert len(list((tmp_path / "uploads" / "contacts").iterdir())) == 1  # the original is kept
    at.button(key="load_contacts").click().run()  # the same file, loaded again
    assert metrics(at) == {"Rows loaded": "0", "Duplicates skipped": "3", "Rows quarantined": "0"}
    assert stored_keys(admin_env) == {"up-1", "up-2", "up-3"}


def test_bad_file_shows_each_quarantined_row_and_why(admin_env: str) -> None:
    at = upload(run_app(PAGE), "contacts", ("broken.csv", BAD))
    assert not at.exception
    assert at.error[0].value == "Nothing could be read from these files: see the reasons below."
    assert metrics(at)["Rows quarantined"] == "2"
    reasons = at.dataframe[-1].value
    assert list(zip(reasons["line"], reasons["reason"], strict=True)) == [
        (2, "offered_at 'yesterday' is not a timestamp"),
        (3, "offered_at is empty"),
    ]
    # the kept copy under upload_dir: <time>-<sha1 prefix>-broken.csv
    assert all(re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{10}-broken\.csv", name) for name in reasons["file"])
    assert stored_keys(admin_env) == set()


@pytest.mark.usefixtures("admin_env")
def test_amazon_connect_samples_upload_together(shared_data: Path) -> None:
    files = [(p.name, p.read_bytes()) for p in sorted((shared_data / "amazon_connect").iterdir())]
    at = upload(run_app(PAGE), "connect", *files)
    assert not at.exception
    # one contact (its 6 deliveries and a copy: 6 duplicates), 2 agent states; 5 broken records
    assert metrics(at) == {"Rows loaded": "3", "Duplicates skipped": "6", "Rows quarantined": "5"}
    assert len(at.dataframe[-1].value) == 5


@pytest.mark.usefixtures("admin_env")
def test_bad_column_mapping_is_refused_with_a_message(shared_data: Path) -> None:
    at = run_app(PAGE)
    at.text_input(key="upload_mapping").set_value("{csat: Q1}")
    sample = shared_data / "surveys" / "qualtrics_export_sample_qualtRics.csv"
    at = upload(at, "surveys", (sample.name, sample.read_bytes()))
    assert not at.exception
    assert at.error[0].value.startswith("Column mapping: the mapping is not JSON")
    at.text_input(key="upload_mapping").set_value('{"csat": "Q1", "verbatim": "Q2"}')
    at.button(key="load_surveys").click().run()
    assert metrics(at) == {"Rows loaded": "1", "Duplicates skipped": "0", "Rows quarantined": "0"}
