"""The demo simulator on SQLite and PostgreSQL: deterministic, never overwrites, realistic enough for
leaders to judge (shapes, effects, states consistent with contacts), and a live mode that moves the
data exactly as a seed made later would have, idempotently for the same `now`: it only inserts rows
and fills in open ones, never changes a final row, and replays the seed's parameters whatever the
settings of the moment."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select, update

from jobs import refresh
from jobs.sources import simulator
from jobs.sources.sim_guard import merge_contacts, merge_final, merge_segments, segment_key
from jobs.sources.sim_params import DemoMismatchError, params_for_seed, params_from_run
from jobs.sources.sim_rows import NEVER
from jobs.sources.sim_surveys import CES_EFFECTS
from jobs.sources.simulator import FACT_TABLES, SCALES, advance_live, seed_demo
from models.db import SessionFactory, make_engine, session_factory, session_scope, upgrade_to_head
from models.settings import Settings, load_settings
from models.tables import (
    Agent,
    AgentDay,
    AgentInterval,
    AgentStateSegment,
    AppUser,
    Contact,
    JobRun,
    QueueInterval,
    ScheduleSegment,
    SurveyResponse,
    Team,
    UserAgent,
    UserTeam,
)

# A Wednesday, 11:30 in Madrid: two weeks of history hold two Mondays, Saturdays and Sundays.
NOW = datetime(2026, 3, 18, 10, 30, tzinfo=UTC)
ZONE = "Europe/Madrid"
FACTS = (Contact, AgentStateSegment, ScheduleSegment, SurveyResponse)
VOLATILE = {"id", "batch_id", "contact_id"}  # database ids and run ids differ between databases


def frame(factory: SessionFactory, model: type) -> pd.DataFrame:
    """A whole table as a DataFrame with timestamps as UTC (SQLite hands them back naive)."""
    table = model.__table__  # type: ignore[attr-defined]
    with factory() as session:
        rows = [dict(r._mapping) for r in session.execute(select(table))]
    df = pd.DataFrame(rows, columns=[c.name for c in table.columns])
    for col in table.columns:
        if col.type.python_type is datetime and len(df):
            values = pd.to_datetime(df[col.name])
            df[col.name] = values.dt.tz_localize(UTC) if values.dt.tz is None else values.dt.tz_convert(UTC)
    return df


def comparable(factory: SessionFactory, model: type) -> pd.DataFrame:
    df = frame(factory, model)
    df = df.drop(columns=[c for c in VOLATILE if c in df.columns])
    keys = ["source_key"] if "source_key" in df.columns else ["agent_id", "start_at"]
    return df.sort_values(keys).reset_index(drop=True)


def fresh_sqlite(tmp_path: Path, name: str) -> tuple[SessionFactory, Settings]:
    url = f"sqlite:///{tmp_path / name}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    return session_factory(engine), load_settings(database_url=url)


@pytest.fixture
def seeded(factory: SessionFactory, settings: Settings) -> SessionFactory:
    """A database holding the tiny demo seeded at NOW."""
    seed_demo(session_factory=factory, settings=settings, scale="tiny", now=NOW)
    return factory


def test_seed_is_deterministic_across_databases_and_refuses_a_second_seed(
    factory: SessionFactory, settings: Settings, tmp_path: Path
) -> None:
    calls: list[tuple[str, float]] = []
    counts = seed_demo(
        session_factory=factory,
        settings=settings,
        scale="tiny",
        now=NOW,
        progress=lambda s, f: calls.append((s, f)),
    )
    assert counts["agent"] == SCALES["tiny"].agents == 12
    assert counts["contact"] > 2000 and counts["surveyresponse"] > 300
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0

    other, other_settings = fresh_sqlite(tmp_path, "again.db")
    assert seed_demo(session_factory=other, settings=other_settings, scale="tiny", now=NOW) == counts
    for model in FACTS:
        assert comparable(factory, model).equals(comparable(other, model)), model.__name__
    contacts = frame(factory, Contact)
    assert contacts.wait_s.sum() == frame(other, Contact).wait_s.sum()

    with pytest.raises(ValueError, match="already has agents"):
        seed_demo(session_factory=factory, settings=settings, scale="tiny", now=NOW)
    assert len(frame(factory, Contact)) == counts["contact"]  # nothing wiped, nothing added
    runs = frame(factory, JobRun)
    seed_runs = runs[runs.job == "demo_seed"]
    assert list(seed_runs.status) == ["ok"]
    for model in FACTS:
        assert set(frame(factory, model).batch_id) == {int(seed_runs.id.iloc[0])}


def test_demand_shapes_opening_hours_and_service(seeded: SessionFactory) -> None:
    c = frame(seeded, Contact)
    local = c.offered_at.dt.tz_convert(ZONE)
    c["hour"], c["weekday"], c["day"] = local.dt.hour, local.dt.day_of_week, local.dt.date
    voice = c[c.channel == "voice"]
    assert (voice.hour.between(10, 11)).sum() > 5 * max(1, (voice.hour.between(0, 6)).sum())
    assert voice[voice.weekday == 6].empty  # Sunday: voice closed
    per_day = c.groupby(["weekday", "day"]).size().groupby("weekday").mean()
    assert per_day[0] > 1.5 * per_day[5]  # Monday busier than the short Saturday
    email = c[(c.channel == "email") & (c.outcome == "answered")]
    assert (email.hour < 7).any() and email.wait_s.max() > 3 * 3600  # round the clock, waits hours
    done = voice[voice.outcome.isin(["answered", "abandoned"])]
    short = (done.outcome == "abandoned") & (done.wait_s < 5)
    assert short.any()
    within = (done.outcome == "answered") & (done.wait_s <= 20)
    daily_sl = within.groupby(done.day).sum() / (~short).groupby(done.day).sum()
    assert 0.6 < daily_sl.median() < 0.95 and daily_sl.min() < 0.8  # near target, breaching some days
    answered = c[c.outcome == "answered"]
    assert 0.02 < answered[answered.channel == "voice"].transferred.mean() < 0.15
    assert (answered.ring_no_answer > 0).sum() >= 1
    assert 0.8 < c.customer_key.notna().mean() < 0.9
    assert set(c.exit_reason.dropna()) <= {"caller_abandon", "timeout", "exit_empty"}
    assert (c[c.outcome == "abandoned"].exit_reason == "caller_abandon").mean() > 0.8


def test_repeats_and_channel_switches_exist(seeded: SessionFactory) -> None:
    c = frame(seeded, Contact)
    known = c[c.customer_key.notna()].sort_values("offered_at")
    gap = known.offered_at - known.groupby(["customer_key", "touchpoint_id"]).offered_at.shift()
    repeats = gap <= pd.Timedelta(days=7)
    assert 0.04 < repeats.mean() < 0.3
    previous = known.groupby("customer_key").channel.shift()
    switched = (previous.notna() & (previous != known.channel)) & (
        known.offered_at - known.groupby("customer_key").offered_at.shift() <= pd.Timedelta(hours=24)
    )
    assert switched.sum() >= 3
    # Customers come back more often after an abandoned call than after an answered one.
    again = known.groupby(["customer_key", "touchpoint_id"]).offered_at.shift(
        -1
    ) - known.offered_at <= pd.Timedelta(days=7)
    voice = known.channel == "voice"
    after_abandon = again[voice & (known.outcome == "abandoned")].mean()
    after_answer = again[voice & (known.outcome == "answered") & ~known.transferred].mean()
    assert after_abandon > 2 * after_answer
    assert ((previous.isin(["chat", "whatsapp"])) & (known.channel == "voice") & switched).any()


def test_planted_survey_effects_show_in_the_answers(seeded: SessionFactory, settings: Settings) -> None:
    s = frame(seeded, SurveyResponse)
    c = frame(seeded, Contact).set_index("id")
    assert s.contact_id.notna().all() and s.contact_id.isin(c.index).all()
    rated = c.loc[s.contact_id]
    assert (rated.outcome == "answered").all() and rated.survey_offered.all()
    assert (s.answered_at.to_numpy() >= rated.completed_at.to_numpy()).all()
    answered = c[c.outcome == "answered"]
    assert 0.15 < len(s) / len(answered) < 0.35
    assert (
        s.ces.between(1, 7).all()
        and s.csat.dropna().between(1, 5).all()
        and s.nps.dropna().between(0, 10).all()
    )
    ces = s.ces.to_numpy()
    transferred = rated.transferred.to_numpy()
    long_wait = (rated.wait_s > rated.channel.map(settings.threshold_for)).to_numpy()
    assert CES_EFFECTS["transferred"] < 0 and CES_EFFECTS["wait_above_threshold"] < 0
    assert ces[transferred].mean() < ces[~transferred].mean() - 0.4
    assert ces[long_wait].mean() < ces[~long_wait].mean() - 0.3
    assert set(s.language) == {"es", "en"}
    assert 0.3 < s.verbatim.notna().mean() < 0.55


def test_agent_states_agree_with_schedules_and_contacts(seeded: SessionFactory) -> None:
    seg = frame(seeded, AgentStateSegment).sort_values(["agent_id", "start_at"])
    nxt = seg.groupby("agent_id").start_at.shift(-1)
    assert (seg.end_at.isna() | (seg.end_at > seg.start_at)).all()
    assert (nxt.isna() | seg.end_at.isna() | (seg.end_at <= nxt)).all()  # never overlapping
    same_day = seg.start_at.dt.tz_convert(ZONE).dt.date == nxt.dt.tz_convert(ZONE).dt.date
    assert (
        seg.end_at[same_day & seg.end_at.notna()] == nxt[same_day & seg.end_at.notna()]
    ).all()  # one session a day
    assert (seg[seg.end_at.isna()].start_at <= NOW).all()
    assert seg[seg.end_at.isna()].agent_id.is_unique and nxt[seg.end_at.isna()].isna().all()  # current = last
    assert set(seg.state) <= {"available", "on_contact", "acw", "aux", "offline"}
    assert {"break", "lunch", "technical"} <= set(seg.reason.dropna())

    agents = frame(seeded, Agent).set_index("id")
    remote = seg.agent_id.map(agents.is_remote)
    technical = seg.reason == "technical"
    assert technical[remote].any() and not technical[~remote].any()

    contacts = frame(seeded, Contact)
    answered = contacts[contacts.outcome == "answered"]
    on_contact = seg[seg.state == "on_contact"].set_index(["agent_id", "start_at"])
    keys = pd.MultiIndex.from_arrays([answered.agent_id.astype(int), answered.answered_at])
    assert keys.isin(on_contact.index).all()  # each answer starts an on_contact state of its agent
    done = answered[answered.completed_at.notna()]
    assert (
        (done.completed_at - done.answered_at)
        .dt.total_seconds()
        .eq(done.talk_s + done.hold_s + done.acw_s)
        .all()
    )

    sched = frame(seeded, ScheduleSegment)
    assert {"work", "break", "lunch"} <= set(sched.activity)
    assert not sched[sched.activity == "lunch"].paid.any()
    local_day = seg.start_at.dt.tz_convert(ZONE).dt.date
    worked = set(zip(seg.agent_id, local_day, strict=True))
    planned = set(zip(sched.agent_id, sched.start_at.dt.tz_convert(ZONE).dt.date, strict=True))
    assert worked <= planned  # nobody works a day off


def test_organisation_is_linked(seeded: SessionFactory) -> None:
    agents, teams, users = frame(seeded, Agent), frame(seeded, Team), frame(seeded, AppUser)
    roles = users.set_index("email").role
    assert roles["director@mirador.demo"] == "director" and roles["admin@mirador.demo"] == "admin"
    assert users.password_hash.isna().all()
    assert set(agents.supervisor_id) <= set(users[users.role == "supervisor"].id)
    assert set(agents.coach_id) <= set(users[users.role == "coach"].id)
    links = frame(seeded, UserAgent)
    assert set(zip(links.user_id, links.agent_id, strict=True)) == set(
        zip(agents.coach_id, agents.id, strict=True)
    )
    scopes = frame(seeded, UserTeam)
    assert set(zip(teams.supervisor_id, teams.id, strict=True)) <= set(
        zip(scopes.user_id, scopes.team_id, strict=True)
    )
    assert agents.supervisor_id.notna().all() and agents.coach_id.notna().all()
    assert teams.supervisor_id.notna().all()
    assert agents.name.is_unique and agents.is_remote.any() and (~agents.is_remote).any()
    assert agents.timezone.isin(
        ["Europe/Madrid", "Atlantic/Canary", "America/Bogota", "America/Mexico_City"]
    ).all()
    tenure = (NOW.date() - pd.to_datetime(agents.hire_date).dt.date).map(lambda d: d.days)
    assert tenure.min() < 365 and tenure.max() > 365


def test_advance_live_moves_idempotently_and_matches_a_later_seed(
    factory: SessionFactory, settings: Settings, tmp_path: Path
) -> None:
    assert advance_live(session_factory=factory, settings=settings, now=NOW) == {}  # nothing to continue
    seed_demo(session_factory=factory, settings=settings, scale="tiny", now=NOW)
    before = frame(factory, Contact)

    start = time.perf_counter()
    moved = advance_live(session_factory=factory, settings=settings, now=NOW + timedelta(minutes=4))
    assert time.perf_counter() - start < 5.0
    assert moved["contact"] > 0 and moved["agentstatesegment"] > 0
    snapshot = {m: frame(factory, m) for m in FACTS}
    again = advance_live(session_factory=factory, settings=settings, now=NOW + timedelta(minutes=4))
    assert again == dict.fromkeys(again, 0) and set(again) == {
        "contact",
        "agentstatesegment",
        "schedulesegment",
        "surveyresponse",
    }
    for model in FACTS:
        assert frame(factory, model).equals(snapshot[model]), model.__name__

    open_states = frame(factory, AgentStateSegment).end_at.isna().sum()
    assert open_states > 0  # agents on shift: their current state is open
    later = NOW.replace(hour=22)  # 23:00 in Madrid: email after the evening cutoff waits overnight
    advance_live(session_factory=factory, settings=settings, now=later)
    runs = frame(factory, JobRun)
    live_id = int(runs[runs.job == "demo_live"].id.max())
    after = frame(factory, Contact)
    assert (after.offered_at > NOW + timedelta(minutes=4)).sum() > 50  # new arrivals
    assert (after.offered_at <= later).all() and (after.outcome == "waiting").any()
    unfinished = before[
        (before.outcome == "waiting") | before.completed_at.isna() & (before.outcome == "answered")
    ]
    finished = after[after.source_key.isin(unfinished.source_key)]
    assert len(finished) == len(unfinished) > 0  # contacts in progress at the seed are over by now
    over = (finished.outcome == "answered") & finished.completed_at.notna() | (
        finished.outcome == "abandoned"
    )
    assert over.all()
    assert (finished.batch_id > before.batch_id.max()).all()  # updated rows carry the new batch
    changed = after.merge(before, on="source_key", suffixes=("", "_old"))
    changed = changed[changed.outcome != changed.outcome_old]
    assert (changed.batch_id == live_id).all()
    surveys = frame(factory, SurveyResponse)
    assert (surveys.answered_at > NOW).any() and (surveys.answered_at <= later).all()

    # The live data are exactly what a seed made at the later moment records.
    other, other_settings = fresh_sqlite(tmp_path, "later.db")
    seed_demo(session_factory=other, settings=other_settings, scale="tiny", now=later)
    for model in FACTS:
        assert comparable(factory, model).equals(comparable(other, model)), model.__name__


# --- Live steps: final rows never change ----------------------------------------------------------

STEPS_MIN = (3, 10, 10, 40)  # the third step repeats the second's `now`: no time elapsed
ROW_KEYS = {
    Contact: ("source_key",),
    AgentStateSegment: ("agent_id", "start_at"),
    ScheduleSegment: ("agent_id", "start_at"),
    SurveyResponse: ("source_key",),
}
DEFAULT_FLAGS = {"transferred", "survey_offered", "ring_no_answer"}  # False/0 until known


def _utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def stored(factory: SessionFactory) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Every fact row, whole (ids and batch ids included), by table name and natural key."""
    out = {}
    with factory() as session:
        for model, key in ROW_KEYS.items():
            for r in session.execute(select(model.__table__)):  # type: ignore[attr-defined]
                row = {k: _utc(v) for k, v in r._mapping.items()}
                out[(model.__name__, *(row[k] for k in key))] = row
    return out


