"""models.live on SQLite and PostgreSQL with hand-built floors: who is flagged now, queue breaches
with since-when, the customer side, the lists to act on, intraday staffing and the day timeline.

Local day 2026-03-02 in Europe/Madrid (UTC+1); "now" is 10:00 local unless a test moves it.
Expectations are computed by hand from METRICS.md and the thresholds' documented defaults.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlmodel import Session, select

from models import live
from models import live_agents as la
from models.access import Viewer
from models.db import SessionFactory, session_scope
from models.settings import Settings
from models.tables import (
    Agent,
    AgentDay,
    AgentInterval,
    AgentStateSegment,
    AppUser,
    Contact,
    Queue,
    QueueInterval,
    ScheduleSegment,
    Site,
    SurveyResponse,
    Team,
    UserTeam,
)
from models.timegrid import interval_of

MADRID = ZoneInfo("Europe/Madrid")
KEYS = itertools.count()
DAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=MADRID).astimezone(UTC)
SUPERVISOR = Viewer(user_id=1, email="sup@example.com", role="supervisor", name="Sup")
DIRECTOR = Viewer(user_id=2, email="dir@example.com", role="director", name="Dir")


def at(hh: int, mm: int, ss: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=MADRID).astimezone(UTC)


def ms(moment: datetime) -> float:
    return moment.timestamp() * 1000


class Floor:
    """Builds rows with sequential ids; every fact carries batch 1."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.n = 0

    def state(
        self, agent: int, state: str, start: datetime, end: datetime | None = None, reason=None
    ) -> None:
        self.n += 1
        self.s.add(
            AgentStateSegment(
                source="t", batch_id=1, agent_id=agent, state=state, reason=reason, start_at=start, end_at=end
            )
        )

    def states(self, agent: int, *runs: tuple) -> None:
        """Contiguous states: (state, start, reason); the last one stays open."""
        for i, (state, start, reason) in enumerate(runs):
            end = runs[i + 1][1] if i + 1 < len(runs) else None
            self.state(agent, state, start, end, reason)

    def shift(self, agent: int, activity: str, start: datetime, end: datetime) -> None:
        self.s.add(
            ScheduleSegment(
                source="t", batch_id=1, agent_id=agent, activity=activity, start_at=start, end_at=end
            )
        )

    def contact(self, queue: int, offered: datetime, outcome: str, **kw) -> Contact:
        self.n += 1
        row = Contact(
            source="t",
            source_key=f"c{next(KEYS)}",
            batch_id=1,
            queue_id=queue,
            channel="voice",
            offered_at=offered,
            offered_interval=interval_of(offered),
            outcome=outcome,
            **kw,
        )
        self.s.add(row)
        self.s.flush()
        return row


