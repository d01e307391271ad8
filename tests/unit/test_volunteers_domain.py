"""Matching and hour rules of the volunteers service (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.volunteers import domain
from services.volunteers.domain import Candidate, Slot, TaskSpec
from services.volunteers.mine import domain as mine_rules

SH = domain.LOCAL
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=SH)


def task(area="130102001001", skills=("送餐",), hours=2, slots=1) -> TaskSpec:
    return TaskSpec(
        id=uuid.uuid4(),
        area_code=area,
        required_skills=skills,
        window_start=MONDAY_9,
        window_end=MONDAY_9 + timedelta(hours=hours),
        slots=slots,
    )


MONDAY_MORNING = (Slot(0, time(8), time(12)),)


def person(area="130102001001", skills=("送餐",), slots=MONDAY_MORNING, **kw) -> Candidate:
    return Candidate(id=uuid.uuid4(), home_area=area, skills=frozenset(skills), availability=slots, **kw)


def test_hand_checked_score():
    """Half the skills, same township, half the window covered, 10 h last month, 1 no-show in 3,
    residents' mean 4.5: 0.35*0.5 + 0.2*0.6 + 0.2*0.5 + 0.1*0.5 + 0.1*0.75 + 0.05*0.9 = 0.565."""
    t = task(skills=("送餐", "陪伴"))
    c = person(
        area="130102001002",
        skills=("送餐",),
        slots=(Slot(0, time(10), time(12)),),
        recent_minutes=600,
        done=2,
        no_shows=1,
        mean_satisfaction=4.5,
    )
    s = domain.score(t, c)
    assert [round(p.value, 3) for p in s.parts] == [0.5, 0.6, 0.5, 0.5, 0.75, 0.9]
    assert s.total == pytest.approx(0.565)
    assert s.parts[0].why == "具备 1/2 项技能：送餐"


def test_distance_prefers_community_then_township_then_county():
    t = task()
    values = [
        domain.distance(t.area_code, home, ()).value
        for home in ("130102001001", "130102001002", "130102002001", "130104001001")
    ]
    assert values == [1.0, 0.6, 0.3, 0.0]
    assert domain.distance(t.area_code, "130104001001", ("130100",)).value == 0.3  # offered to serve the city


def test_availability_across_midnight_and_timezones():
    night = TaskSpec(
        id=uuid.uuid4(),
        area_code="130102001001",
        window_start=datetime(2026, 12, 7, 22, tzinfo=SH),
        window_end=datetime(2026, 12, 8, 2, tzinfo=SH),
    )
    slots = (Slot(0, time(22), time(23, 59, 59)), Slot(1, time(0), time(1)))
    covered = domain.availability_overlap(night.window_start, night.window_end, slots).value
    assert covered == pytest.approx((2 * 3600 - 1 + 3600) / (4 * 3600), abs=1e-3)
    utc = domain.availability_overlap(
        MONDAY_9.astimezone(UTC), (MONDAY_9 + timedelta(hours=1)).astimezone(UTC), (Slot(0, time(9), time(10)),)
    )
    assert utc.value == 1.0


def test_rank_excludes_people_out_of_range_and_orders_by_score():
    t = task()
    best, weaker, away = person(), person(skills=()), person(area="130104001001")
    ranked = domain.rank(t, [weaker, away, best])
    assert [c for c, _ in ranked] == [best, weaker]


def test_batch_finds_the_optimum_greedy_misses():
    """Greedy gives the versatile volunteer to the first task and leaves the second unfilled."""
    both = task(skills=("理发", "送餐"))
    haircut = task(skills=("理发",))
    versatile, barber = person(skills=("理发", "送餐")), person(skills=("理发",))
    chosen, total = domain.assign_batch([haircut, both], [versatile, barber])
    greedy, greedy_total = domain.assign_greedy([haircut, both], [versatile, barber])
    assert {(t, v) for t, v, _ in chosen} == {(haircut.id, barber.id), (both.id, versatile.id)}
    assert total > greedy_total


