"""The pure rules of 社区吹哨、党员报到 and 微心愿: response deadlines by urgency, the in-time check,
response-time statistics, where an unanswered whistle goes, and the whistle's and wish's states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.taxonomy import Urgency
from services.party.config import PartySettings
from services.party.whistles import domain
from services.party.whistles.domain import Refused, Timing, WhistleStatus, WishStatus

T0 = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)


# --- deadlines ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("urgency", "minutes"), [(Urgency.URGENT, 30), (Urgency.MAJOR, 120), (Urgency.ROUTINE, 1440)])
def test_the_response_deadline_follows_the_urgency(urgency, minutes):
    assert domain.respond_by(T0, urgency, PartySettings()) == T0 + timedelta(minutes=minutes)
    assert domain.respond_by(T0, urgency.value, PartySettings()) == T0 + timedelta(minutes=minutes)


def test_the_deadlines_are_configurable():
    settings = PartySettings(whistle_urgent_minutes=5, whistle_major_minutes=60, whistle_routine_minutes=480)
    assert domain.respond_by(T0, "urgent", settings) == T0 + timedelta(minutes=5)
    assert domain.respond_by(T0, "major", settings) == T0 + timedelta(hours=1)
    assert domain.respond_by(T0, "routine", settings) == T0 + timedelta(hours=8)


def test_an_unknown_urgency_is_refused():
    with pytest.raises(ValueError):
        domain.respond_by(T0, "whenever", PartySettings())


def test_a_report_at_the_deadline_is_in_time_and_a_second_later_is_not():
    deadline = T0 + timedelta(minutes=30)
    assert domain.within_deadline(T0 + timedelta(minutes=1), deadline)
    assert domain.within_deadline(deadline, deadline)
    assert not domain.within_deadline(deadline + timedelta(seconds=1), deadline)


def test_response_seconds_are_whole_and_never_negative():
    assert domain.response_seconds(T0, T0 + timedelta(minutes=2, seconds=3.9)) == 123
    assert domain.response_seconds(T0, T0 - timedelta(seconds=2)) == 0  # a replica's clock a little behind


def test_overdue_means_unanswered_past_the_deadline():
    deadline = T0 + timedelta(minutes=30)
    assert domain.is_overdue(None, deadline, deadline + timedelta(seconds=1))
    assert not domain.is_overdue(None, deadline, deadline)
    assert not domain.is_overdue(T0 + timedelta(hours=2), deadline, T0 + timedelta(hours=3))


# --- escalation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("area", "target"),
    [
        ("130102004001", "130102004"),  # a community of 育才街道 → 育才街道
        ("130102004201", "130102004"),  # a village → its township
        ("130102004", "130102"),  # a township's own whistle → the county
    ],
)
def test_an_unanswered_whistle_goes_up_to_the_township(area, target):
    assert domain.escalation_target(area) == target


# --- statistics -------------------------------------------------------------------------------------


def timing(answer_s: float | None, limit_min: float = 30, start: datetime = T0) -> Timing:
    answered = None if answer_s is None else start + timedelta(seconds=answer_s)
    return Timing(blown_at=start, respond_by=start + timedelta(minutes=limit_min), first_response_at=answered)


def test_statistics_of_nothing_are_zero_and_have_no_times():
    assert domain.response_stats([], T0) == domain.ResponseStats(0, 0, 0, None, None, 0)


def test_statistics_count_answers_in_time_and_open_overdue_whistles():
    at = T0 + timedelta(hours=1)
    timings = [
        timing(60),
        timing(600),
        timing(3000),  # 1 min, 10 min in time; 50 min late
        timing(None),  # unanswered, 30 min past its deadline
        timing(None, limit_min=24 * 60),
    ]  # unanswered, still within its day
    stats = domain.response_stats(timings, at)
    assert (stats.count, stats.answered, stats.answered_in_time, stats.open_overdue) == (5, 3, 2, 1)
    assert stats.median_response_s == 600
    assert stats.p90_response_s == 2520  # 600 + 0.8 × (3000 − 600), like percentile_cont(0.9)


def test_one_answer_is_its_own_median_and_p90():
    stats = domain.response_stats([timing(42)], T0)
    assert (stats.median_response_s, stats.p90_response_s) == (42, 42)


def test_an_even_count_takes_the_midpoint_as_median():
    assert domain.response_stats([timing(s) for s in (10, 20, 30, 40)], T0).median_response_s == 25


@given(st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=10**6)), max_size=40))
def test_statistics_are_consistent(answers):
    at = T0 + timedelta(days=30)
    stats = domain.response_stats([timing(a) for a in answers], at)
    assert stats.count == len(answers)
    assert stats.answered_in_time <= stats.answered <= stats.count
    assert stats.open_overdue == stats.count - stats.answered  # a month later every open one is overdue
    if stats.answered:
        assert min(a for a in answers if a is not None) <= stats.median_response_s <= stats.p90_response_s
        assert stats.p90_response_s <= max(a for a in answers if a is not None)
    else:
        assert stats.median_response_s is None and stats.p90_response_s is None


def test_statistics_group_by_community_in_code_order():
    rows = [("130102004002", timing(60)), ("130102004001", timing(None)), ("130102004002", timing(None))]
    grouped = domain.stats_by_community(rows, T0 + timedelta(hours=1))
    assert list(grouped) == ["130102004001", "130102004002"]
    assert grouped["130102004001"] == domain.ResponseStats(1, 0, 0, None, None, 1)
    assert grouped["130102004002"] == domain.ResponseStats(2, 1, 1, 60, 60, 1)


# --- states -----------------------------------------------------------------------------------------


def test_a_dispatched_responder_reports_once_while_the_whistle_is_not_closed():
    assert domain.check_report(WhistleStatus.OPEN, True, False) is WhistleStatus.RESPONDED
    assert domain.check_report(WhistleStatus.RESPONDED, True, False) is WhistleStatus.RESPONDED
    with pytest.raises(Refused) as refused:
        domain.check_report(WhistleStatus.OPEN, False, False)
    assert refused.value.extensions() == {"state": "open", "rule": "not_dispatched"}
    with pytest.raises(Refused) as refused:
        domain.check_report(WhistleStatus.RESPONDED, True, True)
    assert refused.value.rule == "already_reported"
    with pytest.raises(Refused) as refused:
        domain.check_report(WhistleStatus.CLOSED, True, False)
    assert refused.value.extensions() == {"state": "closed"}


def test_a_responder_marks_their_work_handled_after_reporting_once():
    domain.check_handled(WhistleStatus.RESPONDED, True, False)
    for args, rule in [
        ((WhistleStatus.RESPONDED, False, False), "not_reported"),
        ((WhistleStatus.RESPONDED, True, True), "already_handled"),
        ((WhistleStatus.CLOSED, True, False), None),
    ]:
        with pytest.raises(Refused) as refused:
            domain.check_handled(*args)
        assert refused.value.rule == rule


def test_a_whistle_closes_once_after_a_report():
    assert domain.check_close(WhistleStatus.RESPONDED) is WhistleStatus.CLOSED
    with pytest.raises(Refused) as refused:
        domain.check_close(WhistleStatus.OPEN)
    assert refused.value.extensions() == {"state": "open", "rule": "no_report"}
    with pytest.raises(Refused) as refused:
        domain.check_close(WhistleStatus.CLOSED)
    assert refused.value.state == "closed"


def test_a_wish_has_one_claimer_and_is_fulfilled_once_claimed():
    assert domain.check_claim(WishStatus.OPEN) is WishStatus.CLAIMED
    assert domain.check_fulfil(WishStatus.CLAIMED) is WishStatus.FULFILLED
    with pytest.raises(Refused) as refused:
        domain.check_claim(WishStatus.CLAIMED)
    assert refused.value.rule == "one_claimer"
    with pytest.raises(Refused) as refused:
        domain.check_fulfil(WishStatus.OPEN)
    assert refused.value.rule == "not_claimed"
    with pytest.raises(Refused) as refused:
        domain.check_fulfil(WishStatus.FULFILLED)
    assert refused.value.state == "fulfilled"
