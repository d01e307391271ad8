"""Rules of the projects service: the party gate, eligibility to bid, ranking and grading —
residents' satisfaction weighs the most in every configuration that is accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.projects import domain
from services.projects.delivery import domain as delivery
from services.projects.procurement import domain as procurement

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ORG = {"status": "registered", "area_code": "130102"}


def test_party_gate_reasons():
    assert domain.review_reasons(False, 4_999_999, 5_000_000) == []
    assert domain.review_reasons(False, 5_000_000, 5_000_000) == ["budget_threshold"]
    assert domain.review_reasons(True, 1, 5_000_000) == ["vital_interests"]


@pytest.mark.parametrize(
    "org, area, grades, rule",
    [
        ({"status": "deregistered", "area_code": "130102"}, "130102003001", {}, "unregistered"),
        ({"area_code": "130102"}, "130102003001", {}, "unregistered"),
        (ORG, "130104002001", {}, "outside_area"),
        (ORG, "130102003001", {2025: "unqualified"}, "graded_unqualified"),
    ],
)
def test_ineligible_bidders(org, area, grades, rule):
    with pytest.raises(procurement.Ineligible) as refused:
        procurement.check_eligible(org, area, 2026, grades)
    assert refused.value.rule == rule


def test_eligible_bidders():
    procurement.check_eligible(ORG, "130102003001", 2026, {2024: "unqualified", 2025: "good"})
    procurement.check_eligible({"status": "registered", "area_code": "130100"}, "130102003001", 2026, {})


def test_weighted_scores_and_ranking():
    weights = {"plan": 40, "price": 30, "team": 30}
    assert procurement.weighted_score(weights, {"plan": 100, "price": 50, "team": 50}) == 70
    with pytest.raises(ValueError):
        procurement.weighted_score(weights, {"plan": 100})
    with pytest.raises(ValueError):
        procurement.weighted_score(weights, {"plan": 101, "price": 0, "team": 0})
    bids = [
        procurement.RankedBid("late", 80, 100, T0 + timedelta(hours=1)),
        procurement.RankedBid("cheap", 80, 90, T0),
        procurement.RankedBid("early", 80, 100, T0),
        procurement.RankedBid("best", 85, 200, T0),
    ]
    assert [b.bid_id for b in procurement.rank(bids)] == ["best", "cheap", "early", "late"]


valid_weights = (
    st.tuples(st.integers(0, 100), st.integers(0, 100))
    .filter(lambda t: sum(t) <= 100)
    .map(lambda t: {"resident_satisfaction": 100 - t[0] - t[1], "indicators": t[0], "third_party": t[1]})
)


@given(valid_weights)
def test_resident_satisfaction_weighs_the_most_or_the_configuration_is_refused(weights):
    try:
        delivery.check_evaluation_weights(weights)
    except ValueError:
        assert any(w >= weights["resident_satisfaction"] for p, w in weights.items() if p != "resident_satisfaction")
    else:
        assert all(weights["resident_satisfaction"] > w for p, w in weights.items() if p != "resident_satisfaction")


@given(
    valid_weights.filter(lambda w: w["resident_satisfaction"] > max(w["indicators"], w["third_party"])),
    st.floats(0, 100),
    st.floats(0, 100),
    st.floats(0, 100),
)
def test_scores_stay_within_100_and_grades_follow_them(weights, satisfaction, indicators, third_party):
    score = delivery.evaluation_score(
        weights, {"resident_satisfaction": satisfaction, "indicators": indicators, "third_party": third_party}
    )
    assert 0 <= score <= 100 + 1e-9
    assert delivery.grade(score) in {band.value for _, band in domain.GRADES}


@pytest.mark.parametrize(
    "score, grade",
    [
        (100, "excellent"),
        (90, "excellent"),
        (89.9, "good"),
        (75, "good"),
        (60, "basic"),
        (59.99, "unqualified"),
        (0, "unqualified"),
    ],
)
def test_grade_bands(score, grade):
    assert delivery.grade(score) == grade


def test_satisfaction_from_ratings():
    assert delivery.satisfaction_percent([5, 5], [5]) == 100
    assert delivery.satisfaction_percent([1], []) == 0
    assert delivery.satisfaction_percent([4], [2]) == 50
    with pytest.raises(ValueError):
        delivery.satisfaction_percent([], [])
    with pytest.raises(ValueError):
        delivery.evaluation_score(
            {"resident_satisfaction": 30, "indicators": 40, "third_party": 30},
            {"resident_satisfaction": 90, "indicators": 90, "third_party": 90},
        )


# --- funding lines and feedback (issue 12) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "fund, area, refused",
    [
        (None, "130102003001", domain.UNKNOWN_FUND),  # never announced by the charity service
        ({"area_code": "130104"}, "130102003001", domain.OUTSIDE_FUND_AREA),  # another county's fund
        (
            {"area_code": "130102003001"},
            "130102003",
            domain.OUTSIDE_FUND_AREA,
        ),  # a community's fund, a street's project
        ({"area_code": "130102"}, "130102003001", None),
        ({"area_code": "130000"}, "130102003001", None),  # the province's fund pays everywhere in it
    ],
)
def test_a_funding_line_draws_on_a_known_fund_that_pays_in_the_projects_area(fund, area, refused):
    assert domain.funding_refusal(fund, area) == refused


def test_awaiting_feedback_keeps_the_projects_order_and_drops_the_judged():
    a, b, c = "a", "b", "c"
    assert delivery.awaiting_feedback([a, b, c], {b}) == [a, c]
    assert delivery.awaiting_feedback([a, b], {a, b, "other"}) == []
    assert delivery.awaiting_feedback([], set()) == []


# --- accepting a milestone asks for its payment; a rejected payment is asked again (issue 15) ------------------


def test_a_reported_milestone_is_accepted_while_the_project_is_in_delivery():
    assert delivery.acceptance_states("reported", False) == ("procured",)


def test_an_accepted_milestone_whose_payment_was_rejected_is_accepted_again_while_its_work_may_be_paid():
    assert delivery.acceptance_states("accepted", True) == ("procured", "delivered", "evaluated")


@pytest.mark.parametrize(("status", "rejected"), [("planned", False), ("accepted", False), ("planned", True)])
def test_otherwise_a_milestone_is_not_accepted(status, rejected):
    assert delivery.acceptance_states(status, rejected) == ()
