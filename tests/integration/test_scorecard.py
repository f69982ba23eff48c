"""The agent scorecard, what customers said and the wellbeing signals on SQLite and PostgreSQL, on a
hand-built history with hand-computed expectations, and the viewer's scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models import scorecard, voice, wellbeing
from models.access import Viewer
from models.coaching import NotAllowed
from models.db import SessionFactory, session_scope
from models.settings import Settings
from models.tables import (
    Agent,
    AgentDay,
    AgentInterval,
    AgentStateSegment,
    AppUser,
    CoachingSession,
    Contact,
    Queue,
    ScheduleSegment,
    Site,
    SurveyResponse,
    Team,
    Touchpoint,
)
from models.themes import default_lexicon
from models.timegrid import interval_of

START, END, TODAY = date(2024, 3, 4), date(2024, 3, 17), date(2024, 3, 20)  # Madrid is UTC+1 then
DIRECTOR = Viewer(user_id=1, email="dora@x.test", role="director", name="Dora")
COACH = Viewer(user_id=2, email="carl@x.test", role="coach", name="Carl")
OTHER_SUPERVISOR = Viewer(user_id=3, email="sue@x.test", role="supervisor", name="Sue")
A1, A2, A3, A4 = 1, 2, 3, 4


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    """A Madrid wall-clock time in March 2024 (UTC+1) as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


def contact(key: str, agent: int, queue: int, at: datetime, **extra: Any) -> Contact:
    done = at + timedelta(minutes=5)
    values = {"touchpoint_id": 1 if queue == 1 else 2, "acw_s": 30.0, **extra}
    return Contact(
        source="t",
        source_key=key,
        batch_id=1,
        queue_id=queue,
        channel="voice",
        agent_id=agent,
        offered_at=at,
        completed_at=done,
        offered_interval=interval_of(at),
        completed_interval=interval_of(done),
        outcome="answered",
        **values,
    )


def day(agent: int, on: date, **sums: float) -> AgentDay:
    return AgentDay(agent_id=agent, local_date=on, staffed_s=3600.0, **sums)


@pytest.fixture
def history(factory: SessionFactory) -> SessionFactory:
    with session_scope(factory) as s:
        s.add(Site(id=1, name="Remote", timezone="Europe/Madrid"))
        s.add_all(
            [
                AppUser(id=1, email="dora@x.test", name="Dora", role="director"),
                AppUser(id=2, email="carl@x.test", name="Carl", role="coach"),
                AppUser(id=3, email="sue@x.test", name="Sue", role="supervisor"),
            ]
        )
        s.flush()
        s.add_all([Team(id=1, name="North", site_id=1), Team(id=2, name="South", site_id=1, supervisor_id=3)])
        s.add_all(
            [Touchpoint(id=1, key="billing", name="Billing"), Touchpoint(id=2, key="orders", name="Orders")]
        )
        s.flush()
        s.add_all([Queue(id=1, name="q-billing", team_id=1), Queue(id=2, name="q-orders", team_id=2)])
        s.add_all(
            [
                Agent(id=A1, code="a1", name="Íñigo Pérez", team_id=1, coach_id=2, is_remote=True),
                Agent(id=A2, code="a2", name="Bea Soto", team_id=2),
                Agent(id=A3, code="a3", name="Carmen Ruiz", team_id=1),
                Agent(id=A4, code="a4", name="Dani Vidal", team_id=2, is_remote=True),
            ]
        )
        s.flush()
        # A1, A2 and A3 answer on q-billing in the period's last week; A4 only earlier (not a peer)
        s.add_all(
            [
                contact("c1", A1, 1, utc(date(2024, 3, 5), 10), acw_s=200.0),
                contact("c2", A1, 1, utc(date(2024, 3, 6), 10), acw_s=180.0),
                contact("c3", A1, 1, utc(date(2024, 3, 7), 10), acw_s=100.0),
                contact("c4", A1, 1, utc(date(2024, 3, 8), 10), acw_s=None, touchpoint_id=2),
                contact("c5", A1, 1, utc(date(2024, 2, 20), 10), acw_s=900.0),  # before the period
                contact("c6", A2, 1, utc(date(2024, 3, 13), 11)),
                contact("c7", A3, 1, utc(date(2024, 3, 12), 9)),
                contact("c8", A4, 1, utc(date(2024, 3, 5), 9)),  # q-billing, but before the last 7 days
            ]
        )
        s.flush()
        s.add_all(
            [
                # period sums (one day each): CSAT, AHT, transfers
                day(
                    A1,
                    date(2024, 3, 5),
                    csat_n=10,
                    csat_top2=8,
                    handled=10,
                    handle_time_sum=3000.0,
                    answered=10,
                    transferred=1,
                    aux_technical_s=120.0,
                ),
                day(A1, date(2024, 3, 12), aux_coaching_s=600.0, aux_technical_s=30.0),
                day(
                    A2,
                    date(2024, 3, 5),
                    csat_n=10,
                    csat_top2=8,
                    handled=10,
                    handle_time_sum=4000.0,
                    answered=10,
                    transferred=2,
                ),
                day(
                    A3,
                    date(2024, 3, 6),
                    csat_n=10,
                    csat_top2=9,
                    handled=10,
                    handle_time_sum=2000.0,
                    answered=10,
                    transferred=0,
                ),
                day(
                    A4,
                    date(2024, 3, 6),
                    csat_n=10,
                    csat_top2=1,
                    handled=10,
                    handle_time_sum=1000.0,
                    answered=10,
                    transferred=5,
                ),
                day(A1, date(2024, 3, 1), csat_n=50, csat_top2=0, aux_technical_s=999.0),  # before the period
            ]
        )
    return factory


