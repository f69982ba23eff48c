"""Who sees what, role by role (issue 7): every scoped query function in models/ is called directly
for a director, an admin, a supervisor, a coach, an agent and an unknown viewer, and whatever team,
agent, queue, survey comment or coaching note comes back must lie inside what the organisation
gives that person; then the pages run under AppTest with out-of-scope agents named in the link, and
no out-of-scope name, comment or note is anywhere on the screen.

The expectations are read from the organisation tables directly (a supervisor's team is the one
they supervise, a coach's agents those they coach), never from models.access itself.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import func, select, update
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from models import (
    audit,
    coaching,
    coaching_reads,
    effort,
    live,
    queries,
    scorecard,
    staffing_plan,
    themes,
    touchpoints,
    trends,
    users,
    voice,
    wellbeing,
)  # fmt: skip
from models.access import OPERATOR, Viewer, note_scope, scope_for
from models.db import make_engine, session_factory, session_scope
from models.settings import Settings, load_settings
from models.tables import Agent, AgentDay, AppUser, Contact, Queue, QueueInterval, SurveyResponse, Team
from tests.conftest import _fresh_url
from ui.auth import SESSION_KEY, session_record
from ui.i18n_coach import t as coach_text

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60
NOTE = "NOTE-SECRET-{code}"
COMMENT = "COMMENT-SECRET-{queue}"
ROLES = ("director", "admin", "supervisor", "coach", "agent", "nobody")


def late_morning_zone(now: datetime) -> str:
    """An Etc/GMT zone where it is 10:00-12:59 now: the seeded "today" then has contacts and
    comments whatever the hour this test runs."""
    for offset in sorted(range(-12, 15), key=abs):
        if 10 <= (now + timedelta(hours=offset)).hour <= 12:
            return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
    raise AssertionError("no zone is in late morning")


@dataclass
class World:
    url: str
    settings: Settings
    now: datetime
    today: date
    viewers: dict[str, Viewer]
    teams: dict[str, set[int]]  # role -> team ids the organisation gives them
    agents: dict[str, set[int]]
    queues: dict[str, set[int]]
    notes: dict[str, set[int]]  # role -> agents whose coaching notes they may read
    all_teams: set[int] = field(default_factory=set)
    all_agents: set[int] = field(default_factory=set)
    all_queues: set[int] = field(default_factory=set)
    queue_names: dict[str, int] = field(default_factory=dict)
    team_names: dict[str, int] = field(default_factory=dict)
    agent_codes: dict[str, int] = field(default_factory=dict)
    agent_names: dict[int, str] = field(default_factory=dict)
    code_of: dict[int, str] = field(default_factory=dict)
    team_of: dict[int, int] = field(default_factory=dict)


def _org(s: Session, world: World) -> None:
    for tid, name in s.execute(select(Team.id, Team.name)):
        world.team_names[name] = tid
    for qid, name in s.execute(select(Queue.id, Queue.name)):
        world.queue_names[name] = qid
    for aid, code, name, team_id in s.execute(select(Agent.id, Agent.code, Agent.name, Agent.team_id)):
        world.agent_codes[code] = aid
        world.agent_names[aid] = name
        world.code_of[aid] = code
        world.team_of[aid] = team_id
    world.all_teams = set(world.team_names.values())
    world.all_queues = set(world.queue_names.values())
    world.all_agents = set(world.agent_codes.values())


def _build(url: str) -> World:
    now = datetime.now(UTC).replace(microsecond=0)
    settings = load_settings(database_url=url, timezone=late_morning_zone(now))
    _seed_in_zone(url, settings, now)
    engine = make_engine(url)
    factory = session_factory(engine)
    today = now.astimezone(settings.zone).date()
    world = World(url, settings, now, today, {}, {}, {}, {}, {})
    try:
        with session_scope(factory) as s:
            _org(s, world)
            first = {
                r: s.execute(select(AppUser).where(AppUser.role == r).order_by(AppUser.id)).scalars().first()
                for r in ("director", "admin", "supervisor", "coach")
            }
            for role, user in first.items():
                world.viewers[role] = Viewer(user_id=user.id, email=user.email, role=role, name=user.name)
            own_agent = min(world.all_agents)
            uid = users.add_user(
                session=s, actor=OPERATOR, email="agent.one@mirador.demo", name="Agent One", role="agent"
            )
            users.set_agents(session=s, actor=OPERATOR, user_id=uid, agent_ids=[own_agent])
            world.viewers["agent"] = Viewer(
                user_id=uid, email="agent.one@mirador.demo", role="agent", name="Agent One"
            )
            world.viewers["nobody"] = Viewer(
                user_id=None, email="nobody@x.test", role="director", name="Nobody"
            )
            _expectations(s, world, own_agent)
            _secrets(s, world)
    finally:
        engine.dispose()
    return world


def _seed_in_zone(url: str, settings: Settings, now: datetime) -> None:
    from jobs import refresh
    from jobs.sources.simulator import seed_demo

    engine = make_engine(url)
    try:
        factory = session_factory(engine)
        seed_demo(session_factory=factory, settings=settings, scale="tiny", now=now, seed=7)
        refresh.run(session_factory=factory, settings=settings, now=now, full=True)
    finally:
        engine.dispose()


def _expectations(s: Session, w: World, own_agent: int) -> None:
    sup, coach_ = w.viewers["supervisor"].user_id, w.viewers["coach"].user_id
    sup_teams = set(s.execute(select(Team.id).where(Team.supervisor_id == sup)).scalars())
    coach_agents = set(s.execute(select(Agent.id).where(Agent.coach_id == coach_)).scalars())
    coach_teams = set(s.execute(select(Agent.team_id).where(Agent.id.in_(coach_agents))).scalars())
    team_agents = lambda teams: set(s.execute(select(Agent.id).where(Agent.team_id.in_(teams))).scalars())  # noqa: E731
    team_queues = lambda teams: set(s.execute(select(Queue.id).where(Queue.team_id.in_(teams))).scalars())  # noqa: E731
    everything = (w.all_teams, w.all_agents, w.all_queues)
    for role, (teams, agents, queues) in {
        "director": everything,
        "admin": everything,
        "supervisor": (sup_teams, team_agents(sup_teams), team_queues(sup_teams)),
        "coach": (coach_teams, coach_agents, team_queues(coach_teams)),
        "agent": (set(), {own_agent}, set()),
        "nobody": (set(), set(), set()),
    }.items():
        w.teams[role], w.agents[role], w.queues[role] = set(teams), set(agents), set(queues)
    w.notes = {"director": w.all_agents, "admin": set(), "supervisor": w.agents["supervisor"],
               "coach": w.agents["coach"], "agent": set(), "nobody": set()}  # fmt: skip
    # The test can only fail if there is something to hide from each scoped role.
    for role in ("supervisor", "coach", "agent"):
        assert w.agents[role] and w.agents[role] < w.all_agents, role
    assert w.teams["supervisor"] < w.all_teams and w.queues["supervisor"] < w.all_queues


def _secrets(s: Session, w: World) -> None:
    """A coaching note on every agent (one session each) and, per queue, one of today's survey
    answers carrying a marked comment."""
    for agent_id in sorted(w.all_agents):
        coaching.create_session(
            session=s, viewer=OPERATOR, settings=w.settings, agent_id=agent_id,
            session_date=w.today - timedelta(days=3), focus_kpi="aht",
            notes=NOTE.format(code=w.code_of[agent_id]), now=w.now - timedelta(days=3),
            commitments=[coaching.CommitmentDraft("Listen back", "coach", w.today - timedelta(days=1))],
        )  # fmt: skip
    start = int(datetime.combine(w.today, datetime.min.time(), tzinfo=w.settings.zone).timestamp())
    for name, queue_id in w.queue_names.items():
        answer = s.execute(
            select(SurveyResponse.id).join(Contact, Contact.id == SurveyResponse.contact_id)
            .where(Contact.queue_id == queue_id, Contact.offered_interval >= start)
            .where(Contact.agent_id.is_not(None))
            .order_by(SurveyResponse.answered_at.desc()).limit(1)
        ).scalar()  # fmt: skip
        if answer is not None:
            s.execute(
                update(SurveyResponse)
                .where(SurveyResponse.id == answer)
                .values(verbatim=COMMENT.format(queue=name))
            )


_BUILT: dict[str, World] = {}  # the SQLite world is a file: the page tests reuse it


def _world(backend: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[World]:
    if backend in _BUILT:
        yield _BUILT[backend]
        return
    for url in _fresh_url(backend, request, folder):
        built = _build(url)
        if backend == "sqlite":
            _BUILT[backend] = built
        yield built


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from _world(request.param, request, tmp_path_factory.mktemp("matrix"))


@pytest.fixture(scope="module")
def sessions(world: World) -> Iterator[Callable[[], Session]]:
    engine = make_engine(world.url)
    yield session_factory(engine)
    engine.dispose()


# --- What reached the caller ------------------------------------------------------------------------


def ids(values: Any) -> set[int]:
    return {int(v) for v in pd.Series(values).dropna()}


def by_name(names: Any, lookup: dict[str, int]) -> set[int]:
    return {lookup[n] for n in pd.Series(names).dropna()}


def assert_within(found: set[int], allowed: set[int], role: str, what: str) -> None:
    assert found <= allowed, f"{role} got {what} {sorted(found - allowed)} outside their scope"
    if role in ("director", "admin"):
        assert found, f"{what}: a director sees some (else this check proves nothing)"


@pytest.mark.parametrize("role", ROLES)
def test_aggregate_reads_stay_in_scope(role: str, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    v, w = world.viewers[role], world
    start = w.today - timedelta(days=13)
    with sessions() as s:
        assert scope_for(session=s, viewer=v).agent_ids in (None, frozenset(w.agents[role]))
        frame = queries.kpis(session=s, viewer=v, settings=w.settings, start=start, end=w.today, by="queue")
        assert_within(by_name(frame["queue"], w.queue_names), w.queues[role], role, "kpis by queue")
        # By team: an agent's own numbers come under their team's name (and nothing else of it).
        own_teams = {w.team_of[a] for a in w.agents[role]}
        frame = queries.kpis(session=s, viewer=v, settings=w.settings, start=start, end=w.today, by="team")
        assert_within(by_name(frame["team"], w.team_names), w.teams[role] | own_teams, role, "kpis by team")
        if role == "agent":
            assert frame["offered"].fillna(0).sum() == 0  # no queue of the team reaches an agent
        frame = queries.kpis(session=s, viewer=v, settings=w.settings, start=start, end=w.today, by="agent")
        assert_within(by_name(frame["agent"], w.agent_codes), w.agents[role], role, "kpis by agent")
        head = queries.headline(session=s, viewer=v, settings=w.settings, day=w.today)
        expected = s.execute(
            select(func.coalesce(func.sum(QueueInterval.offered), 0)).where(
                QueueInterval.local_date == w.today, QueueInterval.queue_id.in_(w.queues[role] or {-1})
            )
        ).scalar_one()
        assert (head["performance"].get("offered") or 0) == expected
        dims = trends.load_dimensions(session=s, viewer=v)
        assert_within(ids(dims.queues["id"]), w.queues[role], role, "trend queues")
        assert_within(ids(dims.teams["id"]), w.teams[role], role, "trend teams")
        sums = trends.load_daily_sums(session=s, viewer=v, start=start, end=w.today)
        staffed = s.execute(
            select(func.coalesce(func.sum(AgentDay.staffed_s), 0.0)).where(
                AgentDay.local_date >= start, AgentDay.local_date <= w.today,
                AgentDay.agent_id.in_(w.agents[role] or {-1}),
            )
        ).scalar_one()  # fmt: skip
        assert sums.agent["staffed_s"].sum() == pytest.approx(staffed)  # only their agents' time
        assert_within(ids(sums.queue["queue_id"]), w.queues[role], role, "daily queue sums")
        assert_within(ids(sums.agent["team_id"]), w.teams[role] | own_teams, role, "daily agent sums")
        contacts = effort.load_effort_contacts(
            session=s, viewer=v, settings=w.settings, start=start, end=w.today
        )
        assert_within(ids(contacts["queue_id"]), w.queues[role], role, "effort contacts")
        moves = touchpoints.load_journey_moves(
            session=s, viewer=v, settings=w.settings, start=start, end=w.today
        )
        moved = ids(pd.concat([moves["from_queue"], moves["to_queue"]]))
        assert moved <= w.queues[role], f"{role} sees moves through {sorted(moved - w.queues[role])}"
        lexicon = themes.load_lexicon(session=s)
        said = touchpoints.load_comment_themes(
            session=s, viewer=v, settings=w.settings, start=start, end=w.today, lexicon=lexicon
        )
        assert ids(said["queue_id"]) <= w.queues[role]
        plan = staffing_plan.load_day_intervals(session=s, viewer=v, day=w.today)
        assert_within(ids(plan.queue["queue_id"]), w.queues[role], role, "staffing queues")
        assert ids(plan.agent["team_id"]) <= w.teams[role] | own_teams


@pytest.mark.parametrize("role", ROLES)
def test_live_reads_stay_in_scope_even_when_filters_name_other_teams(
    role: str, world: World, sessions
) -> None:  # type: ignore[no-untyped-def]
    v, w = world.viewers[role], world
    every_team = live.LiveFilters(team_ids=tuple(sorted(w.all_teams)), queue_ids=tuple(sorted(w.all_queues)))
    with sessions() as s:
        options = live.filter_options(session=s, viewer=v)
        assert set(options["teams"]) <= w.teams[role] and set(options["queues"]) <= w.queues[role]
        for filters in (live.LiveFilters(), every_team):
            snap = live.live_snapshot(session=s, viewer=v, settings=w.settings, filters=filters, now=w.now)
            assert_within(ids(snap.queues["queue_id"]), w.queues[role], role, "live queues")
            assert_within(ids(snap.agents["agent_id"]), w.agents[role], role, "live agents")
            assert_within(ids(snap.comments["queue_id"]), w.queues[role], role, "live comments")
            for frame in (snap.callbacks, snap.waiting, snap.sparklines):
                assert ids(frame["queue_id"]) <= w.queues[role]
            shown = set(snap.comments["verbatim"])
            leaked = {
                COMMENT.format(queue=q) for q, qid in w.queue_names.items() if qid not in w.queues[role]
            }
            assert not shown & leaked
            alerts = snap.alerts
            assert ids(alerts[alerts["subject"] == "agent"]["subject_id"]) <= w.agents[role]
            assert ids(alerts[alerts["subject"] == "queue"]["subject_id"]) <= w.queues[role]
        for agent_id in sorted(w.all_agents):
            timeline = live.agent_timeline(
                session=s, viewer=v, settings=w.settings, agent_id=agent_id, now=w.now
            )
            assert (timeline is not None) == (agent_id in w.agents[role]), (role, agent_id)


@pytest.mark.parametrize("role", ROLES)
def test_agent_reads_refuse_agents_outside_the_scope(role: str, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    v, w = world.viewers[role], world
    start = w.today - timedelta(days=27)
    with sessions() as s:
        directory = scorecard.agent_directory(session=s, viewer=v)
        assert set(directory["id"]) == w.agents[role]
        span = {"settings": w.settings, "start": start, "end": w.today}
        reads: list[Callable[[int], Any]] = [
            lambda a: scorecard.agent_scorecard(session=s, viewer=v, agent_id=a, **span),
            lambda a: scorecard.agent_trend(session=s, viewer=v, agent_id=a, end=w.today),
            lambda a: voice.agent_answers(session=s, viewer=v, agent_id=a, **span),
            lambda a: wellbeing.wellbeing(session=s, viewer=v, agent_id=a, today=w.today, **span),
        ]
        for agent_id in sorted(w.all_agents):
            for read in reads:
                if agent_id in w.agents[role]:
                    read(agent_id)
                else:
                    with pytest.raises(coaching.NotAllowed):
                        read(agent_id)
        for agent_id in sorted(w.agents[role]):
            answers = voice.agent_answers(
                session=s, viewer=v, settings=w.settings, agent_id=agent_id, start=start, end=w.today
            )
            assert set(answers["queue"]) <= set(w.queue_names)  # its own contacts' comments only


@pytest.mark.parametrize("role", ROLES)
def test_coaching_notes_only_for_the_agents_coach_supervisor_and_directors(
    role: str, world: World, sessions
) -> None:  # type: ignore[no-untyped-def]
    v, w = world.viewers[role], world
    with sessions() as s:
        assert note_scope(session=s, viewer=v) in (None, frozenset(w.notes[role]))
        for agent_id in sorted(w.all_agents):
            if agent_id in w.notes[role]:
                log = coaching_reads.coaching_log(
                    session=s, viewer=v, settings=w.settings, agent_id=agent_id, today=w.today
                )
                assert list(log["sessions"]["notes"]) == [NOTE.format(code=w.code_of[agent_id])]
            else:
                with pytest.raises(coaching.NotAllowed):
                    coaching_reads.sessions_for_agent(session=s, viewer=v, agent_id=agent_id)
                with pytest.raises(coaching.NotAllowed):
                    coaching.create_session(
                        session=s,
                        viewer=v,
                        settings=w.settings,
                        agent_id=agent_id,
                        session_date=w.today,
                        focus_kpi="aht",
                    )
        if w.notes[role]:
            overdue = coaching_reads.overdue_commitments(session=s, viewer=v, today=w.today)
            assert set(overdue["agent_id"]) == w.notes[role]  # every note-holder's agent, nobody else's
        else:
            with pytest.raises(coaching.NotAllowed):
                coaching_reads.overdue_commitments(session=s, viewer=v, today=w.today)
        s.rollback()


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_read_the_audit_trail_and_the_accounts(role: str, world: World, sessions) -> None:  # type: ignore[no-untyped-def]
    v = world.viewers[role]
    with sessions() as s:
        if role == "admin":
            assert not audit.events(session=s, viewer=v).empty
            assert not users.list_users(session=s, actor=v).empty
        else:
            with pytest.raises(audit.AuditDenied):
                audit.events(session=s, viewer=v)
            with pytest.raises(audit.AuditDenied):
                users.list_users(session=s, actor=v)


# --- The pages, under AppTest -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The pages are the same code on both databases: AppTest runs on (a copy of) the SQLite world."""
    world = next(_world("sqlite", request, tmp_path_factory.mktemp("matrix")))
    copy = tmp_path_factory.mktemp("matrix_app") / "mirador.db"
    shutil.copy(world.url.removeprefix("sqlite:///"), copy)
    saved = {k: v for k, v in os.environ.items() if k.startswith("MIRADOR_") and k != "MIRADOR_REQUIRE_ALL"}
    for name in saved:
        del os.environ[name]
    os.environ.update(
        MIRADOR_DATABASE_URL=f"sqlite:///{copy}",
        MIRADOR_SCHEDULER_MODE="worker",
        MIRADOR_TIMEZONE=world.settings.timezone,
    )
    try:
        yield world
    finally:
        for name in ("MIRADOR_DATABASE_URL", "MIRADOR_SCHEDULER_MODE", "MIRADOR_TIMEZONE"):
            os.environ.pop(name, None)
        os.environ.update(saved)


