"""The need slice through the gateway, with needs, volunteers and gateway as real processes."""

from __future__ import annotations

import copy
import uuid

import httpx
import pytest
from support.waiting import eventually

from contracts.values import citizen_id_check_char

COMMUNITY = "130102001001"  # a community of 建北街道, 长安区, 石家庄
CITIZEN_ID = "11010519491231002X"
PHONE = "13800138000"
NEED = {
    "area_code": COMMUNITY,
    "category": "meal_aid",
    "urgency": "urgent",
    "description": "独居老人需要每日送午餐",
    "required_skills": ["送餐", "陪伴"],
    "target_groups": ["empty_nest_elderly"],
    "time_window": {"start": "2026-12-01T09:00:00+08:00", "end": "2026-12-01T12:00:00+08:00"},
    "resident": {"name": "张三丰", "phone": PHONE, "citizen_id": CITIZEN_ID},
}


@pytest.fixture(scope="module")
def gateway(stack):
    stack.start("needs", "volunteers", "gateway")
    return stack.url("gateway")


@pytest.fixture
async def client(gateway):
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as c:
        yield c


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def composed_when_matched(client, need_id, headers) -> dict:
    async def matched() -> dict | None:
        body = (await client.get(f"/api/v1/needs/{need_id}", headers=headers)).json()
        return body if body["matching_status"] == "available" else None

    return await eventually(matched, f"volunteers to receive need {need_id} (matching_status available)", 10)


async def test_raise_a_need_and_see_it_composed(client, token):
    headers = auth(token("social_worker", "130102"))
    created = await client.post("/api/v1/needs", json=NEED, headers=headers)
    assert created.status_code == 201, created.text
    need_id = created.json()["id"]

    body = await composed_when_matched(client, need_id, headers)
    need, matching = body["need"], body["matching"]
    assert need["category_label"] == "助餐" and need["urgency"] == "urgent"
    assert need["resident"] == {"name": "张**", "phone": "138****8000", "citizen_id": "110***********002X"}
    assert matching["required_skills"] == ["送餐", "陪伴"]
    assert matching["area_code"] == COMMUNITY and matching["status"] == "awaiting_match"
    # every time is answered in Beijing time, as it was given, wherever it was stored
    assert matching["window_start"] == "2026-12-01T09:00:00+08:00"
    assert need["raised_at"].endswith("+08:00") and need["first_response_due"].endswith("+08:00")


async def test_city_official_sees_it_other_county_learns_nothing(client, token):
    created = await client.post("/api/v1/needs", json=NEED, headers=auth(token("social_worker", "130102")))
    need_id = created.json()["id"]
    city = await client.get(f"/api/v1/needs/{need_id}", headers=auth(token("civil_affairs", "130100")))
    assert city.status_code == 200
    other = await client.get(f"/api/v1/needs/{need_id}", headers=auth(token("social_worker", "130104")))
    unknown = await client.get("/api/v1/needs/01a21665-0369-7fc3-9e56-12c60819a014", headers=auth(token()))
    assert other.status_code == unknown.status_code == 404
    assert other.json()["detail"] == unknown.json()["detail"]  # indistinguishable from a missing need
    assert other.headers["content-type"] == "application/problem+json"


async def test_no_token_and_bad_token_are_401(client, token):
    assert (await client.post("/api/v1/needs", json=NEED)).status_code == 401
    forged = token()[:-4] + "AAAA"
    response = await client.get("/api/v1/needs/01a21665-0369-7fc3-9e56-12c60819a014", headers=auth(forged))
    assert response.status_code == 401
    assert response.json()["title"].startswith("未认证")


async def test_writer_outside_jurisdiction_is_403_naming_area_code(client, token, db):
    response = await client.post("/api/v1/needs", json=NEED, headers=auth(token("social_worker", "130104")))
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "area_code"


async def test_role_that_may_not_raise_needs_is_403(client, token):
    response = await client.post("/api/v1/needs", json=NEED, headers=auth(token("volunteer", "130102")))
    assert response.status_code == 403


def without(path: str) -> dict:
    body = copy.deepcopy(NEED)
    *parents, leaf = path.split(".")
    target = body
    for p in parents:
        target = target[p]
    del target[leaf]
    return body


def with_value(path: str, value) -> dict:
    body = copy.deepcopy(NEED)
    *parents, leaf = path.split(".")
    target = body
    for p in parents:
        target = target[p]
    target[leaf] = value
    return body


