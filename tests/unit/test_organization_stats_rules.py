"""Pure rules of the volunteers' organization statistics: the month series and station coverage."""
from __future__ import annotations

from datetime import date

from contracts.values import mask_name
from services.volunteers.organization.service import coverage, hours_by_month, last_months, ratio


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
