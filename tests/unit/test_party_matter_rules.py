"""Rules of procedure for major matters: quorum, majority of the whole committee, reasons, and
where an overdue matter goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.party import domain
from services.party.config import PartySettings


def committee_of(n: int) -> list:
    return [uuid4() for _ in range(n)]


def test_five_member_committee_needs_three_present_and_three_for():
    seats = committee_of(5)
    two = domain.tally(set(seats), {seats[0]: "for", seats[1]: "for"})
    assert not two.has_quorum
    three = domain.tally(set(seats), {s: "for" for s in seats[:3]})
    assert three.has_quorum and three.passes
    # four present, two for: a majority of those present, but not of the whole committee
    split = domain.tally(set(seats), {seats[0]: "for", seats[1]: "for", seats[2]: "against", seats[3]: "abstain"})
    assert split.has_quorum and not split.passes


def test_even_committee_needs_more_than_half():
    seats = committee_of(4)
    assert not domain.tally(set(seats), {seats[0]: "for", seats[1]: "for"}).has_quorum
    assert not domain.tally(set(seats), {seats[0]: "for", seats[1]: "for", seats[2]: "against"}).passes


def test_votes_of_strangers_and_empty_committees_are_refused():
    seats = committee_of(3)
    with pytest.raises(domain.Refused) as refused:
        domain.tally(set(seats), {uuid4(): "for"})
    assert refused.value.rule == "not_on_committee" and refused.value.field == "votes"
    with pytest.raises(domain.Refused) as empty:
        domain.tally(set(), {uuid4(): "for"})
    assert empty.value.rule == "no_committee"


@pytest.mark.parametrize(
    "outcome, votes, reasons, rule",
    [
        ("approved", ["for", "for"], "", "quorum"),
        ("approved", ["for", "for", "against", "against"], "", "majority"),
        ("rejected", ["for", "for", "for"], "不同意", "majority"),
        ("rejected", ["against", "against", "against"], "  ", "reasons_required"),
        ("revise", ["for", "against", "abstain"], "", "reasons_required"),
    ],
)
def test_outcome_must_follow_the_vote(outcome, votes, reasons, rule):
    seats = committee_of(5)
    result = domain.tally(set(seats), dict(zip(seats, votes, strict=False)))
    with pytest.raises(domain.Refused) as refused:
        domain.check_decision(outcome, result, reasons)
    assert refused.value.rule == rule


@pytest.mark.parametrize(
    "outcome, votes, reasons",
    [
        ("approved", ["for", "for", "for"], ""),
        ("rejected", ["against", "against", "for"], "涉及居民切身利益，未充分征求意见"),
        ("revise", ["for", "for", "abstain", "against"], "预算须细化"),
    ],
)
def test_consistent_decisions_pass(outcome, votes, reasons):
    seats = committee_of(5)
    domain.check_decision(outcome, domain.tally(set(seats), dict(zip(seats, votes, strict=False))), reasons)


@given(size=st.integers(1, 15), data=st.data())
def test_a_passing_vote_always_has_a_quorum(size, data):
    seats = committee_of(size)
    present = data.draw(st.lists(st.sampled_from(seats), unique=True))
    votes = {s: data.draw(st.sampled_from(domain.VOTES)) for s in present}
    result = domain.tally(set(seats), votes)
    assert result.present == len(present)
    if result.passes:
        assert result.has_quorum
    assert result.has_quorum == (len(present) > size / 2)


def test_overdue_matters_go_one_level_up():
    assert domain.escalation_target("130102004001") == "130102004"
    assert domain.escalation_target("130102004") == "130102"
    submitted = datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert domain.review_due(submitted, PartySettings(matter_review_days=10).matter_review()) == submitted + timedelta(
        days=10
    )


def test_foundation_use_from_the_threshold_is_a_major_matter():
    assert domain.matter_reasons("foundation_use", 5_000_000, False, 5_000_000) == ["budget_threshold"]
    assert domain.matter_reasons("foundation_use", 4_999_999, False, 5_000_000) == []
    assert domain.matter_reasons("other", None, True, 5_000_000) == ["vital_interests"]


def test_whistle_deadlines_are_configurable_per_urgency():
    settings = PartySettings(whistle_urgent_minutes=15)
    assert settings.whistle_response("urgent") == timedelta(minutes=15)
    assert settings.whistle_response("routine") == timedelta(hours=24)


def test_quorum_and_majority_are_more_than_half_of_the_whole_committee():
    assert [domain.more_than_half(n) for n in (1, 2, 3, 4, 5, 7)] == [1, 2, 2, 3, 3, 4]
    assert domain.Tally(5, 3, 0, 0).passes and not domain.Tally(5, 2, 2, 1).passes  # all present, 2 for
    assert domain.Tally(4, 2, 1, 0).has_quorum and not domain.Tally(4, 2, 0, 0).has_quorum