def test_scorecard_compares_with_the_team_median_and_peers_on_the_same_queues(
    history: SessionFactory, settings: Settings
) -> None:
    with history() as s:
        card = scorecard.agent_scorecard(
            session=s, viewer=COACH, settings=settings, agent_id=A1, start=START, end=END
        )
    rows = card.kpis.set_index("kpi")
    assert (card.team, card.team_size, card.peers) == ("North", 2, 3)  # A1 + A2, A3; not A4 (too early)
    assert card.queues == ["q-billing"]
    csat = rows.loc["csat"]
    assert csat["value"] == pytest.approx(0.8)
    assert csat["team_median"] == pytest.approx((0.8 + 0.9) / 2)  # North: A1, A3
    assert csat["percentile"] == pytest.approx(25.0)  # of A2 (0.8, a tie: half) and A3 (0.9): 0.5 of 2
    assert csat["better_than"] == pytest.approx(25.0) and csat["peers"] == 3
    assert (csat["n"], csat["low_confidence"]) == (10, False)
    aht = rows.loc["aht"]
    assert aht["value"] == pytest.approx(300.0) and aht["team_median"] == pytest.approx(250.0)
    assert aht["percentile"] == pytest.approx(50.0) and pd_isna(aht["better_than"])  # AHT: no direction
    transfer = rows.loc["transfer_rate"]
    assert transfer["value"] == pytest.approx(0.1)
    assert transfer["percentile"] == pytest.approx(50.0) and transfer["better_than"] == pytest.approx(50.0)
    assert list(card.kpis["side"].unique()) == ["performance", "customer"]


def pd_isna(value: Any) -> bool:
    return value is None or value != value


def test_trend_by_week_with_the_team_median(history: SessionFactory) -> None:
    with history() as s:
        trend = scorecard.agent_trend(session=s, viewer=COACH, agent_id=A1, end=END, weeks=2)
    csat = trend[trend["kpi"] == "csat"].set_index("week")
    assert list(csat.index) == [date(2024, 3, 4), date(2024, 3, 11)]
    assert csat.loc[date(2024, 3, 4), "value"] == pytest.approx(0.8)
    assert csat.loc[date(2024, 3, 4), "team_median"] == pytest.approx(0.85)
    assert pd_isna(csat.loc[date(2024, 3, 11), "value"])  # no answers that week: a gap, never 0
    assert pd_isna(csat.loc[date(2024, 3, 11), "team_median"])