def is_final(table: str, row: dict[str, Any]) -> bool:
    """The brief's definition: what a real source would never change again."""
    if table == "Contact":
        answered_done = row["outcome"] == "answered" and row["completed_at"] is not None
        return answered_done or row["outcome"] in ("abandoned", "unknown")
    if table == "AgentStateSegment":
        return row["end_at"] is not None
    return True  # schedule segments and survey answers


def aggregates(factory: SessionFactory) -> dict[str, list[dict[str, Any]]]:
    with session_scope(factory) as session:
        return {
            m.__name__: sorted(
                (r.model_dump() for r in session.execute(select(m)).scalars()),
                key=lambda r: tuple(str(v) for v in r.values()),
            )
            for m in (QueueInterval, AgentInterval, AgentDay)
        }


def live_run_ids(factory: SessionFactory) -> list[int]:
    runs = frame(factory, JobRun)
    return sorted(int(i) for i in runs[runs.job == "demo_live"].id)


def test_live_steps_only_add_and_fill_in_and_the_incremental_refresh_stays_exact(
    factory: SessionFactory, settings: Settings, tmp_path: Path
) -> None:
    seed_demo(session_factory=factory, settings=settings, scale="tiny", now=NOW)
    refresh.run(session_factory=factory, settings=settings, now=NOW, full=True)
    snapshots, written = [stored(factory)], []
    for minutes in STEPS_MIN:
        now = NOW + timedelta(minutes=minutes)
        written.append(advance_live(session_factory=factory, settings=settings, now=now))
        refresh.run(session_factory=factory, settings=settings, now=now)  # what the scheduler does
        snapshots.append(stored(factory))
    run_ids = live_run_ids(factory)
    assert len(run_ids) == len(STEPS_MIN)

    for step, before in enumerate(snapshots[:-1]):
        final = {k: row for k, row in before.items() if is_final(k[0], row)}
        assert {k[0] for k in final} == {m.__name__ for m in ROW_KEYS}
        for later in snapshots[step + 1 :]:
            changed = [k for k, row in final.items() if later.get(k) != row]
            assert changed == [], changed[:3]  # byte-identical, batch id included
        after, batch = snapshots[step + 1], run_ids[step]
        for key, row in after.items():
            old = before.get(key)
            if row["batch_id"] != batch:
                assert old == row  # not written in this step: untouched
                continue
            assert old != row  # written in this step: it really changed
            if old is not None:  # an open row, filled in: what it knew stays
                kept = {c for c, v in old.items() if v is not None} - {"batch_id", *DEFAULT_FLAGS}
                kept -= {"outcome"} if old.get("outcome") == "waiting" else set()
                assert {c: row[c] for c in kept} == {c: old[c] for c in kept}, key

    moved = written[0]
    assert moved["contact"] > 0 and moved["agentstatesegment"] > 0
    assert written[2] == dict.fromkeys(FACT_TABLES, 0)  # the same `now` again writes nothing
    assert snapshots[3] == snapshots[2]
    assert sum(written[3].values()) > sum(written[1].values())  # 30 more minutes, more events

    # The incremental refresh after these steps equals a full rebuild on the same data.
    incremental = aggregates(factory)
    assert incremental["AgentDay"] and incremental["QueueInterval"]
    refresh.run(session_factory=factory, settings=settings, now=NOW + timedelta(minutes=40), full=True)
    assert aggregates(factory) == incremental

    # And the data are what a seed made at the last step records.
    other, other_settings = fresh_sqlite(tmp_path, "later.db")
    seed_demo(session_factory=other, settings=other_settings, scale="tiny", now=NOW + timedelta(minutes=40))
    for model in FACTS:
        assert comparable(factory, model).equals(comparable(other, model)), model.__name__


