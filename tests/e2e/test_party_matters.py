"""Major matters through the gateway: a project waiting for the community party organization is
decided at a committee meeting with a quorum and recorded votes (both outcomes), a decision is
final, an overdue matter goes up to the street, and members' identities stay masked and audited.
Also the role × jurisdiction table of the organization, member, unit and matter routes.

This module's communities: 广安街道 (130102003) of 长安区; 桥西区 (130104) is the other county."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from support import party as party_kit
from support.party import citizen_id
from support.waiting import eventually, run_in_thread

from contracts.envelope import new_id, wrap
from contracts.events.projects import ProjectReviewRequested
from contracts.subjects import event_subject

COUNTY, STREET, COMMUNITY = "130102", "130102003", "130102003001"
QIAOXI = "130104"


def bearer(token, role: str, area: str = COMMUNITY, sub: str = "dw-shuji") -> dict:
    return party_kit.bearer(token, role, area, sub)


async def _review(js, community: str, budget_fen: int = 8_000_000) -> ProjectReviewRequested:
    review = ProjectReviewRequested(
        review_id=new_id(),
        project_id=new_id(),
        area_code=community,
        title="老旧小区加装电梯议事协商服务",
        summary="涉及全体住户切身利益",
        budget_fen=budget_fen,
        vital_interests=True,
        reasons=["vital_interests", "budget_threshold"],
        requested_at=datetime.now(UTC),
    )
    envelope = wrap(review, subject=str(review.project_id), area_code=community)
    await js.publish(event_subject(ProjectReviewRequested, community), envelope.model_dump_json().encode())
    return review


async def _matter_of(party, headers, review: ProjectReviewRequested) -> dict:
    async def arrived():
        matters = (await party.get("/matters", headers=headers, params={"status": "pending"})).json()
        return next((m for m in matters if m["source_ref"] == str(review.review_id)), None)

    return await eventually(arrived, "the project's review request as a pending matter")


async def _events(db, event_type: str) -> list[dict]:
    conn = await db("party")
    rows = await conn.fetch("SELECT payload FROM outbox ORDER BY id")
    envelopes = [json.loads(bytes(r["payload"])) for r in rows]
    return [e for e in envelopes if e["type"] == f"cn.wushe.party.{event_type}.v1"]


@pytest.fixture(scope="module")
def community_seats(party_api, token):
    """One committee for the module's main community (built once, through the gateway)."""
    import httpx

    async def build():
        async with httpx.AsyncClient(base_url=party_api, timeout=10) as party:
            return await party_kit.committee(party, token, COMMUNITY)

    return run_in_thread(build())


async def test_project_review_approved_by_quorum_and_majority(party, token, js, db, community_seats):
    _, seats = community_seats
    secretary = bearer(token, "party_secretary")
    review = await _review(js, COMMUNITY)
    matter = await _matter_of(party, secretary, review)
    assert matter["kind"] == "project" and matter["reasons"] == ["vital_interests", "budget_threshold"]
    assert not matter["overdue"]
    deciding = await party.get(f"/matters/{matter['id']}/committee", headers=secretary)
    assert deciding.status_code == 200, deciding.text
    committee = deciding.json()
    assert [s["id"] for s in committee["seats"]] == seats and "*" in committee["seats"][0]["name"]  # masked
    assert (committee["committee_size"], committee["quorum"], committee["majority"]) == (5, 3, 3)
    too_few = await party.post(
        f"/matters/{matter['id']}/decision",
        headers=secretary,
        json={
            "meeting_held_at": datetime.now(UTC).isoformat(),
            "votes": party_kit.votes(seats, "for", "for"),
            "outcome": "approved",
        },
    )
    assert too_few.status_code == 422 and too_few.json()["rule"] == "quorum"
    assert too_few.json()["errors"][0]["field"] == "votes"
    decided = await party.post(
        f"/matters/{matter['id']}/decision",
        headers=secretary,
        json={
            "meeting_held_at": datetime.now(UTC).isoformat(),
            "votes": party_kit.votes(seats, "for", "for", "for", "abstain"),
            "outcome": "approved",
        },
    )
    assert decided.status_code == 200, decided.text
    decision = decided.json()["decision"]
    assert (decision["votes_for"], decision["votes_abstain"], decision["committee_size"]) == (3, 1, 5)
    assert decided.json()["status"] == "decided"
    again = await party.post(
        f"/matters/{matter['id']}/decision",
        headers=secretary,
        json={
            "meeting_held_at": datetime.now(UTC).isoformat(),
            "votes": party_kit.votes(seats, "against", "against", "against"),
            "outcome": "rejected",
            "reasons": "改主意",
        },
    )
    assert again.status_code == 409 and again.json()["rule"] == "final"
    published = [e["data"] for e in await _events(db, "matter_decided") if e["data"]["matter_id"] == matter["id"]]
    assert len(published) == 1 and published[0]["outcome"] == "approved"
    assert published[0]["project_id"] == str(review.project_id) and published[0]["source_ref"] == str(review.review_id)
    conn = await db("party")
    with pytest.raises(Exception, match="final"):
        await conn.execute("UPDATE decisions SET outcome = 'rejected' WHERE matter_id = $1", matter["id"])