def build_floor(factory: SessionFactory) -> None:
    """Team A (supervised by user 1) with agents 1-8 in the situations named below; team B with
    agent 9 (a long aux the supervisor must never see) and queue 2."""
    with session_scope(factory) as s:
        s.add(Site(id=1, name="Madrid", timezone="Europe/Madrid"))
        s.add_all(
            [
                AppUser(id=1, email="sup@example.com", name="Sup", role="supervisor"),
                AppUser(id=2, email="dir@example.com", name="Dir", role="director"),
            ]
        )
        s.flush()
        s.add_all([Team(id=1, name="A", site_id=1, supervisor_id=1), Team(id=2, name="B", site_id=1)])
        s.flush()
        s.add(UserTeam(user_id=1, team_id=1))
        names = ["Ana", "Bruno", "Carla", "Dani", "Eva", "Fede", "Gala", "Hugo", "Xavi"]
        for i, name in enumerate(names, start=1):
            s.add(
                Agent(
                    id=i,
                    code=f"a{i}",
                    name=name,
                    team_id=1 if i < 9 else 2,
                    is_remote=i % 2 == 0,
                    timezone="America/Bogota" if i == 2 else "Europe/Madrid",
                )
            )
        s.add_all(
            [
                Queue(id=1, name="Sales", channel="voice", team_id=1),
                Queue(id=2, name="Billing", channel="voice", team_id=2),
            ]
        )
        s.flush()
        f = Floor(s)
        for agent in (1, 2, 3, 4, 5, 6):
            f.shift(agent, "work", at(8, 0), at(12, 0))
        # 1 Ana: 20 min in a scheduled break (limit 15 min): aux_long since 09:40.
        f.shift(1, "break", at(9, 40), at(10, 10))
        f.states(1, ("available", at(8, 0), None), ("aux", at(9, 40), "break"))
        # 2 Bruno: in a meeting since 09:50 while scheduled to work: out of adherence since 09:50.
        f.states(2, ("available", at(8, 0), None), ("aux", at(9, 50), "meeting"))
        # 3 Carla: on a 2-minute contact: nothing to flag.
        f.states(3, ("available", at(8, 0), None), ("on_contact", at(9, 58), None))
        # 4 Dani: on a contact for 15 min, queue AHT 300 s today: long_contact since 09:45.
        f.states(4, ("available", at(8, 0), None), ("on_contact", at(9, 45), None))
        f.contact(1, at(9, 44, 50), "answered", agent_id=4, answered_at=at(9, 45), wait_s=10)
        # 5 Eva: 5 min of after-contact work (limit 120 s): acw_long since 09:55.
        f.states(5, ("available", at(8, 0), None), ("acw", at(9, 55), None))
        # 6 Fede: three short disconnects (60, 90, 40 s) in the last hour: disconnects since 09:10.
        f.states(
            6,
            ("available", at(8, 0), None),
            ("offline", at(9, 10), None),
            ("available", at(9, 11), None),
            ("offline", at(9, 20), None),
            ("available", at(9, 21, 30), None),
            ("offline", at(9, 30), None),
            ("available", at(9, 30, 40), None),
        )
        # 7 Gala: logged in since 06:30 (scheduled), no break: no_break since 06:30.
        f.shift(7, "work", at(6, 30), at(14, 30))
        f.states(7, ("available", at(6, 30), None))
        # 8 Hugo: shift ended 09:30, still logged in: outside_shift since 09:30.
        f.shift(8, "work", at(8, 0), at(9, 30))
        f.states(8, ("available", at(8, 0), None))
        # 9 Xavi (team B): two hours in aux.
        f.states(9, ("aux", at(8, 0), "other"))
        # Queue 1 today: 08:00 SL 9/10, 09:00 5/10 with 2 abandons -> so far 14/20 = 70 % < 80 %.
        s.add(
            QueueInterval(
                queue_id=1,
                interval_start=interval_of(at(8, 0)),
                local_date=DAY,
                offered=10,
                answered=10,
                answered_within_t=9,
                answered_wait_sum=100.0,
                handled=10,
                handle_time_sum=3000.0,
                csat_n=4,
                csat_top2=3,
                ces_n=4,
                ces_sum=22.0,
                ces_easy=3,
                ces_difficult=1,
                nps_n=5,
                nps_promoters=3,
                nps_detractors=1,
                known_customer=20,
                repeats=2,
                surveys_answered=5,
            )
        )
        s.add(
            QueueInterval(
                queue_id=1,
                interval_start=interval_of(at(9, 0)),
                local_date=DAY,
                offered=10,
                answered=8,
                answered_within_t=5,
                abandoned=2,
                abandoned_within_t=0,
                answered_wait_sum=140.0,
            )
        )
        s.add(
            QueueInterval(
                queue_id=2,
                interval_start=interval_of(at(9, 0)),
                local_date=DAY,
                offered=50,
                answered=50,
                answered_within_t=10,
                csat_n=30,
                csat_top2=0,
            )
        )
        # Waiting now in queue 1: 30 s (beyond T = 20 s) and 10 s.
        f.contact(1, at(9, 59, 30), "waiting")
        f.contact(1, at(9, 59, 50), "waiting")
        f.contact(2, at(9, 50), "waiting")
        s.add(
            AgentDay(
                agent_id=3,
                local_date=DAY,
                handled=10,
                handle_time_sum=3000.0,
                adherent_s=3000.0,
                scheduled_s=3600.0,
            )
        )


@pytest.fixture
def floor(factory: SessionFactory) -> SessionFactory:
    build_floor(factory)
    return factory


