"""Pure rules of kit.months: local calendar months (Asia/Shanghai) and the month series of the
dashboards' trends — every month present, oldest first."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kit.months import LOCAL, end, filled, key, last_months, months_to, next_month, running_totals, start


def test_last_months_cross_the_year_oldest_first():
    months = last_months(date(2026, 2, 15), 12)
    assert months[0] == date(2025, 3, 1) and months[-1] == date(2026, 2, 1) and len(months) == 12
    assert last_months(date(2026, 1, 31), 1) == [date(2026, 1, 1)]
    assert len(last_months(date(2026, 1, 31), 36)) == 36 and last_months(date(2026, 1, 31), 36)[0] == date(2023, 2, 1)


def test_months_are_beijing_months():
    # 2026-01-31 20:00 UTC is already 1 February in Beijing
    assert months_to(datetime(2026, 1, 31, 20, tzinfo=UTC), 2) == [date(2026, 1, 1), date(2026, 2, 1)]
    assert start(date(2026, 2, 14)) == datetime(2026, 2, 1, tzinfo=LOCAL)
    assert start(date(2026, 2, 1)).astimezone(UTC) == datetime(2026, 1, 31, 16, tzinfo=UTC)
    assert end(date(2026, 12, 1)) == datetime(2027, 1, 1, tzinfo=LOCAL)
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1) and next_month(date(2026, 3, 1)) == date(2026, 4, 1)
    assert key(date(2026, 3, 1)) == "2026-03"


def test_filled_has_every_month_and_only_those():
    months = last_months(date(2026, 11, 26), 3)
    assert filled(months, {"2026-10": 7, "2025-01": 9}) == [("2026-09", 0), ("2026-10", 7), ("2026-11", 0)]
    assert filled(months, {}, None) == [("2026-09", None), ("2026-10", None), ("2026-11", None)]


def test_running_totals_count_what_came_before_the_first_month_and_go_down_on_removals():
    months = last_months(date(2026, 4, 2), 4)  # 2026-01 … 2026-04
    changes = {"2025-06": 3, "2026-02": 2, "2026-03": -1, "2026-05": 9}  # 2026-05: after the window
    assert running_totals(months, changes) == [("2026-01", 3), ("2026-02", 5), ("2026-03", 4), ("2026-04", 4)]
    assert running_totals(months, {}) == [(m, 0) for m in ("2026-01", "2026-02", "2026-03", "2026-04")]
