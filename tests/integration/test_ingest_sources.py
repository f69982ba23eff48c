"""The file sources against SQLite and PostgreSQL: Amazon Connect (every real sample), surveys (both
real Qualtrics samples, attribution to the rated contact's agent), generic CSV; idempotent reloads,
duplicates across files, quarantine with line numbers, KPIs hand-computed from METRICS.md, the
`mirador ingest` command (and `mirador kpis` after it on every real queue_log), the scheduled
jobs, readers never seeing half a refresh, and a load killed mid-run."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from jobs import cli, scheduler
from jobs.sources.files import ingest_path
from models.access import OPERATOR
from models.db import SessionFactory, make_engine, session_factory, session_scope
from models.metrics import frame_records
from models.queries import kpis
from models.settings import Settings, load_settings
from models.tables import Agent, AgentStateSegment, Contact, JobRun, Quarantine, Queue, SurveyResponse

ROOT = Path(__file__).resolve().parents[2]
LATER = datetime(2024, 6, 1, tzinfo=UTC)
CTR_KEY = "6fe40d2a-1a89-4d73-bfcf-5d9c33894f47"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def aware(value: Any) -> Any:
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value


def load(factory: SessionFactory, settings: Settings, kind: str, path: Path, **options: Any):  # type: ignore[no-untyped-def]
    return ingest_path(session_factory=factory, settings=settings, kind=kind, path=path, now=LATER, **options)


def contacts(factory: SessionFactory) -> dict[str, dict[str, Any]]:
    with factory() as session:
        rows = session.execute(
            select(Contact, Queue.name, Agent.code)
            .join(Queue, Queue.id == Contact.queue_id)
            .outerjoin(Agent, Agent.id == Contact.agent_id)
        ).all()
    return {
        c.source_key: {**{k: aware(v) for k, v in c.model_dump().items()}, "queue": q, "agent": a}
        for c, q, a in rows
    }


def segments(factory: SessionFactory) -> list[tuple[Any, ...]]:
    with factory() as session:
        rows = session.execute(
            select(Agent.code, AgentStateSegment.state, AgentStateSegment.reason, AgentStateSegment.start_at)
            .add_columns(AgentStateSegment.end_at, AgentStateSegment.batch_id)
            .join(Agent, Agent.id == AgentStateSegment.agent_id)
        ).all()
    return sorted((code, state, reason, aware(s), aware(e), b) for code, state, reason, s, e, b in rows)


def quarantine(factory: SessionFactory) -> list[tuple[str, int | None, str]]:
    with factory() as session:
        rows = session.execute(select(Quarantine.location, Quarantine.line_no, Quarantine.reason)).all()
    return sorted((Path(loc).name, line, reason) for loc, line, reason in rows)


def kpi_rows(factory: SessionFactory, settings: Settings, day: date, by: str) -> list[dict[str, Any]]:
    with factory() as session:
        table = kpis(session=session, viewer=OPERATOR, settings=settings, start=day, end=day, by=by)
    return frame_records(table)


def close(actual: Any, expected: float) -> bool:
    return actual is not None and math.isclose(float(actual), expected, rel_tol=1e-9)


# --- Amazon Connect --------------------------------------------------------------------------------


def test_connect_samples_load_once_and_a_reload_changes_nothing(
    factory: SessionFactory, settings: Settings, shared_data: Path
) -> None:
    folder = shared_data / "amazon_connect"
    first = load(factory, settings, "connect", folder)
    # 7 files, 13 records: 7 CTRs (6 deliveries of one contact + its single copy), 1 valid agent event,
    # 1 EventBridge event, 4 broken records (3 files; the heartbeat file breaks in two)
    assert (first.files, first.records, first.quarantined) == (7, 13, 5)
    assert first.tables == {"contacts": 1, "agent_states": 2}
    assert first.duplicates == 6  # 5 re-deliveries in one file + the same contact in the single file
    assert quarantine(factory) == [
        (
            "aws-doc-2019_agent-event_STATE_CHANGE_enter-ACW.jsonc",
            1,
            "not valid JSON: a comment (// or /* */) at line 47",
        ),
        ("aws-doc-2023_agent-event_HEART_BEAT.jsonc", 1, "not valid JSON: a comment (// or /* */) at line 7"),
        ("aws-doc-2023_agent-event_HEART_BEAT.jsonc", 68, "text outside any JSON record"),
        (
            "aws-doc-2023_contact-event_CONNECTED_TO_AGENT_detail-only.json",
            1,
            "EventBridge contact event: not loaded (Mirador reads contact records and agent events)",
        ),
        (
            "aws-doc-2023_contact-event_DISCONNECTED_envelope.jsonc",
            1,
            "not valid JSON: a trailing comma at line 37",
        ),
    ]
    (c,) = contacts(factory).values()
    assert (c["source"], c["source_key"], c["queue"], c["agent"], c["channel"]) == (
        "connect",
        CTR_KEY,
        "TCC Refrig AC LLA",
        "Steve.Lusk",
        "voice",
    )
    assert (c["offered_at"], c["answered_at"], c["ended_at"], c["completed_at"]) == (
        utc("2022-01-05T17:14:46"),
        utc("2022-01-05T17:20:32"),
        utc("2022-01-05T17:28:12"),
        utc("2022-01-05T17:28:17"),
    )
    # 2022-01-05 00:00 UTC = 1641340800; 17:00 -> +61200 = 1641402000; 17:15 -> 1641402900
    assert (c["offered_interval"], c["completed_interval"]) == (1641402000, 1641402900)
    assert (c["wait_s"], c["talk_s"], c["hold_s"], c["hold_count"], c["acw_s"]) == (346, 239, 221, 2, 5)
    assert (c["outcome"], c["transferred"], c["customer_key"], c["batch_id"]) == (
        "answered",
        True,
        "+190011112222",
        first.batch_ids[0],
    )
    acw_start, acw_end = utc("2018-10-25T18:55:27.027"), utc("2018-10-25T18:55:32.032")
    assert [s[:5] for s in segments(factory)] == [
        ("(Removed)", "acw", None, acw_start, acw_end),
        ("(Removed)", "available", None, acw_end, None),
    ]
    # METRICS.md on the one contact: wait 346 s > T = 20 s -> SL 0/1; ASA 346; AHT = 239 + 221 + 5 = 465;
    # transferred 1/1; held (hold 221 > 0) 1 of 1 answered with known hold
    (row,) = kpi_rows(factory, settings, date(2022, 1, 5), "queue")
    assert (row["queue"], row["offered"], row["answered"], row["abandoned"]) == ("TCC Refrig AC LLA", 1, 1, 0)
    assert close(row["service_level"], 0.0) and close(row["asa"], 346.0) and close(row["aht"], 465.0)
    assert close(row["transfer_rate"], 1.0) and close(row["hold_rate"], 1.0)

    before, seg_before = contacts(factory), segments(factory)
    again = load(factory, settings, "connect", folder)
    assert (again.loaded, again.tables) == (0, {"contacts": 0, "agent_states": 0})
    assert again.duplicates == 8  # 5 in-file re-deliveries, 2 stored contacts, 1 agent event already applied
    assert contacts(factory) == before and segments(factory) == seg_before  # batch ids included
    assert len(quarantine(factory)) == 5  # the same rejected records are not kept twice


def test_connect_later_delivery_replaces_the_contact_and_the_kpis(
    factory: SessionFactory, settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    load(
        factory,
        settings,
        "connect",
        shared_data / "amazon_connect" / "ctr_single_inbound_hold_acw_transfer_call-center-analytics.json",
    )
    record = json.loads(
        (shared_data / "amazon_connect" / "ctr_redelivered_duplicates_call-center-analytics.json").read_text()
    )[-1]
    record["LastUpdateTimestamp"] = "2022-01-12T09:00:00Z"
    record["Agent"]["AfterContactWorkDuration"] = 7
    record["Agent"]["AfterContactWorkEndTimestamp"] = "2022-01-05T17:28:19Z"
    older = {**json.loads(json.dumps(record)), "LastUpdateTimestamp": "2022-01-05T17:48:35Z"}
    update = tmp_path / "firehose-2022-01-12"
    update.write_text(json.dumps(older) + "\n" + json.dumps(record) + "\n")  # both in one delivery
    second = load(factory, settings, "connect", update)
    assert (second.tables, second.duplicates) == ({"contacts": 1}, 1)
    (c,) = contacts(factory).values()
    assert (c["acw_s"], c["completed_at"], c["batch_id"]) == (
        7,
        utc("2022-01-05T17:28:19"),
        second.batch_ids[0],
    )
    (row,) = kpi_rows(factory, settings, date(2022, 1, 5), "queue")
    assert close(row["aht"], 239 + 221 + 7)

    # A re-delivery of an earlier version arriving in a later file must not undo the newer one.
    stale = {**json.loads(json.dumps(record)), "LastUpdateTimestamp": "2022-01-06T08:00:00Z"}
    stale["Agent"]["AfterContactWorkDuration"] = 99
    late = tmp_path / "firehose-2022-01-13"
    late.write_text(json.dumps(stale) + "\n")
    third = load(factory, settings, "connect", late)
    assert (third.tables.get("contacts", 0), third.duplicates) == (0, 1)
    (c,) = contacts(factory).values()
    assert (c["acw_s"], c["batch_id"]) == (7, second.batch_ids[0])
    # ...while a newer one does replace it
    newer = {**json.loads(json.dumps(record)), "LastUpdateTimestamp": "2022-01-14T08:00:00Z"}
    newer["Agent"]["AfterContactWorkDuration"] = 9
    latest = tmp_path / "firehose-2022-01-14"
    latest.write_text(json.dumps(newer) + "\n")
    fourth = load(factory, settings, "connect", latest)
    (c,) = contacts(factory).values()
    assert (c["acw_s"], c["batch_id"]) == (9, fourth.batch_ids[0])


def test_connect_agent_events_across_files_continue_the_agents_state(
    factory: SessionFactory, settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    folder = shared_data / "amazon_connect"
    enter = tmp_path / "enter.json"  # the documented event without its `//` comment
    enter.write_text(
        (folder / "aws-doc-2019_agent-event_STATE_CHANGE_enter-ACW.jsonc")
        .read_text()
        .replace("//Agent entered ACW at this time", "")
    )
    first = load(factory, settings, "connect", enter)
    connected, ended, left = (utc(f"2018-10-25T18:55:{s}") for s in ("21.021", "27.027", "32.032"))
    assert [s[:5] for s in segments(factory)] == [
        ("(Removed)", "acw", None, ended, None),  # ACW still running: no later event yet
        ("(Removed)", "on_contact", None, connected, ended),
    ]
    second = load(
        factory, settings, "connect", folder / "aws-doc-2019_agent-event_STATE_CHANGE_leave-ACW.json"
    )
    found = segments(factory)
    assert [s[:5] for s in found] == [
        ("(Removed)", "acw", None, ended, left),  # closed by the next change with no contacts: 5.005 s
        ("(Removed)", "available", None, left, None),
        ("(Removed)", "on_contact", None, connected, ended),
    ]
    assert [s[5] for s in found] == [second.batch_ids[0], second.batch_ids[0], first.batch_ids[0]]
    replay = load(factory, settings, "connect", enter)
    assert (replay.loaded, replay.duplicates) == (0, 1) and segments(factory) == found


def test_text_no_database_column_can_hold_is_quarantined_not_fatal(
    factory: SessionFactory, settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    good = json.loads(
        (
            shared_data / "amazon_connect" / "ctr_single_inbound_hold_acw_transfer_call-center-analytics.json"
        ).read_text()
    )
    nul = {**json.loads(json.dumps(good)), "ContactId": "nul"}
    nul["Queue"]["Name"] = "sales\u0000"
    surrogate = {**json.loads(json.dumps(good)), "ContactId": "surrogate"}
    surrogate["Agent"]["Username"] = "\ud800"
    path = tmp_path / "hostile.json"
    # json.dumps writes "\u0000" and "\ud800" as escapes: valid JSON that decodes to text
    # PostgreSQL (NUL) and UTF-8 (lone surrogate) cannot store
    path.write_text("\n".join(json.dumps(r) for r in (nul, surrogate, good)) + "\n")
    result = load(factory, settings, "connect", path)
    assert (result.tables, result.quarantined) == ({"contacts": 1}, 2)
    assert quarantine(factory) == [
        ("hostile.json", 1, "NUL character in a text value"),
        ("hostile.json", 2, "text value is not valid Unicode (a lone surrogate)"),
    ]
    assert sorted(contacts(factory)) == [CTR_KEY]


# --- surveys --------------------------------------------------------------------------------------

CONTACTS_CSV = (
    "contact_id,queue,offered_at,answered_at,ended_at,acw_s,agent,customer\n"
    "c-ana,sales,2024-03-04 09:00:00,2024-03-04 09:00:10,2024-03-04 09:05:10,20,ana,+34600\n"
    "c-bob,sales,2024-03-04 11:00:00,2024-03-04 11:00:05,2024-03-04 11:04:05,10,bob,+34600\n"
    "c-eve,sales,2024-03-04 09:30:00,2024-03-04 09:30:30,2024-03-04 09:33:30,0,eve,+34699\n"
)
SURVEYS_CSV = (
    "response_id,contact_id,customer,answered_at,csat,comment\n"
    "s1,c-ana,,2024-03-04 09:20:00,5,by contact id\n"  # -> ana
    "s2,,+34600,2024-03-04 10:30:00,4,customer at 10:30: the 09:00 contact is the latest before\n"  # -> ana
    "s3,,+34600,2024-03-04 12:00:00,2,customer at 12:00: the 11:00 contact is nearer\n"  # -> bob
    "s4,1546015415.757927,,2018-12-28 18:00:00,5,an Asterisk UNIQUEID\n"  # -> Paty Marin
    "s5,unknown-id,+34999,2024-03-04 12:00:00,1,nobody\n"  # no such contact or customer
    "s6,,+34600,2024-03-20 12:00:00,3,16 days later: outside the 7-day window\n"
    "s7,c-eve,,2024-03-04 09:40:00,9,csat off its scale\n"  # quarantined, line 8
)


def test_surveys_are_credited_to_the_agent_of_the_contact_they_rate(
    factory: SessionFactory, settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    (tmp_path / "contacts.csv").write_text(CONTACTS_CSV)
    (tmp_path / "surveys.csv").write_text(SURVEYS_CSV)
    load(factory, settings, "contacts", tmp_path / "contacts.csv")
    load(factory, settings, "asterisk", shared_data / "asterisk" / "asterisk2slack_fixture.queue_log")
    result = load(factory, settings, "surveys", tmp_path / "surveys.csv")
    assert (result.tables, result.quarantined, result.detail) == (
        {"surveys": 6},
        1,
        {"surveys_linked": 4, "surveys_unlinked": 2},
    )
    assert result.rejected == [{"file": "surveys.csv", "line": 8, "reason": "csat 9 is outside 1..5"}]
    with factory() as session:
        rows = session.execute(
            select(SurveyResponse.source_key, Agent.code, Contact.source_key, Contact.survey_offered)
            .outerjoin(Contact, Contact.id == SurveyResponse.contact_id)
            .outerjoin(Agent, Agent.id == Contact.agent_id)
        ).all()
    assert sorted(rows, key=lambda r: r[0]) == [
        ("s1", "ana", "c-ana", True),
        ("s2", "ana", "c-ana", True),
        ("s3", "bob", "c-bob", True),
        ("s4", "Paty Marin", "1546015415.757927|201|1546015415", True),
        ("s5", None, None, None),
        ("s6", None, None, None),
    ]
    # METRICS.md CSAT = answers 4-5 / answers, per agent of the rated contact:
    # ana 5 and 4 -> 2/2; bob 2 -> 0/1
    by_agent = {r["agent"]: r for r in kpi_rows(factory, settings, date(2024, 3, 4), "agent")}
    assert (by_agent["ana"]["csat_n"], by_agent["bob"]["csat_n"], by_agent["eve"]["csat_n"]) == (2, 1, 0)
    assert (
        close(by_agent["ana"]["csat"], 1.0)
        and close(by_agent["bob"]["csat"], 0.0)
        and by_agent["eve"]["csat"] is None
    )
    (asterisk_day,) = kpi_rows(factory, settings, date(2018, 12, 28), "queue")
    assert (asterisk_day["csat_n"], asterisk_day["csat"]) == (1, 1.0)
    again = load(factory, settings, "surveys", tmp_path / "surveys.csv")
    assert (again.loaded, again.duplicates, again.quarantined) == (0, 6, 1)


def test_a_survey_loaded_before_its_contact_is_linked_when_reloaded(
    factory: SessionFactory, settings: Settings, tmp_path: Path
) -> None:
    survey = tmp_path / "early.csv"
    survey.write_text("response_id,contact_id,answered_at,csat\nlate-1,c-late,2024-03-04 10:00:00,5\n")
    contact = tmp_path / "late.csv"
    contact.write_text(
        "contact_id,queue,offered_at,wait_s,talk_s,agent\nc-late,sales,2024-03-04 09:55,5,60,ana\n"
    )
    early = load(factory, settings, "surveys", survey)
    assert (early.loaded, early.detail["surveys_unlinked"]) == (1, 1)
    load(factory, settings, "contacts", contact)
    relinked = load(factory, settings, "surveys", survey)
    assert (relinked.loaded, relinked.duplicates) == (1, 0)
    with factory() as session:
        stored = session.execute(select(SurveyResponse)).scalar_one()
    assert (stored.contact_id is not None, stored.batch_id) == (True, relinked.batch_ids[0])
    (row,) = kpi_rows(factory, settings, date(2024, 3, 4), "agent")
    assert (row["agent"], row["csat_n"]) == ("ana", 1)
    assert load(factory, settings, "surveys", survey).loaded == 0


def test_both_qualtrics_samples_hold_one_response(
    factory: SessionFactory, settings: Settings, shared_data: Path
) -> None:
    mapping = {"csat": "Q1", "verbatim": "Q2"}
    first = load(factory, settings, "surveys", shared_data / "surveys", mapping=mapping)
    # the same response R_2YPOQ602ER1jkf1 exported twice (legacy and current format): loaded once
    assert (first.files, first.records, first.loaded, first.duplicates, first.quarantined) == (2, 2, 1, 1, 0)
    with factory() as session:
        (answer,) = session.execute(select(SurveyResponse)).scalars().all()
    # EndDate 2017-07-18 08:28:48 in the centre's zone (Madrid, CEST = UTC+2)
    assert (answer.source, answer.source_key, aware(answer.answered_at)) == (
        "qualtrics",
        "R_2YPOQ602ER1jkf1",
        utc("2017-07-18T06:28:48"),
    )
    assert (answer.csat, answer.verbatim, answer.contact_id) == (2, "Hello World!", None)
    unmapped = load(factory, settings, "surveys", shared_data / "surveys")
    assert unmapped.nothing_read and unmapped.quarantined == 2


# --- generic CSV ----------------------------------------------------------------------------------


def test_csv_contacts_reload_is_idempotent_and_a_moved_contact_leaves_its_old_interval(
    factory: SessionFactory, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "contact_id,queue,offered_at,wait_s,talk_s,acw_s,outcome,agent\n"  # line 1
        "k1,sales,2024-03-04T08:00:00Z,10,100,20,answered,ana\n"
        "k2,sales,2024-03-04T08:05:00Z,30,200,10,answered,ana\n"
        "k3,sales,2024-03-04T08:10:00Z,8,,,abandoned,\n"
        "k4,sales,2024-03-04T08:20:00Z,2,,,abandoned,\n"
        "k5,sales,soon,2,,,abandoned,\n"  # line 6
    )
    first = load(factory, settings, "contacts", path)
    assert (first.tables, first.quarantined) == ({"contacts": 4}, 1)
    assert quarantine(factory) == [("contacts.csv", 6, "offered_at 'soon' is not a timestamp")]
    # 08:00-08:15 UTC: k1, k2 answered (waits 10, 30 -> 1 within 20 s), k3 abandoned after 8 s (>= 5 s:
    # not short); 08:15-08:30: k4 abandoned after 2 s (short). Offered* = 4 - 1 short = 3 -> SL 1/3,
    # abandon rate 1/3, ASA 40/2 = 20, AHT (100+20 + 200+10)/2 = 165
    (day,) = kpi_rows(factory, settings, date(2024, 3, 4), "day")
    assert (day["offered"], day["answered"], day["abandoned"], day["short_abandoned"]) == (4, 2, 1, 1)
    assert close(day["service_level"], 1 / 3) and close(day["abandon_rate"], 1 / 3)
    assert close(day["asa"], 20.0) and close(day["aht"], 165.0)
    before = contacts(factory)
    assert load(factory, settings, "contacts", path).loaded == 0 and contacts(factory) == before

    moved = tmp_path / "correction.csv"  # k2 really entered at 09:05, in another interval
    moved.write_text(
        "contact_id,queue,offered_at,wait_s,talk_s,acw_s,outcome,agent\nk2,sales,2024-03-04T09:05:00Z,30,200,10,answered,ana\n"
    )
    fixed = load(factory, settings, "contacts", moved)
    assert (fixed.loaded, fixed.full_refresh, fixed.refresh["full"]) == (1, True, True)  # type: ignore[index]
    by_interval = {
        r["interval_start"]: r["offered"] for r in kpi_rows(factory, settings, date(2024, 3, 4), "interval")
    }
    assert by_interval == {
        "2024-03-04T08:00:00+00:00": 2,
        "2024-03-04T08:15:00+00:00": 1,
        "2024-03-04T09:00:00+00:00": 1,
    }


def test_csv_states_and_schedules_give_the_agent_metrics(
    factory: SessionFactory, settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "states.csv").write_text(
        "agent,state,reason,start_at,end_at\n"
        "ana,available,,2024-03-04 09:00,\n"
        "ana,on_contact,,2024-03-04 09:30,\n"
        "ana,aux,break,2024-03-04 09:50,2024-03-04 10:00\n"
        "ana,sleeping,,2024-03-04 10:00,\n"  # line 5
    )
    (tmp_path / "schedules.csv").write_text(
        "agent,activity,start_at,end_at\nana,work,2024-03-04 09:00,2024-03-04 10:00\n"
    )
    states = load(factory, settings, "states", tmp_path / "states.csv")
    schedules = load(factory, settings, "schedules", tmp_path / "schedules.csv")
    assert (states.tables, states.rejected[0]["line"], schedules.tables) == (
        {"agent_states": 3},
        5,
        {"schedules": 1},
    )
    # 60 min logged in: available 30, handling 20, break 10. Scheduled work 60 min, adherent while
    # available or handling = 50 -> 5/6; occupancy 20 / (20 + 30) = 0.4; utilization 20/60
    (row,) = kpi_rows(factory, settings, date(2024, 3, 4), "agent")
    assert row["agent"] == "ana"
    assert (
        close(row["adherence"], 5 / 6) and close(row["occupancy"], 0.4) and close(row["utilization"], 1 / 3)
    )
    again = load(factory, settings, "states", tmp_path / "states.csv")
    assert (again.loaded, again.duplicates) == (0, 3)


# --- the command line -------------------------------------------------------------------------------


@pytest.fixture
def cli_db(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MIRADOR_DATABASE_URL", db_url)
    monkeypatch.setenv("MIRADOR_UPLOAD_DIR", str(tmp_path / "uploads"))
    return db_url


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = cli.main(list(argv))
    out, _ = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None


@pytest.mark.usefixtures("cli_db")
def test_cli_on_the_asterisk2slack_log_then_kpis_by_queue(
    capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    code, loaded = run_cli(
        capsys,
        "ingest",
        "asterisk-queue-log",
        str(shared_data / "asterisk" / "asterisk2slack_fixture.queue_log"),
    )
    assert code == 0
    assert (loaded["records"], loaded["rows_quarantined"], loaded["duplicates_skipped"]) == (23, 0, 6)
    assert loaded["loaded_by_table"] == {"contacts": 4, "agent_states": 7}
    code, rows = run_cli(capsys, "kpis", "--from", "2018-12-28", "--to", "2018-12-28", "--by", "queue")
    (row,) = rows
    # By hand from the file (all on 2018-12-28 in Madrid, queue 201; METRICS.md identity rules):
    #  A 1546015415.757927: ENTERQUEUE 16:43:35 UTC, CONNECT wait 10, COMPLETECALLER talk 122
    #  B 1546023970.760296: no ENTERQUEUE; CONNECT wait 6, COMPLETEAGENT talk 228 (3 repeats ignored)
    #  C 1546023604.760166: only COMPLETECALLER wait 10, talk 406 (rebuilt)
    #  D 1546027663.761192: ENTERQUEUE, CONNECT wait 14, no end in the file (answered, still talking)
    # offered 4, answered 4, abandoned 0; waits 10, 6, 10, 14 all <= T = 20 s -> SL 4/4 = 1;
    # ASA (10+6+10+14)/4 = 10; handled = answered with an end: A, B, C -> AHT (122+228+406)/3 = 252
    # (queue_log has no hold or ACW: hold rate undefined); no transfers -> 0/4; longest wait 14.
    # Customers known for A and D only (B and C are rebuilt without a caller id), one contact each:
    # FCR 2/2, repeats 0/2.
    assert (row["queue"], row["offered"], row["answered"], row["abandoned"], row["short_abandoned"]) == (
        "201",
        4,
        4,
        0,
        0,
    )
    assert close(row["service_level"], 1.0) and close(row["asa"], 10.0) and close(row["aht"], 252.0)
    assert close(row["abandon_rate"], 0.0) and close(row["transfer_rate"], 0.0) and row["hold_rate"] is None
    assert close(row["fcr"], 1.0) and close(row["repeat_rate"], 0.0) and close(row["max_wait"], 14.0)
    assert row["avg_abandon_time"] is None and row["csat"] is None


@pytest.mark.usefixtures("cli_db")
def test_cli_on_the_system_events_only_log_then_kpis_by_queue(
    capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    code, loaded = run_cli(
        capsys,
        "ingest",
        "asterisk-queue-log",
        str(shared_data / "asterisk" / "asteriks_system_events_only.queue_log"),
    )
    # 12 lines: 8 QUEUESTART, 4 CONFIGRELOAD, every one read, no call at all
    assert code == 0 and (loaded["records"], loaded["rows_loaded"], loaded["rows_quarantined"]) == (12, 0, 0)
    # 1759217554 .. 1759231156 = 2025-09-30 07:32 .. 11:19 UTC: no contact -> no queue rows that day
    code, rows = run_cli(capsys, "kpis", "--from", "2025-09-30", "--to", "2025-09-30", "--by", "queue")
    assert (code, rows) == (0, [])


def test_cli_exit_codes(
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    shared_data: Path,
) -> None:
    monkeypatch.setenv("MIRADOR_DATABASE_URL", sqlite_url)
    bad = tmp_path / "bad.csv"
    bad.write_text("contact_id,queue,offered_at\nx,sales,never\n")
    partly = tmp_path / "partly.csv"
    partly.write_text("contact_id,queue,offered_at\nx,sales,never\ny,sales,2024-03-04T08:00:00Z\n")
    assert run_cli(capsys, "ingest", "amazon-connect", str(tmp_path / "missing"))[0] == 1
    assert run_cli(capsys, "ingest", "csv", "--kind", "contacts", str(bad))[0] == 1  # every row rejected
    code, out = run_cli(capsys, "ingest", "csv", "--kind", "contacts", str(partly))
    assert (code, out["rows_loaded"], out["rows_quarantined"]) == (0, 1, 1)
    code, out = run_cli(capsys, "ingest", "amazon-connect", str(shared_data / "amazon_connect"))
    assert (code, out["rows_loaded"], out["rows_quarantined"]) == (0, 3, 5)
    code, out = run_cli(
        capsys, "ingest", "surveys", str(shared_data / "surveys"), "--mapping", '{"csat": "Q1"}'
    )
    assert (code, out["rows_loaded"], out["duplicates_skipped"]) == (0, 1, 1)
    assert run_cli(capsys, "ingest", "surveys", str(shared_data / "surveys"), "--mapping", "{csat}")[0] == 2
    with pytest.raises(SystemExit):
        cli.main(["ingest", "csv", str(partly)])  # --kind is required


# --- scheduled ingestion ------------------------------------------------------------------------------


def test_ingest_jobs_are_scheduled_only_when_their_path_is_set(tmp_path: Path) -> None:
    base = {"database_url": f"sqlite:///{tmp_path / 'x.db'}", "demo_live": False, "ingest_seconds": 30}
    none = scheduler.build_scheduler(load_settings(**base), holder="me")
    assert [job.id for job in none.get_jobs()] == ["refresh"]
    every = load_settings(
        **base,
        asterisk_queue_log_path=str(tmp_path),
        connect_dir=str(tmp_path),
        surveys_dir=str(tmp_path),
        csv_dir=str(tmp_path),
    )
    jobs = {job.id: job for job in scheduler.build_scheduler(every, holder="me").get_jobs()}
    assert sorted(jobs) == ["ingest_asterisk", "ingest_connect", "ingest_csv", "ingest_surveys", "refresh"]
    assert {jobs[j].trigger.interval.total_seconds() for j in jobs if j.startswith("ingest")} == {30.0}
    assert {jobs[j].misfire_grace_time for j in jobs if j.startswith("ingest")} == {15}


def test_scheduled_jobs_read_new_files_once_then_refresh(
    factory: SessionFactory, settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    connect = tmp_path / "connect" / "2022" / "01" / "05"
    connect.mkdir(parents=True)
    shutil.copy(
        shared_data / "amazon_connect" / "ctr_redelivered_duplicates_call-center-analytics.json",
        connect / "part-1",
    )
    (tmp_path / "csv" / "contacts").mkdir(parents=True)
    (tmp_path / "csv" / "contacts" / "day.csv").write_text(CONTACTS_CSV)
    configured = settings.model_copy(
        update={"connect_dir": str(tmp_path / "connect"), "csv_dir": str(tmp_path / "csv")}
    )
    for job in (scheduler.ingest_connect_job, scheduler.ingest_csv_job):
        job(session_factory=factory, settings=configured, now=LATER)
        job(session_factory=factory, settings=configured, now=LATER)
    with factory() as session:
        runs = session.execute(
            select(JobRun.job, JobRun.status, JobRun.rows_out, JobRun.detail).order_by(JobRun.id)
        ).all()
    ingests = [
        (job, status, rows, json.loads(detail)["unchanged_files"])
        for job, status, rows, detail in runs
        if job != "refresh"
    ]
    assert ingests == [
        ("ingest_connect", "ok", 1, 0),
        ("ingest_connect", "ok", 0, 1),  # the same file, unchanged: not read again
        ("ingest_csv", "ok", 3, 0),
        ("ingest_csv", "ok", 0, 1),
    ]
    assert [job for job, *_ in runs].count("refresh") == 4  # each source run is followed by a refresh
    assert sorted(contacts(factory)) == [CTR_KEY, "c-ana", "c-bob", "c-eve"]


# --- concurrency: readers never see half a refresh -------------------------------------------------


def test_reader_never_sees_half_a_refresh(db_url: str, settings: Settings, tmp_path: Path) -> None:
    """A writer loads files of 1 + 2 + 3 contacts (queues q1, q2, q3; q1 in another interval) and
    refreshes after each; a reader reads the KPIs by queue and by day in one snapshot over and over.
    Every read must show a whole number of files: q2 = 2 q1, q3 = 3 q1, the day total = their sum,
    and it never goes down."""
    files = []
    for n in range(8):
        rows = [f"f{n}-1,q1,2024-03-04T08:0{n}:00Z,5,abandoned"]
        rows += [f"f{n}-{k},q2,2024-03-04T08:2{n}:00Z,5,abandoned" for k in (2, 3)]
        rows += [f"f{n}-{k},q3,2024-03-04T08:2{n}:30Z,5,abandoned" for k in (4, 5, 6)]
        path = tmp_path / f"part{n}.csv"
        path.write_text("contact_id,queue,offered_at,wait_s,outcome\n" + "\n".join(rows) + "\n")
        files.append(path)
    writer_engine, reader_engine = make_engine(db_url), make_engine(db_url)
    if not db_url.startswith("sqlite"):
        reader_engine = reader_engine.execution_options(isolation_level="REPEATABLE READ")
    writer, reader = session_factory(writer_engine), session_factory(reader_engine)
    done, seen, errors = threading.Event(), [], []

    def write() -> None:
        try:
            for path in files:
                load(writer, settings, "contacts", path)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while True:
            finished = done.is_set()  # then this read starts after the last refresh
            with reader() as session:
                if db_url.startswith("sqlite"):
                    session.connection().exec_driver_sql("BEGIN")  # one WAL snapshot for both reads
                by_queue = kpis(
                    session=session,
                    viewer=OPERATOR,
                    settings=settings,
                    start=date(2024, 3, 4),
                    end=date(2024, 3, 4),
                    by="queue",
                )
                by_day = kpis(
                    session=session,
                    viewer=OPERATOR,
                    settings=settings,
                    start=date(2024, 3, 4),
                    end=date(2024, 3, 4),
                    by="day",
                )
                session.rollback()
            offered = {r["queue"]: r["offered"] for r in frame_records(by_queue)}
            total = sum(r["offered"] for r in frame_records(by_day))
            seen.append((offered.get("q1", 0), offered.get("q2", 0), offered.get("q3", 0), total))
            if finished and len(seen) >= 3:
                break
    finally:
        thread.join()
        writer_engine.dispose()
        reader_engine.dispose()
    assert errors == []
    for q1, q2, q3, total in seen:
        assert (q2, q3, total) == (2 * q1, 3 * q1, 6 * q1), seen
    totals = [s[3] for s in seen]
    assert totals == sorted(totals) and totals[-1] == 48


# --- crash safety -------------------------------------------------------------------------------------

KILLED_RUN = """
import sys, time
from datetime import datetime
from pathlib import Path
from jobs.sources import store
from jobs.sources.files import ingest_path
from models.db import make_engine, session_factory
from models.settings import load_settings

