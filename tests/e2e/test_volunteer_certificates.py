"""Service record certificates (志愿服务记录证明): a volunteer serves twice, one log is verified and
one is not; the certificate certifies the verified minutes only, prints as an A4 page with a masked
ID, and anyone can check its code without logging in. Citizen IDs here start 1301021965… so they
never clash with other modules sharing the session database, and the volunteers live in 裕华区
(130108), a county no other module's volunteers or tasks use, so they are nobody else's candidates."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

import httpx
import pytest

from contracts.values import citizen_id_check_char, mask_citizen_id
from services.volunteers.certificates.domain import ALPHABET, CODE_LENGTH, digest, new_code, normalize_code, summarize
from services.volunteers.domain import LOCAL

COMMUNITY = "130108001001"
COUNTY = "130108"


def cid(first17: str) -> str:
    return first17 + citizen_id_check_char(first17)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _first_of_month(day: date, months_back: int) -> date:
    for _ in range(months_back):
        day = day.replace(day=1) - timedelta(days=1)
    return day.replace(day=1)


TODAY = datetime.now(LOCAL).date()
FIRST, SECOND = _first_of_month(TODAY, 2), _first_of_month(TODAY, 1)  # two past months


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), LOCAL)


@pytest.fixture
def worker(token):
    return bearer(token("social_worker", COUNTY, "sw-cert"))


async def served(client, worker, token, first17: str, name: str = "赵志愿") -> dict:
    """A registered volunteer with two logs: 90 minutes verified (FIRST), 60 minutes not (SECOND)."""
    citizen_id = cid(first17)
    reply = await client.post(
        "/volunteers",
        headers=worker,
        json={
            "name": name,
            "citizen_id": citizen_id,
            "phone": "13800138" + first17[-3:],
            "area_code": COMMUNITY,
            "skills": ["陪伴"],
            "availability": [{"weekday": 0, "start": "08:00", "end": "12:00"}],
        },
    )
    assert reply.status_code == 201, reply.text
    volunteer_id, ref = reply.json()["id"], reply.json()["volunteer_ref"]
    task = (await client.post("/tasks", headers=worker, json={"area_code": COMMUNITY, "title": "社区助老"})).json()[
        "id"
    ]
    assert (
        await client.post(f"/tasks/{task}/invitations", headers=worker, json={"volunteer_ids": [volunteer_id]})
    ).status_code == 201
    me = bearer(token("volunteer", COMMUNITY, ref))
    accepted = await client.post(
        f"/tasks/{task}/invitations/{volunteer_id}/response", headers=me, json={"accept": True}
    )
    assert accepted.json()["status"] == "accepted", accepted.text
    logs = []
    for day, minutes in ((FIRST, 90), (SECOND, 60)):
        base = f"/tasks/{task}/volunteers/{volunteer_id}"
        assert (await client.post(f"{base}/check-in", headers=me, json={"at": _at(day).isoformat()})).status_code == 201
        out = await client.post(
            f"{base}/check-out", headers=me, json={"at": (_at(day) + timedelta(minutes=minutes)).isoformat()}
        )
        assert out.status_code == 200, out.text
        logs.append(out.json()["log_id"])
    verified = await client.post(f"/hours/{logs[0]}/verification", headers=worker, json={"approve": True})
    assert verified.json()["status"] == "verified", verified.text
    return {
        "id": volunteer_id,
        "ref": ref,
        "citizen_id": citizen_id,
        "me": me,
        "phone": "13800138" + first17[-3:],
        "logs": logs,
    }


async def issue(client, headers, volunteer_id, start: date = FIRST, end: date = TODAY):
    return await client.post(
        "/certificates",
        headers=headers,
        json={"volunteer_id": volunteer_id, "period_start": start.isoformat(), "period_end": end.isoformat()},
    )


# --- end to end -------------------------------------------------------------------------------


async def test_certificate_certifies_verified_hours_only(client, worker, token):
    v = await served(client, worker, token, "13010219650101001")
    created = await issue(client, worker, v["id"])
    assert created.status_code == 201, created.text
    cert = created.json()
    assert set(cert) == {"id", "code"} and normalize_code(cert["code"]) == cert["code"]

    view = (await client.get(f"/certificates/{cert['id']}", headers=worker)).json()
    assert view["certified_minutes"] == 90 and view["certified_hours"] == "1.50"
    assert view["unverified_minutes"] == 60 and view["unverified_hours"] == "1.00"
    assert [(m["month"], m["verified_minutes"], m["unverified_minutes"]) for m in view["by_month"]] == [
        (FIRST.strftime("%Y-%m"), 90, 0),
        (SECOND.strftime("%Y-%m"), 0, 60),
    ]
    assert [
        (o["organization"], o["area_code"], o["verified_minutes"], o["unverified_minutes"])
        for o in view["by_organization"]
    ] == [("sw-cert", COMMUNITY, 90, 60)]
    assert view["volunteer_name"] == "赵志愿" and view["citizen_id"] == mask_citizen_id(v["citizen_id"])
    assert view["code"] == cert["code"] and view["verify_path"] == f"/verify/{cert['code']}"
    assert view["digest_matches"] and view["period_start"] == FIRST.isoformat() and view["issued_by"] == "sw-cert"

    own = (await client.get(f"/certificates/{cert['id']}", headers=v["me"])).json()
    assert own["volunteer_name"] == "赵志愿" and not own["name_masked"]
    auditor = (await client.get(f"/certificates/{cert['id']}", headers=bearer(token("civil_affairs", COUNTY)))).json()
    assert auditor["volunteer_name"] == "赵*" and auditor["name_masked"]

    # verifying the other log later leaves the issued certificate as it was; a new one counts it
    assert (await client.post(f"/hours/{v['logs'][1]}/verification", headers=worker, json={"approve": True})).json()[
        "status"
    ] == "verified"
    assert (await client.get(f"/certificates/{cert['id']}", headers=worker)).json()["certified_minutes"] == 90
    again = (await issue(client, worker, v["id"])).json()
    assert again["code"] != cert["code"]
    assert (await client.get(f"/certificates/{again['id']}", headers=worker)).json()["certified_minutes"] == 150


async def test_printable_page(client, worker, token):
    v = await served(client, worker, token, "13010219650101002")
    cert = (await issue(client, worker, v["id"])).json()
    page = await client.get(f"/certificates/{cert['id']}/print", headers=worker)
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    text = page.text
    for expected in (
        "志愿服务记录证明",
        mask_citizen_id(v["citizen_id"]),
        cert["code"],
        f"/verify/{cert['code']}",
        "@media print",
        "size: A4",
        "1.50 小时",
    ):
        assert expected in text, expected
    assert v["citizen_id"] not in text and v["phone"] not in text
    assert (await client.get(f"/certificates/{cert['id']}/print")).status_code == 401


async def test_public_verification(client, worker, token, stack):
    v = await served(client, worker, token, "13010219650101003", name="钱多多")
    cert = (await issue(client, v["me"], v["id"])).json()  # the volunteer asks for it themself
    async with httpx.AsyncClient(base_url=stack.url("volunteers"), timeout=10) as public:
        reply = await public.get(f"/certificates/verify/{cert['code']}")  # no token
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["valid"] and body["digest_matches"]
        assert body["volunteer_name"] == "钱*" and body["citizen_id"] == mask_citizen_id(v["citizen_id"])
        assert body["certified_minutes"] == 90 and body["certified_hours"] == "1.50"
        assert body["period_start"] == FIRST.isoformat() and body["period_end"] == TODAY.isoformat()
        assert v["citizen_id"] not in reply.text and v["phone"] not in reply.text and "多多" not in reply.text
        typed = cert["code"].lower()[:4] + "-" + cert["code"].lower()[4:]  # as someone types it from paper
        assert (await public.get(f"/certificates/verify/{typed}")).json()["valid"]
        assert (await public.get(f"/certificates/verify/{new_code()}")).status_code == 404
        assert (await public.get("/certificates/verify/not-a-code")).status_code == 404


async def test_public_verification_through_gateway(client, worker, token):
    v = await served(client, worker, token, "13010219650101004")
    cert = (await issue(client, worker, v["id"])).json()
    reply = await client.get(f"/public/certificates/{cert['code']}")  # no token
    assert reply.status_code == 200 and reply.json()["valid"], reply.text
    assert (await client.get(f"/public/certificates/{new_code()}")).status_code == 404


async def test_outside_jurisdiction_or_another_volunteer_sees_nothing(client, worker, token):
    v = await served(client, worker, token, "13010219650101005")
    cert = (await issue(client, worker, v["id"])).json()
    elsewhere = bearer(token("social_worker", "130104", "sw-elsewhere"))
    assert (await client.get(f"/certificates/{cert['id']}", headers=elsewhere)).status_code == 404
    assert (await client.get(f"/certificates/{cert['id']}/print", headers=elsewhere)).status_code == 404
    assert (await issue(client, elsewhere, v["id"])).status_code == 404
    stranger = bearer(token("volunteer", COMMUNITY, "someone-else"))
    assert (await client.get(f"/certificates/{cert['id']}", headers=stranger)).status_code == 404
    assert (await issue(client, stranger, v["id"])).status_code == 404
    resident = bearer(token("resident", COUNTY, "r-1"))
    assert (await client.get(f"/certificates/{cert['id']}", headers=resident)).status_code == 403
    assert (await client.get(f"/certificates/{uuid4()}", headers=worker)).status_code == 404


async def test_issue_rules(client, worker, token):
    v = await served(client, worker, token, "13010219650101006")
    backwards = await issue(client, worker, v["id"], start=TODAY, end=FIRST)
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "period_end"
    future = await issue(client, worker, v["id"], end=TODAY + timedelta(days=1))
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "period_end"
    only_unverified = await issue(client, worker, v["id"], start=SECOND)  # the 60 unverified minutes only
    assert only_unverified.status_code == 409, only_unverified.text
    assert (await issue(client, worker, str(uuid4()))).status_code == 404


async def test_edited_snapshot_fails_verification(client, worker, token, stack, db):
    v = await served(client, worker, token, "13010219650101007")
    cert = (await issue(client, worker, v["id"])).json()
    conn = await db("volunteers")
    await conn.execute(
        """UPDATE certificates SET snapshot = jsonb_set(snapshot, '{certified_minutes}', '6000')
                          WHERE code = $1""",
        cert["code"],
    )
    async with httpx.AsyncClient(base_url=stack.url("volunteers"), timeout=10) as public:
        body = (await public.get(f"/certificates/verify/{cert['code']}")).json()
    assert not body["valid"] and not body["digest_matches"]
    page = (await client.get(f"/certificates/{cert['id']}/print", headers=worker)).text
    assert "记录摘要不符" in page


# --- pure rules -------------------------------------------------------------------------------


def test_codes_use_the_unambiguous_alphabet_and_do_not_repeat():
    codes = [new_code() for _ in range(20_000)]
    assert all(len(c) == CODE_LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert not set("".join(codes)) & set("01ILO")
    assert len(set(codes)) == len(codes)
    assert set("".join(codes)) == set(ALPHABET)  # every character is drawn
    assert normalize_code(codes[0].lower()) == codes[0] and normalize_code("0" * CODE_LENGTH) is None


def _snapshot() -> dict:
    at = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
    logs = [
        {
            "id": uuid4(),
            "check_in": at,
            "minutes": 90,
            "status": "verified",
            "organization": "sw-a",
            "area_code": COMMUNITY,
        },
        {
            "id": uuid4(),
            "check_in": at + timedelta(days=31),
            "minutes": 60,
            "status": "logged",
            "organization": "sw-b",
            "area_code": COMMUNITY,
        },
    ]
    return {"version": 1, "code": new_code(), "volunteer_id": str(uuid4()), **summarize(logs)}


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    else:
        yield path


def _changed(snapshot: dict, path: tuple) -> dict:
    changed = copy.deepcopy(snapshot)
    target = changed
    for key in path[:-1]:
        target = target[key]
    old = target[path[-1]]
    target[path[-1]] = old + 1 if isinstance(old, int) else f"{old}x"
    return changed


def test_digest_changes_with_any_change_of_the_snapshot():
    snapshot = _snapshot()
    original = digest(snapshot)
    assert len(original) == 64 and digest(dict(reversed(list(snapshot.items())))) == original  # key order is irrelevant
    paths = list(_leaves(snapshot))
    assert len(paths) > 10
    for path in paths:
        assert digest(_changed(snapshot, path)) != original, path
    assert digest({**snapshot, "extra": 0}) != original


def test_summary_certifies_verified_minutes_only():
    summary = _snapshot()
    assert summary["certified_minutes"] == 90 and summary["unverified_minutes"] == 60
    assert [m["month"] for m in summary["by_month"]] == ["2026-10", "2026-11"]
    by_org = [(o["organization"], o["verified_minutes"], o["unverified_minutes"]) for o in summary["by_organization"]]
    assert by_org == [("sw-a", 90, 0), ("sw-b", 0, 60)]
