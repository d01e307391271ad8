"""Joint-meeting rules: the four actors who must be represented, where each action kind goes,
how actions move (forward only, done is final) and when one is overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.party.meetings.domain import (
    REQUIRED_ACTORS,
    Actor,
    IllegalProgress,
    action_problems,
    is_overdue,
    meeting_level_ok,
    missing_actors,
    progress,
    related_areas,
    target_service,
)

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ALL_FOUR = ["social_org", "social_worker", "volunteer", "charity"]


# --- representation ----------------------------------------------------------------------------------


def test_the_four_actors_besides_the_party_and_community_must_be_represented():
    assert [a.value for a in REQUIRED_ACTORS] == ALL_FOUR
    assert missing_actors(ALL_FOUR) == []
    assert missing_actors(["party", "community", *ALL_FOUR, "volunteer"]) == []  # extra seats are welcome


@pytest.mark.parametrize("absent", ALL_FOUR)
def test_a_meeting_missing_any_one_of_them_is_refused(absent):
    present = ["party", "community", *[a for a in ALL_FOUR if a != absent]]
    assert missing_actors(present) == [Actor(absent)]


def test_missing_actors_are_listed_in_order():
    assert missing_actors(["party"]) == list(REQUIRED_ACTORS)
    assert missing_actors(["charity", "social_org"]) == [Actor.SOCIAL_WORKER, Actor.VOLUNTEER]


def test_meetings_are_held_by_a_street_or_a_community():
    assert meeting_level_ok("130102005") and meeting_level_ok("130102005001") and meeting_level_ok("130102005201")
    assert not meeting_level_ok("130102") and not meeting_level_ok("130100") and not meeting_level_ok("999999999")


def test_an_item_concerns_a_meeting_up_or_down_its_branch():
    assert related_areas("130102005", "130102005001")  # the street takes its community's item
    assert related_areas("130102005001", "130102005")  # the community takes a street item
    assert not related_areas("130102005001", "130102005002")  # not a neighbour's
    assert not related_areas("130102005", "130102004001")


# --- where actions go --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, service",
    [
        ("volunteer_task", "volunteers"),
        ("propose_project", "projects"),
        ("earmark_funds", "charity"),
        ("other", "party"),
    ],
)
def test_each_kind_goes_to_its_service(kind, service):
    assert target_service(kind) == service


def test_an_unknown_kind_goes_nowhere():
    with pytest.raises(ValueError):
        target_service("build_a_bridge")


def test_money_only_where_money_moves_and_deadlines_ahead():
    later = AT + timedelta(days=7)
    assert action_problems("earmark_funds", 500_000, later, AT) == []
    assert [f for f, _ in action_problems("earmark_funds", None, later, AT)] == ["amount_fen"]
    assert [f for f, _ in action_problems("earmark_funds", 0, later, AT)] == ["amount_fen"]
    assert [f for f, _ in action_problems("volunteer_task", 100, later, AT)] == ["amount_fen"]
    assert action_problems("propose_project", 2_000_000, later, AT) == []  # a proposal may name a budget
    assert [f for f, _ in action_problems("other", None, AT, AT)] == ["due_at"]
    assert [f for f, _ in action_problems("volunteer_task", 5, AT - timedelta(1), AT)] == ["amount_fen", "due_at"]


# --- follow-up ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, to",
    [("dispatched", "in_progress"), ("dispatched", "done"), ("in_progress", "in_progress"), ("in_progress", "done")],
)
def test_actions_move_forward(start, to):
    assert progress(start, to) == to


@pytest.mark.parametrize(
    "start, to",
    [("done", "in_progress"), ("done", "done"), ("in_progress", "dispatched"), ("dispatched", "dispatched")],
)
def test_never_backwards_and_done_is_final(start, to):
    with pytest.raises(IllegalProgress) as refused:
        progress(start, to)
    assert (refused.value.status, refused.value.to) == (start, to)


def test_an_unknown_status_is_not_a_transition():
    with pytest.raises(ValueError):
        progress("dispatched", "abandoned")


@pytest.mark.parametrize("status", ["dispatched", "in_progress"])
def test_past_due_and_not_done_is_overdue(status):
    assert is_overdue(status, AT, AT)
    assert is_overdue(status, AT - timedelta(minutes=1), AT)
    assert not is_overdue(status, AT + timedelta(seconds=1), AT)


def test_done_is_never_overdue():
    assert not is_overdue("done", AT - timedelta(days=30), AT)
