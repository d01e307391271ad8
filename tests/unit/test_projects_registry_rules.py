"""Pure rules of the projects registry: the worst grade of a year, the registry's state rule, the
townships of an area, the coverage targets (a station in every township, hubs covering every urban
community), the purchase list that applies up the area tree, and the request models' own checks."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from pydantic import ValidationError

from contracts.api import organizations as api
from contracts.values import uscc_check_char
from services.projects.procurement import domain as procurement
from services.projects.registry import domain

XINHUA, YUHUA = "130105", "130108"
GEXIN, XINHUALU = "130105001", "130105003"  # 革新街街道, 新华路街道


def uscc(n: int) -> str:
    first17 = f"51{XINHUA}MJ{n:07d}"
    return first17 + uscc_check_char(first17)


# --- grades and state ---------------------------------------------------------------------------------


def test_worst_grade_of_each_year():
    rows = [
        (2024, "excellent"),
        (2025, "good"),
        (2025, "unqualified"),
        (2025, "basic"),
        (2026, "basic"),
        (2026, "good"),
    ]
    assert domain.worst_by_year(rows) == {2024: "excellent", 2025: "unqualified", 2026: "basic"}
    assert domain.worst_by_year([]) == {}


def test_worst_grade_feeds_the_eligibility_rule():
    org = {"status": "registered", "area_code": XINHUA}
    grades = domain.worst_by_year([(2025, "excellent"), (2025, "unqualified")])
    with pytest.raises(procurement.Ineligible) as refused:
        procurement.check_eligible(org, f"{GEXIN}001", 2026, grades)
    assert refused.value.rule == "graded_unqualified"
    procurement.check_eligible(org, f"{GEXIN}001", 2027, grades)  # only the year before counts


def test_deregistration_is_final():
    domain.check_changeable("registered")
    with pytest.raises(domain.Refused) as refused:
        domain.check_changeable("deregistered")
    assert refused.value.rule == "deregistered_final"


# --- the area tree ---------------------------------------------------------------------------------------


def test_townships_under_an_area():
    county = domain.townships_under(XINHUA)
    assert len(county) == 15 and county[0] == GEXIN and all(t.startswith(XINHUA) and len(t) == 9 for t in county)
    assert domain.townships_under(GEXIN) == (GEXIN,)
    assert domain.townships_under(f"{GEXIN}001") == ()
    assert domain.townships_under("999999") == ()
    city = domain.townships_under("130100")
    assert set(county) < set(city) and "130181100" in city  # 辛集 sits under 石家庄 by its parent row


# --- statistics ------------------------------------------------------------------------------------------


def test_hub_coverage_counts_registered_urban_communities():
    communities = [f"{GEXIN}001", f"{GEXIN}002", f"{XINHUALU}001", f"{XINHUALU}002"]
    none = domain.hub_coverage([], [XINHUA], 1.0)
    assert (
        none.share is None
        and none.urban_communities is None
        and not none.met
        and "名录" in none.note
        and "PUT" not in none.note
    )
    # a township's hub covers its communities, a community's hub its own
    some = domain.hub_coverage(communities, [GEXIN, f"{XINHUALU}002", f"{YUHUA}001"], 1.0)
    assert (some.urban_communities, some.covered, some.share, some.met) == (4, 3, 0.75, False)
    # a county's hub covers every community under it
    assert domain.hub_coverage(communities, [XINHUA], 1.0).met is True
    assert domain.hub_coverage(communities, [], 1.0).covered == 0


def test_station_coverage_of_townships():
    townships = domain.townships_under(XINHUA)
    half = domain.station_coverage(townships, {GEXIN: 1, XINHUALU: 1, f"{YUHUA}001": 1}, 1.0)
    assert (half.townships, half.with_station, half.share, half.met) == (15, 2, round(2 / 15, 4), False)
    assert GEXIN not in half.without_station and len(half.without_station) == 13
    full = domain.station_coverage(townships, dict.fromkeys(townships, 1), 1.0)
    assert full.met is True and full.without_station == []
    assert domain.station_coverage((), {}, 1.0).share is None


def test_rooms_per_community():
    rooms = {f"{GEXIN}001": 2, f"{GEXIN}201": 1}
    unregistered = domain.room_coverage(rooms, [])
    assert unregistered.rooms == 3 and unregistered.share is None and unregistered.registered_communities is None
    assert [(c.area_code, c.count) for c in unregistered.by_community] == [(f"{GEXIN}001", 2), (f"{GEXIN}201", 1)]
    assert unregistered.by_community[0].name == "革新街街道001号社区"
    registered = domain.room_coverage(rooms, [f"{GEXIN}001", f"{GEXIN}002", f"{GEXIN}201", f"{GEXIN}202"])
    assert (registered.registered_communities, registered.with_room, registered.share) == (4, 2, 0.5)


def test_tallies_have_every_code_and_the_staff_target_a_share():
    counted = domain.count_by(
        [{"category": "charity", "n": 2}, {"category": "charity", "n": 1}, {"category": "other", "n": 4}], "category"
    )
    tally = domain.tally(counted, [c.value for c in api.OrganizationCategory])
    assert tally == {
        "life_service": 0,
        "charity": 3,
        "mutual_aid": 0,
        "culture_sports": 0,
        "professional": 0,
        "other": 4,
    }
    assert domain.staff_target(20_000, 400_000).share == 0.05


def test_category_labels_are_chinese_first():
    assert (
        api.OrganizationCategory.MUTUAL_AID.zh == "居民互助类"
        and api.OrganizationCategory("charity").zh == "公益慈善类"
    )


# --- the purchase list ------------------------------------------------------------------------------------


def item(code: str, name: str, budget: int | None = None) -> dict:
    return {"code": code, "name": name, "category": "daily_care", "max_budget_fen": budget}


def test_a_county_list_applies_to_its_communities_and_the_nearer_list_wins():
    community = f"{GEXIN}001"
    lists = {
        XINHUA: [item("meal", "助餐服务", 100_000), item("care", "居家照料")],
        GEXIN: [item("meal", "街道助餐", 50_000)],
        YUHUA: [item("bath", "助浴")],
    }
    items = domain.applicable_items(community, lists)
    assert [(i.code, i.listed_by, i.max_budget_fen) for i in items] == [("meal", GEXIN, 50_000), ("care", XINHUA, None)]
    assert [i.code for i in domain.applicable_items(XINHUA, lists)] == ["meal", "care"]
    assert domain.applicable_items(f"{YUHUA}001001", {GEXIN: lists[GEXIN]}) == []


# --- the request models' own checks --------------------------------------------------------------------

ORG = {
    "name": "新华区社区社会组织联合会",
    "uscc": uscc(1),
    "legal_type": "social_group",
    "category": "charity",
    "area_code": XINHUA,
}


def field_of(error: ValidationError) -> str:
    return ".".join(str(p) for p in error.errors()[0]["loc"])


@pytest.mark.parametrize(
    "change, field",
    [
        ({"area_code": "139999"}, "area_code"),  # not a Hebei area
        ({"uscc": uscc(1)[:-1] + ("0" if uscc(1)[-1] != "0" else "1")}, "uscc"),
        ({"category": "sports"}, "category"),
        ({"full_time_staff": -1}, "full_time_staff"),
        ({"admin_accounts": ["a", "a"]}, "admin_accounts"),
        ({"incubation": {"base_id": str(uuid4()), "since": "2025-03-01", "graduated_on": "2025-01-01"}}, "incubation"),
        ({"founded": "2020"}, "founded"),
    ],
)
def test_organization_in_refuses(change, field):
    with pytest.raises(ValidationError) as refused:
        api.OrganizationIn(**{**ORG, **change})
    assert field_of(refused.value) == field


def test_registration_areas():
    for area in (XINHUA, GEXIN, f"{GEXIN}001", f"{GEXIN}201"):
        assert api.OrganizationIn(**{**ORG, "area_code": area}).area_code == area


def test_patch_sends_something_and_clears_only_incubation():
    with pytest.raises(ValidationError):
        api.OrganizationPatch()
    with pytest.raises(ValidationError):
        api.OrganizationPatch(hub=None)
    assert api.OrganizationPatch(incubation=None).model_fields_set == {"incubation"}


@pytest.mark.parametrize(
    "kind, area, ok",
    [
        ("station", GEXIN, True),
        ("station", XINHUA, False),
        ("station", f"{GEXIN}001", False),
        ("room", f"{GEXIN}001", True),
        ("room", f"{GEXIN}201", True),
        ("room", GEXIN, False),
        ("incubation_base", XINHUA, True),
        ("incubation_base", f"{GEXIN}001", True),
    ],
)
def test_platform_levels(kind, area, ok):
    body = {"kind": kind, "name": "平台", "area_code": area, "opened_on": date(2025, 1, 1)}
    if ok:
        api.PlatformIn(**body)
    else:
        with pytest.raises(ValidationError) as refused:
            api.PlatformIn(**body)
        assert field_of(refused.value) == "area_code"


def test_a_contract_needs_its_operator():
    with pytest.raises(ValidationError) as refused:
        api.PlatformIn(kind="station", name="站", area_code=GEXIN, opened_on="2025-01-01", contract_until="2026-12-31")
    assert field_of(refused.value) == "contract_until"


def test_communities_lie_under_the_area_and_are_villages_or_communities():
    assert api.CommunitiesIn(area_code=GEXIN, codes=[f"{GEXIN}001", f"{GEXIN}201"]).codes
    for codes in ([f"{XINHUALU}001"], [GEXIN], [f"{GEXIN}001", f"{GEXIN}001"]):
        with pytest.raises(ValidationError) as refused:
            api.CommunitiesIn(area_code=GEXIN, codes=codes)
        assert field_of(refused.value).startswith("codes")


def test_purchase_list_codes_are_distinct():
    entry = {"code": "meal", "name": "助餐", "category": "meal_aid"}
    with pytest.raises(ValidationError) as refused:
        api.PurchaseListIn(items=[entry, entry])
    assert field_of(refused.value) == "items"
    with pytest.raises(ValidationError):
        api.PurchaseListIn(items=[{**entry, "max_budget_fen": 1.5}])


def test_station_trend_counts_the_stations_opened_by_each_month_end():
    months = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    openings = [(GEXIN, date(2026, 1, 31)), (XINHUALU, date(2026, 3, 1)), ("130104001", date(2025, 1, 1))]
    trend = domain.station_trend([GEXIN, XINHUALU], openings, months)
    assert [(p.month, p.value) for p in trend] == [("2026-01", 0.5), ("2026-02", 0.5), ("2026-03", 1.0)]
    assert [p.value for p in domain.station_trend([], openings, months)] == [None, None, None]
