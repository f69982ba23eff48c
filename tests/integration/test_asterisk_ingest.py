"""Asterisk queue_log ingestion against SQLite and PostgreSQL: the real samples (hand-computed),
idempotent reloads, tailing (append, rotation, truncation, partial last line), quarantine, the
realtime CSV form, and a crash (SIGKILL) in the middle of a big load."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from jobs.sources import asterisk, asterisk_store
from jobs.sources.asterisk import ingest_queue_log, ingest_realtime_csv
from jobs.sources.asterisk_gen import generate_queue_log
from models.db import SessionFactory, make_engine, session_factory
from models.ingest import CONTACT_COLUMNS, SEGMENT_COLUMNS
from models.settings import Settings, load_settings
from models.tables import Agent, AgentStateSegment, Contact, JobRun, Quarantine, Queue, SourceCheckpoint

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = "asterisk/asterisk2slack_fixture.queue_log"
SYSTEM_ONLY = "asterisk/asteriks_system_events_only.queue_log"
LATER = datetime(2019, 1, 1, tzinfo=UTC)  # runs after the fixture's day: nothing there is "waiting"


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return value


def stored_contacts(factory: SessionFactory) -> dict[str, dict[str, Any]]:
    """Every contact by natural key, with queue and agent by name (ids differ between databases)."""
    with factory() as session:
        rows = session.execute(
            select(Contact, Queue.name, Agent.code)
            .join(Queue, Queue.id == Contact.queue_id)
            .outerjoin(Agent, Agent.id == Contact.agent_id)
        ).all()
    found = {}
    for contact, queue, agent in rows:
        values = {
            k: aware(v) for k, v in contact.model_dump().items() if k not in ("id", "queue_id", "agent_id")
        }
        found[contact.source_key] = {**values, "queue": queue, "agent": agent}
    return found


def stored_segments(factory: SessionFactory) -> list[tuple[Any, ...]]:
    with factory() as session:
        rows = session.execute(
            select(Agent.code, AgentStateSegment.state, AgentStateSegment.reason, AgentStateSegment.start_at)
            .add_columns(AgentStateSegment.end_at)
            .join(Agent, Agent.id == AgentStateSegment.agent_id)
        ).all()
    return sorted((code, state, reason, aware(start), aware(end)) for code, state, reason, start, end in rows)


def without_batch(contacts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {key: {k: v for k, v in row.items() if k != "batch_id"} for key, row in contacts.items()}


def run(
    factory: SessionFactory, settings: Settings, path: Path, now: datetime = LATER
) -> asterisk.IngestResult:
    return ingest_queue_log(session_factory=factory, settings=settings, path=path, now=now)


def last_time(path: Path) -> datetime:
    stamps = [int(line.split("|", 1)[0]) for line in path.read_text().splitlines() if line[:1].isdigit()]
    return utc(max(stamps))


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    """About an hour of a 48-agent centre, already in time order (no dirt) so that any split of it
    must load exactly like the whole file."""
    path = tmp_path / "generated.log"
    generate_queue_log(path, lines=4000, seed=7, dirty=False)
    return path


@pytest.fixture
def reference(sqlite_template: Path, tmp_path: Path) -> SessionFactory:
    """A second, empty SQLite database for a clean single run to compare with."""
    path = tmp_path / "reference.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield session_factory(engine)
    engine.dispose()


# --- the real samples -------------------------------------------------------------------------------


def test_asterisk2slack_fixture_hand_computed(
    factory: SessionFactory, settings: Settings, shared_data: Path
) -> None:
    result = run(factory, settings, shared_data / FIXTURE)
    assert (result.lines_read, result.quarantined, result.contacts_loaded) == (23, 0, 4)
    assert result.duplicate_lines == 6  # lines 8-13 repeat line 2 byte for byte
    assert result.events == {
        "DID": 1,
        "ENTERQUEUE": 2,
        "RINGNOANSWER": 3,
        "CONNECT": 3,
        "COMPLETECALLER": 2,
        "COMPLETEAGENT": 4,
    }
    # two contacts rebuilt from a CONNECT / COMPLETECALLER without ENTERQUEUE; the COMPLETEAGENT lines
    # with origposition 4, 5 and 6 are second outcomes of an ended contact (rule 4)
    assert result.anomaly_counts == {"reconstructed": 2, "outcome_after_end": 3}
    found = stored_contacts(factory)
    assert sorted(found) == [
        "1546015415.757927|201|1546015415",
        "1546023604.760166|201|1546023604",
        "1546023970.760296|201|1546023970",
        "1546027663.761192|201|1546027663",
    ]
    a = found["1546015415.757927|201|1546015415"]
    # ENTERQUEUE t=1546015415; CONNECT wait 10 -> answered 1546015425; COMPLETECALLER talk 122 ->
    # ended 1546015425 + 122 = 1546015547; three RINGNOANSWER before the answer
    assert (a["outcome"], a["wait_s"], a["talk_s"], a["ring_no_answer"]) == ("answered", 10, 122, 3)
    assert (a["offered_at"], a["answered_at"]) == (utc(1546015415), utc(1546015425))
    assert a["ended_at"] == a["completed_at"] == utc(1546015547)
    # 1546015415 // 900 * 900 = 1717794 * 900 = 1546014600; 1546015547 -> 1717795 * 900 = 1546015500
    assert (a["offered_interval"], a["completed_interval"]) == (1546014600, 1546015500)
    assert (a["agent"], a["queue"], a["customer_key"], a["reconstructed"]) == (
        "Paty Marin",
        "201",
        "+13238679471",
        False,
    )
    assert (a["hold_s"], a["acw_s"], a["hold_count"], a["channel"]) == (None, None, None, "voice")

    b = found["1546023970.760296|201|1546023970"]
    # CONNECT at 1546023976 wait 6, no ENTERQUEUE: entry = 1546023976 - 6 = 1546023970;
    # COMPLETEAGENT at 1546024204 talk 228: 1546023976 + 228 = 1546024204
    assert (b["outcome"], b["wait_s"], b["talk_s"], b["reconstructed"], b["agent"]) == (
        "answered",
        6,
        228,
        True,
        "Paty Marin",
    )
    assert (b["answered_at"], b["ended_at"]) == (utc(1546023976), utc(1546024204))
    # 1546023970 - 1546023600 (= 1717804 * 900) = 370 s into its interval; the end 604 s
    assert (b["offered_interval"], b["completed_interval"]) == (1546023600, 1546023600)

    c = found["1546023604.760166|201|1546023604"]
    # only a COMPLETECALLER at 1546024020 with wait 10, talk 406: entry = 1546024020 - 406 - 10
    assert (c["outcome"], c["wait_s"], c["talk_s"], c["reconstructed"], c["agent"]) == (
        "answered",
        10,
        406,
        True,
        "Vanessa Flores",
    )
    assert (c["offered_at"], c["answered_at"], c["ended_at"]) == (
        utc(1546023604),
        utc(1546023614),
        utc(1546024020),
    )

    d = found["1546027663.761192|201|1546027663"]
    # ENTERQUEUE t=1546027663, CONNECT at 1546027677 with wait 14, no end in the file: still talking
    assert (d["outcome"], d["wait_s"], d["talk_s"], d["ended_at"], d["completed_at"]) == (
        "answered",
        14,
        None,
        None,
        None,
    )
    assert (d["answered_at"], d["customer_key"], d["offered_interval"]) == (
        utc(1546027677),
        "+13238679475",
        1546027200,
    )

    assert stored_segments(factory) == [
        ("Paty Marin", "available", None, utc(1546015547), utc(1546023976)),
        ("Paty Marin", "available", None, utc(1546024204), utc(1546027677)),
        ("Paty Marin", "on_contact", None, utc(1546015425), utc(1546015547)),
        ("Paty Marin", "on_contact", None, utc(1546023976), utc(1546024204)),
        ("Paty Marin", "on_contact", None, utc(1546027677), None),
        ("Vanessa Flores", "available", None, utc(1546024020), None),
        ("Vanessa Flores", "on_contact", None, utc(1546023614), utc(1546024020)),
    ]
    with factory() as session:
        (job,) = session.execute(select(JobRun)).scalars().all()
        queue = session.execute(select(Queue)).scalar_one()
        batches = set(session.execute(select(Contact.batch_id)).scalars())
    assert (job.job, job.status, job.rows_in, job.rows_rejected) == ("asterisk_queue_log", "ok", 23, 0)
    assert batches == {job.id} == {result.batch_id}
    assert (queue.name, queue.channel, queue.team_id) == ("201", "voice", None)


def test_system_events_only_file_has_no_contacts(
    factory: SessionFactory, settings: Settings, shared_data: Path
) -> None:
    result = run(
        factory, settings, shared_data / SYSTEM_ONLY, now=utc(1759231156 + 3600)
    )  # after its last line
    assert (result.lines_read, result.contacts_loaded, result.quarantined) == (12, 0, 0)
    assert result.events == {"QUEUESTART": 8, "CONFIGRELOAD": 4}
    assert stored_contacts(factory) == {}


# --- idempotence and tailing ----------------------------------------------------------------------------


def test_same_file_twice_changes_nothing(
    factory: SessionFactory, settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    run(factory, settings, shared_data / FIXTURE)
    before, segments = stored_contacts(factory), stored_segments(factory)
    again = run(factory, settings, shared_data / FIXTURE)
    assert (again.lines_read, again.contacts_loaded, again.segments_loaded) == (0, 0, 0)
    # the same bytes under another name (no checkpoint there): every contact is a known duplicate
    copy = tmp_path / "queue_log.copy"
    shutil.copy(shared_data / FIXTURE, copy)
    replay = run(factory, settings, copy)
    assert (replay.lines_read, replay.contacts_loaded, replay.duplicates_skipped) == (23, 0, 4)
    assert replay.segments_loaded == 0
    assert stored_contacts(factory) == before  # batch ids included: no row was touched
    assert stored_segments(factory) == segments


def test_append_with_partial_last_line_equals_one_run(
    factory: SessionFactory, settings: Settings, generated: Path, reference: SessionFactory, tmp_path: Path
) -> None:
    now = last_time(generated) + timedelta(minutes=1)
    data = generated.read_bytes()
    cut = len(data) // 2 + 17  # in the middle of a line
    assert data[cut - 1 : cut] != b"\n"
    tail = tmp_path / "queue_log"
    tail.write_bytes(data[:cut])
    first = run(factory, settings, tail, now)
    complete = data[:cut].count(b"\n")
    assert first.lines_read == complete  # the unfinished line waits for its newline
    with factory() as session:
        point = session.execute(select(SourceCheckpoint)).scalar_one()
    assert point.offset == data[:cut].rfind(b"\n") + 1
    with open(tail, "ab") as handle:
        handle.write(data[cut:])
    second = run(factory, settings, tail, now)
    assert second.lines_read == data.count(b"\n") - complete
    run(reference, load_settings(database_url="sqlite://"), generated, now)
    assert without_batch(stored_contacts(factory)) == without_batch(stored_contacts(reference))
    assert stored_segments(factory) == stored_segments(reference)


def test_contact_open_at_the_end_of_a_run_is_completed_by_the_next(
    factory: SessionFactory, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text("1000|c1|sales|NONE|ENTERQUEUE||+34600|1\n1012|c1|sales|Ana|CONNECT|12|c1b|3\n")
    now = utc(2000)
    first = run(factory, settings, path, now)
    (row,) = stored_contacts(factory).values()
    assert (row["outcome"], row["ended_at"], row["batch_id"]) == ("answered", None, first.batch_id)
    with open(path, "a") as handle:
        handle.write("1100|c1|sales|Ana|COMPLETECALLER|12|88|1\n")
    second = run(factory, settings, path, now)
    (row,) = stored_contacts(factory).values()
    # answered 1000 + 12 = 1012, talk 88 -> ended 1100; the row now carries the second run's batch
    assert (row["outcome"], row["talk_s"], row["ended_at"], row["batch_id"]) == (
        "answered",
        88,
        utc(1100),
        second.batch_id,
    )
    assert (second.contacts_loaded, second.duplicates_skipped) == (1, 0)


def _split(generated: Path, at: int) -> tuple[bytes, bytes]:
    lines = generated.read_bytes().splitlines(keepends=True)
    return b"".join(lines[:at]), b"".join(lines[at:])


def test_rotation_reads_the_new_file_from_the_start(
    factory: SessionFactory, settings: Settings, generated: Path, reference: SessionFactory, tmp_path: Path
) -> None:
    now = last_time(generated) + timedelta(minutes=1)
    old, new = _split(generated, 2500)
    path = tmp_path / "queue_log"
    path.write_bytes(old)
    run(factory, settings, path, now)
    rotated = tmp_path / "queue_log.new"
    rotated.write_bytes(new)
    os.replace(rotated, path)  # logrotate: a new inode under the same name
    second = run(factory, settings, path, now)
    assert second.lines_read == new.count(b"\n")
    run(reference, load_settings(database_url="sqlite://"), generated, now)
    assert without_batch(stored_contacts(factory)) == without_batch(stored_contacts(reference))
    assert stored_segments(factory) == stored_segments(reference)


@pytest.mark.parametrize("at", [2500, 1000])
def test_file_rewritten_in_place_is_read_from_the_start(
    factory: SessionFactory,
    settings: Settings,
    generated: Path,
    reference: SessionFactory,
    tmp_path: Path,
    at: int,
) -> None:
    """copytruncate: same inode, new content, shorter than the old offset (2500 lines then 1500) or
    already longer again (1000 then 3000: only the bytes before the offset tell)."""
    now = last_time(generated) + timedelta(minutes=1)
    first_part, second_part = _split(generated, at)
    path = tmp_path / "queue_log"
    path.write_bytes(first_part)
    inode = path.stat().st_ino
    run(factory, settings, path, now)
    with open(path, "r+b") as handle:
        handle.truncate(0)
        handle.write(second_part)
    assert path.stat().st_ino == inode
    assert (len(second_part) > len(first_part)) is (at == 1000)
    second = run(factory, settings, path, now)
    assert second.lines_read == second_part.count(b"\n")
    run(reference, load_settings(database_url="sqlite://"), generated, now)
    assert without_batch(stored_contacts(factory)) == without_batch(stored_contacts(reference))


# --- bad input ------------------------------------------------------------------------------------------


def test_bad_lines_are_quarantined_and_good_ones_load(
    factory: SessionFactory, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_bytes(
        b"1000|c1|sales|NONE|ENTERQUEUE||+34600|1\n"
        b"yesterday|c1|sales|Ana|CONNECT|5|x|1\n"
        b"1005|c1|sales\n"
        b"1005|c1|sales|Ana|CONNECT|five|x|1\n"
        b"1006|c1|sales|Ana \xff\xfe|CONNECT|6|x|1\n"
        b"1006|c1|sal\x00es|Ana|CONNECT|6|x|1\n"
        b"99999999|c2|sales|NONE|ENTERQUEUE||1|1\n"  # 3 years after `now`: a corrupt date
        b"\n"
        b"1030|c1|sales|NONE|ABANDON|1|1|30\n"
    )
    result = run(factory, settings, path, utc(2000))
    assert (result.lines_read, result.quarantined, result.contacts_loaded) == (9, 6, 1)
    with factory() as session:
        rows = session.execute(select(Quarantine).order_by(Quarantine.line_no)).scalars().all()
        job = session.execute(select(JobRun)).scalar_one()
    assert [(q.line_no, q.reason.split(":")[0].split(" (")[0]) for q in rows] == [
        (2, "time is not a number"),
        (3, "too few fields"),
        (4, "CONNECT"),
        (5, "invalid UTF-8"),
        (6, "NUL byte in line"),
        (7, "time in the future"),
    ]
    assert {q.source for q in rows} == {"asterisk"} and {q.location for q in rows} == {str(path.resolve())}
    assert rows[3].raw is not None and "\ufffd" in rows[3].raw and "\x00" not in (rows[4].raw or "")
    assert (job.status, job.rows_rejected) == ("ok", 6)
    (contact,) = stored_contacts(factory).values()
    assert (contact["outcome"], contact["exit_reason"], contact["wait_s"]) == (
        "abandoned",
        "caller_abandon",
        30,
    )


def test_waiting_contact_becomes_unknown_after_stale_after(
    factory: SessionFactory, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text("1000|c1|sales|NONE|ENTERQUEUE||+34600|1\n")
    early = run(factory, settings, path, utc(1000 + 3600))  # 1 h later: still waiting
    assert early.closed_stale == 0 and stored_contacts(factory)["c1|sales|1000"]["outcome"] == "waiting"
    late = run(factory, settings, path, utc(1000 + 4 * 3600 + 1))  # stale_after_h = 4
    row = stored_contacts(factory)["c1|sales|1000"]
    assert late.closed_stale == 1
    assert (row["outcome"], row["wait_s"], row["batch_id"]) == ("unknown", None, late.batch_id)


def test_missing_file_is_recorded_not_raised(
    factory: SessionFactory, settings: Settings, tmp_path: Path
) -> None:
    result = run(factory, settings, tmp_path / "nope.log")
    assert result.lines_read == 0
    with factory() as session:
        job = session.execute(select(JobRun)).scalar_one()
    assert job.status == "ok" and "missing" in (job.detail or "")


# --- realtime (database) form -------------------------------------------------------------------------


def test_realtime_csv_forms(factory: SessionFactory, settings: Settings, tmp_path: Path) -> None:
    split = tmp_path / "queue_log_split.csv"
    split.write_text(
        "id,time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n"
        "1,2012-07-03 15:27:03.500000,c1,sales,NONE,ENTERQUEUE,,+34600,1,,\n"
        "2,2012-07-03 15:27:23.500000,c1,sales,SIP/1001,CONNECT,20,c1b,4,,\n"
        "3,2012-07-03 15:29:03.500000,c1,sales,SIP/1001,ATTENDEDTRANSFER,LINK,SIP/1-1,SIP/2-2,20,100|1\n"
        "4,not a time,c2,sales,NONE,ENTERQUEUE,,1,1,,\n"
    )
    result = ingest_realtime_csv(session_factory=factory, settings=settings, path=split, now=LATER)
    assert (result.lines_read, result.contacts_loaded, result.quarantined) == (4, 1, 1)
    (c,) = stored_contacts(factory).values()
    # 15:27:03.5 in Madrid (CEST, UTC+2) = 13:27:03.5 UTC = 1341273600 (2012-07-03) + 48423.5
    entry = 1341273600 + 13 * 3600 + 27 * 60 + 3.5
    assert (c["source_key"], c["offered_at"]) == ("c1|sales|1341322023", utc(entry))
    # CONNECT wait 20 -> answered entry + 20; LINK transfer: talk in data5 = "100|1" -> ended + 100
    assert (c["answered_at"], c["ended_at"], c["talk_s"], c["transferred"]) == (
        utc(entry + 20),
        utc(entry + 120),
        100,
        True,
    )
    again = ingest_realtime_csv(session_factory=factory, settings=settings, path=split, now=LATER)
    assert (again.lines_read, again.contacts_loaded, again.quarantined) == (0, 0, 0)

    single = tmp_path / "queue_log_data.csv"
    single.write_text(
        "time,callid,queuename,agent,event,data\n"
        "1341322100,c3,sales,NONE,ENTERQUEUE,|+34601|1\n"
        "1341322130,c3,sales,NONE,ABANDON,1|1|30\n"
    )
    result = ingest_realtime_csv(session_factory=factory, settings=settings, path=single, now=LATER)
    assert result.contacts_loaded == 1
    abandoned = stored_contacts(factory)["c3|sales|1341322100"]
    assert (abandoned["outcome"], abandoned["wait_s"], abandoned["customer_key"]) == (
        "abandoned",
        30,
        "+34601",
    )

    wrong = tmp_path / "other.csv"
    wrong.write_text("when,who\n1,2\n")
    rejected = ingest_realtime_csv(session_factory=factory, settings=settings, path=wrong, now=LATER)
    assert (rejected.quarantined, rejected.contacts_loaded) == (1, 0)


# --- the writer in its own process --------------------------------------------------------------------


def test_child_process_writer_loads_exactly_what_the_thread_does(
    factory: SessionFactory,
    settings: Settings,
    reference: SessionFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A big run writes from a child process, several batches per transaction: same rows, same counts
    as the writer thread of a small run, on SQLite and PostgreSQL."""
    log = tmp_path / "dirty.log"
    generate_queue_log(log, lines=12_000, seed=5)  # duplicates, disorder, broken lines
    now = last_time(log) + timedelta(minutes=1)
    monkeypatch.setattr(asterisk, "BATCH_LINES", 1500)
    monkeypatch.setattr(asterisk_store, "COMMIT_LINES", 4000)
    monkeypatch.setattr(asterisk_store, "PROCESS_MIN_BYTES", 0)
    spawned: list[asterisk_store.ProcessWriter] = []
    monkeypatch.setattr(asterisk_store.ProcessWriter, "__init__", _recording(spawned))
    in_child = run(factory, settings, log, now)
    assert len(spawned) == 1
    monkeypatch.setattr(asterisk_store, "PROCESS_MIN_BYTES", 1 << 40)
    on_thread = run(reference, load_settings(database_url="sqlite://"), log, now)
    counts = ("lines_read", "contacts_loaded", "duplicates_skipped", "quarantined", "segments_loaded")
    assert [getattr(in_child, name) for name in counts] == [getattr(on_thread, name) for name in counts]
    assert in_child.contacts_loaded > 1000
    assert without_batch(stored_contacts(factory)) == without_batch(stored_contacts(reference))
    assert stored_segments(factory) == stored_segments(reference)


