"""The audit trail through the gateway (PIPL art. 55, MLPS level 3): every unmasked read of
personal data, in whichever service, reaches an auditor of its area — who, when, which record,
which purpose — filterable, page by page, and as CSV; nobody else reads it."""

from __future__ import annotations

import csv
import io
import itertools
import uuid

from contracts.values import citizen_id_check_char

COUNTY, COMMUNITY, OTHER_COUNTY = "130102", "130102001001", "130104"
RUN = uuid.uuid4().hex[:6]
_serial = itertools.count(1)


def bearer(token, role: str, sub: str, area: str = COUNTY) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


def cid() -> str:
    body = f"13010219850505{next(_serial):03d}"
    return body + citizen_id_check_char(body)


async def read_personal_data(projects, token) -> dict[str, str]:
    """A social worker and a party secretary read three kinds of personal data unmasked, saying why."""
    worker, secretary = bearer(token, "social_worker", f"sw-{RUN}"), bearer(token, "party_secretary", f"ps-{RUN}")
    need = await projects.post(
        "/needs",
        headers=worker,
        json={
            "area_code": COMMUNITY,
            "category": "meal_aid",
            "description": "送餐",
            "resident": {"name": "审计甲", "phone": "13800138000", "citizen_id": cid()},
        },
    )
    volunteer = await projects.post(
        "/volunteers",
        headers=worker,
        json={"name": "审计乙", "citizen_id": cid(), "phone": "13900139000", "area_code": COMMUNITY},
    )
    org = await projects.post(
        "/party-organizations",
        headers=secretary,
        json={"name": "审计社区党委", "kind": "committee", "area_code": COMMUNITY},
    )
    member = await projects.post(
        "/party-members",
        headers=secretary,
        json={
            "org_id": org.json()["id"],
            "name": "审计丙",
            "phone": "13700137000",
            "citizen_id": cid(),
            "area_code": COMMUNITY,
            "in_service": True,
            "employer": "长安区某单位",
            "skills": ["调解"],
        },
    )
    assert need.status_code == volunteer.status_code == member.status_code == 201, (
        need.text,
        volunteer.text,
        member.text,
    )
    ids = {"need": need.json()["id"], "volunteer": volunteer.json()["id"], "member": member.json()["id"]}
    assert all(ids.values()), ids
    for path, who in (
        (f"/needs/{ids['need']}", worker),
        (f"/volunteers/{ids['volunteer']}", worker),
        (f"/party-members/{ids['member']}", secretary),
    ):
        reply = await projects.get(path, headers=who, params={"purpose": "核实服务对象 / verify"})
        assert reply.status_code == 200, reply.text
    return ids


async def test_an_auditor_sees_every_services_unmasked_reads_of_the_area(projects, token):
    ids = await read_personal_data(projects, token)
    auditor = bearer(token, "auditor", f"au-{RUN}")
    page = await projects.get("/audit", headers=auditor, params={"since": "2026-01-01T00:00:00+08:00"})
    assert page.status_code == 200, page.text
    assert page.json()["unavailable"] == []
    mine = {e["record"]: e for e in page.json()["items"] if e["purpose"] == "核实服务对象 / verify"}
    assert {f"need/{ids['need']}", f"volunteer/{ids['volunteer']}"} <= set(mine)
    member = next(e for e in page.json()["items"] if e["actor"] == f"ps-{RUN}")
    assert member["service"] == "party" and member["actor_role_label"] == "党组织书记"
    need = mine[f"need/{ids['need']}"]
    assert (need["actor"], need["actor_role"], need["service"]) == (f"sw-{RUN}", "social_worker", "needs")
    assert need["fields_label"] == "姓名、电话、公民身份号码" and need["area_code"] == COMMUNITY
    assert "审计甲" not in page.text and "13800138000" not in page.text  # the trail holds no personal data

    by_actor = (await projects.get("/audit", headers=auditor, params={"actor": f"sw-{RUN}"})).json()["items"]
    assert {e["record"] for e in by_actor} == {f"need/{ids['need']}", f"volunteer/{ids['volunteer']}"}
    by_record = (
        await projects.get("/audit", headers=auditor, params={"record": f"volunteer/{ids['volunteer']}"})
    ).json()
    assert [e["actor"] for e in by_record["items"]] == [f"sw-{RUN}"]


async def test_the_trail_pages_across_services_in_time_order_without_gaps(projects, token):
    await read_personal_data(projects, token)
    auditor = bearer(token, "auditor", f"au-{RUN}")
    whole = (await projects.get("/audit", headers=auditor, params={"limit": 500})).json()["items"]
    walked, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await projects.get("/audit", headers=auditor, params=params)).json()
        walked += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [e["id"] for e in walked] == [e["id"] for e in whole]
    assert [e["at"] for e in walked] == sorted((e["at"] for e in walked), reverse=True)
    assert len({e["service"] for e in walked}) >= 3


async def test_the_trail_exports_as_csv_in_chinese(projects, token):
    ids = await read_personal_data(projects, token)
    reply = await projects.get(
        "/audit/export.csv", headers=bearer(token, "auditor", f"au-{RUN}"), params={"record": f"need/{ids['need']}"}
    )
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(reply.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["时间（北京时间）", "服务", "操作"]
    assert len(rows) == 2 and rows[1][1] == "社区需求" and rows[1][7] == f"need/{ids['need']}"


async def test_only_auditors_of_the_area_read_the_trail(projects, token):
    ids = await read_personal_data(projects, token)
    elsewhere = bearer(token, "auditor", "au-elsewhere", OTHER_COUNTY)
    other = (await projects.get("/audit", headers=elsewhere)).json()["items"]
    assert all(not e["area_code"].startswith(COUNTY) for e in other)
    assert f"need/{ids['need']}" not in {e["record"] for e in other}
    auditor = bearer(token, "auditor", f"au-{RUN}")
    assert (await projects.get("/audit", headers=elsewhere, params={"area": COUNTY})).status_code == 403
    for role in ("social_worker", "civil_affairs", "partner"):
        assert (await projects.get("/audit", headers=bearer(token, role, "x"))).status_code == 403
    assert (await projects.get("/audit")).status_code == 401
    bad = await projects.get("/audit", headers=auditor, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    naive = await projects.get("/audit", headers=auditor, params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "since"
