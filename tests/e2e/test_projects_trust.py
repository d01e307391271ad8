"""Trust in the project saga (issue 12), through the gateway against real services:

- maker–checker: the person who accepted a milestone (the maker) never approves its payment;
- funding from a fund that does not exist, or does not pay in the project's area, is refused up
  front by the projects service (it learns funds from FundOpened) and, when a request still names
  one, by the charity service's FundingRejected (unknown_fund) — nothing goes to the dead letters;
- a need served by a project that the party committee reviewed and charity funded and paid shows
  those steps on its timeline, and the linkage index counts charity and party for it;
- an evaluation shows which needs' residents have not given feedback yet, and keeps a record of
  what it was made without;
- a milestone's payment rejected by the checker shows on the milestone with the reason, and
  accepting the milestone again asks anew (issue 15).

This module's communities: 建安街道 003–007 (130102014003…7) of 长安区; 桥西区 (130104) is elsewhere."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from support import projects as projects_kit
from support.party import bearer, committee, decision
from support.waiting import eventually, run_in_thread

from contracts.values import citizen_id_check_char, uscc_check_char

COUNTY, QIAOXI = "130102", "130104"
PAYMENTS, LINKAGE, FUNDS, EVALUATION = "130102014003", "130102014004", "130102014005", "130102014006"
REJECTION = "130102014007"
BUDGET = 2_000_000  # below the party gate's threshold: only vital projects go to the committee

_serial = itertools.count(1)


def uscc(serial: int) -> str:
    body = f"5213010{serial:010d}"
    return body + uscc_check_char(body)


ORG = uscc(7101)


def resident_id() -> str:
    n = next(_serial)
    body = f"{COUNTY}1941{1 + n // 28 % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + citizen_id_check_char(body)


def worker(token, area: str = COUNTY) -> dict:
    return bearer(token, "social_worker", area, "sw-trust")


def office(token, sub: str = "mz-trust") -> dict:
    return bearer(token, "civil_affairs", COUNTY, sub)


@pytest.fixture(scope="module")
def world(projects_api, token):
    """An organization, a county fund with money, a fund of 桥西区, and the party committee of the
    community whose need goes to the committee."""

    async def build():
        async with httpx.AsyncClient(base_url=projects_api, timeout=10) as c:
            reply = await c.post(
                "/organizations",
                headers=office(token),
                json={
                    "name": "长安区建安社会工作服务中心",
                    "uscc": ORG,
                    "legal_type": "social_service_agency",
                    "category": "life_service",
                    "area_code": COUNTY,
                    "hub": False,
                    "social_work_agency": True,
                    "charity_certified": False,
                    "full_time_staff": 8,
                    "admin_accounts": ["org-trust"],
                },
            )
            assert reply.status_code == 201, reply.text
            fund = await c.post(
                "/funds",
                headers=office(token),
                json={"name": "长安区政府购买服务资金（建安）", "kind": "government_purchase", "area_code": COUNTY},
            )
            assert fund.status_code == 201, fund.text
            money = await c.post(
                "/donations",
                headers=bearer(token, "charity_admin", COUNTY, "cz-trust"),
                json={"fund_id": fund.json()["id"], "amount_fen": 50_000_000, "donor": {"kind": "anonymous"}},
            )
            assert money.status_code == 201, money.text
            far = await c.post(
                "/funds",
                headers=bearer(token, "civil_affairs", QIAOXI, "mz-qiaoxi"),
                json={"name": "桥西区社区基金", "kind": "community_foundation", "area_code": QIAOXI},
            )
            assert far.status_code == 201, far.text
            _, seats = await committee(c, token, LINKAGE, prefix="13010219")
            return {"fund": fund.json()["id"], "far_fund": far.json()["id"], "seats": seats}

    return run_in_thread(build())


def project_body(
    fund_id: str, community: str, *, need_ids=(), vital: bool = False, title: str = "建安社区助老服务"
) -> dict:
    return projects_kit.project_body(fund_id, community, BUDGET, need_ids=need_ids, vital=vital, title=title, months=6)


async def status_becomes(c, token, project_id: str, status: str) -> dict:
    return await projects_kit.status_becomes(c, worker(token), project_id, status)


async def raise_need(c, token, community: str) -> str:
    here = worker(token, community)
    need = await c.post(
        "/needs",
        headers=here,
        json={
            "area_code": community,
            "category": "daily_care",
            "description": "独居老人需要助餐和定期探访",
            "resident": {"name": "冯奶奶", "phone": "13700137401", "citizen_id": resident_id()},
        },
    )
    assert need.status_code == 201, need.text
    need_id = need.json()["id"]
    assessed = await c.post(
        f"/needs/{need_id}/assessment",
        headers=here,
        json={"category": "daily_care", "urgency": "major", "service_plan": "纳入社区助老服务项目", "route": "project"},
    )
    assert assessed.status_code == 200, assessed.text
    return need_id


async def resident_judges(c, token, community: str, need_id: str) -> None:
    here = worker(token, community)
    resolved = await c.post(f"/needs/{need_id}/resolution", headers=here, json={"on_behalf_of_resident": True})
    assert resolved.status_code == 200, resolved.text
    judged = await c.post(f"/needs/{need_id}/feedback", headers=here, json={"satisfaction": 5, "comment": "很满意"})
    assert judged.status_code == 200, judged.text


async def procure(c, token, project_id: str) -> dict:
    """Publish a funded project for a few seconds, take the organization's bid, score and award it."""
    org = bearer(token, "org_admin", COUNTY, "org-trust")
    deadline = datetime.now(UTC) + timedelta(seconds=3)
    published = await c.post(
        f"/projects/{project_id}/publication", headers=worker(token), json={"bid_deadline": deadline.isoformat()}
    )
    assert published.status_code == 200, published.text
    today = date.today()
    bid = await c.post(
        f"/projects/{project_id}/bids",
        headers=org,
        json={
            "organization_uscc": ORG,
            "price_fen": BUDGET,
            "plan": "组建助老服务队，开展助餐与探访",
            "team": [{"role": "项目主管", "qualification": "中级社会工作师"}],
            "milestones": [
                {"title": "服务启动", "due_on": (today + timedelta(days=30)).isoformat(), "amount_fen": BUDGET // 2},
                {"title": "服务结项", "due_on": (today + timedelta(days=150)).isoformat(), "amount_fen": BUDGET // 2},
            ],
        },
    )
    assert bid.status_code == 201, bid.text
    # the bid deadline must pass in real time (the service reads its own clock)
    await asyncio.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.2)
    scored = await c.post(
        f"/bids/{bid.json()['id']}/scores",
        headers=worker(token),
        json={"scores": {"plan": 90, "price": 85, "team": 85}},
    )
    assert scored.status_code == 200, scored.text
    awarded = await c.post(f"/projects/{project_id}/award", headers=office(token))
    assert awarded.status_code == 200, awarded.text
    return awarded.json()


async def deliver(c, token, project_id: str, milestone_id: str, accepted_by: dict) -> dict:
    org = bearer(token, "org_admin", COUNTY, "org-trust")
    reported = await c.post(
        f"/projects/{project_id}/milestones/{milestone_id}/report",
        headers=org,
        json={"summary": "按计划完成服务", "evidence": [{"kind": "report", "description": "阶段报告"}]},
    )
    assert reported.status_code == 200, reported.text
    accepted = await c.post(f"/projects/{project_id}/milestones/{milestone_id}/acceptance", headers=accepted_by)
    assert accepted.status_code == 200, accepted.text
    return accepted.json()


async def payment_asked(c, token, title: str) -> dict:
    checker = bearer(token, "charity_admin", COUNTY, "cz-trust-checker")

    async def waiting():
        asked = (await c.get("/disbursements", headers=checker, params={"status": "requested"})).json()
        return next((d for d in asked if d["milestone"].startswith(title)), None)

    return await eventually(waiting, "the milestone's disbursement request at the charity service")


async def funded_project(c, token, world, community: str, *, need_ids=(), title: str) -> str:
    created = await c.post(
        "/projects", headers=worker(token), json=project_body(world["fund"], community, need_ids=need_ids, title=title)
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert (await c.post(f"/projects/{pid}/submission", headers=worker(token))).json()["status"] == "funding_pending"
    await status_becomes(c, token, pid, "funded")
    return pid


# --- maker–checker -------------------------------------------------------------------------------------


async def test_the_person_who_accepted_a_milestone_cannot_approve_its_payment(projects, token, world):
    title = "建安助老（复核）"
    pid = await funded_project(projects, token, world, PAYMENTS, title=title)
    first, _ = (await procure(projects, token, pid))["milestones"]
    acceptor = office(token, "mz-trust-acceptor")  # civil affairs may accept a milestone and approve a payment
    await deliver(projects, token, pid, first["id"], accepted_by=acceptor)
    asked = await payment_asked(projects, token, title)
    assert (asked["requested_by"], asked["requested_via"]) == ("mz-trust-acceptor", "projects")

    same_person = await projects.post(f"/disbursements/{asked['id']}/approval", headers=acceptor)
    assert same_person.status_code == 403 and same_person.json()["rule"] == "maker_checker", same_person.text
    still = (await projects.get("/disbursements", headers=office(token), params={"status": "requested"})).json()
    assert asked["id"] in [d["id"] for d in still]  # nothing was paid
    other = await projects.post(f"/disbursements/{asked['id']}/approval", headers=office(token, "mz-trust-checker"))
    assert other.status_code == 200, other.text
    paid = (await projects.get("/disbursements", headers=office(token), params={"status": "disbursed"})).json()
    assert [d["amount"] for d in paid if d["id"] == asked["id"]] == [BUDGET // 2]


async def test_a_rejected_milestone_payment_shows_on_the_milestone_and_is_asked_again(projects, token, world):
    title = "建安助老（驳回）"
    pid = await funded_project(projects, token, world, REJECTION, title=title)
    first, _ = (await procure(projects, token, pid))["milestones"]
    await deliver(projects, token, pid, first["id"], accepted_by=worker(token))
    asked = await payment_asked(projects, token, title)
    # what the checker decides on: the project by its title (for a link), the milestone, the fund, the maker by label
    assert (asked["target_kind"], asked["project_id"], asked["project_title"], asked["milestone_id"]) == (
        "project",
        pid,
        title,
        first["id"],
    )
    assert asked["fund_name"] == "长安区政府购买服务资金（建安）" and asked["amount_fen"] == BUDGET // 2
    assert asked["requested_by_label"] == "项目里程碑验收人 / the milestone's acceptor"
    checker = bearer(token, "charity_admin", COUNTY, "cz-trust-checker")
    why = "验收材料缺少服务对象签字，请补充后重新验收"
    rejected = await projects.post(f"/disbursements/{asked['id']}/rejection", headers=checker, json={"reason": why})
    assert rejected.status_code == 200, rejected.text

    async def shown_on_the_milestone():
        project = (await projects.get(f"/projects/{pid}", headers=worker(token))).json()
        milestone = next(m for m in project["milestones"] if m["id"] == first["id"])
        return milestone if milestone["payment_rejection_reason"] else None

    milestone = await eventually(shown_on_the_milestone, "the rejection on the project's milestone")
    assert milestone["payment_rejection_reason"] == why and milestone["payment_rejected_at"]
    assert milestone["status"] == "accepted"  # the work stays accepted; only its payment was refused

    again = await projects.post(f"/projects/{pid}/milestones/{first['id']}/acceptance", headers=worker(token))
    assert again.status_code == 200, again.text  # asks anew, from the share of the commitment the rejection freed
    twice = await projects.post(f"/projects/{pid}/milestones/{first['id']}/acceptance", headers=worker(token))
    assert twice.status_code == 409, twice.text  # one request at a time

    async def asked_anew():
        waiting = (await projects.get("/disbursements", headers=checker, params={"status": "requested"})).json()
        return next((d for d in waiting if d["milestone_id"] == first["id"] and d["id"] != asked["id"]), None)

    anew = await eventually(asked_anew, "the milestone's new payment request at the charity service")
    cleared = (await projects.get(f"/projects/{pid}", headers=worker(token))).json()
    assert [m["payment_rejection_reason"] for m in cleared["milestones"] if m["id"] == first["id"]] == [None]
    paid = await projects.post(f"/disbursements/{anew['id']}/approval", headers=checker)
    assert paid.status_code == 200, paid.text
    decided = (await projects.get("/disbursements", headers=checker, params={"area": REJECTION})).json()
    assert {d["id"]: d["status"] for d in decided if d["milestone_id"] == first["id"]} == {
        asked["id"]: "rejected",
        anew["id"]: "disbursed",
    }


# --- funds the projects service does not know ---------------------------------------------------------------


async def dead_letters_of(js, consumer: str, since: int) -> list:
    last = (await js.stream_info("DLQ")).state.last_seq
    letters = [await js.get_msg("DLQ", seq) for seq in range(since + 1, last + 1)]
    return [m for m in letters if m.headers and m.headers.get("Wushe-Dlq-Consumer") == consumer]


async def test_a_fund_that_does_not_exist_is_refused_up_front_and_by_event(projects, token, world, db, js):
    nowhere = str(uuid.uuid4())
    unknown = await projects.post("/projects", headers=worker(token), json=project_body(nowhere, FUNDS))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "funding.0.fund_id", unknown.text
    far = await projects.post("/projects", headers=worker(token), json=project_body(world["far_fund"], FUNDS))
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "funding.0.fund_id", far.text
    assert "area" in far.json()["errors"][0]["message"]  # known, but it pays in 桥西区
    split = project_body(world["fund"], FUNDS) | {
        "funding": [
            {"source": "government_purchase", "fund_id": world["fund"], "amount_fen": BUDGET // 2},
            {"source": "lottery", "fund_id": nowhere, "amount_fen": BUDGET // 2},
        ]
    }
    second = await projects.post("/projects", headers=worker(token), json=split)
    assert second.status_code == 422 and second.json()["errors"][0]["field"] == "funding.1.fund_id", second.text

    # a request that still names a fund charity does not have (here: changed behind the API's back)
    # is answered with FundingRejected (unknown_fund), and the project can be funded again
    created = await projects.post("/projects", headers=worker(token), json=project_body(world["fund"], FUNDS))
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    conn = await db("projects")
    await conn.execute("UPDATE funding SET fund_id = $2 WHERE project_id = $1", uuid.UUID(pid), uuid.UUID(nowhere))
    dlq_before = (await js.stream_info("DLQ")).state.last_seq
    await projects.post(f"/projects/{pid}/submission", headers=worker(token))
    refused = await status_becomes(projects, token, pid, "funding_rejected")
    [line] = refused["funding"]
    assert (line["status"], line["rule"], line["fund_id"]) == ("rejected", "unknown_fund", nowhere)
    decided = (await projects.get(f"/commitments/by-request/{line['request_id']}", headers=office(token))).json()
    assert (decided["status"], decided["rule"], decided["fund_id"]) == ("rejected", "unknown_fund", nowhere)
    assert await dead_letters_of(js, "charity-funding-requested", dlq_before) == []

    for fund_id, why in ((nowhere, "unknown"), (world["far_fund"], "elsewhere")):
        again = await projects.post(
            f"/projects/{pid}/funding",
            headers=worker(token),
            json={"funding": [{"source": "government_purchase", "fund_id": fund_id, "amount_fen": BUDGET}]},
        )
        assert again.status_code == 422 and again.json()["errors"][0]["field"] == "funding.0.fund_id", (why, again.text)
    replaced = await projects.post(
        f"/projects/{pid}/funding",
        headers=worker(token),
        json={"funding": [{"source": "government_purchase", "fund_id": world["fund"], "amount_fen": BUDGET}]},
    )
    assert replaced.status_code == 200, replaced.text
    await status_becomes(projects, token, pid, "funded")


# --- the need's 360 view and the linkage index ------------------------------------------------------------


async def test_a_need_served_by_a_reviewed_funded_and_paid_project_counts_for_charity_and_party(projects, token, world):
    need_id = await raise_need(projects, token, LINKAGE)
    title = "建安助老（联动）"
    created = await projects.post(
        "/projects",
        headers=worker(token),
        json=project_body(world["fund"], LINKAGE, need_ids=[need_id], vital=True, title=title),
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert (await projects.post(f"/projects/{pid}/submission", headers=worker(token))).json()[
        "status"
    ] == "review_pending"
    secretary = bearer(token, "party_secretary", LINKAGE)

    async def matter():
        pending = (await projects.get("/matters", headers=secretary, params={"status": "pending"})).json()
        return next((m for m in pending if m["project_id"] == pid), None)

    m = await eventually(matter, "the project's review as a party matter")
    decided = await projects.post(
        f"/matters/{m['id']}/decision",
        headers=secretary,
        json=decision(world["seats"], "approved", "for", "for", "for", "for"),
    )
    assert decided.status_code == 200, decided.text
    await status_becomes(projects, token, pid, "funded")
    first, _ = (await procure(projects, token, pid))["milestones"]
    await deliver(projects, token, pid, first["id"], accepted_by=worker(token))
    asked = await payment_asked(projects, token, title)
    paid = await projects.post(
        f"/disbursements/{asked['id']}/approval", headers=bearer(token, "charity_admin", COUNTY, "cz-trust-checker")
    )
    assert paid.status_code == 200, paid.text

    async def on_timeline():
        entries = (await projects.get(f"/needs/{need_id}/timeline", headers=worker(token, LINKAGE))).json()
        kinds = {(e["actor"], e["kind"]) for e in entries}
        wanted = {("party", "matter_decided"), ("charity", "funds_committed"), ("charity", "funds_disbursed")}
        return kinds if wanted <= kinds else None

    await eventually(on_timeline, "the party's decision and charity's commitment and payment on the need's timeline")
    view = (await projects.get(f"/views/needs/{need_id}", headers=worker(token, LINKAGE))).json()
    [served] = view["projects"]["data"]  # need 360 shows the project whole, as GET /projects/{id} does
    assert served["id"] == pid and sum(f["amount_fen"] for f in served["funding"]) == BUDGET
    assert served["milestones"][0]["status"] in ("accepted", "paid") and served["bids"]
    assert {(e["actor"], e["kind"]) for e in view["timeline"]} >= {
        ("party", "matter_decided"),
        ("charity", "funds_disbursed"),
    }
    await resident_judges(projects, token, LINKAGE, need_id)
    linkage = (await projects.get("/needs/linkage", headers=worker(token), params={"area": LINKAGE})).json()
    assert linkage["resolved"] == 1, linkage
    assert linkage["shares"]["charity"] == 1.0 and linkage["shares"]["party"] == 1.0, linkage
    assert linkage["shares"]["projects"] == 1.0


# --- evaluation and residents' feedback -------------------------------------------------------------------


async def test_an_evaluation_shows_the_feedback_it_waits_for_and_what_it_was_made_without(projects, token, world):
    need_id = await raise_need(projects, token, EVALUATION)
    pid = await funded_project(projects, token, world, EVALUATION, need_ids=[need_id], title="建安助老（评估）")
    first, second = (await procure(projects, token, pid))["milestones"]
    assert (await projects.get(f"/projects/{pid}", headers=worker(token))).json()["awaiting_feedback"] == [need_id]
    await deliver(projects, token, pid, first["id"], accepted_by=worker(token))
    done = await deliver(projects, token, pid, second["id"], accepted_by=worker(token))
    assert done["project_status"] == "delivered"
    delivered = (await projects.get(f"/projects/{pid}", headers=worker(token))).json()
    assert delivered["awaiting_feedback"] == [need_id]  # what an evaluation would wait for

    evaluated = await projects.post(
        f"/projects/{pid}/evaluation",
        headers=office(token),
        json={
            "indicators_percent": 90,
            "third_party_score": 88,
            "third_party_evaluator": "河北某评估中心",
            "survey": [4, 5],
        },
    )
    assert evaluated.status_code == 200, evaluated.text
    assert evaluated.json()["feedback_count"] == 0 and evaluated.json()["feedback_pending"] == [need_id]

    await resident_judges(projects, token, EVALUATION, need_id)

    async def judged():
        project = (await projects.get(f"/projects/{pid}", headers=worker(token))).json()
        return project if project["awaiting_feedback"] == [] else None

    project = await eventually(judged, "the late feedback reaching the project")
    assert project["evaluation"]["feedback_pending"] == [need_id]  # the record says what it was made without