def screen_text(at: AppTest) -> str:
    """Everything a person could read on the page: text elements, tables, charts, widget options."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "info",
        "warning",
        "error",
        "success",
    ):
        parts.extend(str(e.value) for e in getattr(at, kind))
    parts.extend(frame.value.to_csv() for frame in at.dataframe)
    parts.extend(chart.proto.spec for chart in at.get("plotly_chart"))
    parts.extend(f"{m.label} {m.value}" for m in at.metric)
    for widget in (*at.selectbox, *at.multiselect):
        parts.extend(str(o) for o in widget.options)
    return "\n".join(parts)


def run_page(world: World, role: str, page: str, tab: str | None = None, **query: str) -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=TIMEOUT_S)
    at.session_state[SESSION_KEY] = session_record(int(world.viewers[role].user_id), "test")
    if tab:
        at.session_state["coach_tab"] = coach_text(tab, "en")
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, (role, page, tab, at.exception)
    return at


def forbidden_words(world: World, role: str) -> set[str]:
    out = {COMMENT.format(queue=q) for q, qid in world.queue_names.items() if qid not in world.queues[role]}
    out |= {NOTE.format(code=world.code_of[a]) for a in world.all_agents if a not in world.notes[role]}
    out |= {world.code_of[a] for a in world.all_agents if a not in world.agents[role]}
    visible_names = {world.agent_names[a] for a in world.agents[role]}
    out |= {world.agent_names[a] for a in world.all_agents if a not in world.agents[role]} - visible_names
    return out


@pytest.mark.parametrize("role", ["director", "supervisor", "coach", "agent"])
def test_no_out_of_scope_name_comment_or_note_reaches_a_page(role: str, app_world: World) -> None:
    w = app_world
    forbidden = forbidden_words(w, role)
    outsider = next((a for a in sorted(w.all_agents) if a not in w.agents[role]), None)
    insider = min(w.agents[role])
    runs = [("agent_coach", None, {"agent": w.code_of[outsider]})] if outsider else []
    runs += [
        ("agent_coach", tab, {"agent": w.code_of[insider]})
        for tab in ("tab_scorecard", "tab_voice", "tab_coaching")
    ]
    if role != "agent":
        runs += [("home", None, {}), ("live_team", None, {})]
    seen = ""
    for page, tab, query in runs:
        text = screen_text(run_page(w, role, page, tab, **query))
        asked = set(query.values())  # the page may repeat the code the link named (not a leak)
        leaked = sorted(word for word in forbidden - asked if word in text)
        assert not leaked, f"{role} on {page} {tab or ''} {query} sees {leaked}"
        seen += text
    # ...and the page does show what is theirs (else the check above proves nothing)
    assert w.code_of[insider] in seen
    if insider in w.notes[role]:
        assert NOTE.format(code=w.code_of[insider]) in seen
    if role == "supervisor":
        assert any(
            COMMENT.format(queue=q) in seen for q, qid in w.queue_names.items() if qid in w.queues[role]
        )
