"""Scope rules: who sees which teams, agents and queues (org from tests/integration/test_refresh.py:
team 1 North = queue 1 + agent 1, supervised by user 2; team 2 South = queue 2 + agent 2)."""

from __future__ import annotations

import pytest

from models.access import (
    EVERYTHING,
    NOTHING,
    OPERATOR,
    Scope,
    Viewer,
    demo_viewer,
    scope_for,
    viewer_for_email,
)
from models.db import session_scope
from models.tables import Agent, AppUser, UserAgent, UserTeam
from tests.integration.test_refresh import build_org


@pytest.fixture
def org(factory):
    build_org(factory)
    return factory


def scope_of(factory, user_id: int, role: str = "director") -> Scope:
    with session_scope(factory) as s:
        return scope_for(session=s, viewer=Viewer(user_id=user_id, email="x", role=role, name="x"))


def test_director_and_admin_see_everything(org):
    assert scope_of(org, 1) == EVERYTHING
    with session_scope(org) as s:
        s.add(AppUser(id=9, email="adm@x.test", name="Adi", role="admin"))
    assert scope_of(org, 9) == EVERYTHING


def test_supervisor_sees_their_team_its_agents_and_queues(org):
    assert scope_of(org, 2, role="supervisor") == Scope(
        team_ids=frozenset({1}), agent_ids=frozenset({1}), queue_ids=frozenset({1})
    )


def test_supervisor_teams_also_come_from_user_team(org):
    with session_scope(org) as s:
        s.add(UserTeam(user_id=2, team_id=2))
    assert scope_of(org, 2) == Scope(
        team_ids=frozenset({1, 2}), agent_ids=frozenset({1, 2}), queue_ids=frozenset({1, 2})
    )


def test_coach_sees_assigned_agents_and_their_teams_queues(org):
    expected = Scope(team_ids=frozenset({1}), agent_ids=frozenset({1}), queue_ids=frozenset({1}))
    assert scope_of(org, 3) == expected  # via Agent.coach_id
    with session_scope(org) as s:
        s.add(UserAgent(user_id=3, agent_id=2))
    assert scope_of(org, 3) == Scope(
        team_ids=frozenset({1, 2}), agent_ids=frozenset({1, 2}), queue_ids=frozenset({1, 2})
    )


def test_agent_sees_only_their_own_agent(org):
    assert scope_of(org, 4) == Scope(team_ids=frozenset(), agent_ids=frozenset({2}), queue_ids=frozenset())


def test_inactive_unknown_and_unsigned_viewers_see_nothing(org):
    assert scope_of(org, 5) == NOTHING  # inactive supervisor of South
    assert scope_of(org, 404) == NOTHING
    with session_scope(org) as s:
        anonymous = Viewer(user_id=None, email="someone@x.test", role="director", name="?")
        assert scope_for(session=s, viewer=anonymous) == NOTHING
        assert scope_for(session=s, viewer=OPERATOR) == EVERYTHING
    assert NOTHING.is_empty and not EVERYTHING.is_empty


def test_role_is_read_from_the_database_not_the_viewer(org):
    """A viewer object claiming "director" for the supervisor still gets the supervisor's scope,
    and a demoted user loses access at once."""
    assert scope_of(org, 2, role="director").team_ids == frozenset({1})
    with session_scope(org) as s:
        user = s.get(AppUser, 1)
        user.role = "agent"
        s.add(user)
    assert scope_of(org, 1) == Scope(team_ids=frozenset(), agent_ids=frozenset(), queue_ids=frozenset())


def test_viewer_for_email_is_case_insensitive_and_refuses_inactive(org):
    with session_scope(org) as s:
        found = viewer_for_email(session=s, email="  SUP@x.test ")
        assert found == Viewer(user_id=2, email="sup@x.test", role="supervisor", name="Sam")
        assert viewer_for_email(session=s, email="old@x.test") is None
        assert viewer_for_email(session=s, email="nobody@x.test") is None


def test_demo_viewer_is_the_seeded_director(org):
    with session_scope(org) as s:
        assert demo_viewer(session=s) == Viewer(user_id=1, email="dir@x.test", role="director", name="Dora")
        s.get(AppUser, 1).active = False
        s.flush()
        assert demo_viewer(session=s) is None


def test_supervisor_of_an_agent_outside_their_team_sees_that_agent(org):
    with session_scope(org) as s:
        agent = s.get(Agent, 2)
        agent.supervisor_id = 2
        s.add(agent)
    scope = scope_of(org, 2)
    assert scope.agent_ids == frozenset({1, 2}) and scope.queue_ids == frozenset({1})