write = store.RunWriter.write

def slow_write(self, session, parsed):
    time.sleep(0.25)  # leave the test time to kill us between two files
    return write(self, session, parsed)

store.RunWriter.write = slow_write
url, folder = sys.argv[1], sys.argv[2]
ingest_path(session_factory=session_factory(make_engine(url)), settings=load_settings(database_url=url),
            kind="contacts", path=Path(folder), now=datetime.fromisoformat(sys.argv[3]), only_changed=True)
"""


def test_a_load_killed_between_files_resumes_to_the_rows_of_one_clean_run(
    sqlite_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "contacts"
    folder.mkdir()
    for n in range(10):
        rows = "\n".join(
            f"f{n}-{k},q{k % 3},2024-03-04T{8 + n:02d}:{k:02d}:00Z,{k},abandoned" for k in range(50)
        )
        (folder / f"part{n:02d}.csv").write_text("contact_id,queue,offered_at,wait_s,outcome\n" + rows + "\n")
        os.utime(folder / f"part{n:02d}.csv", (1_700_000_000 + n, 1_700_000_000 + n))  # oldest first
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, sqlite_url, str(folder), LATER.isoformat()],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    engine = make_engine(sqlite_url)
    factory = session_factory(engine)

    def stored() -> int:
        with factory() as session:
            return len(session.execute(select(Contact.id)).all())

    deadline = time.monotonic() + 60
    while stored() < 100 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the load finished before it could be killed"
    partial = stored()
    assert 100 <= partial < 500 and partial % 50 == 0  # whole files only: one transaction per file
    settings = load_settings(database_url=sqlite_url)
    rerun = ingest_path(
        session_factory=factory, settings=settings, kind="contacts", path=folder, now=LATER, only_changed=True
    )
    assert rerun.unchanged_files == partial // 50 and rerun.loaded == 500 - partial
    reference_path = tmp_path / "reference.db"
    shutil.copy(sqlite_template, reference_path)
    reference_engine = make_engine(f"sqlite:///{reference_path}")
    reference = session_factory(reference_engine)
    ingest_path(
        session_factory=reference,
        settings=load_settings(database_url=f"sqlite:///{reference_path}"),
        kind="contacts",
        path=folder,
        now=LATER,
    )

    def facts(f: SessionFactory) -> dict[str, Any]:
        return {
            k: {c: v for c, v in row.items() if c not in ("id", "batch_id", "queue_id")}
            for k, row in contacts(f).items()
        }

    assert facts(factory) == facts(reference) and len(facts(reference)) == 500
    with session_scope(factory) as session:
        runs = session.execute(select(JobRun.status, JobRun.error).where(JobRun.job == "ingest_csv")).all()
    # the killed run's process is gone: the refresh after the rerun marked it failed, saying why
    assert [tuple(r) for r in runs] == [("failed", "its process ended before the run finished"), ("ok", None)]
    engine.dispose()
    reference_engine.dispose()