people = st.lists(
    st.builds(
        lambda skills, area, minutes: person(area=area, skills=skills, recent_minutes=minutes),
        st.lists(st.sampled_from(["送餐", "理发", "陪伴", "维修"]), max_size=3, unique=True).map(tuple),
        st.sampled_from(["130102001001", "130102001002", "130102002001"]),
        st.integers(0, 3000),
    ),
    max_size=6,
)
jobs = st.lists(
    st.builds(
        lambda skills, slots: task(skills=skills, slots=slots),
        st.lists(st.sampled_from(["送餐", "理发", "陪伴"]), max_size=2, unique=True).map(tuple),
        st.integers(1, 2),
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(jobs, people)
def test_batch_total_is_never_below_greedy(tasks, candidates):
    chosen, total = domain.assign_batch(tasks, candidates)
    _, greedy_total = domain.assign_greedy(tasks, candidates)
    assert total >= greedy_total - 1e-9
    assert len({v for _, v, _ in chosen}) == len(chosen)  # a volunteer takes at most one task of a batch
    for t in tasks:
        assert sum(1 for tid, _, _ in chosen if tid == t.id) <= t.slots


def test_hours_rules():
    assert domain.minutes_served(MONDAY_9, MONDAY_9 + timedelta(minutes=95)) == 95
    with pytest.raises(domain.HoursRefused) as refused:
        domain.minutes_served(MONDAY_9, MONDAY_9)
    assert refused.value.field == "check_out"
    with pytest.raises(domain.HoursRefused):
        domain.minutes_served(MONDAY_9, MONDAY_9 + timedelta(seconds=59))  # under a minute is not service
    others = [(MONDAY_9, MONDAY_9 + timedelta(hours=2))]
    assert domain.overlapping(MONDAY_9 + timedelta(hours=1), MONDAY_9 + timedelta(hours=3), others)
    assert not domain.overlapping(MONDAY_9 + timedelta(hours=2), MONDAY_9 + timedelta(hours=3), others)  # back to back
    assert domain.overlapping(MONDAY_9 + timedelta(hours=5), MONDAY_9 + timedelta(hours=6), [(MONDAY_9, None)])  # open
    assert not domain.flagged(600, 120) and domain.flagged(600, 121)  # more than 12 h in the day


# --- trust in hours (issue 12) ---------------------------------------------------------------------

LIMITS = domain.HourLimits()  # 5 min skew, 2 h around the window, 8 h a record
NOW = MONDAY_9 + timedelta(days=1)
WINDOW_END = MONDAY_9 + timedelta(hours=2)


def refusal(at: datetime, start=MONDAY_9, end=WINDOW_END, field="at") -> str | None:
    try:
        domain.check_time(field, at, NOW, start, end, LIMITS)
    except domain.HoursRefused as exc:
        assert exc.field == field and " / " in str(exc)  # 中文 / English
        return str(exc)
    return None


def test_a_time_in_the_future_is_refused_beyond_the_clock_skew():
    assert refusal(NOW + timedelta(days=30), None, None) is not None  # 30 days ahead: never happened
    assert "future" in refusal(NOW + timedelta(minutes=6), None, None)
    assert refusal(NOW + timedelta(minutes=5), None, None) is None  # a phone's clock a little ahead
    assert refusal(NOW - timedelta(days=400), None, None) is None  # no window: only "not in the future"


def test_a_time_must_lie_in_the_task_window_give_or_take_the_tolerance():
    assert refusal(MONDAY_9 - timedelta(hours=2)) is None and refusal(WINDOW_END + timedelta(hours=2)) is None
    early = refusal(MONDAY_9 - timedelta(hours=2, minutes=1), field="check_in")
    assert "2026-12-07 09:00 – 2026-12-07 11:00" in early  # the window, in Beijing time
    assert refusal(WINDOW_END + timedelta(hours=2, minutes=1), field="check_out") is not None
    assert refusal(MONDAY_9 - timedelta(days=3), start=MONDAY_9, end=None) is not None  # one end is enough
    wide = domain.HourLimits(before_window=timedelta(hours=5))
    domain.check_time("at", MONDAY_9 - timedelta(hours=4), NOW, MONDAY_9, WINDOW_END, wide)  # configurable


def test_a_long_record_needs_an_explicit_override_with_a_reason():
    assert not domain.needs_override(480, LIMITS) and domain.needs_override(481, LIMITS)
    assert domain.needs_override(661, domain.HourLimits(max_log_minutes=660)) is True
    domain.check_approval(False, False, "")  # an ordinary record: a plain approval
    domain.check_approval(True, True, "重阳节活动持续全天，现场签到表为证")
    for override, reason, field in ((False, "", "override"), (False, "全天活动", "override"), (True, "  ", "reason")):
        with pytest.raises(domain.HoursRefused) as refused:
            domain.check_approval(True, override, reason)
        assert refused.value.field == field


def test_an_organization_s_tasks_are_the_ones_it_created_by_hand_or_through_a_project():
    assert domain.organized_by("org-a", "org-a") and domain.organized_by("projects:org-a", "org-a")
    assert not domain.organized_by("org-b", "org-a") and not domain.organized_by("projects:org-b", "org-a")
    assert not domain.organized_by("party:joint_meeting", "org-a") and not domain.organized_by("org-a2", "org-a")


def test_the_limits_are_settings(monkeypatch):
    from services.volunteers.config import VolunteersSettings

    assert VolunteersSettings().hour_limits() == LIMITS  # the defaults are the domain's
    monkeypatch.setenv("WUSHE_VOLUNTEERS_MAX_LOG_MINUTES", "600")
    monkeypatch.setenv("WUSHE_VOLUNTEERS_WINDOW_BEFORE_HOURS", "0.5")
    limits = VolunteersSettings().hour_limits()
    assert limits.max_log_minutes == 600 and limits.before_window == timedelta(minutes=30)


# --- the volunteer's own page --------------------------------------------------------------------------


def test_a_check_in_is_offered_only_when_it_would_be_taken():
    limits = domain.HourLimits()
    start, end = MONDAY_9, MONDAY_9 + timedelta(hours=3)
    assert mine_rules.may_check_in(start - timedelta(hours=1), start, end, limits)  # early, within the tolerance
    assert not mine_rules.may_check_in(start - timedelta(hours=3), start, end, limits)
    assert not mine_rules.may_check_in(end + timedelta(hours=3), start, end, limits)
    assert mine_rules.may_check_in(start, None, None, limits)  # a task without a window: any time


def test_a_volunteer_signs_up_in_their_county_or_where_they_offered_to_serve():
    assert domain.may_sign_up("130102001001", "130102002003", [])  # the same county, another community
    assert not domain.may_sign_up("130104001001", "130102002003", [])
    assert domain.may_sign_up("130104001001", "130102002003", ["130104"])
    assert mine_rules.matching_skills(["理发", "陪诊", "送餐"], ["送餐", "理发"]) == ["理发", "送餐"]


def test_statuses_are_labelled_in_both_languages():
    assert domain.AssignmentStatus("accepted").label == "已报名 / Signed up"
    assert {s.value for s in domain.LogStatus} == {"open", "logged", "verified", "rejected"}
