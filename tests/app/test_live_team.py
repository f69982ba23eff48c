"""AppTest of pages/live_team.py on a floor built around the real clock (the page reads "now"):
every section renders for each filter, flags appear for hand-built situations and clear after,
wallboard mode drops the sidebar and the board, a big floor paginates, stale data is announced."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import streamlit as st
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models.db import make_engine, session_factory, session_scope
from models.settings import load_settings
from models.tables import (
    Agent,
    AgentStateSegment,
    AppUser,
    Contact,
    JobRun,
    Queue,
    QueueInterval,
    ScheduleSegment,
    Site,
    SurveyResponse,
    Team,
)
from models.timegrid import interval_of, local_date_of
from tests.app.seed_data import ROOT

PAGE = str(ROOT / "pages" / "live_team.py")
KEYS = itertools.count()


def build_floor(database_url: str, *, agents: int = 0, fresh: bool = True) -> datetime:
    """Two sites, teams A (Madrid) and B (Lima), queues Sales (voice, A) and Chat (chat, B).
    Ana has been 20 min in a break (limit 15), Bruno 10 min in a meeting while scheduled to work
    (out of adherence), Sales is at 50 % SL against 80 %. `agents` adds idle agents to team A."""
    now = datetime.now(UTC).replace(microsecond=0)
    zone = load_settings(database_url=database_url).zone
    engine = make_engine(database_url)
    with session_scope(session_factory(engine)) as s:
        s.add_all(
            [
                Site(id=1, name="Madrid", timezone="Europe/Madrid"),
                Site(id=2, name="Lima", timezone="America/Lima"),
            ]
        )
        s.add(AppUser(id=1, email="dora@x.test", name="Dora Director", role="director"))
        s.flush()
        s.add_all([Team(id=1, name="A", site_id=1), Team(id=2, name="B", site_id=2)])
        s.flush()
        s.add_all(
            [
                Queue(id=1, name="Sales", channel="voice", team_id=1),
                Queue(id=2, name="Chat", channel="chat", team_id=2),
            ]
        )
        people = [("Ana", 1), ("Bruno", 1), ("Carla", 2)] + [(f"Extra {i:03d}", 1) for i in range(agents)]
        for i, (name, team) in enumerate(people, start=1):
            s.add(Agent(id=i, code=f"a{i}", name=name, team_id=team, is_remote=i % 2 == 0))
        s.flush()
        for i in range(1, len(people) + 1):
            s.add(
                ScheduleSegment(
                    source="t",
                    batch_id=1,
                    agent_id=i,
                    activity="work",
                    start_at=now - timedelta(hours=2),
                    end_at=now + timedelta(hours=2),
                )
            )
        s.add(
            ScheduleSegment(
                source="t",
                batch_id=1,
                agent_id=1,
                activity="break",
                start_at=now - timedelta(minutes=20),
                end_at=now + timedelta(minutes=10),
            )
        )
        for agent, state, reason, minutes in (
            (1, "aux", "break", 20),
            (2, "aux", "meeting", 10),
            (3, "on_contact", None, 2),
        ):
            s.add(
                AgentStateSegment(
                    source="t",
                    batch_id=1,
                    agent_id=agent,
                    state="available",
                    start_at=now - timedelta(hours=2),
                    end_at=now - timedelta(minutes=minutes),
                )
            )
            s.add(
                AgentStateSegment(
                    source="t",
                    batch_id=1,
                    agent_id=agent,
                    state=state,
                    reason=reason,
                    start_at=now - timedelta(minutes=minutes),
                )
            )
        for i in range(4, len(people) + 1):
            s.add(
                AgentStateSegment(
                    source="t",
                    batch_id=1,
                    agent_id=i,
                    state="available",
                    start_at=now - timedelta(minutes=30),
                )
            )
        day = local_date_of(now, zone)
        s.add(
            QueueInterval(
                queue_id=1,
                interval_start=interval_of(now),
                local_date=day,
                offered=10,
                answered=10,
                answered_within_t=5,
                answered_wait_sum=300.0,
                csat_n=12,
                csat_top2=9,
                ces_n=3,
                ces_sum=15.0,
                nps_n=2,
                nps_promoters=1,
            )
        )
        earlier = interval_of(now) - 900  # handled work but nothing offered: SL undefined (a gap)
        s.add(
            QueueInterval(
                queue_id=1, interval_start=earlier, local_date=local_date_of(earlier, zone), handled=2
            )
        )
        s.add(
            QueueInterval(
                queue_id=2,
                interval_start=interval_of(now),
                local_date=day,
                offered=4,
                answered=4,
                answered_within_t=4,
            )
        )
        waiting = _contact(1, now - timedelta(seconds=45), "waiting")
        s.add(waiting)
        done = _contact(1, now - timedelta(minutes=5), "answered", customer_key="k1")
        s.add(done)
        s.add(_contact(1, now - timedelta(minutes=4), "abandoned", customer_key="caller-7", wait_s=42.0))
        s.flush()
        s.add(
            SurveyResponse(
                source="t",
                source_key="s1",
                batch_id=1,
                contact_id=done.id,
                answered_at=now,
                csat=1,
                verbatim="Nobody **helped** <b>me</b>",
            )
        )
        if fresh:
            for job in ("simulator", "refresh"):
                s.add(JobRun(job=job, status="ok", started_at=now, finished_at=now))
    engine.dispose()
    return now


def _contact(queue: int, offered: datetime, outcome: str, **kw: Any) -> Contact:
    return Contact(
        source="t",
        source_key=f"k{next(KEYS)}",
        batch_id=1,
        queue_id=queue,
        channel="voice",
        offered_at=offered,
        offered_interval=interval_of(offered),
        outcome=outcome,
        **kw,
    )


def run_page(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def dataframe(at: AppTest, column: str) -> Any:
    """The first rendered table that has `column` (a translated header key's raw column name)."""
    for frame in at.dataframe:
        value = frame.value
        data = value.data if hasattr(value, "data") else value
        if column in data.columns:
            return data
    raise AssertionError(f"no table with column {column!r}")


@pytest.fixture
def floor(app_env: str) -> str:
    build_floor(app_env)
    return app_env


@pytest.mark.usefixtures("floor")
def test_page_shows_every_section_with_flags() -> None:
    at = run_page()
    assert not at.exception
    assert [t.value for t in at.title] == ["Live team view"]
    alerts = dataframe(at, "what")
    flagged = set(zip(alerts["what"], alerts["who"], strict=True))
    assert ("⏸ Aux too long", "Ana") in flagged
    assert ("📅 Out of adherence", "Bruno") in flagged
    assert ("🎯 Service level below target", "Sales") in flagged
    assert ("⏳ Caller waiting beyond T", "Sales") in flagged  # 45 s > T = 20 s
    assert "Carla" not in set(alerts["who"])
    board = dataframe(at, "flags")
    assert list(board["agent"])[:2] == ["Ana", "Bruno"]  # needs attention first
    assert board.set_index("agent").loc["Carla", "state"] == "📞 On contact"
    assert board.set_index("agent").loc["Ana", "state"] == "⏸ Aux · break"
    assert [m.value for m in at.metric if m.label == "SL today"] == ["50.0 %", "100.0 %"]  # Sales, Chat
    assert [m.value for m in at.metric if m.label == "CSAT"] == ["75.0 %"]
    callbacks = dataframe(at, "again")
    assert list(callbacks["customer"]) == ["caller-7"]
    comments = dataframe(at, "comment")
    assert list(comments["comment"]) == ["Nobody **helped** <b>me</b>"]  # shown as text, as typed
    assert list(comments["low"]) == ["🔻 low"]
    assert not at.warning  # fresh data: no stale banner
    assert len(at.get("plotly_chart")) == 1  # intraday (no agent picked for the timeline yet)


def open_segment(agent: int) -> Any:
    seg = AgentStateSegment
    return select(seg).where(seg.agent_id == agent, seg.end_at.is_(None))  # type: ignore[union-attr]


def test_flags_clear_after_the_situation_clears(floor: str) -> None:
    engine = make_engine(floor)
    now = datetime.now(UTC)
    with session_scope(session_factory(engine)) as s:
        for agent in (1, 2):
            seg = s.exec(open_segment(agent)).one()
            seg.end_at = now - timedelta(seconds=30)
            s.add(AgentStateSegment(source="t", batch_id=2, agent_id=agent, state="available",
                                    start_at=now - timedelta(seconds=30)))  # fmt: skip
        row = s.exec(
            select(QueueInterval).where(QueueInterval.queue_id == 1, QueueInterval.offered > 0)
        ).one()
        row.answered_within_t = 10
        for waiting in s.exec(select(Contact).where(Contact.outcome == "waiting")):
            waiting.outcome = "answered"
    engine.dispose()
    st.cache_data.clear()
    at = run_page()
    assert not at.exception
    assert not [d for d in at.dataframe if "what" in _cols(d)]  # no alerts table at all
    assert "Nothing needs you right now." in " ".join(s.value for s in at.success)


def _cols(frame: Any) -> list[str]:
    value = frame.value
    return list((value.data if hasattr(value, "data") else value).columns)


@pytest.mark.usefixtures("floor")
def test_every_filter_combination_renders() -> None:
    at = run_page()
    names = {m.label: m for m in at.sidebar.multiselect}
    assert set(names) == {"Site", "Team", "Channel", "Queue"}
    for label, widget in names.items():
        for option in [*widget.options, None]:
            at.sidebar.multiselect(key=widget.key).set_value([] if option is None else [option]).run()
            assert not at.exception, f"{label}={option}"
        at.sidebar.multiselect(key=widget.key).set_value([]).run()
    team = at.sidebar.multiselect(key="live_teams")
    team.set_value([2]).run()  # team B only: Carla, the Chat queue
    assert set(dataframe(at, "flags")["agent"]) == {"Carla"}
    assert {m.value for m in at.markdown if "·" in m.value} >= {"**Chat** · chat"}
    at.sidebar.multiselect(key="live_channels").set_value(["voice"]).run()  # nothing matches both
    assert "No agents or queues match these filters in your scope." in [i.value for i in at.info]


@pytest.mark.usefixtures("floor")
def test_wallboard_shows_strip_and_customer_side_only() -> None:
    at = run_page(wallboard="1", team="1")
    assert not at.exception
    assert not at.sidebar.multiselect
    assert not list(at.dataframe)  # no board, alerts or lists
    assert [h.value for h in at.header] == ["Sales · voice"]  # ?team=1 narrows: no Chat queue
    big = [t.value for t in at.title][1:]  # after the page title: the large numbers
    assert big[:3] == [":red[1]", ":red[50.0 %]", "0.0 %"]  # waiting, SL (breached), abandon
    assert "⚠ target 80.0 %" in [c.value for c in at.caption]  # never colour alone
    assert big[3] == "75.0 %"  # CSAT on the customer side
    assert any("n = 12" in c.value for c in at.caption)
    assert not at.metric  # large type instead of metric tiles


def test_big_floor_paginates_the_board(app_env: str) -> None:
    build_floor(app_env, agents=120)
    at = run_page()
    assert not at.exception
    assert len(dataframe(at, "flags")) == 50
    at.number_input(key="live_board_page").set_value(3).run()
    assert len(dataframe(at, "flags")) == 23  # 123 agents: 50 + 50 + 23
    at.toggle(key="live_only_flagged").set_value(True).run()
    assert set(dataframe(at, "flags")["agent"]) == {"Ana", "Bruno"}


@pytest.mark.usefixtures("floor")
def test_timeline_for_the_picked_agent() -> None:
    at = run_page()
    at.selectbox(key="live_agent").set_value(2).run()
    assert not at.exception
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    timeline = [s for s in specs if "Agent day timeline: Bruno" in s]
    assert timeline and "Out of adherence" in timeline[0]


def test_stale_data_is_announced(app_env: str) -> None:
    build_floor(app_env, fresh=False)
    at = run_page()
    assert not at.exception
    assert any("Stale data" in w.value for w in at.warning)


@pytest.mark.usefixtures("floor")
def test_spanish_strings() -> None:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["locale"] = "es"
    at.run()
    assert [t.value for t in at.title] == ["Equipo en directo"]
    assert "⏸ Pausa demasiado larga" in set(dataframe(at, "what")["what"])


@pytest.mark.usefixtures("app_env")
def test_empty_database_shows_the_no_data_hint() -> None:
    at = run_page()
    assert not at.exception
    assert at.info and "mirador demo" in at.info[0].value
