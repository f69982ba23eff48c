"""Coaching log on SQLite and PostgreSQL: validation, who/when and the audit trail, overdue
commitments, the before/after of the focus KPI on a hand-built history, and the notes rule (only the
agent's coach, supervisor and directors)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from models import coaching, coaching_reads, themes
from models.access import OPERATOR, Viewer
from models.coaching import CoachingError, CommitmentDraft, NotAllowed
from models.db import SessionFactory, session_scope
from models.settings import Settings
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
    UserAgent,
)

NOW = datetime(2024, 3, 20, 10, 0, tzinfo=UTC)  # 11:00 in Madrid
TODAY = date(2024, 3, 20)
USERS = {
    "director": (1, "dora@x.test", "director"),
    "coach": (2, "carl@x.test", "coach"),
    "other_coach": (3, "olga@x.test", "coach"),
    "supervisor": (4, "sam@x.test", "supervisor"),
    "other_supervisor": (5, "sue@x.test", "supervisor"),
    "admin": (6, "adam@x.test", "admin"),
    "agent_user": (7, "ana@x.test", "agent"),
}
A1, A2 = 1, 2  # A1: team North, coach carl, supervisor sam; A2: team South, coach olga, supervisor sue


def viewer(name: str) -> Viewer:
    user_id, email, role = USERS[name]
    return Viewer(user_id=user_id, email=email, role=role, name=name)


@pytest.fixture
def org(factory: SessionFactory) -> SessionFactory:
    with session_scope(factory) as s:
        s.add(Site(id=1, name="Remote", timezone="Europe/Madrid"))
        for user_id, email, role in USERS.values():
            s.add(AppUser(id=user_id, email=email, name=email.split("@")[0], role=role))
        s.flush()
        s.add(Team(id=1, name="North", site_id=1, supervisor_id=4))
        s.add(Team(id=2, name="South", site_id=1, supervisor_id=5))
        s.flush()
        s.add(Agent(id=A1, code="a1", name="Ana", team_id=1, coach_id=2))
        s.add(Agent(id=A2, code="a2", name="Bea", team_id=2, coach_id=3))
        s.flush()
        s.add(UserAgent(user_id=7, agent_id=A1))
    return factory


def _create(s: Session, settings: Settings, who: str = "coach", agent_id: int = A1, **fields) -> int:  # type: ignore[no-untyped-def]
    values = {"session_date": TODAY, "focus_kpi": "aht", "notes": "Talked about wrap-up.", **fields}
    return coaching.create_session(
        session=s, viewer=viewer(who), settings=settings, agent_id=agent_id, now=NOW, **values
    )


# --- Validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"commitments": [CommitmentDraft("   ", "Ana", TODAY)]}, "commitment", "empty"),
        ({"commitments": [CommitmentDraft("Use the checklist", " ", TODAY)]}, "owner", "empty"),
        (
            {"commitments": [CommitmentDraft("Use the checklist", "Ana", TODAY - timedelta(days=1))]},
            "due_date",
            "past",
        ),
        (
            {"commitments": [CommitmentDraft("x" * (coaching.COMMITMENT_MAX + 1), "Ana", TODAY)]},
            "commitment",
            "too_long",
        ),
        ({"notes": "n" * (coaching.NOTES_MAX + 1)}, "notes", "too_long"),
        ({"notes": "bad\x00byte"}, "notes", "control_chars"),
        ({"focus_kpi": "offered"}, "focus_kpi", "unknown_kpi"),
        ({"session_date": TODAY + timedelta(days=1)}, "session_date", "future"),
    ],
)
def test_invalid_entries_are_refused_and_nothing_is_written(
    org: SessionFactory, settings: Settings, fields: dict, field: str, code: str
) -> None:
    good_first = CommitmentDraft("Use the checklist", "Ana", TODAY)
    if "commitments" in fields:  # a bad commitment after a good one: all or nothing
        fields = {**fields, "commitments": [good_first, *fields["commitments"]]}
    with pytest.raises(CoachingError) as caught, session_scope(org) as s:
        _create(s, settings, **fields)
    assert (caught.value.field, caught.value.code) == (field, code)
    with org() as s:
        assert s.execute(select(CoachingSession)).first() is None
        assert s.execute(select(CoachingCommitment)).first() is None
        assert s.execute(select(AuditEvent)).first() is None


def test_limits_are_inclusive_and_text_is_trimmed(org: SessionFactory, settings: Settings) -> None:
    with session_scope(org) as s:
        sid = _create(
            s,
            settings,
            notes="n" * coaching.NOTES_MAX,
            commitments=[
                CommitmentDraft("  Re-read the refund policy \n", " Ana ", TODAY)
            ],  # due today is fine
        )
    with org() as s:
        item = s.execute(select(CoachingCommitment)).scalar_one()
        assert (item.session_id, item.text, item.owner, item.due_date) == (
            sid,
            "Re-read the refund policy",
            "Ana",
            TODAY,
        )
        assert len(s.get(CoachingSession, sid).notes) == coaching.NOTES_MAX  # type: ignore[union-attr]


# --- Who and when ------------------------------------------------------------------------------------


def test_edits_keep_who_and_when_and_the_audit_never_copies_notes(
    org: SessionFactory, settings: Settings
) -> None:
    secret = "Confidential: going through a divorce."
    with session_scope(org) as s:
        sid = _create(s, settings, notes=secret)
    later = NOW + timedelta(hours=2)
    with session_scope(org) as s:
        changed = coaching.edit_session(
            session=s,
            viewer=viewer("supervisor"),
            settings=settings,
            session_id=sid,
            focus_kpi="csat",
            notes=secret + " Follow up next week.",
            now=later,
        )
        assert changed is True
        unchanged = coaching.edit_session(
            session=s,
            viewer=viewer("supervisor"),
            settings=settings,
            session_id=sid,
            focus_kpi="csat",
            now=later,
        )
        assert unchanged is False
    with org() as s:
        row = s.get(CoachingSession, sid)
        assert row is not None
        assert (row.created_by, row.updated_by, row.focus_kpi) == ("carl@x.test", "sam@x.test", "csat")
        assert coaching._aware(row.updated_at) == later
        history = coaching_reads.session_history(session=s, viewer=viewer("director"), session_id=sid)
    assert list(history["action"]) == ["coaching.session.create", "coaching.session.edit"]
    assert list(history["actor"]) == ["carl@x.test", "sam@x.test"]
    edit = json.loads(history["detail"].iloc[1])
    assert edit["fields"]["focus_kpi"] == {"old": "aht", "new": "csat"}
    assert edit["fields"]["notes"] == {
        "changed": True,
        "old_length": len(secret),
        "new_length": len(secret) + 21,
    }
    assert "divorce" not in "".join(history["detail"])


def test_an_edit_from_a_stale_copy_is_refused(org: SessionFactory, settings: Settings) -> None:
    with session_scope(org) as s:
        sid = _create(s, settings)
    with session_scope(org) as s:
        coaching.edit_session(
            session=s,
            viewer=viewer("coach"),
            settings=settings,
            session_id=sid,
            notes="first edit",
            expected_updated_at=NOW,
            now=NOW + timedelta(minutes=5),
        )
    with pytest.raises(CoachingError) as caught, session_scope(org) as s:
        coaching.edit_session(
            session=s,
            viewer=viewer("supervisor"),
            settings=settings,
            session_id=sid,
            notes="second edit from an old form",
            expected_updated_at=NOW,
        )
    assert caught.value.code == "stale"
    with org() as s:
        assert s.get(CoachingSession, sid).notes == "first edit"  # type: ignore[union-attr]


def test_commitments_edit_done_and_reopen_are_recorded(org: SessionFactory, settings: Settings) -> None:
    with session_scope(org) as s:
        sid = _create(
            s, settings, commitments=[CommitmentDraft("Shadow a senior", "Ana", TODAY + timedelta(days=3))]
        )
        cid = s.execute(select(CoachingCommitment.id)).scalar_one()
    done_at = NOW + timedelta(days=1)
    with session_scope(org) as s:
        assert coaching.set_commitment_done(session=s, viewer=viewer("coach"), commitment_id=cid, now=done_at)
        assert not coaching.set_commitment_done(
            session=s, viewer=viewer("coach"), commitment_id=cid, now=done_at
        )
    with org() as s:
        item = s.get(CoachingCommitment, cid)
        assert item is not None and item.done_by == "carl@x.test" and coaching._aware(item.done_at) == done_at
    with pytest.raises(CoachingError) as caught, session_scope(org) as s:
        coaching.edit_commitment(
            session=s,
            viewer=viewer("coach"),
            settings=settings,
            commitment_id=cid,
            due_date=TODAY - timedelta(days=1),
            now=NOW,
        )
    assert caught.value.code == "past"
    with session_scope(org) as s:
        assert coaching.set_commitment_done(
            session=s,
            viewer=viewer("supervisor"),
            commitment_id=cid,
            done=False,
            now=done_at + timedelta(hours=1),
        )
        extra = coaching.add_commitment(
            session=s,
            viewer=viewer("director"),
            settings=settings,
            session_id=sid,
            text="Review two calls",
            owner="Carl",
            due_date=TODAY + timedelta(days=2),
            now=done_at + timedelta(hours=2),
        )
    with org() as s:
        item = s.get(CoachingCommitment, cid)
        assert (
            item is not None
            and item.done_at is None
            and item.done_by is None
            and item.updated_by == "sam@x.test"
        )
        history = coaching_reads.session_history(session=s, viewer=viewer("coach"), session_id=sid)
    assert list(history["action"]) == [
        "coaching.session.create",
        "coaching.commitment.create",
        "coaching.commitment.done",
        "coaching.commitment.reopen",
        "coaching.commitment.create",
    ]
    assert history["target"].iloc[-1] == f"coaching_commitment:{extra}"


# --- Overdue -----------------------------------------------------------------------------------------


def test_overdue_commitments_for_coach_supervisor_and_director(
    org: SessionFactory, settings: Settings
) -> None:
    with session_scope(org) as s:
        _create(
            s,
            settings,
            commitments=[
                CommitmentDraft("Due tomorrow", "Ana", TODAY + timedelta(days=1)),
                CommitmentDraft("Due in five days", "Ana", TODAY + timedelta(days=5)),
                CommitmentDraft("Done early", "Ana", TODAY + timedelta(days=1)),
            ],
        )
        _create(
            s,
            settings,
            who="other_coach",
            agent_id=A2,
            commitments=[CommitmentDraft("Bea's task", "Bea", TODAY)],
        )
        done = s.execute(
            select(CoachingCommitment.id).where(CoachingCommitment.text == "Done early")
        ).scalar_one()
        coaching.set_commitment_done(session=s, viewer=viewer("coach"), commitment_id=done, now=NOW)
    later = TODAY + timedelta(days=3)
    with org() as s:

        def overdue(who: str) -> list[tuple[str, int]]:
            frame = coaching_reads.overdue_commitments(session=s, viewer=viewer(who), today=later)
            return list(zip(frame["text"], frame["days_overdue"], strict=True))

        assert overdue("coach") == [("Due tomorrow", 2)]
        assert overdue("supervisor") == [("Due tomorrow", 2)]
        assert overdue("other_coach") == [("Bea's task", 3)]
        assert overdue("director") == [("Bea's task", 3), ("Due tomorrow", 2)]
        assert coaching_reads.overdue_commitments(
            session=s, viewer=viewer("coach"), today=TODAY + timedelta(days=1)
        ).empty
        listed = coaching_reads.commitments_for_agent(
            session=s, viewer=viewer("coach"), agent_id=A1, today=later
        )
        assert list(zip(listed["text"], listed["overdue"], strict=True)) == [
            ("Due tomorrow", True),
            ("Due in five days", False),
            ("Done early", False),
        ]
        for who in ("admin", "agent_user"):
            with pytest.raises(NotAllowed):
                coaching_reads.overdue_commitments(session=s, viewer=viewer(who), today=later)


# --- The notes rule ----------------------------------------------------------------------------------


def test_notes_are_visible_only_to_the_agents_coach_supervisor_and_directors(
    org: SessionFactory, settings: Settings
) -> None:
    with session_scope(org) as s:
        sid = _create(s, settings)
    with org() as s:
        for who in ("coach", "supervisor", "director"):
            assert list(
                coaching_reads.sessions_for_agent(session=s, viewer=viewer(who), agent_id=A1)["id"]
            ) == [sid]
        assert coaching.can_see_notes(session=s, viewer=OPERATOR, agent_id=A1)
        for who in ("other_coach", "other_supervisor", "admin", "agent_user"):
            assert not coaching.can_see_notes(session=s, viewer=viewer(who), agent_id=A1)
            with pytest.raises(NotAllowed):
                coaching_reads.sessions_for_agent(session=s, viewer=viewer(who), agent_id=A1)
            with pytest.raises(NotAllowed):
                coaching_reads.session_history(session=s, viewer=viewer(who), session_id=sid)
    for who in ("other_coach", "other_supervisor", "admin", "agent_user"):
        with pytest.raises(NotAllowed), session_scope(org) as s:
            _create(s, settings, who=who)
        with pytest.raises(NotAllowed), session_scope(org) as s:
            coaching.edit_session(
                session=s, viewer=viewer(who), settings=settings, session_id=sid, notes="hijack"
            )
    forged = Viewer(
        user_id=3, email="olga@x.test", role="director", name="olga"
    )  # the role is read from the DB
    with org() as s:
        assert not coaching.can_see_notes(session=s, viewer=forged, agent_id=A1)
    with session_scope(org) as s:
        s.get(AppUser, 2).active = False  # type: ignore[union-attr]
    with org() as s:
        assert not coaching.can_see_notes(session=s, viewer=viewer("coach"), agent_id=A1)
        assert s.get(CoachingSession, sid).notes == "Talked about wrap-up."  # type: ignore[union-attr]


# --- Before / after ----------------------------------------------------------------------------------


def _day(day: date, **sums: float) -> AgentDay:
    return AgentDay(agent_id=A1, local_date=day, staffed_s=3600.0, answered=1, **sums)


def test_before_after_on_a_hand_built_history(org: SessionFactory, settings: Settings) -> None:
    pivot = date(2024, 2, 1)
    d = lambda n: pivot + timedelta(days=n)  # noqa: E731
    with session_scope(org) as s:
        s.add_all(
            [
                _day(
                    d(-29), handled=50, handle_time_sum=50_000.0, csat_n=10, csat_top2=0
                ),  # outside: too early
                _day(d(-28), handled=10, handle_time_sum=3_000.0, csat_n=6, csat_top2=3),  # first day before
                _day(d(-3), handled=10, handle_time_sum=2_000.0, csat_n=4, csat_top2=3),
                _day(
                    d(0), handled=100, handle_time_sum=100_000.0, csat_n=20, csat_top2=20
                ),  # the day: left out
                _day(d(1), handled=5, handle_time_sum=1_000.0, csat_n=2, csat_top2=2),  # first day after
                _day(d(28), handled=15, handle_time_sum=3_000.0, csat_n=1, csat_top2=1),  # last day after
                _day(d(29), handled=70, handle_time_sum=70.0, csat_n=9, csat_top2=0),  # outside: too late
            ]
        )
        aht_id = _create(s, settings, session_date=pivot, focus_kpi="aht")
        csat_id = _create(s, settings, session_date=pivot, focus_kpi="csat")
    with org() as s:
        effect = coaching_reads.before_after(
            session=s, viewer=viewer("coach"), settings=settings, agent_id=A1, today=d(29)
        ).set_index("session_id")
        running = coaching_reads.before_after(
            session=s, viewer=viewer("coach"), settings=settings, agent_id=A1, today=d(28)
        )
    aht = effect.loc[aht_id]
    assert aht["before"] == pytest.approx((3_000 + 2_000) / 20)  # 250 s over 20 handled contacts
    assert aht["after"] == pytest.approx((1_000 + 3_000) / 20)  # 200 s over 20 handled contacts
    assert aht["change"] == pytest.approx(-50.0)
    assert (aht["before_n"], aht["after_n"], aht["before_days"], aht["after_days"]) == (20, 20, 2, 2)
    assert aht["improved"] is None  # AHT has no good direction in METRICS.md
    assert not aht["low_confidence"] and aht["complete"]
    csat = effect.loc[csat_id]
    assert csat["before"] == pytest.approx(6 / 10) and csat["after"] == pytest.approx(3 / 3)
    assert csat["change"] == pytest.approx(0.4) and csat["improved"] is True
    assert (csat["before_n"], csat["after_n"]) == (10, 3)
    assert csat["low_confidence"]  # 3 answers after, fewer than min_sample = 10
    assert not running.set_index("session_id").loc[aht_id, "complete"]  # the after-window ends on d(28)


# --- Lexicon -----------------------------------------------------------------------------------------


def test_lexicon_seed_edit_validation_and_audit(org: SessionFactory) -> None:
    with session_scope(org) as s:
        seeded = themes.ensure_default_lexicon(session=s)
        assert seeded == len(themes.default_lexicon().entries) > 0
        assert themes.ensure_default_lexicon(session=s) == 0  # never re-seeds an existing lexicon
        new_id = themes.add_keyword(
            session=s,
            viewer=viewer("coach"),
            theme="Wait Time ",
            kind="pain",
            language="es",
            keyword="  Colgaron  ",
        )
    with session_scope(org) as s:
        row = s.get(ThemeKeyword, new_id)
        assert row is not None and (row.theme, row.keyword) == ("wait_time", "colgaron")
        assert "wait_time" in themes_for_text(s, "Me COLGARON dos veces")
        for who, fields, code in [
            (
                "coach",
                {"theme": "wait_time", "kind": "pain", "language": "es", "keyword": "colgaron"},
                "duplicate",
            ),
            (
                "coach",
                {"theme": "wait_time", "kind": "gain", "language": "es", "keyword": "otra"},
                "kind_conflict",
            ),
            ("coach", {"theme": "x", "kind": "pain", "language": "fr", "keyword": "attente"}, "bad_language"),
            ("coach", {"theme": "x", "kind": "pain", "language": "es", "keyword": "*"}, "bad_keyword"),
            ("agent_user", {"theme": "x", "kind": "pain", "language": "es", "keyword": "y"}, "not_allowed"),
        ]:
            with pytest.raises(themes.LexiconError) as caught:
                themes.add_keyword(session=s, viewer=viewer(who), **fields)
            assert caught.value.code == code
        themes.remove_keyword(session=s, viewer=viewer("supervisor"), keyword_id=new_id)
    with org() as s:
        assert "wait_time" not in themes.load_lexicon(session=s).kinds
        audit = s.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.target).order_by(AuditEvent.id)
        ).all()
    assert [tuple(a) for a in audit] == [
        ("carl@x.test", "lexicon.add", "wait_time/es/colgaron"),
        ("sam@x.test", "lexicon.remove", "wait_time/es/colgaron"),
    ]


def themes_for_text(s: Session, text: str) -> set[str]:
    return themes.themes_for(text, themes.load_lexicon(session=s))