def snapshot(factory: SessionFactory, settings: Settings, viewer=SUPERVISOR, now=NOW, **filters):
    with factory() as session:
        return live.live_snapshot(
            session=session, viewer=viewer, settings=settings, filters=live.LiveFilters(**filters), now=now
        )


def flags_of(snap: live.LiveSnapshot) -> dict[str, list[str]]:
    return {row.name: sorted(row.flags) for row in snap.agents.itertuples() if row.flags}


# --- Agents ---------------------------------------------------------------------------------------


def test_each_hand_built_situation_raises_exactly_its_flag(floor: SessionFactory, settings: Settings) -> None:
    snap = snapshot(floor, settings)
    assert flags_of(snap) == {
        "Ana": ["aux_long"],
        "Bruno": ["out_of_adherence"],
        "Dani": ["long_contact"],
        "Eva": ["acw_long"],
        "Fede": ["disconnects"],
        "Gala": ["no_break"],
        "Hugo": ["outside_shift"],
    }
    assert "Xavi" not in set(snap.agents["name"])  # another team's agent never reaches a supervisor


def test_alerts_carry_since_when_newest_first(floor: SessionFactory, settings: Settings) -> None:
    alerts = snapshot(floor, settings).alerts
    by_kind = {(r.kind, r.name): r.since_ms for r in alerts.itertuples()}
    assert by_kind[("aux_long", "Ana")] == ms(at(9, 40))
    assert by_kind[("out_of_adherence", "Bruno")] == ms(at(9, 50))
    assert by_kind[("long_contact", "Dani")] == ms(at(9, 45))
    assert by_kind[("acw_long", "Eva")] == ms(at(9, 55))
    assert by_kind[("disconnects", "Fede")] == ms(at(9, 10))
    assert by_kind[("no_break", "Gala")] == ms(at(6, 30))
    assert by_kind[("outside_shift", "Hugo")] == ms(at(9, 30))
    assert by_kind[("sl_breach", "Sales")] == ms(at(9, 0))
    assert by_kind[("abandon_breach", "Sales")] == ms(at(9, 0))
    assert by_kind[("wait_breach", "Sales")] == ms(at(9, 59, 30))
    assert list(alerts["since_ms"]) == sorted(alerts["since_ms"], reverse=True)
    values = {(r.kind, r.name): r.value for r in alerts.itertuples()}
    assert values[("aux_long", "Ana")] == 1200.0
    assert values[("out_of_adherence", "Bruno")] == 600.0
    assert values[("disconnects", "Fede")] == 3
    assert values[("no_break", "Gala")] == 3.5 * 3600


def test_board_columns_and_attention_order(floor: SessionFactory, settings: Settings) -> None:
    board = snapshot(floor, settings).agents.set_index("name")
    carla = board.loc["Carla"]
    assert (carla.state, carla.time_in_state, carla.contacts_today) == ("on_contact", 120.0, 10)
    assert carla.aht_today == 300.0
    assert carla.adherence_today == pytest.approx(3000 / 3600)
    assert board.loc["Ana", "reason"] == "break"
    assert board.loc["Bruno", "local_time"] == "04:00"  # Bogotá, UTC-5
    assert board.loc["Ana", "local_time"] == "10:00"
    assert pd_isna(board.loc["Ana", "aht_today"])  # no handled contacts: undefined, not 0
    order = list(board.index)
    assert order[0] == "Fede"  # disconnects weigh most
    assert order.index("Carla") > order.index("Gala")  # unflagged agents come last


def pd_isna(value) -> bool:
    return value is None or value != value


def test_flags_clear_when_the_situation_clears(floor: SessionFactory, settings: Settings) -> None:
    with session_scope(floor) as s:
        f = Floor(s)
        later = at(10, 6)
        for agent in (1, 2):  # back to work at 10:05
            seg = s.exec(
                select(AgentStateSegment).where(
                    AgentStateSegment.agent_id == agent, AgentStateSegment.end_at.is_(None)
                )
            ).one()
            seg.end_at = at(10, 5)
            f.state(agent, "available", at(10, 5))
        seg = s.exec(
            select(AgentStateSegment).where(
                AgentStateSegment.agent_id == 8, AgentStateSegment.end_at.is_(None)
            )
        ).one()
        seg.end_at = at(9, 31)  # Hugo logged out one minute after his shift
        f.state(8, "offline", at(9, 31))
    flags = flags_of(snapshot(floor, settings, now=later))
    assert "Ana" not in flags  # break over; 60 s available during a scheduled break < grace
    assert "Bruno" not in flags
    assert "Hugo" not in flags  # 60 s outside the shift is within the grace period