def test_live_replays_the_seeds_parameters_whatever_the_settings_and_org_edits(
    factory: SessionFactory, settings: Settings, tmp_path: Path
) -> None:
    seed_demo(session_factory=factory, settings=settings, scale="tiny", now=NOW, seed=3)
    with pytest.raises(DemoMismatchError, match="seed 3"):
        advance_live(session_factory=factory, settings=settings, now=NOW + timedelta(minutes=5), seed=7)
    # What could drift since the seed: the centre's zone, the SL thresholds, the agents.
    drifted = settings.model_copy(
        update={"timezone": "America/Bogota", "sl_threshold_s": {"voice": 5.0, "chat": 5.0, "email": 60.0}}
    )
    with session_scope(factory) as session:
        session.execute(update(Agent).where(Agent.code == "sim-0001").values(active=False))
        team_id = session.execute(select(Agent.team_id).where(Agent.code == "sim-0002")).scalar_one()
        session.add(Agent(code="hired-later", name="New Hire", team_id=team_id, hire_date=date(2026, 3, 1)))
    before = stored(factory)
    later = NOW + timedelta(minutes=40)
    moved = advance_live(session_factory=factory, settings=drifted, now=later)
    assert moved["contact"] > 0
    after = stored(factory)
    assert all(after[k] == row for k, row in before.items() if is_final(k[0], row))
    runs = frame(factory, JobRun)
    assert int(runs[runs.job == "demo_live"].rows_rejected.sum()) == 0

    other, other_settings = fresh_sqlite(tmp_path, "same_seed.db")
    seed_demo(session_factory=other, settings=other_settings, scale="tiny", now=later, seed=3)
    for model in FACTS:
        assert comparable(factory, model).equals(comparable(other, model)), model.__name__


