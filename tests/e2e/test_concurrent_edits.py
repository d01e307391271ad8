"""Two registrars edit one organization's record through the gateway: the record's ETag is its version,
and an edit sent with the version it was read at (If-Match) is refused with 412 once the other edit
landed, so neither silently overwrites the other.

This module's area: 运河区 (130903) of 沧州, used only here."""

from __future__ import annotations

import itertools

import httpx
import pytest

from contracts.values import uscc_check_char

AREA = "130903"
_serial = itertools.count(1)


def new_uscc() -> str:
    first17 = f"51{AREA}MJ{next(_serial) + 4_000_000:07d}"
    return first17 + uscc_check_char(first17)


@pytest.fixture
async def gw(projects_api):
    async with httpx.AsyncClient(base_url=projects_api, timeout=15) as c:
        yield c


def clerk(token, sub: str) -> dict:
    return {"Authorization": f"Bearer {token('civil_affairs', AREA, sub)}"}


async def registered(gw, token) -> str:
    code = new_uscc()
    body = {"name": "运河区邻里互助会", "uscc": code, "legal_type": "social_group", "category": "mutual_aid",
            "area_code": AREA}  # fmt: skip
    reply = await gw.post("/organizations", headers=clerk(token, "ca-wang"), json=body)
    assert reply.status_code == 201, reply.text
    return code


async def test_an_edit_read_at_an_older_version_is_refused_and_changes_nothing(gw, token):
    code = await registered(gw, token)
    wang, li = clerk(token, "ca-wang"), clerk(token, "ca-li")
    read_by_wang = (await gw.get(f"/organizations/{code}", headers=wang)).headers["etag"]
    read_by_li = (await gw.get(f"/organizations/{code}", headers=li)).headers["etag"]
    assert read_by_wang == read_by_li

    first = await gw.patch(
        f"/organizations/{code}", headers={**wang, "If-Match": read_by_wang}, json={"full_time_staff": 7}
    )
    assert first.status_code == 200, first.text
    assert first.headers["etag"] != read_by_wang

    late = await gw.patch(f"/organizations/{code}", headers={**li, "If-Match": read_by_li}, json={"full_time_staff": 2})
    assert late.status_code == 412 and late.headers["content-type"].startswith("application/problem+json")
    assert late.json()["errors"][0]["field"] == "If-Match"
    now = await gw.get(f"/organizations/{code}", headers=li)
    assert now.json()["full_time_staff"] == 7 and now.headers["etag"] == first.headers["etag"]

    retried = await gw.patch(
        f"/organizations/{code}", headers={**li, "If-Match": now.headers["etag"]}, json={"full_time_staff": 2}
    )
    assert retried.status_code == 200 and retried.json()["full_time_staff"] == 2


async def test_an_edit_without_if_match_applies_and_a_malformed_one_names_the_header(gw, token):
    code = await registered(gw, token)
    wang = clerk(token, "ca-wang")
    plain = await gw.patch(f"/organizations/{code}", headers=wang, json={"hub": True})
    assert plain.status_code == 200 and plain.json()["hub"] is True
    malformed = await gw.patch(f"/organizations/{code}", headers={**wang, "If-Match": "yesterday"}, json={"hub": False})
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "If-Match"
    assert (await gw.get(f"/organizations/{code}", headers=wang)).json()["hub"] is True
