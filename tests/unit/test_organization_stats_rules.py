"""Pure rules of the volunteers' organization statistics: the month series and station coverage."""

from __future__ import annotations

from datetime import date

from contracts.values import mask_name
from kit.months import last_months
from services.volunteers.organization.domain import (
    coverage,
    coverage_trend,
    cumulative_trend,
    hours_by_month,
    ratio,
)


def test_last_months_cross_the_year_oldest_first():
    months = last_months(date(2026, 2, 15), 12)
    assert months[0] == date(2025, 3, 1) and months[-1] == date(2026, 2, 1) and len(months) == 12


def test_hours_by_month_has_every_month():
    months = last_months(date(2026, 11, 26), 3)
    assert hours_by_month(months, {"2026-10": 90, "2025-01": 60}) == {"2026-09": 0.0, "2026-10": 1.5, "2026-11": 0.0}


def test_ratio_and_coverage():
    assert ratio(0, 0) is None and ratio(2, 3) == 0.6667
    assert coverage(5, 4, 0.8).met is True and coverage(5, 3, 0.8).met is False
    assert coverage(0, 0, 0.8).coverage is None and coverage(0, 0, 0.8).met is False


def test_masked_name_hides_the_length():
    assert mask_name("欧阳娜娜", keep_length=False) == "欧*" and mask_name("李", keep_length=False) == "李*"


def test_social_workers_trend_is_cumulative_at_each_month_end():
    months = last_months(date(2026, 3, 10), 3)  # 2026-01 … 2026-03
    trend = cumulative_trend(months, {"2024-05": 2, "2026-02": 1})
    assert [(p.month, p.value) for p in trend] == [("2026-01", 2), ("2026-02", 3), ("2026-03", 3)]


def test_coverage_trend_by_the_facilities_and_stations_set_up():
    months = last_months(date(2026, 3, 10), 4)  # 2025-12 … 2026-03
    trend = coverage_trend(months, facilities={"2026-01": 1, "2026-03": 1}, stations={"2026-02": 1})
    assert [(p.month, p.value) for p in trend] == [
        ("2025-12", None),
        ("2026-01", 0.0),
        ("2026-02", 1.0),
        ("2026-03", 0.5),
    ]
    assert coverage(2, 1, 0.8, trend).trend == trend and coverage(2, 1, 0.8).trend == []