def test_thresholds_are_settings(floor: SessionFactory, settings: Settings) -> None:
    relaxed = settings.model_copy(update={"adherence_grace_s": 900.0})
    assert "Bruno" not in flags_of(snapshot(floor, relaxed))  # 600 s mismatch < 900 s grace
    custom = settings.model_copy(
        update={"live_acw_limit_s": 600.0, "live_aux_limit_s": {"break": 1800.0, "other": 600.0}}
    )
    assert live.LiveThresholds.from_settings(custom).acw_limit_s == 600.0
    flags = flags_of(snapshot(floor, custom))
    assert "Eva" not in flags and "Ana" not in flags  # 300 s of ACW < 600 s; 20 min break < 30 min
    th = live.LiveThresholds.from_settings(settings)
    assert (th.refresh_s, th.acw_limit_s, th.aux_limit("break"), th.aux_limit("nap")) == (
        10.0,
        120.0,
        900.0,
        600.0,
    )


# --- Queues and customer side ----------------------------------------------------------------------


def test_queue_strip_now_and_so_far_today(floor: SessionFactory, settings: Settings) -> None:
    snap = snapshot(floor, settings)
    assert list(snap.queues["queue"]) == ["Sales"]
    q = snap.queues.iloc[0]
    assert (q.offered, q.waiting, q.longest_wait) == (20, 2, 30.0)
    assert q.service_level == pytest.approx(14 / 20)
    assert q.abandon_rate == pytest.approx(2 / 20)
    assert q.asa == pytest.approx(240 / 18)
    assert (q.target, q.threshold_s) == (0.8, 20.0)
    assert (bool(q.sl_breach), bool(q.abandon_breach), bool(q.wait_breach)) == (True, True, True)
    # team A now: available Fede, Gala, Hugo; on contact Carla, Dani and Eva (ACW); aux Ana, Bruno
    assert (q.agents_available, q.agents_on_contact, q.agents_aux) == (3, 3, 2)
    spark = snap.sparklines[snap.sparklines["queue_id"] == 1]
    assert list(spark["service_level"]) == pytest.approx([0.9, 0.5])


def test_queue_breach_clears_when_service_recovers(floor: SessionFactory, settings: Settings) -> None:
    with session_scope(floor) as s:
        s.add(
            QueueInterval(
                queue_id=1,
                interval_start=interval_of(at(9, 45)),
                local_date=DAY,
                offered=20,
                answered=20,
                answered_within_t=20,
            )
        )
        for row in s.exec(select(Contact).where(Contact.queue_id == 1, Contact.outcome == "waiting")):
            row.outcome = "answered"
    q = snapshot(floor, settings).queues.iloc[0]
    assert q.service_level == pytest.approx(34 / 40)
    assert q.abandon_rate == pytest.approx(2 / 40)  # 5 % is the limit, not beyond it
    assert (bool(q.sl_breach), bool(q.abandon_breach), bool(q.wait_breach)) == (False, False, False)
    assert not {"sl_breach", "abandon_breach", "wait_breach"} & set(snapshot(floor, settings).alerts["kind"])


def test_customer_side_with_sample_sizes(floor: SessionFactory, settings: Settings) -> None:
    c = snapshot(floor, settings).customer
    assert c["csat"] == pytest.approx(0.75) and c["csat_n"] == 4
    assert c["ces"] == pytest.approx(5.5) and c["ces_n"] == 4
    assert c["nps"] == pytest.approx(40.0) and c["nps_n"] == 5
    assert c["repeat_rate"] == pytest.approx(0.1)
    assert c["csat_low_confidence"] and c["nps_low_confidence"]