async def test_project_review_rejected_with_reasons(party, token, js, db, community_seats):
    _, seats = community_seats
    secretary = bearer(token, "party_secretary")
    matter = await _matter_of(party, secretary, await _review(js, COMMUNITY, budget_fen=20_000_000))
    body = {
        "meeting_held_at": datetime.now(UTC).isoformat(),
        "votes": party_kit.votes(seats, "against", "against", "for", "abstain"),
        "outcome": "rejected",
    }
    no_reasons = await party.post(f"/matters/{matter['id']}/decision", headers=secretary, json=body)
    assert no_reasons.status_code == 422 and no_reasons.json()["errors"][0]["field"] == "reasons"
    wrong = await party.post(
        f"/matters/{matter['id']}/decision", headers=secretary, json=body | {"outcome": "approved"}
    )
    assert wrong.status_code == 422 and wrong.json()["rule"] == "majority"
    stranger = await party.post(
        f"/matters/{matter['id']}/decision",
        headers=secretary,
        json=body | {"votes": [{"seat_id": str(new_id()), "vote": "for"}], "reasons": "x"},
    )
    assert stranger.status_code == 422 and stranger.json()["rule"] == "not_on_committee"
    rejected = await party.post(
        f"/matters/{matter['id']}/decision", headers=secretary, json=body | {"reasons": "未充分征求住户意见，预算偏高"}
    )
    assert rejected.status_code == 200, rejected.text
    published = [e["data"] for e in await _events(db, "matter_decided") if e["data"]["matter_id"] == matter["id"]]
    assert published[0]["outcome"] == "rejected" and "预算偏高" in published[0]["reasons"]


async def test_overdue_matter_goes_to_the_street_and_onto_the_agenda(party, token, db, community_seats):
    worker = bearer(token, "social_worker", sub="sg-1")
    submitted = await party.post(
        "/matters",
        headers=worker,
        json={
            "kind": "foundation_use",
            "area_code": COMMUNITY,
            "title": "动用社区基金修缮活动室",
            "amount_fen": 6_000_000,
        },
    )
    assert submitted.status_code == 201, submitted.text
    matter_id = submitted.json()["id"]
    matter = (await party.get(f"/matters/{matter_id}", headers=worker)).json()
    assert matter["reasons"] == ["budget_threshold"] and matter["status"] == "pending"
    conn = await db("party")
    await conn.execute("UPDATE matters SET due_at = now() - interval '1 minute' WHERE id = $1", matter_id)

    async def escalated():
        m = (await party.get(f"/matters/{matter_id}", headers=worker)).json()
        return m if m["escalated_to"] else None

    m = await eventually(escalated, "the overdue matter's escalation")
    assert m["escalated_to"] == STREET and m["overdue"]
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM agenda_items WHERE kind = 'escalated_matter' AND ref_id = $1", m["id"]
        )
        == 1
    )
    assert [e for e in await _events(db, "matter_escalated") if e["data"]["matter_id"] == matter_id]
    # the street has no party organization registered: the community's committee still decides
    _, seats = community_seats
    decided = await party.post(
        f"/matters/{matter_id}/decision",
        headers=bearer(token, "party_secretary", STREET),
        json={
            "meeting_held_at": datetime.now(UTC).isoformat(),
            "votes": party_kit.votes(seats, "for", "for", "for"),
            "outcome": "approved",
        },
    )
    assert decided.status_code == 200, decided.text