def test_a_replay_that_differs_never_changes_a_final_row_and_is_counted(
    factory: SessionFactory,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seed_demo(session_factory=factory, settings=settings, scale="tiny", now=NOW)
    today = frame(factory, Contact)
    today = today[today.offered_at.dt.tz_convert(ZONE).dt.date == NOW.astimezone(settings.zone).date()]
    done = today[(today.outcome == "answered") & today.completed_at.notna()].source_key.iloc[:3].tolist()
    segments = frame(factory, AgentStateSegment)
    ended = segments[segments.end_at.notna()].sort_values("start_at").iloc[-1]
    # The stored rows now disagree with what the simulation replays for them.
    with session_scope(factory) as session:
        session.execute(update(Contact).where(Contact.source_key.in_(done)).values(wait_s=999.0))
        session.execute(
            update(AgentStateSegment)
            .where(AgentStateSegment.id == int(ended.id))
            .values(end_at=ended.end_at + timedelta(seconds=1))
        )
    before = stored(factory)
    replay_all = simulator.changed_rows  # a replay that re-reveals every row, final ones included
    monkeypatch.setattr(
        simulator, "changed_rows", lambda res, _since, until, b: replay_all(res, NEVER, until, b)
    )
    with caplog.at_level(logging.WARNING, logger="jobs.sources.simulator"):
        written = advance_live(session_factory=factory, settings=settings, now=NOW + timedelta(minutes=10))
    after = stored(factory)
    assert all(after[k] == row for k, row in before.items() if is_final(k[0], row))
    assert sorted(frame(factory, Contact).set_index("source_key").wait_s[done]) == [999.0] * 3
    runs = frame(factory, JobRun)
    live = runs[runs.job == "demo_live"].iloc[0]
    assert live.status == "ok" and live.rows_rejected == 4  # three contacts, one segment
    assert json.loads(live.detail)["conflicts"] == {"contact": 3, "agentstatesegment": 1}
    assert "left unchanged" in caplog.text
    # Everything else replayed as stored: only what happened in the ten minutes was written.
    changed = [k for k, row in after.items() if before.get(k) != row]
    assert len(changed) == sum(written.values()) > 0


# --- The write rule itself, on hand-made rows --------------------------------------------------------

T0 = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)