def _recording(spawned: list[Any]) -> Any:
    original = asterisk_store.ProcessWriter.__init__

    def init(self: asterisk_store.ProcessWriter, *args: Any) -> None:
        original(self, *args)
        spawned.append(self)

    return init


def test_child_writer_failure_fails_the_run_and_keeps_the_last_checkpoint(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database refuses a write in the child: the run fails with the child's reason, the job run
    says so, and nothing of the failed transaction is kept."""
    log = tmp_path / "queue_log"
    generate_queue_log(log, lines=6000, seed=9, dirty=False)
    engine = make_engine(sqlite_url)
    factory = session_factory(engine)
    with engine.begin() as conn:  # the first batch goes in; the second hits a refusing trigger
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse AFTER INSERT ON agentstatesegment "
            "WHEN (SELECT count(*) FROM agentstatesegment) > 1500 "
            "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
    monkeypatch.setattr(asterisk, "BATCH_LINES", 2000)
    monkeypatch.setattr(asterisk_store, "COMMIT_LINES", 2000)
    monkeypatch.setattr(asterisk_store, "PROCESS_MIN_BYTES", 0)
    settings = load_settings(database_url=sqlite_url)
    with pytest.raises(RuntimeError, match="disk says no"):
        run(factory, settings, log, last_time(log))
    with factory() as session:
        job = session.execute(select(JobRun).order_by(JobRun.id.desc())).scalars().first()
        point = session.execute(select(SourceCheckpoint)).scalar_one_or_none()
        segments = session.execute(select(AgentStateSegment)).scalars().all()
    assert job is not None and job.status == "failed" and "disk says no" in (job.error or "")
    assert point is not None and 0 < point.offset < log.stat().st_size  # the committed batch only
    assert 0 < len(segments) <= 1500
    engine.dispose()


# --- crash safety -----------------------------------------------------------------------------------------

KILLED_RUN = """
import sys, time
from datetime import datetime, UTC
from pathlib import Path
from jobs.sources import asterisk, asterisk_load, asterisk_store
from jobs.sources.asterisk import ingest_queue_log
from models.db import make_engine, session_factory
from models.settings import load_settings

url, log, batch, now, mode, pid_file = sys.argv[1:]
asterisk.BATCH_LINES = asterisk_store.COMMIT_LINES = int(batch)
asterisk_store.PROCESS_MIN_BYTES = 0 if mode == "process" else 1 << 40
load = asterisk_load.BatchLoader.load

def slow_load(self, *args, **kwargs):
    load(self, *args, **kwargs)
    if isinstance(self._writer, asterisk_store.ProcessWriter):
        Path(pid_file).write_text(str(self._writer._child.pid))
    time.sleep(0.3)  # leave the test time to kill us between two committed batches

asterisk_load.BatchLoader.load = slow_load
factory = session_factory(make_engine(url))
ingest_queue_log(session_factory=factory, settings=load_settings(database_url=url), path=Path(log),
                 now=datetime.fromisoformat(now))
"""


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_killed_run_then_rerun_equals_a_clean_run(
    writer: str, sqlite_url: str, reference: SessionFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between batches, with the writer on a thread or in its own process (which must die with
    the run), then run again: exactly the rows of one clean run."""
    batch = 2000
    log = tmp_path / "big.log"
    pid_file = tmp_path / "writer.pid"
    generate_queue_log(log, lines=30_000, seed=3)  # dirty: duplicates, disorder, broken lines
    now = last_time(log) + timedelta(minutes=1)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_RUN,
            sqlite_url,
            str(log),
            str(batch),
            now.isoformat(),
            writer,
            str(pid_file),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    engine = make_engine(sqlite_url)
    factory = session_factory(engine)

    def committed() -> int:
        with factory() as session:
            point = session.execute(select(SourceCheckpoint)).scalar_one_or_none()
        return point.offset if point is not None else 0

    deadline = time.monotonic() + 120
    while committed() == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.4)  # one or two more batches
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the load finished before it could be killed"
    assert 0 < committed() < log.stat().st_size  # killed between two committed batches
    if writer == "process":
        child = Path(f"/proc/{pid_file.read_text()}")
        deadline = time.monotonic() + 10
        while child.exists() and "zombie" not in _proc_state(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not child.exists() or "zombie" in _proc_state(child), "the writer outlived its run"

    monkeypatch.setattr(asterisk, "BATCH_LINES", batch)
    monkeypatch.setattr(asterisk_store, "COMMIT_LINES", batch)
    settings = load_settings(database_url=sqlite_url)
    rerun = ingest_queue_log(session_factory=factory, settings=settings, path=log, now=now)
    assert rerun.lines_read < 30_000  # resumed from the checkpoint, not from the start
    ingest_queue_log(
        session_factory=reference, settings=load_settings(database_url="sqlite://"), path=log, now=now
    )
    resumed, clean = without_batch(stored_contacts(factory)), without_batch(stored_contacts(reference))
    assert len(clean) > 1000
    assert resumed == clean
    assert stored_segments(factory) == stored_segments(reference)
    engine.dispose()


def _proc_state(path: Path) -> str:
    try:
        return next(line for line in (path / "status").read_text().splitlines() if line.startswith("State"))
    except (OSError, StopIteration):
        return "zombie (gone)"


def test_bulk_column_lists_cover_the_tables() -> None:
    """The bulk writers list columns by hand: a schema change must be reflected there."""
    assert set(Contact.__table__.c.keys()) - {"id"} == set(CONTACT_COLUMNS)  # type: ignore[attr-defined]
    assert set(AgentStateSegment.__table__.c.keys()) - {"id"} == set(SEGMENT_COLUMNS)  # type: ignore[attr-defined]
