"""The KPI board: values and targets as the services state them; count targets are the province's
and judged only there; a service that did not answer leaves its KPIs without a value."""

from __future__ import annotations

from contracts.api.views import Section
from services.gateway.kpis import kpi_board, kpi_settings

ORGANIZATIONS = {
    "hub_coverage": {"share": 0.5, "target": 1.0, "met": False, "note": None},
    "full_time_staff": {"total": 420_000, "target": 400_000, "share": 1.05},
}
PLATFORMS = {
    "stations": {
        "townships": 4,
        "with_station": 4,
        "share": 1.0,
        "target": 1.0,
        "met": True,
        "trend": [{"month": "2026-10", "value": 0.75}, {"month": "2026-11", "value": 1.0}],
    }
}
VOLUNTEERS = {
    "social_workers_by_level": {"assistant": 3, "social_worker": 2},
    "social_workers_trend": [{"month": "2026-11", "value": 5}],
    "station_coverage": {"coverage": 0.6, "target": 0.8, "met": False},
}


def board(level: str, **down: str) -> dict:
    sections = {
        name: Section(service=service, status=down.get(name, "available"), data=data)
        for name, service, data in (
            ("organizations", "projects", ORGANIZATIONS),
            ("platforms", "projects", PLATFORMS),
            ("volunteers", "volunteers", VOLUNTEERS),
        )
    }
    return {k.code: k for k in kpi_board(sections, level)}


def test_values_targets_and_trends_come_from_the_services():
    kpis = board("province")
    assert (kpis["township_station_coverage"].value, kpis["township_station_coverage"].met) == (1.0, True)
    assert [p.value for p in kpis["township_station_coverage"].trend] == [0.75, 1.0]
    assert (kpis["hub_coverage"].value, kpis["hub_coverage"].met) == (0.5, False)
    assert (kpis["volunteer_station_coverage"].value, kpis["volunteer_station_coverage"].target) == (0.6, 0.8)
    assert kpis["social_work_professionals"].value == 5
    assert kpis["social_work_professionals"].target == kpi_settings().social_work_professionals_target
    assert kpis["full_time_staff"].met is True


def test_count_targets_are_judged_only_for_the_province():
    kpis = board("county")
    assert kpis["full_time_staff"].value == 420_000 and kpis["full_time_staff"].met is None
    assert "全省目标" in kpis["full_time_staff"].note
    assert kpis["hub_coverage"].met is False  # a ratio is judged at every level


def test_a_service_that_did_not_answer_leaves_its_kpis_empty():
    kpis = board("province", volunteers="unavailable")
    assert kpis["social_work_professionals"].status == "unavailable"
    assert kpis["social_work_professionals"].value is None and kpis["social_work_professionals"].met is None
    assert kpis["social_work_professionals"].target == kpi_settings().social_work_professionals_target
    assert kpis["volunteer_station_coverage"].target is None
    assert kpis["hub_coverage"].status == "available"
