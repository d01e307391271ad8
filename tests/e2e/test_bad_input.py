"""Bad input through the gateway gets a 422 naming the field, never a server error: control and
invisible characters in text, integers past what a client can hold, amounts past the money
bound, months outside the platform's years, and names that are not names. Amounts up to the
bound add up safely in the area's money flows."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from contracts.values import MAX_FEN, citizen_id_check_char

COUNTY, COMMUNITY = "130102", "130102001001"
INT64_MAX = 2**63 - 1
RESIDENT = {"name": "张三", "phone": "13800138000", "citizen_id": "11010519491231002X"}


def bearer(token, role: str, area: str = COUNTY, sub: str = "bad-input") -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


def assert_names(reply, field: str) -> None:
    assert reply.status_code == 422, (reply.status_code, reply.text)
    assert reply.headers["content-type"].startswith("application/problem+json")
    fields = [e["field"] for e in reply.json()["errors"]]
    assert any(f == field or f.startswith(field + ".") for f in fields), fields  # the field, or an item of it


async def post(client, path: str, headers: dict, body: dict):
    """POST `body` as ASCII JSON: a lone surrogate travels as its \\u escape, as a client may send it."""
    return await client.post(path, content=json.dumps(body), headers={**headers, "content-type": "application/json"})


def need(**changes) -> dict:
    return {"area_code": COMMUNITY, "category": "meal_aid", "description": "送餐", "resident": RESIDENT, **changes}


@pytest.fixture
async def fund_id(projects, token) -> str:
    reply = await projects.post(
        "/funds",
        headers=bearer(token, "civil_affairs"),
        json={"name": "长安区慈善基金", "kind": "community_foundation", "area_code": COUNTY},
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


@pytest.mark.parametrize(
    "text",
    ["a\x00b", "a\u202eb", "a\u200bb", "a\x07b", "a\ud800b"],
    ids=["nul", "rtl-override", "zero-width-space", "bell", "lone-surrogate"],
)
async def test_control_or_invisible_characters_in_text_name_the_field(projects, token, text):
    worker, office = bearer(token, "social_worker"), bearer(token, "civil_affairs")
    province = bearer(token, "civil_affairs", "130000")
    assert_names(await post(projects, "/needs", worker, need(description=text)), "description")
    assert_names(
        await post(projects, "/funds", office, {"name": text, "kind": "community_foundation", "area_code": COUNTY}),
        "name",
    )
    assert_names(await post(projects, "/whistles", worker, {"area_code": COMMUNITY, "title": text}), "title")
    assert_names(
        await post(projects, "/taxonomy/categories", province, {"code": "haircut", "zh": text, "en": "Haircut"}), "zh"
    )
    assert_names(await post(projects, "/needs", worker, need(required_skills=["送餐", text])), "required_skills")


@pytest.mark.parametrize(
    "path, field",
    [
        ("/projects?organization_uscc={}", "organization_uscc"),
        ("/supermarket/stock?area={}", "area"),
        ("/needs?category={}", "category"),
        ("/certificates/verify/{}", "path"),
    ],
)
async def test_control_characters_in_parameters_name_the_parameter(projects, token, path, field):
    reply = await projects.get(path.format(quote("a\x00b")), headers=bearer(token, "civil_affairs"))
    assert_names(reply, field)


@pytest.mark.parametrize(
    "name",
    ["张\u202e三", "张\u200d三", "<b>张三</b>", "张三\x00", "张三2"],
    ids=["rtl-override", "zero-width-joiner", "markup", "nul", "digit"],
)
async def test_a_resident_name_must_be_a_name(projects, token, name):
    worker = bearer(token, "social_worker")
    assert_names(
        await projects.post("/needs", headers=worker, json=need(resident={**RESIDENT, "name": name})), "resident.name"
    )
    body = {
        "name": name,
        "citizen_id": "13010219800101001" + citizen_id_check_char("13010219800101001"),
        "phone": "13900139000",
        "address": "长安区建北街1号",
        "area_code": COMMUNITY,
        "consent": {"purpose": "需求登记与服务", "given_at": "2026-11-01T09:00:00+08:00"},
    }
    assert_names(await projects.post("/residents", headers=worker, json=body), "name")


async def test_names_of_people_as_they_are_written_are_taken(projects, token):
    for name in ("阿依古丽·买买提", "欧阳 娜娜", "Anne-Marie O'Neil"):
        reply = await projects.post(
            "/needs", headers=bearer(token, "social_worker"), json=need(resident={**RESIDENT, "name": name})
        )
        assert reply.status_code == 201, (name, reply.text)


async def test_integers_past_int64_in_paging_name_the_parameter(projects, token):
    office = bearer(token, "civil_affairs")
    for path, field in (
        (f"/needs?page={INT64_MAX}", "page"),
        (f"/needs?page={INT64_MAX + 1}", "page"),
        (f"/organizations?offset={INT64_MAX + 1}", "offset"),
        (f"/public/ledger?page={INT64_MAX}", "page"),
    ):
        assert_names(await projects.get(path, headers=office), field)


async def test_amounts_past_the_money_bound_name_the_field(projects, token, fund_id):
    office, charity = bearer(token, "civil_affairs"), bearer(token, "charity_admin")
    donor = {"kind": "enterprise", "name": "某企业", "uscc": "91350100M000100Y43", "disclose_name": False}
    for amount in (INT64_MAX, INT64_MAX + 1, MAX_FEN + 1):
        assert_names(
            await projects.post(
                "/donations", headers=charity, json={"fund_id": fund_id, "amount_fen": amount, "donor": donor}
            ),
            "amount_fen",
        )
        assert_names(
            await projects.put(f"/funds/{fund_id}/budgets", headers=office, json={"year": 2026, "amount_fen": amount}),
            "amount_fen",
        )
        assert_names(
            await projects.post(
                "/venture-calls",
                headers=office,
                json={
                    "kind": "venture",
                    "title": "公益创投",
                    "area_code": COUNTY,
                    "fund_id": fund_id,
                    "pool_fen": amount,
                    "max_grant_fen": 100,
                    "apply_deadline": "2026-12-31T00:00:00+08:00",
                },
            ),
            "pool_fen",
        )
    goods = {
        "area_code": COMMUNITY,
        "item": "大米",
        "unit": "袋",
        "quantity": 1,
        "estimated_value_fen": 100,
        "price_points": 1,
        "donor": {"kind": "person"},
    }
    for field in ("quantity", "estimated_value_fen", "price_points"):
        assert_names(
            await projects.post("/supermarket/goods", headers=charity, json={**goods, field: INT64_MAX + 1}), field
        )


async def test_largest_amounts_add_up_exactly_in_the_area_flows(projects, token, fund_id):
    charity, office = bearer(token, "charity_admin"), bearer(token, "civil_affairs")
    before = (await projects.get("/funds/flows", headers=office, params={"area": COUNTY})).json()["received_fen"]
    for _ in range(3):
        reply = await projects.post(
            "/donations",
            headers=charity,
            json={"fund_id": fund_id, "amount_fen": MAX_FEN, "donor": {"kind": "anonymous"}},
        )
        assert reply.status_code == 201, reply.text
    for area in (COUNTY, "130100", "130000"):
        flows = await projects.get("/funds/flows", headers=bearer(token, "civil_affairs", area), params={"area": area})
        assert flows.status_code == 200, flows.text
    flows = (await projects.get("/funds/flows", headers=office, params={"area": COUNTY})).json()
    assert flows["received_fen"] - before == 3 * MAX_FEN


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1999-12", "2026-13"])
async def test_months_outside_the_platform_years_name_the_parameter(projects, token, month):
    reply = await projects.get(
        "/supermarket/publications", headers=bearer(token, "civil_affairs"), params={"area": COMMUNITY, "month": month}
    )
    assert_names(reply, "month")


@pytest.mark.parametrize(
    "path",
    [
        "/needs/..%2F..%2Fhealthz",
        "/needs/%2e%2e%2fopenapi.json",
        "/taxonomy/..%2F..%2Fdocs",
        "/tasks/..%2Fdemands%2F01a2381d-d8e2-7b35-b34e-683cd251cd22",
        "/needs/%2e%2e/%2e%2e/healthz",
        "/public/certificates/..%2F..%2Fhealthz",
        "/views/organizations/..%2F..%2Fhealthz",
    ],
)
async def test_a_path_cannot_climb_out_of_its_resource(projects, token, path):
    reply = await projects.get(path, headers=bearer(token, "civil_affairs"))
    assert reply.status_code == 404, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert '"service"' not in reply.text and "swagger" not in reply.text.lower()


async def test_a_method_a_route_does_not_take_answers_405_saying_which_it_does(projects, token):
    reply = await projects.delete("/needs/stats", headers=bearer(token, "civil_affairs"))
    assert reply.status_code == 405 and reply.headers["content-type"].startswith("application/problem+json")
    assert set(reply.headers["allow"].replace(" ", "").split(",")) == {"GET"}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/views/organizations/91130102MA0ABCDE1X", "uscc"),  # a wrong check character
        ("/views/organizations/abc%3Fq%3D1", "uscc"),  # a query smuggled into the id
        ("/views/volunteers/not-an-id", "volunteer_id"),
        ("/views/needs/1%3Bdrop", "need_id"),
        ("/public/certificates/AB%3Fx%3D1", "code"),
    ],
)
async def test_gateway_path_parameters_are_checked_before_any_upstream_call(projects, token, path, field):
    assert_names(await projects.get(path, headers=bearer(token, "civil_affairs")), field)
