"""The registry's store against the real PostgreSQL: the functions the project library calls inside
its own transactions (record_grade, eligibility_facts, org_admins, purchase_item), the event a
registration writes to the outbox, and the registry's refusals.

Everything happens in 栾城区 (130111), which no other test of the projects database uses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from contracts.api import organizations as api
from contracts.values import uscc_check_char
from kit import db as kit_db
from kit.auth import Principal, Role
from kit.problems import Problem
from kit.settings import Settings
from services.projects.procurement import domain as procurement
from services.projects.registry import handlers, store

COUNTY, TOWN = "130111", "130111100"  # 栾城区, 栾城镇
COMMUNITY, VILLAGE = f"{TOWN}001", f"{TOWN}201"
CLERK = Principal(sub="ca-luancheng", role=Role.CIVIL_AFFAIRS, area=COUNTY)
AT = datetime(2026, 1, 15, tzinfo=UTC)


def uscc() -> str:
    first17 = f"52{COUNTY}MJ{uuid4().int % 10**7:07d}"
    return first17 + uscc_check_char(first17)


@pytest.fixture
async def pool(settings: Settings):
    pool = await kit_db.create_pool(settings, "projects", size=3)
    yield pool
    await pool.close()


async def register(pool, area: str = COUNTY, **extra) -> str:
    code = uscc()
    await handlers.register(
        pool,
        CLERK,
        api.OrganizationIn(
            name="栾城区助老服务中心",
            uscc=code,
            legal_type="social_service_agency",
            category="life_service",
            area_code=area,
            admin_accounts=["oa-luancheng"],
            **extra,
        ),
    )
    return code


async def announcements(pool, code: str) -> list:
    return await pool.fetch(
        """SELECT subject, convert_from(payload, 'UTF8') AS payload FROM outbox
                                WHERE convert_from(payload, 'UTF8') LIKE '%' || $1 || '%' ORDER BY id""",
        code,
    )


async def test_grades_and_eligibility_facts(pool):
    code = await register(pool)
    org, grades = await store.eligibility_facts(pool, code)
    assert org["status"] == "registered" and grades == {}
    async with pool.acquire() as conn, conn.transaction():  # as the evaluation handler would
        await store.record_grade(conn, code, 2025, "excellent", uuid4(), 93.5, AT)
        await store.record_grade(conn, code, 2025, "unqualified", uuid4(), 41.0, AT)
        project = uuid4()
        await store.record_grade(conn, code, 2024, "basic", project, 61.0, AT)
        await store.record_grade(conn, code, 2024, "good", project, 80.0, AT)  # evaluated again: replaced
    org, grades = await store.eligibility_facts(pool, code)
    assert grades == {2025: "unqualified", 2024: "good"}
    with pytest.raises(procurement.Ineligible) as refused:
        procurement.check_eligible(org, COMMUNITY, 2026, grades)
    assert refused.value.rule == "graded_unqualified"
    procurement.check_eligible(org, COMMUNITY, 2025, grades)
    assert await store.eligibility_facts(pool, uscc()) == (None, {})

    view, _ = await handlers.organization(pool, CLERK, code)
    assert [(g.year, g.grade) for g in view.grades][0][0] == 2025 and len(view.grades) == 3


async def test_org_admins_and_what_registration_announces(pool):
    code = await register(pool, TOWN, hub=True, full_time_staff=7)
    assert await store.org_admins(pool, code) == ["oa-luancheng"]
    assert await store.org_admins(pool, uscc()) == []
    announced = await announcements(pool, code)
    assert len(announced) == 1
    assert announced[0]["subject"].startswith("evt.projects.organization_registered.v1.13.01.11")
    event = json.loads(announced[0]["payload"])["data"]
    assert (event["area_code"], event["hub"], event["full_time_staff"]) == (TOWN, True, 7)

    await handlers.update(pool, CLERK, code, api.OrganizationPatch(status="deregistered", admin_accounts=[]))
    assert len(await announcements(pool, code)) == 2
    org, _ = await store.eligibility_facts(pool, code)
    with pytest.raises(procurement.Ineligible):
        procurement.check_eligible(org, COMMUNITY, 2026, {})
    with pytest.raises(Problem) as refused:
        await handlers.update(pool, CLERK, code, api.OrganizationPatch(hub=False))
    assert refused.value.status == 409 and refused.value.extensions["rule"] == "deregistered_final"


async def test_duplicate_uscc_is_a_conflict_naming_it(pool):
    code = await register(pool)
    with pytest.raises(Problem) as refused:
        await handlers.register(
            pool,
            CLERK,
            api.OrganizationIn(name="另一个", uscc=code, legal_type="foundation", category="charity", area_code=COUNTY),
        )
    assert refused.value.status == 409 and refused.value.errors[0]["field"] == "uscc"


async def test_purchase_item_is_found_up_the_area_tree(pool):
    year = 2031  # this test's own year
    county = api.PurchaseListIn(
        items=[
            {"code": "meal", "name": "老年助餐", "category": "meal_aid", "max_budget_fen": 20_000_000},
            {"code": "care", "name": "居家照料", "category": "daily_care"},
        ]
    )
    town = api.PurchaseListIn(
        items=[{"code": "meal", "name": "镇助餐点", "category": "meal_aid", "max_budget_fen": 5_000_000}]
    )
    await handlers.put_purchase_list(pool, CLERK, COUNTY, year, county)
    await handlers.put_purchase_list(pool, CLERK, TOWN, year, town)
    async with pool.acquire() as conn, conn.transaction():
        meal = await store.purchase_item(conn, VILLAGE, year, "meal")
        care = await store.purchase_item(conn, VILLAGE, year, "care")
    assert (meal["area_code"], meal["max_budget_fen"]) == (TOWN, 5_000_000)
    assert (care["area_code"], care["name"]) == (COUNTY, "居家照料")
    assert await store.purchase_item(pool, COUNTY, year, "meal") is not None
    assert await store.purchase_item(pool, VILLAGE, year, "bath") is None
    assert await store.purchase_item(pool, VILLAGE, year + 1, "meal") is None
    assert await store.purchase_item(pool, "130105001001", year, "meal") is None  # 新华区: not under 栾城区
    assert await store.purchase_item(pool, "not-an-area", year, "meal") is None

    # a list is replaced whole
    await handlers.put_purchase_list(pool, CLERK, TOWN, year, api.PurchaseListIn(items=[]))
    assert (await store.purchase_item(pool, VILLAGE, year, "meal"))["area_code"] == COUNTY