def test_scope_directory_and_filters(history: SessionFactory) -> None:
    with history() as s:
        assert list(scorecard.agent_directory(session=s, viewer=COACH)["code"]) == ["a1"]
        everyone = scorecard.agent_directory(session=s, viewer=DIRECTOR)
        south = scorecard.agent_directory(session=s, viewer=OTHER_SUPERVISOR)
        for call in (
            lambda: scorecard.agent_scorecard(
                session=s,
                viewer=OTHER_SUPERVISOR,
                settings=None,
                agent_id=A1,  # type: ignore[arg-type]
                start=START,
                end=END,
            ),
            lambda: scorecard.agent_trend(session=s, viewer=OTHER_SUPERVISOR, agent_id=A1, end=END),
            lambda: voice.agent_answers(
                session=s,
                viewer=OTHER_SUPERVISOR,
                settings=None,
                agent_id=A1,  # type: ignore[arg-type]
                start=START,
                end=END,
            ),
            lambda: wellbeing.wellbeing(
                session=s,
                viewer=OTHER_SUPERVISOR,
                settings=None,
                agent_id=A1,  # type: ignore[arg-type]
                start=START,
                end=END,
                today=TODAY,
            ),
        ):
            with pytest.raises(NotAllowed):
                call()
    assert list(south["code"]) == ["a2", "a4"] and set(south["supervisor"]) == {"Sue"}
    assert list(scorecard.filter_agents(everyone, search="inigo PER")["code"]) == ["a1"]  # accents, case
    assert list(scorecard.filter_agents(everyone, search="a3")["code"]) == ["a3"]
    assert sorted(scorecard.filter_agents(everyone, remote=True)["code"]) == ["a1", "a4"]  # collation-free
    assert list(scorecard.filter_agents(everyone, team_ids=[1], remote=False)["code"]) == ["a3"]
    assert list(scorecard.filter_agents(everyone, supervisor_ids=[3])["code"]) == ["a2", "a4"]


def _surveys(s: Any) -> None:
    ids = dict(s.execute(select(Contact.source_key, Contact.id)).all())
    answers = [
        ("c1", {"csat": 5, "nps": 10, "verbatim": "Great service, very friendly"}),
        ("c2", {"csat": 1, "ces": 2, "verbatim": "Esperé DEMASIADO y no lo resolvieron"}),
        ("c3", {"nps": 0, "verbatim": None}),
        ("c4", {"csat": 3, "verbatim": "ok"}),
        ("c5", {"csat": 1, "verbatim": "before the period"}),
        ("c6", {"csat": 1, "verbatim": "another agent"}),
    ]
    for n, (key, values) in enumerate(answers):
        s.add(
            SurveyResponse(
                source="t",
                source_key=f"s{n}",
                batch_id=1,
                contact_id=ids[key],
                answered_at=utc(TODAY, 9),
                **values,
            )
        )


def test_answers_lowest_first_with_filters_and_themes(history: SessionFactory, settings: Settings) -> None:
    with session_scope(history) as s:
        _surveys(s)
    lexicon = default_lexicon()
    with history() as s:
        args = {
            "session": s,
            "viewer": COACH,
            "settings": settings,
            "agent_id": A1,
            "start": START,
            "end": END,
        }
        answers = voice.agent_answers(**args, lexicon=lexicon)
        low = voice.agent_answers(**args, csat_in=[1, 2])
        orders = voice.agent_answers(**args, touchpoint_ids=[2])
    # keys: c3 nps 0 -> 0.0; c2 csat 1 -> 0, ces 2 -> 1/6: mean 1/12; c4 csat 3 -> 0.5; c1 -> 1.0
    assert [int(c) for c in answers["contact_id"]] == [3, 2, 4, 1]
    assert answers["themes"].tolist() == [[], ["unresolved", "waiting"], [], ["friendly"]]
    assert answers["touchpoint"].tolist() == ["Billing", "Billing", "Orders", "Billing"]
    assert answers["offered_at"].iloc[0].utcoffset() == timedelta(hours=1)  # shown in the centre's time
    assert [int(c) for c in low["contact_id"]] == [2]
    assert [int(c) for c in orders["contact_id"]] == [4]
    counts = voice.answer_themes(answers, lexicon).set_index("theme")["comments"]
    assert (counts["waiting"], counts["unresolved"], counts["friendly"], counts["fast"]) == (1, 1, 1, 0)