wrong_check = CITIZEN_ID[:17] + ("0" if citizen_id_check_char(CITIZEN_ID[:17]) != "0" else "1")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (without("resident.citizen_id"), "resident.citizen_id"),
        (without("category"), "category"),
        (with_value("area_code", "130102999001"), "area_code"),
        (with_value("area_code", "130102"), "area_code"),  # a county, not a community
        (with_value("resident.citizen_id", wrong_check), "resident.citizen_id"),
        (with_value("resident.phone", "12345"), "resident.phone"),
        (with_value("time_window.end", "2026-12-01T08:00:00+08:00"), "time_window"),
        (with_value("surprise", 1), "surprise"),
    ],
)
async def test_bad_input_is_422_naming_the_field_and_nothing_is_written(client, token, db, js, body, field):
    before = await _footprint(db, js)
    response = await client.post("/api/v1/needs", json=body, headers=auth(token()))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await _footprint(db, js) == before


async def test_oversized_and_malformed_bodies(client, token, db, js):
    before = await _footprint(db, js)
    huge = with_value("description", "长" * 100_000)
    too_large = await client.post("/api/v1/needs", json=huge, headers=auth(token()))
    assert too_large.status_code == 413 and too_large.json()["errors"][0]["field"] == "body"
    broken = await client.post(
        "/api/v1/needs", content=b'{"area_code": ', headers={**auth(token()), "content-type": "application/json"}
    )
    assert broken.status_code == 422
    assert await _footprint(db, js) == before


async def test_personal_data_is_encrypted_at_rest_and_never_on_the_bus(client, token, db, js):
    created = await client.post("/api/v1/needs", json=NEED, headers=auth(token()))
    need_id = created.json()["id"]
    conn = await db("needs")
    row = await conn.fetchrow("SELECT * FROM needs WHERE id = $1", need_id)
    stored = b"".join(bytes(v) if isinstance(v, bytes) else str(v).encode() for v in row.values())
    for secret in (CITIZEN_ID, PHONE, "张三丰"):
        assert secret.encode() not in stored
    outbox = await conn.fetchval(
        "SELECT payload FROM outbox WHERE convert_from(payload, 'UTF8') LIKE '%' || $1 || '%' LIMIT 1", need_id
    )
    assert outbox is not None
    for secret in (CITIZEN_ID, PHONE, "张三丰"):
        assert secret.encode() not in outbox


async def test_trace_of_the_request_reaches_the_outbox(client, token, db):
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    headers = {**auth(token()), "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    need_id = (await client.post("/api/v1/needs", json=NEED, headers=headers)).json()["id"]
    conn = await db("needs")
    traceparent = await conn.fetchval(
        "SELECT traceparent FROM outbox WHERE convert_from(payload, 'UTF8') LIKE '%' || $1 || '%'", need_id
    )
    assert traceparent.split("-")[1] == trace_id


async def test_view_still_answers_when_volunteers_is_down(client, token, stack):
    headers = auth(token())
    need_id = (await client.post("/api/v1/needs", json=NEED, headers=headers)).json()["id"]
    await composed_when_matched(client, need_id, headers)
    stack.stop("volunteers")
    try:
        body = (await client.get(f"/api/v1/needs/{need_id}", headers=headers)).json()
        assert body["matching_status"] == "unavailable" and body["need"]["id"] == need_id
    finally:
        stack.start("volunteers")


async def _footprint(db, js) -> tuple[int, int, int]:
    """Needs stored, outbox rows, NEEDS stream messages, once the relay has caught up."""
    conn = await db("needs")

    async def caught_up() -> bool:
        return not await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")

    await eventually(caught_up, "the needs relay to publish every outbox row", 10)
    needs = await conn.fetchval("SELECT count(*) FROM needs")
    outbox = await conn.fetchval("SELECT count(*) FROM outbox")
    return needs, outbox, (await js.stream_info("NEEDS")).state.messages


async def test_idempotency_key_makes_a_retry_harmless(client, token, db, js):
    headers = {**auth(token()), "Idempotency-Key": f"retry-{uuid.uuid4()}"}
    first = await client.post("/api/v1/needs", json=NEED, headers=headers)
    before = (await _footprint(db, js))[:2]
    retry = await client.post("/api/v1/needs", json=NEED, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert (await _footprint(db, js))[:2] == before  # no second need, no second outbox event
    different = await client.post("/api/v1/needs", json=with_value("urgency", "routine"), headers=headers)
    assert different.status_code == 422
    assert different.json()["errors"][0]["field"] == "Idempotency-Key"