def test_director_sees_both_teams_and_filters_narrow(floor: SessionFactory, settings: Settings) -> None:
    snap = snapshot(floor, settings, viewer=DIRECTOR)
    assert set(snap.queues["queue"]) == {"Sales", "Billing"}
    assert "Xavi" in set(snap.agents["name"])
    assert snap.customer["csat_n"] == 34
    only_b = snapshot(floor, settings, viewer=DIRECTOR, team_ids=(2,))
    assert set(only_b.agents["name"]) == {"Xavi"} and list(only_b.queues["queue"]) == ["Billing"]
    by_queue = snapshot(floor, settings, viewer=DIRECTOR, queue_ids=(1,))
    assert "Xavi" not in set(by_queue.agents["name"]) and list(by_queue.queues["queue"]) == ["Sales"]
    assert snapshot(floor, settings, viewer=DIRECTOR, channels=("chat",)).queues.empty
    # a supervisor naming the other team's id gets nothing of it
    assert snapshot(floor, settings, team_ids=(2,)).agents.empty


def test_filter_options_default_to_own_teams(floor: SessionFactory) -> None:
    with floor() as session:
        mine = live.filter_options(session=session, viewer=SUPERVISOR)
        every = live.filter_options(session=session, viewer=DIRECTOR)
    assert mine["teams"] == {1: "A"} and mine["default_team_ids"] == [1]
    assert mine["queues"] == {1: "Sales"} and mine["channels"] == ["voice"]
    assert every["teams"] == {1: "A", 2: "B"} and every["default_team_ids"] == []


# --- Lists to act on ----------------------------------------------------------------------------------


def add_lists(factory: SessionFactory) -> None:
    """Surveys with comments and today's abandons of customers c1..c5 (see the test below)."""
    with session_scope(factory) as s:
        f = Floor(s)
        for hh, mm, csat, text in ((9, 10, 5, "Great help"), (9, 30, 1, "Waited forever"), (9, 20, 4, None)):
            done = f.contact(1, at(hh, mm - 5), "answered", agent_id=3, customer_key=f"s{mm}")
            s.add(
                SurveyResponse(
                    source="t",
                    source_key=f"s{done.id}",
                    batch_id=1,
                    contact_id=done.id,
                    answered_at=at(hh, mm),
                    csat=csat,
                    verbatim=text,
                )
            )
        other = f.contact(2, at(9, 0), "answered", customer_key="o")
        yesterday = f.contact(1, at(9, 0, day=date(2026, 3, 1)), "answered", customer_key="y")
        for row, text in ((other, "Other team"), (yesterday, "Yesterday")):
            s.add(
                SurveyResponse(
                    source="t",
                    source_key=f"s{row.id}",
                    batch_id=1,
                    contact_id=row.id,
                    answered_at=at(9, 40),
                    csat=2,
                    verbatim=text,
                )
            )
        f.contact(1, at(8, 30), "abandoned", customer_key="c1", wait_s=40.0)
        f.contact(1, at(8, 40), "abandoned", customer_key="c2", wait_s=25.0)
        f.contact(1, at(9, 0), "answered", customer_key="c2", wait_s=5.0)
        f.contact(1, at(8, 50), "abandoned", customer_key="c3", wait_s=30.0)
        f.contact(2, at(9, 10), "abandoned", customer_key="c3", wait_s=50.0)
        f.contact(1, at(8, 55), "abandoned", customer_key="c4", wait_s=3.0)  # short abandon
        f.contact(1, at(8, 56), "abandoned", customer_key=None, wait_s=30.0)  # nobody to call
        f.contact(1, at(9, 0, day=date(2026, 3, 1)), "abandoned", customer_key="c6", wait_s=30.0)
        f.contact(1, at(9, 5), "abandoned", customer_key="c7", wait_s=30.0)
        f.contact(2, at(9, 15), "answered", customer_key="c7", wait_s=30.0)  # reached by team B


def test_callback_list_keeps_only_callers_not_reached_since(
    floor: SessionFactory, settings: Settings
) -> None:
    add_lists(floor)
    calls = snapshot(floor, settings).callbacks
    assert list(calls["customer_key"]) == ["c1", "c3"]  # oldest first
    assert list(calls["called_again"]) == [False, True]
    assert list(calls["wait_s"]) == [40.0, 30.0]
    assert list(calls["offered_ms"]) == [ms(at(8, 30)), ms(at(8, 50))]


