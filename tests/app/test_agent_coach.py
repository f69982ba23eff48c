"""The coach's page under AppTest on the simulator's tiny demo: the agent chosen through ?agent=CODE,
filters, the scorecard against the independent read path, recording and completing a commitment,
validation messages, the overdue flag, the CSAT filter and the lexicon editor."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from models import access, coaching, queries
from models.db import make_engine, session_factory, session_scope
from models.kpis import format_value
from models.settings import load_settings
from models.tables import (
    Agent,
    AgentDay,
    AppUser,
    AuditEvent,
    CoachingCommitment,
    CoachingSession,
    Site,
    Team,
    ThemeKeyword,
)
from tests.app.seed_data import ROOT, TIMEOUT_S
from ui import coach

PAGE = str(ROOT / "pages" / "agent_coach.py")


def page(agent: str | None = None, tab: str | None = None, locale: str | None = None) -> AppTest:
    """Run the page on ?agent=CODE with one tab open (only the open tab's section runs)."""
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT_S)
    if agent:
        at.query_params["agent"] = agent
    if tab:
        at.session_state["coach_tab"] = tab
    if locale:
        at.session_state["locale"] = locale
    return at.run()


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first st.dataframe on the page that has this column."""
    for element in at.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no dataframe with column {column!r}")


def texts(elements) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.value for e in elements]


@pytest.fixture
def db(seeded_env: str):  # type: ignore[no-untyped-def]
    engine = make_engine(seeded_env)
    yield session_factory(engine)
    engine.dispose()


def _agents(db) -> list[tuple[int, str, str, bool]]:  # type: ignore[no-untyped-def]
    with db() as s:
        return [
            tuple(r)
            for r in s.execute(select(Agent.id, Agent.code, Agent.name, Agent.is_remote).order_by(Agent.id))
        ]


def test_the_url_names_the_agent_and_the_scorecard_matches_the_read_path(db, seeded_env: str) -> None:  # type: ignore[no-untyped-def]
    agent_id, code, name, _remote = _agents(db)[2]
    at = page(code)
    assert not at.exception
    assert at.selectbox(key="coach_agent").value == code
    settings = load_settings(database_url=seeded_env)
    with db() as s:  # the independent read path: models.queries, by agent, over the same 4 weeks
        viewer = access.demo_viewer(session=s)
        end = queries.latest_data_day(session=s, viewer=viewer, settings=settings)
        by_agent = queries.kpis(
            session=s, viewer=viewer, settings=settings, start=end - timedelta(days=27), end=end, by="agent"
        )
    expected = by_agent[by_agent["agent"] == code].iloc[0]
    performance = frame_with(at, "Team median").set_index("KPI")
    assert performance.loc["Answered", "Agent"] == format_value("answered", expected["answered"], "en")
    assert performance.loc["AHT", "Agent"] == format_value("aht", expected["aht"], "en")
    customer = at.dataframe[1].value.set_index("KPI")
    assert customer.loc["CSAT", "Agent"] == format_value("csat", expected["csat"], "en")
    assert any(name in h.value for h in at.header)


def test_choosing_another_agent_updates_the_link(db) -> None:  # type: ignore[no-untyped-def]
    first, second = _agents(db)[0][1], _agents(db)[1][1]
    at = page(first)
    at.selectbox(key="coach_agent").select(second).run()
    assert not at.exception
    assert at.query_params["agent"] == second


@pytest.mark.usefixtures("seeded_env")
def test_an_unknown_agent_in_the_link_is_reported_and_nothing_is_shown() -> None:
    at = page("nobody-42")
    assert any("nobody-42" in w for w in texts(at.warning))
    assert at.selectbox(key="coach_agent").value is None
    assert len(at.tabs) == 0


def test_search_and_remote_filter_narrow_the_choice(db) -> None:  # type: ignore[no-untyped-def]
    agents = _agents(db)
    at = page()
    target = agents[4]
    at.text_input(key="coach_search").input(target[2].split()[0].upper()).run()  # case-insensitive
    options = at.selectbox(key="coach_agent").options
    assert any(target[1] in o for o in options) and len(options) < len(agents)
    at.text_input(key="coach_search").input("").run()
    at.selectbox(key="coach_where").select("remote").run()
    remote_codes = {code for _id, code, _name, remote in agents if remote}
    shown = {o.split(" · ")[1] for o in at.selectbox(key="coach_agent").options}
    assert shown == remote_codes and 0 < len(shown) < len(agents)


def test_recording_a_session_and_completing_its_commitment(db) -> None:  # type: ignore[no-untyped-def]
    agent_id, code, _name, _remote = _agents(db)[0]
    at = page(code, tab="Coaching log")
    at.selectbox(key="coach_new_kpi").set_value("csat")
    at.text_area(key="coach_new_notes").input("Worked on empathy statements.")
    at.text_input(key="coach_new_c0_text").input("Listen to two 5-star calls")
    at.button(key="coach_new_submit").click().run()
    assert not at.exception
    assert "Session saved." in texts(at.success)
    with db() as s:
        saved = s.execute(select(CoachingSession)).scalar_one()
        item = s.execute(select(CoachingCommitment)).scalar_one()
    assert (saved.agent_id, saved.focus_kpi, saved.notes) == (
        agent_id,
        "csat",
        "Worked on empathy statements.",
    )
    assert saved.created_by == "director@mirador.demo" and item.text == "Listen to two 5-star calls"
    assert item.due_date == coaching.local_today(load_settings()) + timedelta(days=7)
    assert at.text_input(key="coach_new_c0_text").value == ""  # the form is cleared after a save
    at.checkbox(key=f"coach_done_{item.id}").check().run()
    assert "Commitment marked done." in texts(at.success)
    with db() as s:
        done = s.get(CoachingCommitment, item.id)
        actions = list(s.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())
    assert done is not None and done.done_by == "director@mirador.demo" and done.done_at is not None
    assert actions == ["coaching.session.create", "coaching.commitment.create", "coaching.commitment.done"]
    assert any("✓ done" in m for m in texts(at.markdown))


def test_an_empty_commitment_is_refused_with_a_message_in_the_viewers_language(db) -> None:  # type: ignore[no-untyped-def]
    code = _agents(db)[0][1]
    at = page(code, tab="Registro de coaching", locale="es")
    at.text_area(key="coach_new_notes").input("Notas que no se deben perder")
    at.text_input(key="coach_new_c0_text").input("   ")
    at.button(key="coach_new_submit").click().run()
    assert "Compromiso no puede estar vacío." in texts(at.error)
    assert at.text_area(key="coach_new_notes").value == "Notas que no se deben perder"  # kept for a retry
    with db() as s:
        assert s.execute(select(CoachingSession)).first() is None


def test_overdue_commitments_are_flagged_for_the_agent_and_in_the_banner(db, seeded_env: str) -> None:  # type: ignore[no-untyped-def]
    agent_id, code, _name, _remote = _agents(db)[1]
    settings = load_settings(database_url=seeded_env)
    back_then = datetime.now(UTC) - timedelta(days=10)
    due = coaching.local_today(settings, back_then) + timedelta(days=2)
    with session_scope(db) as s:
        viewer = access.demo_viewer(session=s)
        coaching.create_session(
            session=s, viewer=viewer, settings=settings, agent_id=agent_id, now=back_then,
            session_date=coaching.local_today(settings, back_then), focus_kpi="aht",
            commitments=[coaching.CommitmentDraft("Use the wrap-up template", "Carl", due)],
        )  # fmt: skip
    at = page(code, tab="Coaching log")
    assert any("1 commitments are overdue" in w for w in texts(at.warning))
    assert any(m == ":red[:material/schedule: overdue by 8 d]" for m in texts(at.markdown))
    banner = frame_with(at, "Days overdue")
    assert list(banner["Days overdue"]) == [8] and list(banner["Commitment"]) == ["Use the wrap-up template"]


def test_the_csat_filter_shows_only_those_answers_lowest_first(db) -> None:  # type: ignore[no-untyped-def]
    code = _agents(db)[0][1]
    at = page(code, tab="What customers said")
    everything = frame_with(at, "Comment")
    assert len(everything) > 0
    # lowest first: the mean of the answered scales mapped to 0..1 (CSAT 1-5, CES 1-7, NPS 0-10)
    scaled = pd.concat(
        [(everything["CSAT"] - 1) / 4, (everything["CES"] - 1) / 6, everything["NPS"] / 10], axis=1
    ).astype(float)
    keys = scaled.mean(axis=1, skipna=True).fillna(2.0).tolist()
    assert keys == sorted(keys) and keys[0] < keys[-1]
    at.multiselect(key="coach_csat").select(1).select(2).run()
    low = frame_with(at, "Comment")
    assert set(low["CSAT"]) <= {1, 2} and 0 < len(low) <= len(everything)
    assert len(low) == int((everything["CSAT"] <= 2).sum())


def test_adding_a_keyword_to_the_lexicon(db) -> None:  # type: ignore[no-untyped-def]
    code = _agents(db)[0][1]
    at = page(code, tab="What customers said")
    at.text_input(key="coach_lex_theme").input("Headset noise")
    at.selectbox(key="coach_lex_language").set_value("en")
    at.text_input(key="coach_lex_keyword").input("Crackling")
    at.button(key="coach_lex_add").click().run()
    assert not at.exception and not at.error
    with db() as s:
        added = s.execute(select(ThemeKeyword).where(ThemeKeyword.keyword == "crackling")).scalar_one()
        total = len(s.execute(select(ThemeKeyword.id)).all())
    assert (added.theme, added.kind, added.language) == ("headset_noise", "pain", "en")
    assert total > 1  # the built-in lexicon was stored first, not replaced by one keyword
    lexicon = frame_with(at, "keyword")
    assert "crackling" in set(lexicon["keyword"])


def test_a_supervisor_never_gets_another_teams_agent_even_when_the_link_names_one(db, signed_in_as) -> None:  # type: ignore[no-untyped-def]
    with db() as s:
        team_id, supervisor_id = s.execute(select(Team.id, Team.supervisor_id).order_by(Team.id)).first()
        user = s.get(AppUser, supervisor_id)
        own = set(s.execute(select(Agent.code).where(Agent.team_id == team_id)).scalars())
        other = (
            s.execute(select(Agent.code).where(Agent.team_id != team_id).order_by(Agent.id)).scalars().first()
        )
    signed_in_as(user.email)
    at = page(other)
    assert any(other in w for w in texts(at.warning)) and len(at.tabs) == 0
    assert {o.split(" · ")[1] for o in at.selectbox(key="coach_agent").options} == own
    at = page(sorted(own)[0], tab="Coaching log")
    assert not at.exception and len(at.tabs) == 4
    assert not any("notes are visible only" in i for i in texts(at.info))  # their own team's notes


def test_only_the_open_tab_runs_and_wellbeing_shows_gentle_signals(db) -> None:  # type: ignore[no-untyped-def]
    code = _agents(db)[0][1]
    at = page(code)
    assert frame_with(at, "Team median") is not None and len(at.metric) == 0
    assert not any("Comment" in e.value.columns for e in at.dataframe)
    at = page(code, tab="Wellbeing")
    assert [m.label for m in at.metric] == [
        "Since last coaching touch",
        "Breaks skipped",
        "Beyond the schedule",
        "Connectivity drops",
        "Long after-contact work",
    ]
    assert not any("Team median" in e.value.columns for e in at.dataframe)  # no ranking here


def test_a_download_is_audited_when_it_happens_and_only_in_scope(db, seeded_env: str) -> None:  # type: ignore[no-untyped-def]
    agent_id = _agents(db)[0][0]
    settings = load_settings(database_url=seeded_env)
    with db() as s:
        director = access.demo_viewer(session=s)
        boss = s.execute(select(AppUser).where(AppUser.role == "supervisor")).scalars().first()
        supervisor = access.Viewer(user_id=boss.id, email=boss.email, role="supervisor", name=boss.name)
        in_scope = access.scope_for(session=s, viewer=supervisor).agent_ids
        other = next(a for a, *_rest in _agents(db) if a not in in_scope)
    produce = coach.audited_export(settings, director, agent_id, "csv", lambda: b"csv bytes")
    with db() as s:
        assert s.execute(select(AuditEvent)).first() is None  # building the button audits nothing
    assert produce() == b"csv bytes"
    with db() as s:
        event = s.execute(select(AuditEvent)).scalar_one()
    assert (event.actor, event.action, event.target, event.detail) == (
        "director@mirador.demo", "export", f"scorecard:agent:{agent_id}", "csv",
    )  # fmt: skip
    assert other is not None
    with pytest.raises(coaching.NotAllowed):
        coach.audited_export(settings, supervisor, other, "html", lambda: b"")()


def test_before_after_of_a_session_on_a_hand_built_history(app_env: str) -> None:
    """AHT 250 s over 20 contacts in the 28 days before, 200 s over 20 after (METRICS.md AHT)."""
    pivot = date(2024, 2, 1)
    engine = make_engine(app_env)
    factory = session_factory(engine)
    with session_scope(factory) as s:
        s.add(Site(id=1, name="Remote", timezone="Europe/Madrid"))
        s.add(AppUser(id=1, email="dora@x.test", name="Dora", role="director"))
        s.flush()
        s.add(Team(id=1, name="North", site_id=1))
        s.flush()
        s.add(Agent(id=1, code="a1", name="Ana", team_id=1))
        s.flush()
        for offset, handled, seconds in (
            (-29, 50, 50_000.0),
            (-28, 10, 3_000.0),
            (-3, 10, 2_000.0),
            (0, 100, 100_000.0),
            (1, 5, 1_000.0),
            (28, 15, 3_000.0),
            (29, 70, 70.0),
        ):
            day = pivot + timedelta(days=offset)
            s.add(AgentDay(agent_id=1, local_date=day, staffed_s=3600.0, answered=1, handled=handled,
                           handle_time_sum=seconds))  # fmt: skip
        viewer = access.Viewer(user_id=1, email="dora@x.test", role="director", name="Dora")
        coaching.create_session(
            session=s, viewer=viewer, settings=load_settings(database_url=app_env), agent_id=1,
            session_date=pivot, focus_kpi="aht", notes="Wrap-up checklist",
        )  # fmt: skip
    engine.dispose()
    at = page("a1", tab="Coaching log")
    assert not at.exception
    effect = frame_with(at, "Before").iloc[0]
    assert (effect["Session"], effect["KPI"]) == ("2024-02-01", "AHT")
    assert (effect["Before"], effect["After"], effect["Change"]) == ("4:10", "3:20", "-50 s")
    assert effect["Sample"] == "n 20 → 20 · days 2 → 2"
    assert effect["Status"] == "4 weeks complete"


def test_back_from_another_page_the_last_agent_returns_to_the_link(db) -> None:  # type: ignore[no-untyped-def]
    first, second = _agents(db)[0][1], _agents(db)[1][1]
    at = page(first)
    at.selectbox(key="coach_agent").select(second).run()
    at.query_params.clear()  # st.navigation drops the query string
    at.run()
    assert at.selectbox(key="coach_agent").value == second
    assert at.query_params["agent"] == second