async def test_member_identity_is_masked_and_unmasked_reads_are_audited(party, token, db, community_seats):
    org_id, _ = community_seats
    secretary, worker = bearer(token, "party_secretary"), bearer(token, "social_worker", sub="sg-2")
    cid = citizen_id()
    body = {
        "org_id": org_id,
        "name": "欧阳明华",
        "phone": "13911112222",
        "citizen_id": cid,
        "area_code": COMMUNITY,
        "in_service": True,
        "employer": "河北省某厅",
        "skills": ["法律咨询"],
        "preferred_posts": ["矛盾调解"],
        "account": "dy-ouyang",
    }
    created = await party.post("/party-members", headers=worker, json=body)
    assert created.status_code == 201, created.text
    member_id, ref = created.json()["id"], created.json()["member_ref"]
    again = await party.post("/party-members", headers=worker, json=body | {"account": None})
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "citizen_id"
    no_employer = await party.post(
        "/party-members", headers=worker, json=body | {"employer": "", "citizen_id": citizen_id()}
    )
    assert no_employer.status_code == 422
    masked = (await party.get(f"/party-members/{member_id}", headers=worker)).json()
    assert masked["name"] == "欧***" and masked["phone"].startswith("139") and "1111" not in masked["phone"]
    listed = (await party.get("/party-members", headers=worker, params={"skill": "法律咨询"})).json()
    assert [m["id"] for m in listed] == [member_id]
    forbidden = await party.get(f"/party-members/{member_id}", headers=worker, params={"purpose": "核对身份"})
    assert forbidden.status_code == 403
    plain = (await party.get(f"/party-members/{member_id}", headers=secretary, params={"purpose": "吹哨联系"})).json()
    assert plain["name"] == "欧阳明华" and plain["phone"] == "13911112222"
    audits = [
        e for e in await _events(db, "party_member_data_read") if e["data"]["record"] == f"party_member/{member_id}"
    ]
    assert len(audits) == 1 and audits[0]["data"]["purpose"] == "吹哨联系"
    registered = [e for e in await _events(db, "party_member_registered") if e["data"]["member_ref"] == ref]
    assert registered and "欧阳" not in json.dumps(registered, ensure_ascii=False) and cid not in json.dumps(registered)
    conn = await db("party")
    row = await conn.fetchrow("SELECT * FROM members WHERE id = $1", member_id)
    assert "欧阳明华".encode() not in bytes(row["name_enc"]) and cid not in repr(dict(row))


# --- role × jurisdiction ---------------------------------------------------------------------------------

ROLES = (
    "party_secretary",
    "social_worker",
    "grid_worker",
    "civil_affairs",
    "auditor",
    "volunteer",
    "resident",
    "charity_admin",
)
READERS = {"party_secretary", "social_worker", "grid_worker", "civil_affairs", "auditor"}