def test_waiting_list_and_comments_newest_first(floor: SessionFactory, settings: Settings) -> None:
    add_lists(floor)
    snap = snapshot(floor, settings)
    assert list(snap.waiting["wait_s"]) == [30.0, 10.0]  # queue 2's waiting contact is team B's
    assert list(snap.comments["verbatim"]) == ["Waited forever", "Great help"]
    assert list(snap.comments["low"]) == [True, False]


# --- Intraday and timeline ------------------------------------------------------------------------


def erlang_c_agents(calls: float, aht: float, target: float, t: float, interval: float = 900.0) -> int:
    """Textbook Erlang C (factorial form), independent of models.staffing."""
    from math import exp, factorial

    a = calls * aht / interval
    n = int(a) + 1
    while True:
        top = a**n / factorial(n) * n / (n - a)
        wait = top / (sum(a**k / factorial(k) for k in range(n)) + top)
        if 1 - wait * exp(-(n - a) * t / aht) >= target:
            return n
        n += 1


def test_intraday_offered_required_and_logged_in(floor: SessionFactory, settings: Settings) -> None:
    with session_scope(floor) as s:
        s.add(
            QueueInterval(
                queue_id=1,
                interval_start=interval_of(at(9, 30)),
                local_date=DAY,
                offered=50,
                handled=50,
                handle_time_sum=9000.0,
            )
        )
        for agent, staffed in ((1, 900.0), (2, 900.0), (3, 450.0), (9, 900.0)):
            s.add(
                AgentInterval(
                    agent_id=agent,
                    interval_start=interval_of(at(9, 30)),
                    local_date=DAY,
                    staffed_s=staffed,
                    scheduled_work_s=900.0,
                )
            )
    with floor() as session:
        day = live.intraday(
            session=session, viewer=SUPERVISOR, settings=settings, filters=live.LiveFilters(), now=NOW
        )
    rows = day.set_index("interval_start")
    assert list(rows["offered"]) == [10, 10, 50]
    # 09:30: 50 calls x 180 s in 15 min = 10 erlangs at 80/20: METRICS.md reference C1, N = 14
    assert rows.loc[interval_of(at(9, 30)), "required"] == 14
    # 08:00: own AHT 300 s; 09:00 handled nothing: the queue's AHT today (12000 s / 60) applies
    assert rows.loc[interval_of(at(8, 0)), "required"] == erlang_c_agents(10, 300.0, 0.8, 20.0)
    assert rows.loc[interval_of(at(9, 0)), "required"] == erlang_c_agents(10, 200.0, 0.8, 20.0)
    assert rows.loc[interval_of(at(9, 30)), "logged_in"] == 2.5  # agent 9 is team B's
    assert rows.loc[interval_of(at(9, 30)), "scheduled"] == 3.0
    assert str(day["interval"].iloc[0].tz) == "Europe/Madrid"


def test_agent_timeline_marks_out_of_adherence(floor: SessionFactory, settings: Settings) -> None:
    with floor() as session:
        bruno = live.agent_timeline(
            session=session, viewer=SUPERVISOR, settings=settings, agent_id=2, now=NOW
        )
        hidden = live.agent_timeline(
            session=session, viewer=SUPERVISOR, settings=settings, agent_id=9, now=NOW
        )
    assert hidden is None
    assert bruno is not None
    states = bruno["states"]
    assert list(states["state"]) == ["available", "aux"]
    assert list(states["end_ms"]) == [ms(at(9, 50)), ms(NOW)]  # the open state ends now
    assert list(bruno["schedule"]["activity"]) == ["work"]
    ooa = bruno["out_of_adherence"]
    assert list(zip(ooa["start_ms"], ooa["end_ms"], ooa["seconds"], strict=True)) == [
        (ms(at(9, 50)), ms(NOW), 600.0)
    ]
    assert ooa["start"].iloc[0].hour == 9 and ooa["start"].iloc[0].minute == 50  # local time


