"""The weekly trends read side on both databases, from hand-built aggregates and contacts: the
scorecard and trend series (METRICS.md by hand), scope, effort contacts read back with their
repeat context, journey moves, comment themes, audited owner edits and exports, and staffing
against the METRICS.md Erlang reference case C1."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlmodel import select

from jobs import refresh
from models import effort, export, staffing, staffing_plan, touchpoints, trends
from models.access import Viewer
from models.db import SessionFactory, session_scope
from models.settings import Settings, load_settings
from models.tables import (
    Agent,
    AgentDay,
    AgentInterval,
    AppUser,
    AuditEvent,
    Contact,
    Queue,
    QueueInterval,
    Site,
    SurveyResponse,
    Team,
    ThemeKeyword,
    Touchpoint,
    UserTeam,
)
from models.timegrid import interval_of

DIRECTOR = Viewer(user_id=1, email="dir@x.test", role="director", name="Dora")
SUPERVISOR = Viewer(user_id=2, email="sup@x.test", role="supervisor", name="Sam")  # North only
MADRID_OFFSET = timedelta(hours=1)  # November: UTC+1
THIS_MONDAY, LAST_MONDAY = date(2026, 11, 16), date(2026, 11, 9)


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - MADRID_OFFSET


@pytest.fixture
def cfg(settings: Settings) -> Settings:
    return load_settings(database_url=settings.database_url, timezone="Europe/Madrid")


@pytest.fixture
def org(factory: SessionFactory) -> None:
    """Site; teams North (voice, billing) and South (chat, orders, SL target 90 %); users; agents."""
    with session_scope(factory) as s:
        s.add(Site(id=1, name="Madrid", timezone="Europe/Madrid"))
        s.add(AppUser(id=1, email="dir@x.test", name="Dora", role="director"))
        s.add(AppUser(id=2, email="sup@x.test", name="Sam", role="supervisor"))
        s.flush()
        s.add(Team(id=1, name="North", site_id=1))
        s.add(Team(id=2, name="South", site_id=1))
        s.add(Touchpoint(id=1, key="billing", name="Billing", owner="Finance"))
        s.add(Touchpoint(id=2, key="order", name="Orders", owner=None))
        s.flush()
        s.add(UserTeam(user_id=2, team_id=1))
        s.add(Queue(id=1, name="billing voice", channel="voice", touchpoint_id=1, team_id=1))
        s.add(Queue(id=2, name="orders chat", channel="chat", touchpoint_id=2, team_id=2, sl_target=0.9))
        s.add(Agent(id=1, code="a1", name="Ana", team_id=1, hire_date=date(2026, 10, 1)))
        s.add(Agent(id=2, code="b1", name="Bea", team_id=2, hire_date=date(2020, 1, 1)))


def _qi(queue_id: int, day: date, hour: int, **sums: Any) -> QueueInterval:
    return QueueInterval(
        queue_id=queue_id, interval_start=interval_of(_local(day, hour)), local_date=day, **sums
    )


def _aggregates(factory: SessionFactory) -> None:
    """Two weeks. This week: North 100 offered (2 short abandons), 80 within T of 90 answered;
    South 50 offered, 45 within T. Last week: North only, 60 of 100."""
    with session_scope(factory) as s:
        s.add(
            _qi(
                1,
                THIS_MONDAY,
                10,
                offered=60,
                short_abandoned=2,
                answered=55,
                answered_within_t=50,
                abandoned=3,
                answered_wait_sum=550.0,
                handled=54,
                handle_time_sum=16200.0,
                ces_n=10,
                ces_sum=45.0,
                csat_n=8,
                csat_top2=6,
                known_customer=50,
                repeats=5,
                fcr_resolved=40,
            )
        )
        s.add(
            _qi(
                1,
                THIS_MONDAY + timedelta(days=2),
                11,
                offered=40,
                answered=35,
                answered_within_t=30,
                abandoned=5,
                answered_wait_sum=350.0,
                handled=36,
                handle_time_sum=7200.0,
                ces_n=5,
                ces_sum=30.0,
                csat_n=2,
                csat_top2=2,
                known_customer=30,
                repeats=3,
                fcr_resolved=25,
            )
        )
        s.add(
            _qi(
                2,
                THIS_MONDAY,
                10,
                offered=50,
                answered=48,
                answered_within_t=45,
                abandoned=2,
                answered_wait_sum=960.0,
                handled=48,
                handle_time_sum=24000.0,
                ces_n=4,
                ces_sum=24.0,
            )
        )
        s.add(
            _qi(
                1,
                LAST_MONDAY + timedelta(days=4),
                9,
                offered=100,
                answered=90,
                answered_within_t=60,
                abandoned=10,
                answered_wait_sum=1800.0,
                handled=90,
                handle_time_sum=27000.0,
                ces_n=20,
                ces_sum=80.0,
            )
        )
        s.add(
            AgentDay(
                agent_id=1,
                local_date=THIS_MONDAY,
                staffed_s=28800,
                available_s=7200,
                handle_s=14400,
                scheduled_s=28800,
                adherent_s=25920,
                paid_scheduled_s=28800,
                shrinkage_s=4320,
            )
        )
        s.add(
            AgentDay(
                agent_id=2,
                local_date=THIS_MONDAY,
                staffed_s=28800,
                available_s=14400,
                handle_s=14400,
                scheduled_s=28800,
                adherent_s=28800,
                paid_scheduled_s=28800,
                shrinkage_s=0,
            )
        )
    # fmt: skip


def _card_row(card: pd.DataFrame, kpi: str) -> pd.Series:
    return card.set_index("kpi").loc[kpi]


@pytest.mark.usefixtures("org")
def test_weekly_scorecard_by_hand(factory: SessionFactory, cfg: Settings) -> None:
    _aggregates(factory)
    start, end = trends.week_range(end=THIS_MONDAY + timedelta(days=3), weeks=3)
    assert (start, end) == (date(2026, 11, 2), date(2026, 11, 22))
    with factory() as s:
        dims = trends.load_dimensions(session=s, viewer=DIRECTOR)
        sums = trends.load_daily_sums(session=s, viewer=DIRECTOR, start=start, end=end)
    card = trends.weekly_scorecard(
        sums, dims, settings=cfg, filters=trends.TrendFilters(), end=THIS_MONDAY + timedelta(days=3), weeks=3
    )
    sl = _card_row(card, "service_level")
    assert sl["this_week"] == pytest.approx(125 / 148)  # (50 + 30 + 45) / (150 − 2 short)
    assert sl["last_week"] == pytest.approx(60 / 100)
    assert sl["change"] == pytest.approx(125 / 148 - 0.6) and sl["improved"] is True
    assert sl["series"][0] is None and sl["series"][1] == pytest.approx(0.6)
    assert sl["weeks"] == [date(2026, 11, 2), LAST_MONDAY, THIS_MONDAY]
    assert sl["target"] == pytest.approx((0.8 * 98 + 0.9 * 50) / 148)  # weighted by offered*
    assert sl["n"] == 150
    aht = _card_row(card, "aht")
    assert aht["this_week"] == pytest.approx(47400 / 138) and aht["improved"] is None
    ces = _card_row(card, "ces")
    assert ces["this_week"] == pytest.approx(99 / 19) and ces["last_week"] == pytest.approx(4.0)
    assert ces["n"] == 19 and ces["improved"] is True and not ces["low_confidence"]
    csat = _card_row(card, "csat")
    assert csat["this_week"] == pytest.approx(8 / 10) and not csat["low_confidence"]  # 10 is not < 10
    assert _card_row(card, "ces")["series"][1] == pytest.approx(4.0)
    occupancy = _card_row(card, "occupancy")
    assert occupancy["this_week"] == pytest.approx(28800 / 50400) and pd.isna(occupancy["last_week"])
    assert _card_row(card, "adherence")["this_week"] == pytest.approx(54720 / 57600)
    assert _card_row(card, "repeat_rate")["this_week"] == pytest.approx(8 / 80)
    assert set(card["group"]) == {"performance", "customer"}


@pytest.mark.usefixtures("org")
def test_filters_and_trend_series(factory: SessionFactory, cfg: Settings) -> None:
    _aggregates(factory)
    start, end = trends.week_range(end=THIS_MONDAY, weeks=2)
    with factory() as s:
        dims = trends.load_dimensions(session=s, viewer=DIRECTOR)
        sums = trends.load_daily_sums(session=s, viewer=DIRECTOR, start=start, end=end)
    chat = trends.TrendFilters(channels=("chat",))
    card = trends.weekly_scorecard(sums, dims, settings=cfg, filters=chat, end=THIS_MONDAY, weeks=2)
    assert _card_row(card, "service_level")["this_week"] == pytest.approx(45 / 50)
    assert _card_row(card, "service_level")["target"] == pytest.approx(0.9)
    assert bool(_card_row(card, "occupancy")["all_channels"]) and not bool(
        _card_row(card, "ces")["all_channels"]
    )
    south = trends.TrendFilters(team_ids=(2,))
    card = trends.weekly_scorecard(sums, dims, settings=cfg, filters=south, end=THIS_MONDAY, weeks=2)
    assert _card_row(card, "occupancy")["this_week"] == pytest.approx(14400 / 28800)  # Bea only
    weekly = trends.trend_series(
        sums, dims, settings=cfg, filters=trends.TrendFilters(), by="team", grain="week"
    )
    north = weekly[weekly["group"] == "North"].set_index("period")
    assert north.loc[THIS_MONDAY, "service_level"] == pytest.approx(80 / 98)
    assert north.loc[THIS_MONDAY, "offered"] == 100 and north.loc[LAST_MONDAY, "ces_n"] == 20
    daily = trends.trend_series(
        sums, dims, settings=cfg, filters=trends.TrendFilters(), by="channel", grain="day"
    )
    voice = daily[daily["group"] == "voice"].set_index("period")
    assert list(voice.index) == [
        LAST_MONDAY + timedelta(days=4),
        THIS_MONDAY,
        THIS_MONDAY + timedelta(days=2),
    ]
    assert voice.loc[THIS_MONDAY, "aht"] == pytest.approx(300.0) and voice.loc[THIS_MONDAY, "handled"] == 54


@pytest.mark.usefixtures("org")
def test_supervisor_scope_never_reads_other_teams(factory: SessionFactory, cfg: Settings) -> None:
    _aggregates(factory)
    start, end = trends.week_range(end=THIS_MONDAY, weeks=2)
    with factory() as s:
        dims = trends.load_dimensions(session=s, viewer=SUPERVISOR)
        sums = trends.load_daily_sums(session=s, viewer=SUPERVISOR, start=start, end=end)
    assert set(sums.queue["queue_id"]) == {1} and set(sums.agent["team_id"]) == {1}
    assert dims.teams["name"].tolist() == ["North"] and dims.queues["id"].tolist() == [1]
    # Asking for the other team through the filters gives nothing, not its data.
    card = trends.weekly_scorecard(
        sums, dims, settings=cfg, filters=trends.TrendFilters(team_ids=(2,)), end=THIS_MONDAY, weeks=2
    )
    assert pd.isna(_card_row(card, "offered")["this_week"])


# --- Raw-contact reads: effort, moves, themes ------------------------------------------------------------


def _contact(cid: int, queue: int, at: datetime, **values: Any) -> Contact:
    row: dict[str, Any] = {
        "id": cid, "source": "test", "source_key": f"c{cid}", "batch_id": 1, "queue_id": queue,
        "channel": "voice" if queue == 1 else "chat", "touchpoint_id": queue, "agent_id": queue,
        "customer_key": None, "offered_at": at, "offered_interval": interval_of(at), "outcome": "answered",
        "wait_s": 10.0, "talk_s": 200.0, "hold_s": 0.0, "acw_s": 20.0, "hold_count": 0,
    }  # fmt: skip
    row.update(values)
    return Contact(**row)


def _contacts(factory: SessionFactory) -> None:
    """Customer K: billing voice (week before), billing voice again 2 days later (rated: a repeat),
    then orders chat 3 h later (rated: a channel switch). Customer L: chat rated on its own. The
    first K contact falls before the period but inside the repeat window."""
    k1 = _local(THIS_MONDAY - timedelta(days=1), 10)
    with session_scope(factory) as s:
        s.add(_contact(1, 1, k1, customer_key="K"))
        s.add(
            _contact(
                2, 1, k1 + timedelta(days=2), customer_key="K", wait_s=45.0, hold_s=None, hold_count=None
            )
        )
        s.add(_contact(3, 2, k1 + timedelta(days=2, hours=3), customer_key="K", transferred=True))
        s.add(_contact(4, 2, _local(THIS_MONDAY, 23), customer_key="L"))
        s.add(_contact(5, 1, k1 + timedelta(days=10), customer_key="K"))  # 8 days after #3's day
        s.flush()
        answers = [
            (2, 3, False, "Es la tercera vez que llamo, otra vez esperando"),
            (3, 2, None, "Me transfirieron"),
            (4, 6, True, "Muy amable"),
            (5, 5, True, None),
        ]
        for n, (cid, ces, resolved, text) in enumerate(answers):
            answered = k1 + timedelta(days=12)
            s.add(
                SurveyResponse(
                    source="test", source_key=f"s{n}", batch_id=1, contact_id=cid, answered_at=answered,
                    ces=ces, resolved=resolved, verbatim=text,
                )
            )  # fmt: skip


def _refreshed(factory: SessionFactory, cfg: Settings) -> None:
    """Fold the contacts in: the effort view reads the answers the refresh keeps (EffortAnswer)."""
    refresh.run(session_factory=factory, settings=cfg, now=datetime.now(UTC), full=True)


@pytest.mark.usefixtures("org")
def test_effort_contacts_read_back_with_factors(factory: SessionFactory, cfg: Settings) -> None:
    _contacts(factory)
    with factory() as s:
        before = effort.load_effort_contacts(
            session=s, viewer=DIRECTOR, settings=cfg, start=THIS_MONDAY, end=THIS_MONDAY + timedelta(days=13)
        )
    assert before.empty  # not folded in yet: the view shows answers with the refresh, like its numbers
    _refreshed(factory, cfg)
    with factory() as s:
        rows = effort.load_effort_contacts(
            session=s, viewer=DIRECTOR, settings=cfg, start=THIS_MONDAY, end=THIS_MONDAY + timedelta(days=13)
        ).set_index("contact_id")
        scoped = effort.load_effort_contacts(
            session=s,
            viewer=SUPERVISOR,
            settings=cfg,
            start=THIS_MONDAY,
            end=THIS_MONDAY + timedelta(days=13),
        )
    assert sorted(rows.index) == [2, 3, 4, 5]
    assert (
        rows.loc[2, "ces"] == 3
        and bool(rows.loc[2, "repeat_contact"])
        and not bool(rows.loc[2, "channel_switch"])
    )
    assert bool(rows.loc[2, "wait_above_threshold"]) and pd.isna(rows.loc[2, "hold"])
    assert (
        bool(rows.loc[3, "channel_switch"])
        and not bool(rows.loc[3, "repeat_contact"])
        and bool(rows.loc[3, "transfer"])
    )
    assert pd.isna(rows.loc[3, "unresolved"]) and bool(rows.loc[2, "unresolved"])
    assert not bool(rows.loc[5, "repeat_contact"])  # #2 (same topic) is 8 days earlier: beyond 7
    assert rows.loc[4, "after_hours"] and not rows.loc[2, "after_hours"]
    assert rows.loc[2, "tenure_band"] == "lt_3m" and rows.loc[4, "tenure_band"] == "3y_plus"
    assert (
        rows.loc[2, "touchpoint"] == "billing" and rows.loc[3, "team_id"] == 2 and rows.loc[3, "site_id"] == 1
    )
    assert sorted(scoped["contact_id"]) == [2, 5]  # the supervisor sees North's queue only


@pytest.mark.usefixtures("org")
def test_journey_moves_and_sankey_links(factory: SessionFactory, cfg: Settings) -> None:
    _contacts(factory)
    _refreshed(factory, cfg)
    with factory() as s:
        moves = touchpoints.load_journey_moves(
            session=s,
            viewer=DIRECTOR,
            settings=cfg,
            start=THIS_MONDAY - timedelta(days=7),
            end=THIS_MONDAY + timedelta(days=13),
        )
        dims = trends.load_dimensions(session=s, viewer=DIRECTOR)
    pairs = {(r.from_queue, r.to_queue): r.moves for r in moves.itertuples()}
    assert pairs == {(1, 1): 1, (1, 2): 1}  # #1→#2, #2→#3; #3→#5 is 8 days later: not a move
    links = touchpoints.sankey_links(moves, dims, filters=trends.TrendFilters(), node="both")
    assert sorted(zip(links["source"], links["target"], links["moves"], strict=True)) == [
        ("Billing · voice", "Billing · voice", 1),
        ("Billing · voice", "Orders · chat", 1),
    ]
    only_chat = touchpoints.sankey_links(
        moves, dims, filters=trends.TrendFilters(channels=("chat",)), node="channel"
    )
    assert only_chat.to_dict("records") == [{"source": "voice", "target": "chat", "moves": 1}]


@pytest.mark.usefixtures("org")
def test_comment_themes_and_touchpoint_map(factory: SessionFactory, cfg: Settings) -> None:
    _contacts(factory)
    _aggregates(factory)
    with factory() as s:
        lexicon = touchpoints.map_lexicon(session=s)
        assert s.exec(select(ThemeKeyword)).first() is not None  # the empty table got the default
        found = touchpoints.load_comment_themes(
            session=s,
            viewer=DIRECTOR,
            settings=cfg,
            start=THIS_MONDAY,
            end=THIS_MONDAY + timedelta(days=13),
            lexicon=lexicon,
        )
        dims = trends.load_dimensions(session=s, viewer=DIRECTOR)
        sums = trends.load_daily_sums(
            session=s, viewer=DIRECTOR, start=THIS_MONDAY, end=THIS_MONDAY + timedelta(days=6)
        )
    by_answer = found.groupby("answer_id")["theme"].apply(set).to_dict()
    assert {"waiting", "repeat_contact"} <= by_answer[1] and "transfers" in by_answer[2]
    assert set(found.loc[found["theme"] == "friendly", "kind"]) == {"gain"}
    tmap = touchpoints.touchpoint_map(sums, dims, found, filters=trends.TrendFilters()).set_index("key")
    assert tmap.loc["billing", "offered"] == 100 and tmap.loc["billing", "owner"] == "Finance"
    assert tmap.loc["billing", "channels"] == {"voice": 100}
    assert tmap.loc["billing", "ces"] == pytest.approx(75 / 15) and tmap.loc[
        "billing", "repeat_rate"
    ] == pytest.approx(0.1)
    assert dict(tmap.loc["billing", "top_pains"])["waiting"] == 1
    assert [th for th, _n in tmap.loc["order", "top_pains"]] == ["transfers"]


@pytest.mark.usefixtures("org")
def test_owner_edits_are_validated_and_audited(factory: SessionFactory) -> None:
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with session_scope(factory) as s:
        assert touchpoints.set_owner(
            session=s, viewer=DIRECTOR, touchpoint_id=2, owner="  E-commerce   Lucía ", now=now
        )
        assert not touchpoints.set_owner(
            session=s, viewer=DIRECTOR, touchpoint_id=2, owner="E-commerce Lucía"
        )
    for viewer, owner, code in (
        (SUPERVISOR, "Me", "not_allowed"),
        (DIRECTOR, "x" * 121, "too_long"),
        (DIRECTOR, "bad\x00name", "bad_characters"),
    ):
        with session_scope(factory) as s, pytest.raises(touchpoints.OwnerEditError) as error:
            touchpoints.set_owner(session=s, viewer=viewer, touchpoint_id=2, owner=owner)
        assert error.value.code == code
    with factory() as s:
        assert s.get(Touchpoint, 2).owner == "E-commerce Lucía"
        events = s.exec(select(AuditEvent)).all()
    assert len(events) == 1 and events[0].action == "touchpoint.owner" and events[0].actor == "dir@x.test"
    assert json.loads(events[0].detail) == {"from": None, "to": "E-commerce Lucía"}
    assert events[0].target == "touchpoint:order"


@pytest.mark.usefixtures("org")
def test_exports_are_audited(factory: SessionFactory) -> None:
    with session_scope(factory) as s:
        export.record_export(session=s, viewer=DIRECTOR, what="scorecard", fmt="xlsx")
    with factory() as s:
        event = s.exec(select(AuditEvent)).one()
    assert (event.action, event.target, event.detail, event.actor) == (
        "export",
        "scorecard",
        "xlsx",
        "dir@x.test",
    )


# --- Staffing --------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("org")
def test_staffing_plan_reproduces_the_erlang_reference_case(
    factory: SessionFactory, settings: Settings
) -> None:
    """METRICS.md C1: 100 calls in 30 minutes, AHT 180 s, 80 % in 20 s: 14 agents. Logged in: 13
    agents for the whole half hour, then 20 the next (over-staffed)."""
    cfg = load_settings(database_url=settings.database_url, timezone="Europe/Madrid", interval_minutes=30)
    day = THIS_MONDAY
    with session_scope(factory) as s:
        for hour, minute, offered in ((10, 0, 60), (10, 15, 40), (10, 30, 60), (10, 45, 40)):
            start = _local(day, hour, minute)
            s.add(
                QueueInterval(
                    queue_id=1, interval_start=interval_of(start), local_date=day, offered=offered,
                    answered=offered - 5, answered_within_t=offered - 10, abandoned=5,
                    abandoned_wait_sum=150.0, answered_wait_sum=45.0 * (offered - 5), handled=offered,
                    handle_time_sum=180.0 * offered,
                )
            )  # fmt: skip
        for n in range(20):
            s.add(Agent(id=10 + n, code=f"x{n}", name=f"X{n}", team_id=1))
        s.flush()
        for n in range(20):
            for minute in (0, 15, 30, 45):
                if minute < 30 and n >= 13:
                    continue
                start = _local(day, 10, minute)
                s.add(
                    AgentInterval(
                        agent_id=10 + n, interval_start=interval_of(start), local_date=day, staffed_s=900
                    )
                )
    with factory() as s:
        dims = trends.load_dimensions(session=s, viewer=DIRECTOR)
        data = staffing_plan.load_day_intervals(session=s, viewer=DIRECTOR, day=day)
        sums = trends.load_daily_sums(session=s, viewer=DIRECTOR, start=day, end=day)
    patience = staffing_plan.patience_by_channel(sums, dims, trends.TrendFilters())
    assert patience == {"voice": pytest.approx((600 + 45 * 180) / 20)}  # all waits ÷ abandons
    plan = staffing_plan.staffing_plan(
        data, dims, settings=cfg, filters=trends.TrendFilters(), patience=patience
    )
    assert len(plan) == 2 and plan["offered"].tolist() == [100, 100]
    assert plan["required_erlang_c"].tolist() == [14, 14]
    expected_a = staffing.required_agents_erlang_a(
        calls=100, aht_s=180, interval_s=1800, target=0.8, threshold_s=20, patience_s=patience["voice"]
    ).agents
    assert plan["required_erlang_a"].tolist() == [expected_a, expected_a] and expected_a <= 14
    assert plan["staffed"].tolist() == pytest.approx([13.0, 20.0])
    assert plan["status"].tolist() == ["under", "over"]
    assert plan["service_level"].tolist() == pytest.approx([80 / 100, 80 / 100])
    assert plan["interval"].iloc[0].hour == 10 and plan["interval"].iloc[1].minute == 30
    summary = staffing_plan.staffing_summary(plan, settings=cfg)
    assert summary == {"under_hours": 0.5, "over_hours": 0.5, "ok_hours": 0.0}


@pytest.mark.usefixtures("org")
def test_deferred_channels_stay_out_of_the_requirement(factory: SessionFactory, settings: Settings) -> None:
    with session_scope(factory) as s:
        s.add(Queue(id=3, name="billing email", channel="email", touchpoint_id=1, team_id=1))
        s.flush()
        start = interval_of(_local(THIS_MONDAY, 2))
        s.add(
            QueueInterval(
                queue_id=3,
                interval_start=start,
                local_date=THIS_MONDAY,
                offered=3,
                handled=3,
                handle_time_sum=900.0,
            )
        )
    with factory() as s:
        dims = trends.load_dimensions(session=s, viewer=DIRECTOR)
        data = staffing_plan.load_day_intervals(session=s, viewer=DIRECTOR, day=THIS_MONDAY)
    cfg = load_settings(database_url=settings.database_url, timezone="Europe/Madrid")
    plan = staffing_plan.staffing_plan(data, dims, settings=cfg, filters=trends.TrendFilters(), patience={})
    assert plan.empty
    assert staffing_plan.deferred_channels(dims, trends.TrendFilters(), cfg) == ["email"]


@pytest.mark.usefixtures("org")
def test_raw_reads_add_up_across_a_split_period(factory: SessionFactory, cfg: Settings) -> None:
    """The page caches settled days apart from recent ones: the two parts must equal one read."""
    _contacts(factory)
    _refreshed(factory, cfg)
    start, split, end = THIS_MONDAY - timedelta(days=7), THIS_MONDAY, THIS_MONDAY + timedelta(days=13)
    with factory() as s:

        def moves(first: date, last: date, look_back: bool) -> pd.DataFrame:
            return touchpoints.load_journey_moves(
                session=s, viewer=DIRECTOR, settings=cfg, start=first, end=last, look_back=look_back
            )

        def rated(first: date, last: date) -> pd.DataFrame:
            return effort.load_effort_contacts(
                session=s, viewer=DIRECTOR, settings=cfg, start=first, end=last
            )

        whole, before, after = (
            moves(start, end, False),
            moves(start, split, False),
            moves(split + timedelta(days=1), end, True),
        )
        assert before.empty and whole["moves"].sum() == after["moves"].sum() == 2
        # without looking back, #1→#2 (its first contact before the split) would be lost
        assert moves(split + timedelta(days=1), end, False)["moves"].sum() == 1
        one = rated(start, end).sort_values("contact_id", ignore_index=True)
        parts = pd.concat([rated(start, split), rated(split + timedelta(days=1), end)])
        pd.testing.assert_frame_equal(
            one, parts.sort_values("contact_id", ignore_index=True), check_dtype=False
        )
