"""The load model of bench/province_day.py (a simulated Hebei day): pure arithmetic, no stack."""

from __future__ import annotations

import pytest
from support.bench import load

m = load("province_day")
SHAPE = m.curves()
KINDS = {k.key: k for k in m.day_model()}


def test_every_curve_has_24_hours_and_sums_to_one():
    assert set(SHAPE) >= set(m.CURVES_RAW)
    for name, weights in SHAPE.items():
        assert len(weights) == 24, name
        assert min(weights) >= 0, name
        assert sum(weights) == pytest.approx(1.0), name


def test_check_outs_follow_check_ins_by_the_length_of_a_service():
    assert SHAPE["service_end"] == [SHAPE["service"][(h - 1) % 24] for h in range(24)]


def test_the_peak_hour_is_the_offices_mid_morning():
    kinds = list(KINDS.values())
    hour = m.peak_hour(kinds, SHAPE)
    assert hour == 10  # 10:00–11:00 Asia/Shanghai
    assert max(range(24), key=SHAPE["office"].__getitem__) == hour
    per_op = m.ops_per_hour(kinds, SHAPE)
    totals = [sum(calls[h] for calls in per_op.values()) for h in range(24)]
    assert totals[hour] == max(totals)
    assert sum(m.peak_rates(kinds, SHAPE, hour).values()) == pytest.approx(totals[hour] / 3600)


def test_the_days_counts_follow_from_the_constants():
    needs = m.POPULATION / 1000 * m.NEEDS_PER_1000_PEOPLE
    services = m.REGISTERED_VOLUNTEERS * m.VOLUNTEER_ACTIVE_SHARE * m.SERVICES_PER_ACTIVE_VOLUNTEER
    per_screen = (m.SCREEN_HOURS[1] - m.SCREEN_HOURS[0]) * 3600 / m.SCREEN_REFRESH_S
    assert KINDS["needs_raised"].per_day == pytest.approx(needs)
    assert KINDS["assessments"].per_day == pytest.approx(needs * m.ASSESSED_SHARE)
    assert KINDS["routing"].per_day == pytest.approx(KINDS["assessments"].per_day)
    assert KINDS["check_ins"].per_day == pytest.approx(services)
    assert KINDS["signups"].per_day == pytest.approx(services * m.SIGNUPS_PER_SERVICE)
    assert KINDS["hours_verified"].per_day == pytest.approx(services * m.CHECKOUT_SHARE * m.VERIFIED_SHARE)
    assert KINDS["donations"].per_day == pytest.approx(m.POPULATION / 1000 * m.DONATIONS_PER_1000_PEOPLE)
    assert KINDS["whistles"].per_day == pytest.approx(m.COMMUNITIES * m.WHISTLES_PER_COMMUNITY)
    assert KINDS["need360_reads"].per_day == pytest.approx(needs * m.NEED_360_READS_PER_NEED)
    assert KINDS["dashboard_reads"].per_day == pytest.approx(
        m.COMMUNITIES * m.DASHBOARD_VIEWS_PER_COMMUNITY + m.screens() * per_screen
    )
    assert KINDS["tasks_published"].per_day == pytest.approx(
        m.COMMUNITIES * m.ACTIVITY_TASKS_PER_COMMUNITY + needs * m.ASSESSED_SHARE * m.ROUTE_MIX["volunteer_task"]
    )
    assert sum(m.ROUTE_MIX.values()) == pytest.approx(1.0)
    # a day with these figures is about 56 HTTP calls a second at its peak hour
    assert 40 < sum(m.peak_rates(list(KINDS.values()), SHAPE, 10).values()) < 80


def test_each_kind_spread_over_the_hours_adds_up_to_its_day():
    for kind in KINDS.values():
        assert sum(m.hourly(kind, SHAPE)) == pytest.approx(kind.per_day), kind.key


def test_http_calls_per_day_follow_from_the_kinds():
    per_op = {op: sum(calls) for op, calls in m.ops_per_hour(list(KINDS.values()), SHAPE).items()}
    assert set(per_op) == set(m.OPS) == set(m.CALLS)
    assert per_op["signup.invite"] == pytest.approx(KINDS["signups"].per_day)
    assert per_op["signup.accept"] == pytest.approx(KINDS["signups"].per_day)
    assert per_op["task.publish"] == pytest.approx(m.COMMUNITIES * m.ACTIVITY_TASKS_PER_COMMUNITY)  # not the routed
    assert per_op["need.raise"] == pytest.approx(KINDS["needs_raised"].per_day)
    assert per_op["view.dashboard"] == pytest.approx(KINDS["dashboard_reads"].per_day)


def test_scaling_the_slice_keeps_the_mix():
    rates = m.peak_rates(list(KINDS.values()), SHAPE, 10)
    factor, slice_rates = m.scaled(rates, 60.0)
    assert sum(slice_rates.values()) == pytest.approx(60.0)
    assert factor == pytest.approx(60.0 / sum(rates.values()))
    for op, rate in rates.items():
        assert slice_rates[op] == pytest.approx(rate * factor)
        assert slice_rates[op] / 60.0 == pytest.approx(rate / sum(rates.values()))


def test_dashboard_reads_by_level_sum_to_one():
    levels = m.dashboard_levels()
    assert set(levels) == {"community", "township", "county"}
    assert sum(levels.values()) == pytest.approx(1.0)


def test_replicas_keep_each_core_under_its_target_with_a_floor():
    assert m.replicas_for(0.1) == m.MIN_REPLICAS
    assert m.replicas_for(2.6, target=0.65, floor=1) == 4
    assert m.replicas_for(1.3, target=0.65, floor=1) == 2  # exactly at the target: no extra replica
    assert m.replicas_for(1.31, target=0.65, floor=1) == 3


def test_the_backlog_covers_the_pools_the_peak_hour_drains():
    rates = m.scaled(m.peak_rates(list(KINDS.values()), SHAPE, 10), 60.0)[1]
    backlog = m.backlog(rates, 120.0, slots_per_task=9)
    assert set(backlog) == set(m.PRODUCERS)
    # check-outs at 10:00 follow the 09:00 check-ins, more than the 10:00 ones refill
    assert backlog["checked_in"] >= 120 * (rates["hours.check_out"] - rates["hours.check_in"])
    assert backlog["assigned"] > backlog["checked_in"]
    assert min(backlog.values()) > 0