def test_wellbeing_signals_on_a_hand_built_week(history: SessionFactory, settings: Settings) -> None:
    d1, d2 = date(2024, 3, 11), date(2024, 3, 12)
    with session_scope(history) as s:
        s.add(
            CoachingSession(
                agent_id=A1,
                session_date=date(2024, 3, 8),
                focus_kpi="aht",
                created_at=utc(d1, 9),
                created_by="carl@x.test",
            )
        )
        plan = [  # (activity, start, end): three breaks in the period, one in the future
            ("break", utc(d1, 10), utc(d1, 10, 15)),
            ("lunch", utc(d1, 13), utc(d1, 14)),
            ("break", utc(d1, 16), utc(d1, 16, 10)),
            ("break", utc(date(2024, 3, 25), 10), utc(date(2024, 3, 25), 10, 15)),
            ("work", utc(d1, 8), utc(d1, 17)),
        ]
        s.add_all(
            ScheduleSegment(source="t", batch_id=1, agent_id=A1, activity=a, start_at=b, end_at=e)
            for a, b, e in plan
        )
        states = [  # taken: all of the first, 20 of 60 lunch minutes (skipped), exactly half of the third
            ("aux", "break", utc(d1, 10), utc(d1, 10, 15)),
            ("aux", "lunch", utc(d1, 13), utc(d1, 13, 20)),
            ("aux", "break", utc(d1, 16), utc(d1, 16, 5)),
            ("aux", "technical", utc(d1, 11), utc(d1, 11, 2)),
            ("aux", "technical", utc(d2, 11), utc(d2, 11, 1)),
            ("aux", "technical", utc(date(2024, 2, 28), 11), utc(date(2024, 2, 28), 11, 1)),  # before
        ]
        s.add_all(
            AgentStateSegment(source="t", batch_id=1, agent_id=A1, state=st, reason=r, start_at=b, end_at=e)
            for st, r, b, e in states
        )
        intervals = [
            (d1, 8, 900.0, 900.0),
            (d1, 18, 900.0, 0.0),
            (d1, 19, 600.0, 300.0),
            (d2, 20, 400.0, 0.0),
        ]
        s.add_all(
            AgentInterval(
                agent_id=A1,
                interval_start=interval_of(utc(on, hour)),
                local_date=on,
                staffed_s=staffed,
                scheduled_s=scheduled,
            )
            for on, hour, staffed, scheduled in intervals
        )
    with history() as s:
        signals = wellbeing.wellbeing(
            session=s, viewer=COACH, settings=settings, agent_id=A1, start=START, end=END, today=TODAY
        )
        nothing = wellbeing.wellbeing(
            session=s, viewer=DIRECTOR, settings=settings, agent_id=A3, start=START, end=END, today=TODAY
        )
    assert signals["days_since_coaching"] == (TODAY - date(2024, 3, 12)).days  # the coaching aux day is later
    assert (signals["breaks_scheduled"], signals["breaks_skipped"]) == (3, 1)
    assert signals["after_hours_s"] == pytest.approx(900 + 300 + 400)
    assert signals["after_hours_days"] == 1  # 20 min on the 11th; 6 min 40 s on the 12th is below 15 min
    assert (signals["connectivity_drops"], signals["technical_s"]) == (2, 150.0)
    assert (signals["acw_known"], signals["long_acw"]) == (3, 2)  # 200 s and 180 s of 200, 180, 100
    assert nothing["days_since_coaching"] is None and nothing["breaks_skipped"] is None
    assert nothing["after_hours_s"] is None and nothing["connectivity_drops"] == 0
