"""Pure rules behind issue 12 (Trust) in the needs service: per-area service levels (the most
specific area wins), a need's resident given once (typed in or registered), weekly recurring
slots and their Chinese label. No servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from contracts.api.needs import NeedIn, ServiceLevelsIn, weekly_label
from contracts.events.needs import NeedRaised, NeedRouted, WeeklySlot
from contracts.taxonomy import Urgency
from services.needs.domain import LEVEL_FIELDS, effective_levels
from services.needs.levels.domain import misordered

DEFAULTS = {"urgent_hours": 24, "major_hours": 72, "routine_hours": 168, "revisit_days": 7, "proactive_visit_days": 30}
COMMUNITY, STREET, COUNTY, CITY, PROVINCE = "130109100001", "130109100", "130109", "130100", "130000"
CHAIN = [COMMUNITY, STREET, COUNTY, CITY, PROVINCE]


# --- service levels per area -----------------------------------------------------------------------


def test_without_settings_every_value_is_the_installation_default():
    levels = effective_levels(CHAIN, {}, DEFAULTS)
    assert levels.values == DEFAULTS and set(levels.sources.values()) == {None}


def test_the_most_specific_area_that_sets_a_value_wins_value_by_value():
    settings = {
        PROVINCE: {"urgent_hours": 12, "revisit_days": 3},
        COUNTY: {"urgent_hours": 6, "major_hours": None},
        COMMUNITY: {"urgent_hours": 2, "proactive_visit_days": 10},
    }
    levels = effective_levels(CHAIN, settings, DEFAULTS)
    assert levels.values == {
        "urgent_hours": 2,
        "major_hours": 72,
        "routine_hours": 168,
        "revisit_days": 3,
        "proactive_visit_days": 10,
    }
    assert levels.sources == {
        "urgent_hours": COMMUNITY,
        "major_hours": None,
        "routine_hours": None,
        "revisit_days": PROVINCE,
        "proactive_visit_days": COMMUNITY,
    }
    raised = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert levels.levels.first_response_due(raised, Urgency.URGENT) == raised + timedelta(hours=2)
    assert levels.levels.revisit_due(raised) == raised + timedelta(days=3)
    assert levels.levels.proactive_visit_after == timedelta(days=10)
    # a neighbouring community of the same county gets the county's hours, not the first one's
    neighbour = effective_levels(["130109100002", STREET, COUNTY, CITY, PROVINCE], settings, DEFAULTS)
    assert (neighbour.values["urgent_hours"], neighbour.sources["urgent_hours"]) == (6, COUNTY)


def test_a_less_urgent_need_may_not_be_answered_sooner_naming_the_value_the_area_sets():
    values = DEFAULTS | {"urgent_hours": 96}
    assert misordered(values, ["urgent_hours"])[0] == "urgent_hours"
    assert misordered(DEFAULTS | {"routine_hours": 48}, ["routine_hours"])[0] == "routine_hours"
    assert misordered(DEFAULTS | {"urgent_hours": 4, "major_hours": 24}, ["urgent_hours", "major_hours"]) is None
    assert misordered(values, ["revisit_days"]) is None  # not this area's doing: inherited as it is
    assert misordered(DEFAULTS | {"urgent_hours": 72}, ["urgent_hours"]) is None  # equal is allowed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("urgent_hours", 0),
        ("urgent_hours", 721),
        ("major_hours", -1),
        ("routine_hours", 1.5),
        ("revisit_days", 91),
        ("proactive_visit_days", 0),
        ("proactive_visit_days", 366),
    ],
)
def test_service_levels_are_bounded_naming_the_field(field, value):
    with pytest.raises(ValidationError) as refused:
        ServiceLevelsIn.model_validate({field: value, "reason": "调整"})
    assert [e["loc"] for e in refused.value.errors()] == [(field,)]


def test_a_change_of_service_levels_says_why():
    with pytest.raises(ValidationError) as refused:
        ServiceLevelsIn.model_validate({"urgent_hours": 4})
    assert [e["loc"] for e in refused.value.errors()] == [("reason",)]
    body = ServiceLevelsIn.model_validate({"urgent_hours": 4, "reason": "冬季独居老人较多"})
    assert body.own().model_dump() == dict.fromkeys(LEVEL_FIELDS) | {"urgent_hours": 4}


# --- the resident: typed in, or a registered one -----------------------------------------------------

NEED = {"area_code": COMMUNITY, "category": "meal_aid", "description": "送餐"}
RESIDENT = {"name": "赵六", "phone": "13600136000", "citizen_id": "11010519491231002X"}
RESIDENT_ID = "0190c1f0-0000-7000-8000-000000000001"


@pytest.mark.parametrize(
    "body", [NEED, NEED | {"resident": RESIDENT, "resident_id": RESIDENT_ID}], ids=["neither", "both"]
)
def test_a_need_names_its_resident_exactly_once(body):
    with pytest.raises(ValidationError) as refused:
        NeedIn.model_validate(body)
    assert [e["loc"] for e in refused.value.errors()] == [("resident_id",)]


def test_either_form_of_the_resident_is_accepted():
    assert NeedIn.model_validate(NEED | {"resident": RESIDENT}).resident_id is None
    by_id = NeedIn.model_validate(NEED | {"resident_id": RESIDENT_ID})
    assert by_id.resident is None and str(by_id.resident_id) == RESIDENT_ID


def test_a_bad_typed_in_resident_is_named_alone():
    with pytest.raises(ValidationError) as refused:
        NeedIn.model_validate(NEED | {"resident": {**RESIDENT, "citizen_id": "110105194912310021"}})
    assert [e["loc"][0] for e in refused.value.errors()] == ["resident"]


# --- weekly recurring slots ----------------------------------------------------------------------------


def slots(*items) -> list[dict]:
    return [{"weekday": d, "start": s, "end": e} for d, s, e in items]


def test_the_label_groups_the_days_that_share_hours():
    lunch = [WeeklySlot(**s) for s in slots((6, "11:00", "12:00"), (2, "11:00", "12:00"), (4, "11:00", "12:00"))]
    assert weekly_label(lunch) == "每周二、四、六 11:00–12:00"
    every_day = [WeeklySlot(**s) for s in slots(*((d, "17:00", "18:30") for d in range(1, 8)))]
    assert weekly_label(every_day + [WeeklySlot(weekday=7, start="08:00", end="09:00")]) == (
        "每天 17:00–18:30；每周日 08:00–09:00"
    )
    assert weekly_label([]) == ""


@pytest.mark.parametrize(
    ("weekly", "loc"),
    [
        (slots((2, "11:00", "12:00"), (2, "11:30", "12:30")), ("weekly",)),  # overlap on one day
        (slots((2, "11:00", "12:00"), (2, "11:00", "12:00")), ("weekly",)),  # the same slot twice
        (slots((8, "11:00", "12:00")), ("weekly", 0, "weekday")),
        (slots((0, "11:00", "12:00")), ("weekly", 0, "weekday")),
        (slots((3, "12:00", "11:00")), ("weekly", 0)),  # end before start
        (slots((3, "11:00", "11:00")), ("weekly", 0)),
        (slots((3, "11:00+08:00", "12:00")), ("weekly", 0)),  # local times carry no zone
        (slots((3, "11:00:30", "12:00")), ("weekly", 0)),  # whole minutes
        (slots(*((d, f"{h:02d}:00", f"{h:02d}:30") for d in range(1, 8) for h in (8, 12, 17))), ("weekly",)),  # 21 > 14
    ],
)
def test_bad_weekly_slots_are_refused_naming_the_field(weekly, loc):
    with pytest.raises(ValidationError) as refused:
        NeedIn.model_validate(NEED | {"resident": RESIDENT, "weekly": weekly})
    assert [e["loc"] for e in refused.value.errors()] == [loc]


def test_touching_slots_and_other_days_are_fine_and_come_back_in_order():
    need = NeedIn.model_validate(
        NEED
        | {"resident": RESIDENT, "weekly": slots((4, "12:00", "13:00"), (2, "11:00", "12:00"), (4, "11:00", "12:00"))}
    )
    assert [(s.weekday, f"{s.start:%H:%M}") for s in need.weekly] == [(2, "11:00"), (4, "11:00"), (4, "12:00")]


def test_events_written_before_weekly_slots_still_read():
    old = {
        "need_id": RESIDENT_ID,
        "area_code": COMMUNITY,
        "category": "meal_aid",
        "urgency": "urgent",
        "channel": "self_report",
        "resident_ref": "r",
        "raised_by": "sw",
        "raised_at": "2026-12-01T09:00:00+08:00",
    }
    assert NeedRaised.model_validate(old).weekly == []
    routed = NeedRouted.model_validate(
        {**old, "route": "volunteer_task", "routed_by": "sw", "routed_at": "2026-12-01T10:00:00+08:00"}
    )
    assert routed.weekly == []