def test_empty_database_gives_empty_sections(factory: SessionFactory, settings: Settings) -> None:
    with session_scope(factory) as s:
        s.add(AppUser(id=2, email="dir@example.com", name="Dir", role="director"))
    snap = snapshot(factory, settings, viewer=DIRECTOR)
    for part in (snap.queues, snap.agents, snap.alerts, snap.callbacks, snap.waiting, snap.comments):
        assert part.empty
    assert snap.customer["csat"] is None and snap.customer["csat_n"] == 0
    with factory() as session:
        day = live.intraday(
            session=session, viewer=DIRECTOR, settings=settings, filters=live.LiveFilters(), now=NOW
        )
    assert day.empty


# --- How "now" and "since" are read from the segments ----------------------------------------------


def test_state_since_reads_straddling_merged_ended_and_missing_segments(
    factory: SessionFactory, settings: Settings
) -> None:
    """Team 3 alone: Iris (open since 04:00, before the 4-hour look-back), Juan (two contiguous
    aux/other segments from 09:30), Kim (logged out at 09:00 as her shift ended), Lu (no segment at
    all), Mo (back at 09:45 after a gap in his segments)."""
    with session_scope(factory) as s:
        s.add(Site(id=1, name="Madrid", timezone="Europe/Madrid"))
        s.add(AppUser(id=2, email="dir@example.com", name="Dir", role="director"))
        s.flush()
        s.add(Team(id=3, name="C", site_id=1))
        s.flush()
        for i, name in enumerate(["Iris", "Juan", "Kim", "Lu", "Mo"], start=10):
            s.add(Agent(id=i, code=f"a{i}", name=name, team_id=3))
        s.flush()
        f = Floor(s)
        f.shift(10, "work", at(4, 0), at(12, 0))
        for agent in (11, 13, 14):
            f.shift(agent, "work", at(8, 0), at(16, 0))
        f.shift(12, "work", at(8, 0), at(9, 0))
        f.states(10, ("available", at(4, 0), None))
        f.states(11, ("available", at(8, 0), None), ("aux", at(9, 30), "other"), ("aux", at(9, 45), "other"))
        f.state(12, "available", at(8, 0), at(9, 0))
        f.state(14, "available", at(8, 0), at(8, 30))
        f.states(14, ("available", at(9, 45), None))
    board = snapshot(factory, settings, viewer=DIRECTOR).agents.set_index("name")
    assert (board.loc["Iris", "state"], board.loc["Iris", "since_ms"]) == ("available", ms(at(4, 0)))
    assert (board.loc["Juan", "state"], board.loc["Juan", "since_ms"]) == ("aux", ms(at(9, 30)))
    assert (board.loc["Kim", "state"], board.loc["Kim", "since_ms"]) == ("offline", ms(at(9, 0)))
    assert board.loc["Lu", "state"] == "offline" and pd_isna(board.loc["Lu", "since_ms"])
    assert board.loc["Mo", "since_ms"] == ms(at(9, 45))
    assert board.loc["Iris", "flags"] == ["no_break"]  # six hours logged in, from before the window
    assert sorted(board.loc["Juan", "flags"]) == ["aux_long", "out_of_adherence"]  # 30 min > 10 min
    assert board.loc["Mo", "flags"] == [] and board.loc["Kim", "flags"] == []
    assert board.loc["Lu", "flags"] == ["out_of_adherence"]  # scheduled since 08:00, never logged in
    alerts = snapshot(factory, settings, viewer=DIRECTOR).alerts.set_index("name")
    assert alerts.loc["Lu", "since_ms"] == ms(at(8, 0)) and alerts.loc["Lu", "value"] == 2 * 3600
    assert board.loc["Iris", "time_in_state"] == 6 * 3600


def test_mismatch_runs_for_agents_with_no_state_at_all() -> None:
    """Scheduled to work from 0 to 60 min, never logged in: out of adherence from 0 until now."""
    schedules = pd.DataFrame([[1, 7, "work", True, 0, 3_600_000]], columns=la.SCHED_COLS)
    runs = la.mismatch_runs(pd.DataFrame(columns=la.SEG_COLS), schedules, now_ms=1_800_000)
    assert list(runs.itertuples(index=False, name=None)) == [(7, 0.0, 1_800_000.0, 1800.0)]