def contact_row(**fields: Any) -> dict[str, Any]:
    base = {
        "source": "sim", "source_key": "k1", "batch_id": 1, "queue_id": 1, "channel": "voice",
        "touchpoint_id": 1, "agent_id": None, "customer_key": "C1", "offered_at": T0,
        "answered_at": None, "ended_at": None, "completed_at": None, "offered_interval": 0,
        "completed_interval": None, "wait_s": None, "talk_s": None, "hold_s": None, "acw_s": None,
        "hold_count": None, "outcome": "waiting", "exit_reason": None, "transferred": False,
        "reconstructed": False, "survey_offered": False, "ring_no_answer": 0,
    }  # fmt: skip
    return base | fields


def stored_as(row: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """As SQLite hands it back: naive UTC timestamps, an id, an older batch."""
    naive = {k: v.replace(tzinfo=None) if isinstance(v, datetime) else v for k, v in row.items()}
    return {(row["source"], row["source_key"]): naive | {"id": 9, "batch_id": 1}}


ANSWERED = {"outcome": "answered", "agent_id": 5, "answered_at": T0 + timedelta(seconds=27), "wait_s": 27.0}
ENDED = {"ended_at": T0 + timedelta(seconds=300), "talk_s": 273.0, "hold_s": 0.0, "hold_count": 0}
DONE = {"completed_at": T0 + timedelta(seconds=330), "completed_interval": 900, "acw_s": 30.0}


def test_contacts_are_filled_in_while_open_and_never_changed_once_final() -> None:
    waiting, talking = contact_row(), contact_row(**ANSWERED)
    done = contact_row(**ANSWERED, **ENDED, **DONE)
    other_agent = contact_row(**(ANSWERED | {"agent_id": 6, "wait_s": 5236.0}), **ENDED, **DONE)

    assert merge_contacts([talking | {"batch_id": 2}], stored_as(waiting)).updates  # waiting -> answered
    assert merge_contacts([done | {"batch_id": 2}], stored_as(talking)).updates  # talking -> completed
    same = merge_contacts([done | {"batch_id": 2}], stored_as(done))
    assert (same.written, same.conflicts) == (0, [])  # already so: nothing to write
    rewrite = merge_contacts([other_agent | {"batch_id": 2}], stored_as(done))
    assert (rewrite.written, rewrite.conflicts) == (0, [("sim", "k1")])
    # Open, but what it already knew (agent, wait) would change: refused too.
    assert merge_contacts([other_agent], stored_as(talking)).conflicts == [("sim", "k1")]
    abandoned = contact_row(outcome="abandoned", wait_s=40.0, exit_reason="caller_abandon")
    assert merge_contacts([done], stored_as(abandoned)).conflicts == [("sim", "k1")]
    assert merge_contacts([waiting], stored_as(talking)).conflicts == [("sim", "k1")]  # no going back
    new = merge_contacts([contact_row(source_key="k2")], stored_as(done))
    assert (len(new.inserts), new.updates, new.conflicts) == (1, [], [])


def test_segments_get_their_end_once_and_schedules_and_surveys_never_change() -> None:
    def segment(end: datetime | None, state: str = "available") -> dict[str, Any]:
        return {"source": "sim", "batch_id": 2, "agent_id": 5, "state": state, "reason": None,
                "start_at": T0, "end_at": end}  # fmt: skip

    def kept(row: dict[str, Any]) -> dict[Any, dict[str, Any]]:
        return {segment_key(row): row | {"start_at": T0.replace(tzinfo=None), "batch_id": 1}}

    end = T0 + timedelta(minutes=4)
    assert merge_segments([segment(end)], kept(segment(None))).updates == [segment(end)]
    assert merge_segments([segment(end)], kept(segment(end))).written == 0
    assert merge_segments([segment(end + timedelta(1))], kept(segment(end))).conflicts == [(5, T0)]
    assert merge_segments([segment(end, "aux")], kept(segment(None))).conflicts == [(5, T0)]

    plan = {"source": "sim", "batch_id": 2, "agent_id": 5, "activity": "work", "start_at": T0,
            "end_at": end, "paid": True}  # fmt: skip
    assert merge_final([plan], kept(plan), segment_key).written == 0
    assert merge_final([plan | {"activity": "break"}], kept(plan), segment_key).conflicts == [(5, T0)]
    assert len(merge_final([plan | {"start_at": end}], kept(plan), segment_key).inserts) == 1


def test_seed_parameters_round_trip_and_older_seed_runs_fall_back_to_the_settings() -> None:
    bogota = load_settings(timezone="America/Bogota", sl_threshold_s={"voice": 15.0})
    params = params_for_seed(
        seed=3, scale=SCALES["tiny"], settings=bogota, now=datetime(2026, 3, 18, 3, 0, tzinfo=UTC)
    )
    assert params.seeded_on == date(2026, 3, 17)  # 22:00 the evening before in Bogotá
    assert params.threshold_for("voice") == params.threshold_for("chat") == 15.0  # voice stands in
    madrid = load_settings(timezone="Europe/Madrid")
    recorded = json.dumps({"scale": "gone", **params.detail(), "counts": {}})
    assert (
        params_from_run(detail=recorded, started_at=datetime(2026, 1, 1), settings=madrid, scales={})
        == params
    )

    before_params = json.dumps({"scale": "tiny", "seed": 7, "counts": {}})  # what older seeds recorded
    old = params_from_run(
        detail=before_params, started_at=datetime(2026, 3, 18, 23, 30), settings=madrid, scales=SCALES
    )
    assert (old.seed, old.scale, old.timezone) == (7, SCALES["tiny"], "Europe/Madrid")
    assert old.seeded_on == date(2026, 3, 19)  # 23:30 UTC is 00:30 in Madrid
    assert old.threshold_for("chat") == 60.0
    with pytest.raises(DemoMismatchError, match="unknown demo scale"):
        params_from_run(
            detail=json.dumps({"scale": "gone", "seed": 7}), started_at=NOW, settings=madrid, scales=SCALES
        )