async def test_role_and_jurisdiction_of_every_route(party, token, community_seats):
    org_id, seats = community_seats
    secretary = bearer(token, "party_secretary")
    member_id = (await party.get("/party-members", headers=secretary)).json()[0]["id"]
    matter_id = (
        await party.post(
            "/matters",
            headers=secretary,
            json={"kind": "other", "area_code": COMMUNITY, "title": "社区停车管理办法", "vital_interests": True},
        )
    ).json()["id"]

    def writes(role):
        return [
            (
                "POST",
                "/party-organizations",
                {"name": "第二党支部", "kind": "branch", "area_code": COMMUNITY},
                {"party_secretary", "civil_affairs"},
            ),
            (
                "POST",
                "/responsible-units",
                {"area_code": COMMUNITY, "name": f"物业{role}{citizen_id()[-6:]}"},
                {"party_secretary", "social_worker", "grid_worker"},
            ),
            (
                "POST",
                "/matters",
                {"kind": "other", "area_code": COMMUNITY, "title": "议题"},
                {"party_secretary", "social_worker"},
            ),
            (
                "POST",
                f"/party-organizations/{org_id}/committee",
                {"member_id": member_id, "position": "member", "since": "2026-02-01"},
                {"party_secretary"},
            ),
        ]

    reads = [
        ("GET", "/party-organizations", None, READERS),
        ("GET", f"/party-organizations/{org_id}", None, READERS),
        ("GET", "/party-members", None, READERS),
        ("GET", f"/party-members/{member_id}", None, READERS),
        ("GET", "/responsible-units", None, READERS),
        ("GET", "/matters", None, READERS),
        ("GET", f"/matters/{matter_id}", None, READERS),
        ("GET", f"/matters/{matter_id}/committee", None, READERS),
    ]
    failures = []
    for role in ROLES:
        for method, path, body, allowed in reads + writes(role):
            reply = await party.request(method, path, json=body, headers=bearer(token, role, COUNTY, f"authz-{role}"))
            ok = reply.status_code < 300 or (path.endswith("/committee") and reply.status_code == 409)
            expected = "ok" if role in allowed else 403
            got = "ok" if ok else reply.status_code
            if got != expected:
                failures.append((role, method, path, expected, reply.status_code, reply.text[:120]))
    # 桥西区's party secretary: 404 for 长安区 objects, 403 naming area_code for 长安区 writes
    outsider = bearer(token, "party_secretary", QIAOXI, "qx-shuji")
    for path in (
        f"/party-organizations/{org_id}",
        f"/party-members/{member_id}",
        f"/matters/{matter_id}",
        f"/matters/{matter_id}/committee",
    ):
        if (reply := await party.get(path, headers=outsider)).status_code != 404:
            failures.append(("outsider", "GET", path, 404, reply.status_code, reply.text[:120]))
    decision = {
        "meeting_held_at": datetime.now(UTC).isoformat(),
        "votes": party_kit.votes(seats, "for", "for", "for"),
        "outcome": "approved",
    }
    if (
        reply := await party.post(f"/matters/{matter_id}/decision", headers=outsider, json=decision)
    ).status_code != 404:
        failures.append(("outsider", "POST", "decision", 404, reply.status_code, reply.text[:120]))
    wrote = await party.post(
        "/matters", headers=outsider, json={"kind": "other", "area_code": COMMUNITY, "title": "议题"}
    )
    if wrote.status_code != 403 or wrote.json()["errors"][0]["field"] != "area_code":
        failures.append(("outsider", "POST", "/matters", 403, wrote.status_code, wrote.text[:120]))
    # only a party secretary records a decision (checked last: it is final)
    for role in ROLES[1:]:
        reply = await party.post(f"/matters/{matter_id}/decision", headers=bearer(token, role, COUNTY), json=decision)
        if reply.status_code != 403:
            failures.append((role, "POST", "decision", 403, reply.status_code, reply.text[:120]))
    assert (
        await party.post(
            f"/matters/{matter_id}/decision", headers=bearer(token, "party_secretary", COUNTY), json=decision
        )
    ).status_code == 200
    assert (await party.get("/matters", headers={})).status_code == 401
    assert not failures, "\n".join(map(str, failures))


async def test_a_seat_ends_and_the_committee_shrinks(party, token):
    community = "130102003002"
    org_id, seats = await party_kit.committee(party, token, community, size=3)
    secretary = bearer(token, "party_secretary", community)
    assert (
        await party.delete(f"/party-organizations/{org_id}/committee/{seats[2]}", headers=secretary)
    ).status_code == 204
    again = await party.delete(f"/party-organizations/{org_id}/committee/{seats[2]}", headers=secretary)
    assert again.status_code == 404
    committee = (await party.get(f"/party-organizations/{org_id}", headers=secretary)).json()["committee"]
    assert sorted(s["id"] for s in committee) == sorted(seats[:2])


async def test_a_matter_where_no_party_organization_is_registered_says_so(party, token):
    elsewhere = "130102003009"  # a community of the module's street with no party organization
    worker = bearer(token, "social_worker", elsewhere, "sw-no-org")
    matter = await party.post(
        "/matters", headers=worker, json={"kind": "other", "area_code": elsewhere, "title": "社区议事规则修订"}
    )
    assert matter.status_code == 201, matter.text
    committee = await party.get(f"/matters/{matter.json()['id']}/committee", headers=worker)
    assert committee.status_code == 200, committee.text
    body = committee.json()
    assert body["org_id"] is None and body["seats"] == [] and "未登记社区党组织" in body["note"]
