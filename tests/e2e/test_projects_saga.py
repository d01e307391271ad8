"""The project saga through the gateway, against real services: a project serving a resident's
need is proposed → the community party organization approves it → the charity service commits
its funding → the call is published → organizations bid (ineligible ones are refused) → scored →
awarded (ProjectProcured) → milestones reported, accepted and paid → evaluated with residents'
satisfaction weighing the most → shown publicly. And its refusals: the party organization rejects,
funding is refused then replaced, a call closes without bids, a review times out.

This module's community: 河东街道 001 (130102007001) of 长安区; 桥西区 (130104) is elsewhere."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from support import projects as projects_kit
from support.party import bearer, citizen_id, committee, decision
from support.waiting import eventually, run_in_thread

from contracts.envelope import new_id
from contracts.values import uscc_check_char

COUNTY, COMMUNITY, QIAOXI = "130102", "130102007001", "130104"
YEAR = datetime.now(UTC).year


def uscc(serial: int) -> str:
    body = f"5213010{serial:010d}"
    return body + uscc_check_char(body)


ORG_A, ORG_B, ORG_BAD, ORG_FAR = uscc(7001), uscc(7002), uscc(7003), uscc(7004)


def headers(token, role: str, sub: str, area: str = COUNTY) -> dict:
    return bearer(token, role, area, sub)


@pytest.fixture(scope="module")
def world(projects_api, token):
    """Organizations, funds with money, and the community's party committee (built once)."""

    async def build():
        async with httpx.AsyncClient(base_url=projects_api, timeout=10) as c:
            office = headers(token, "civil_affairs", "mz-saga")
            for code, name, admin, area in (
                (ORG_A, "长安区乐龄社会工作服务中心", "org-a", COUNTY),
                (ORG_B, "长安区邻里互助协会", "org-b", COUNTY),
                (ORG_BAD, "长安区某服务社", "org-bad", COUNTY),
                (ORG_FAR, "桥西区社工服务中心", "org-far", QIAOXI),
            ):
                reply = await c.post(
                    "/organizations",
                    headers=headers(token, "civil_affairs", "mz", area),
                    json={
                        "name": name,
                        "uscc": code,
                        "legal_type": "social_service_agency",
                        "category": "life_service",
                        "area_code": area,
                        "hub": False,
                        "social_work_agency": True,
                        "charity_certified": False,
                        "full_time_staff": 12,
                        "admin_accounts": [admin],
                    },
                )
                assert reply.status_code == 201, reply.text
            funds = {}
            for kind in ("government_purchase", "social_assistance"):
                fund = await c.post(
                    "/funds", headers=office, json={"name": f"长安区{kind}", "kind": kind, "area_code": COUNTY}
                )
                assert fund.status_code == 201, fund.text
                funds[kind] = fund.json()["id"]
            money = await c.post(
                "/donations",
                headers=headers(token, "charity_admin", "cz-saga"),
                json={
                    "fund_id": funds["government_purchase"],
                    "amount_fen": 50_000_000,
                    "donor": {"kind": "anonymous"},
                },
            )
            assert money.status_code == 201, money.text
            _, seats = await committee(c, token, COMMUNITY, prefix="13010219")
            return funds, seats

    return run_in_thread(build())


def project_body(
    fund_id: str, *, budget: int = 8_000_000, vital: bool = True, need_ids=(), title="社区居家养老服务项目"
):
    return projects_kit.project_body(fund_id, COMMUNITY, budget, need_ids=need_ids, vital=vital, title=title)


async def party_decides(c, token, project_id: str, seats, outcome: str, *cast: str, reasons: str = "") -> None:
    secretary = bearer(token, "party_secretary", COMMUNITY)

    async def matter():
        matters = (await c.get("/matters", headers=secretary, params={"status": "pending"})).json()
        return next((m for m in matters if m["project_id"] == project_id), None)

    m = await eventually(matter, "the project's review as a party matter")
    reply = await c.post(
        f"/matters/{m['id']}/decision", headers=secretary, json=decision(seats, outcome, *cast, reasons=reasons)
    )
    assert reply.status_code == 200, reply.text


async def raise_need(c, token) -> str:
    worker = headers(token, "social_worker", "sw-saga", COMMUNITY)
    need = await c.post(
        "/needs",
        headers=worker,
        json={
            "area_code": COMMUNITY,
            "category": "daily_care",
            "description": "独居老人需要长期助餐助浴",
            "resident": {"name": "赵奶奶", "phone": "13700137007", "citizen_id": citizen_id("13010219")},
        },
    )
    assert need.status_code == 201, need.text
    need_id = need.json()["id"]
    assessed = await c.post(
        f"/needs/{need_id}/assessment",
        headers=worker,
        json={"category": "daily_care", "urgency": "major", "service_plan": "纳入居家养老服务项目", "route": "project"},
    )
    assert assessed.status_code == 200, assessed.text
    return need_id


async def test_the_whole_saga(projects, token, world, db):
    funds, seats = world
    worker, office = headers(token, "social_worker", "sw-saga"), headers(token, "civil_affairs", "mz-saga")
    need_id = await raise_need(projects, token)

    async def waiting(present: bool):
        pool = (await projects.get("/projects/demands", headers=worker)).json()
        return (need_id in [d["need_id"] for d in pool]) == present

    await eventually(lambda: waiting(True), "the need routed to 'project' in the demand pool")
    created = await projects.post(
        "/projects", headers=worker, json=project_body(funds["government_purchase"], need_ids=[need_id])
    )
    assert created.status_code == 201, created.text
    assert await waiting(False)  # the project answers it
    pid = created.json()["id"]
    submitted = await projects.post(f"/projects/{pid}/submission", headers=worker)
    assert submitted.json()["status"] == "review_pending"
    await party_decides(projects, token, pid, seats, "approved", "for", "for", "for", "against")
    funded = await projects_kit.status_becomes(projects, worker, pid, "funded")
    assert [f["status"] for f in funded["funding"]] == ["committed"]

    deadline = datetime.now(UTC) + timedelta(seconds=4)
    published = await projects.post(
        f"/projects/{pid}/publication",
        headers=worker,
        json={"bid_deadline": deadline.isoformat(), "criteria": {"plan": 40, "price": 30, "team": 30}},
    )
    assert published.status_code == 200, published.text
    conn = await db("projects")
    await conn.execute(
        "INSERT INTO org_grades (uscc, year, grade, project_id, score, recorded_at) "
        "VALUES ($1, $2, 'unqualified', gen_random_uuid(), 52, now())",
        ORG_BAD,
        YEAR - 1,
    )

    def bid(code: str, price: int) -> dict:
        today = date.today()
        return {
            "organization_uscc": code,
            "price_fen": price,
            "plan": "组建助老服务队，开展助餐、助浴与探访",
            "team": [{"role": "项目主管", "qualification": "中级社会工作师"}, {"role": "社工", "count": 3}],
            "milestones": [
                {
                    "title": "服务启动与需求评估",
                    "due_on": (today + timedelta(days=60)).isoformat(),
                    "amount_fen": price // 2,
                },
                {
                    "title": "服务完成与结项",
                    "due_on": (today + timedelta(days=300)).isoformat(),
                    "amount_fen": price - price // 2,
                },
            ],
        }

    org = {
        code: headers(token, "org_admin", admin)
        for code, admin in ((ORG_A, "org-a"), (ORG_B, "org-b"), (ORG_BAD, "org-bad"))
    }
    org[ORG_FAR] = headers(token, "org_admin", "org-far", COUNTY)
    a = await projects.post(f"/projects/{pid}/bids", headers=org[ORG_A], json=bid(ORG_A, 7_500_000))
    assert a.status_code == 201, a.text
    b = await projects.post(f"/projects/{pid}/bids", headers=org[ORG_B], json=bid(ORG_B, 7_800_000))
    assert (
        await projects.post(f"/projects/{pid}/bids", headers=org[ORG_B], json=bid(ORG_B, 7_000_000))
    ).status_code == 409
    assert (await projects.post(f"/bids/{b.json()['id']}/withdrawal", headers=org[ORG_B])).status_code == 200
    b = await projects.post(f"/projects/{pid}/bids", headers=org[ORG_B], json=bid(ORG_B, 7_500_000))
    assert b.status_code == 201, b.text
    for code, rule in ((ORG_BAD, "graded_unqualified"), (ORG_FAR, "outside_area")):
        refused = await projects.post(f"/projects/{pid}/bids", headers=org[code], json=bid(code, 7_000_000))
        assert refused.status_code == 422 and refused.json()["rule"] == rule, refused.text
    posing = await projects.post(f"/projects/{pid}/bids", headers=org[ORG_B], json=bid(ORG_A, 7_000_000))
    assert posing.status_code == 403  # org-b's administrator cannot bid for org A
    over = await projects.post(f"/projects/{pid}/bids", headers=org[ORG_A], json=bid(ORG_A, 9_000_000))
    assert over.status_code == 422
    early = await projects.post(
        f"/bids/{a.json()['id']}/scores", headers=worker, json={"scores": {"plan": 90, "price": 80, "team": 80}}
    )
    assert early.status_code == 409 and early.json()["rule"] == "after_deadline"

    # the bid deadline must pass in real time (the service reads its own clock)
    await asyncio.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.2)
    late = await projects.post(f"/projects/{pid}/bids", headers=org[ORG_A], json=bid(ORG_A, 7_000_000))
    assert late.status_code == 409
    assert (await projects.post(f"/projects/{pid}/award", headers=office)).json()["rule"] == "unscored_bids"
    for evaluator in (worker, office):  # a tie on score: the lower price… equal; the earlier bid (A) wins
        for bid_reply in (a, b):
            scored = await projects.post(
                f"/bids/{bid_reply.json()['id']}/scores",
                headers=evaluator,
                json={"scores": {"plan": 90, "price": 80, "team": 80}},
            )
            assert scored.status_code == 200 and scored.json()["total"] == 84.0, scored.text
    twice = await projects.post(
        f"/bids/{a.json()['id']}/scores", headers=office, json={"scores": {"plan": 10, "price": 10, "team": 10}}
    )
    assert twice.status_code == 409
    awarded = await projects.post(f"/projects/{pid}/award", headers=office)
    assert awarded.status_code == 200, awarded.text
    project = awarded.json()
    assert project["status"] == "procured" and project["organization_uscc"] == ORG_A
    assert project["awarded_fen"] == 7_500_000 and len(project["milestones"]) == 2
    # named as registered, wherever the code is shown (a reader of the library may not read the registry)
    names = {b["organization_uscc"]: b["organization_name"] for b in project["bids"]}
    assert project["organization_name"] == names[ORG_A] == "长安区乐龄社会工作服务中心"
    listed = (await projects.get("/projects", params={"status": "procured"}, headers=worker)).json()
    assert next(p["organization_name"] for p in listed if p["id"] == pid) == "长安区乐龄社会工作服务中心"

    async def on_timeline(kind: str):
        entries = (await projects.get(f"/needs/{need_id}/timeline", headers=worker)).json()
        return entries if kind in [e["kind"] for e in entries] else None

    kinds = [
        e["kind"] for e in await eventually(lambda: on_timeline("project_procured"), "the award on the need's timeline")
    ]
    assert "project_proposed" in kinds and "project_published" in kinds

    asked = await projects.post(
        f"/projects/{pid}/volunteer-tasks",
        headers=org[ORG_A],
        json={"title": "陪同老人就医", "required_skills": ["陪诊"], "slots": 3, "need_id": need_id},
    )
    assert asked.status_code == 201, asked.text
    foreign = await projects.post(
        f"/projects/{pid}/volunteer-tasks", headers=org[ORG_A], json={"title": "x", "need_id": str(pid)}
    )
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "need_id"

    async def task_opened():
        reply = await projects.get(f"/tasks/{asked.json()['id']}", headers=worker)
        return reply.json() if reply.status_code == 200 else None

    task = await eventually(task_opened, "the project's volunteer task at the volunteers service")
    assert task["source"] == "project" and task["slots"] == 3

    first, second = project["milestones"]
    not_yet = await projects.post(f"/projects/{pid}/milestones/{first['id']}/acceptance", headers=worker)
    assert not_yet.status_code == 409
    report = {
        "summary": "完成 86 位老人的入户评估",
        "evidence": [{"kind": "report", "description": "评估报告"}, {"kind": "photo", "description": "入户照片 12 张"}],
    }
    assert (
        await projects.post(f"/projects/{pid}/milestones/{first['id']}/report", headers=org[ORG_B], json=report)
    ).status_code == 403  # only the awarded organization reports
    assert (
        await projects.post(f"/projects/{pid}/milestones/{first['id']}/report", headers=org[ORG_A], json=report)
    ).status_code == 200
    accepted = await projects.post(f"/projects/{pid}/milestones/{first['id']}/acceptance", headers=worker)
    assert accepted.json()["project_status"] == "procured"
    checker = headers(token, "charity_admin", "cz-saga-checker")

    async def payment_waiting():
        waiting = (await projects.get("/disbursements", headers=checker, params={"status": "requested"})).json()
        return next((d for d in waiting if d["amount"] == 3_750_000 and "服务启动" in d["milestone"]), None)

    waiting = await eventually(payment_waiting, "the milestone's disbursement request at the charity service")
    paid = await projects.post(f"/disbursements/{waiting['id']}/approval", headers=checker)
    assert paid.status_code == 200, paid.text

    # the resident judges the service on the need the project serves (群众评判)
    need_worker = headers(token, "social_worker", "sw-saga", COMMUNITY)
    assert (
        await projects.post(f"/needs/{need_id}/resolution", headers=need_worker, json={"on_behalf_of_resident": True})
    ).status_code == 200
    assert (
        await projects.post(
            f"/needs/{need_id}/feedback", headers=need_worker, json={"satisfaction": 5, "comment": "服务很贴心"}
        )
    ).status_code == 200
    await projects.post(f"/projects/{pid}/milestones/{second['id']}/report", headers=org[ORG_A], json=report)
    done = await projects.post(f"/projects/{pid}/milestones/{second['id']}/acceptance", headers=worker)
    assert done.json()["project_status"] == "delivered"

    async def feedback_counted():
        return await conn.fetchval("SELECT count(*) FROM project_feedback WHERE project_id = $1", pid)

    await eventually(feedback_counted, "the resident's feedback counted for the project")
    assert (
        await projects.post(
            f"/projects/{pid}/evaluation",
            headers=worker,
            json={"indicators_percent": 95, "third_party_score": 92, "third_party_evaluator": "河北某评估中心"},
        )
    ).status_code == 403
    evaluated = await projects.post(
        f"/projects/{pid}/evaluation",
        headers=office,
        json={
            "indicators_percent": 95,
            "third_party_score": 92,
            "third_party_evaluator": "河北某评估中心",
            "survey": [4, 5, 5],
        },
    )
    assert evaluated.status_code == 200, evaluated.text
    evaluation = evaluated.json()
    assert evaluation["feedback_count"] == 1 and evaluation["resident_satisfaction"] == 93.75
    assert (
        evaluation["score"] == pytest.approx(93.775, abs=0.01)
        and evaluation["grade"] == "excellent"
        and evaluation["grade_zh"] == "优秀"
    )
    nominated = await projects.post(
        f"/projects/{pid}/nominations",
        headers=office,
        json={"kind": "typical_case", "citation": "以居民满意度为核心的居家养老服务，五社联动典型案例"},
    )
    assert nominated.status_code == 201, nominated.text
    async with httpx.AsyncClient(base_url=str(projects.base_url), timeout=10) as anyone:
        showcase = (await anyone.get("/public/showcase")).json()
    assert [s["grade_zh"] for s in showcase if s["project_id"] == pid] == ["优秀"]
    await eventually(lambda: on_timeline("project_evaluated"), "the evaluation on the need's timeline")


async def test_party_rejection_closes_the_project(projects, token, world):
    funds, seats = world
    worker = headers(token, "social_worker", "sw-saga")
    pid = (
        await projects.post(
            "/projects", headers=worker, json=project_body(funds["government_purchase"], title="小区停车位改造")
        )
    ).json()["id"]
    await projects.post(f"/projects/{pid}/submission", headers=worker)
    await party_decides(
        projects, token, pid, seats, "rejected", "against", "against", "against", reasons="未征求住户意见"
    )
    closed = await projects_kit.status_becomes(projects, worker, pid, "closed")
    assert closed["closed_reason"] == "party_rejected" and closed["review_note"] == "未征求住户意见"


async def test_revision_goes_back_to_draft_and_small_projects_skip_the_gate(projects, token, world):
    funds, seats = world
    worker = headers(token, "social_worker", "sw-saga")
    pid = (await projects.post("/projects", headers=worker, json=project_body(funds["government_purchase"]))).json()[
        "id"
    ]
    await projects.post(f"/projects/{pid}/submission", headers=worker)
    await party_decides(projects, token, pid, seats, "revise", "for", "against", "abstain", reasons="预算须细化")
    draft = await projects_kit.status_becomes(projects, worker, pid, "draft")
    assert draft["review_note"] == "预算须细化"
    smaller = project_body(funds["government_purchase"], budget=3_000_000, vital=False)
    assert (await projects.put(f"/projects/{pid}", headers=worker, json=smaller)).status_code == 200
    skipped = await projects.post(f"/projects/{pid}/submission", headers=worker)
    assert skipped.json()["status"] == "funding_pending"  # below the threshold, no vital interests
    await projects_kit.status_becomes(projects, worker, pid, "funded")


async def test_refused_funding_is_replaced_and_an_empty_call_closes(projects, token, world):
    funds, _ = world
    worker = headers(token, "social_worker", "sw-saga")
    body = project_body(funds["social_assistance"], budget=2_000_000, vital=False) | {
        "funding": [{"source": "social_assistance", "fund_id": funds["social_assistance"], "amount_fen": 2_000_000}]
    }
    pid = (await projects.post("/projects", headers=worker, json=body)).json()["id"]
    await projects.post(f"/projects/{pid}/submission", headers=worker)
    refused = await projects_kit.status_becomes(projects, worker, pid, "funding_rejected")
    assert refused["funding"][0]["status"] == "rejected" and refused["funding"][0]["rule"]
    wrong = await projects.post(
        f"/projects/{pid}/funding",
        headers=worker,
        json={
            "funding": [
                {"source": "government_purchase", "fund_id": funds["government_purchase"], "amount_fen": 1_000_000}
            ]
        },
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "funding"
    replaced = await projects.post(
        f"/projects/{pid}/funding",
        headers=worker,
        json={
            "funding": [
                {"source": "government_purchase", "fund_id": funds["government_purchase"], "amount_fen": 2_000_000}
            ]
        },
    )
    assert replaced.status_code == 200, replaced.text
    await projects_kit.status_becomes(projects, worker, pid, "funded")
    deadline = datetime.now(UTC) + timedelta(seconds=1)
    await projects.post(f"/projects/{pid}/publication", headers=worker, json={"bid_deadline": deadline.isoformat()})
    closed = await projects_kit.status_becomes(projects, worker, pid, "closed")
    assert closed["closed_reason"] == "no_bids"


async def test_a_review_past_its_deadline_closes_the_project(projects, token, world, db):
    funds, _ = world
    worker = headers(token, "social_worker", "sw-saga")
    pid = (await projects.post("/projects", headers=worker, json=project_body(funds["government_purchase"]))).json()[
        "id"
    ]
    await projects.post(f"/projects/{pid}/submission", headers=worker)
    conn = await db("projects")
    await conn.execute("UPDATE projects SET review_due = now() - interval '1 second' WHERE id = $1", pid)
    closed = await projects_kit.status_becomes(projects, worker, pid, "closed")
    assert closed["closed_reason"] == "review_timed_out"


async def test_a_project_from_the_purchase_list_stays_within_its_ceiling(projects, token, world):
    funds, _ = world
    worker, office = headers(token, "social_worker", "sw-saga"), headers(token, "civil_affairs", "mz-saga")
    listed = await projects.put(
        f"/purchase-list/{COUNTY}/{YEAR}",
        headers=office,
        json={
            "items": [
                {"code": "YL-01", "name": "居家养老上门服务", "category": "daily_care", "max_budget_fen": 2_000_000}
            ]
        },
    )
    assert listed.status_code == 200, listed.text
    body = project_body(funds["government_purchase"], budget=3_000_000, vital=False)
    over = await projects.post("/projects", headers=worker, json=body | {"purchase_item": "YL-01"})
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "budget_fen"
    unknown = await projects.post("/projects", headers=worker, json=body | {"purchase_item": "ZZ-99"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "purchase_item"
    within = project_body(funds["government_purchase"], budget=2_000_000, vital=False) | {"purchase_item": "YL-01"}
    assert (await projects.post("/projects", headers=worker, json=within)).status_code == 201


async def test_a_joint_meeting_resolution_becomes_a_project(projects, token, world):
    funds, _ = world
    secretary, worker = bearer(token, "party_secretary", COMMUNITY), headers(token, "social_worker", "sw-saga")
    meeting = await projects.post(
        "/joint-meetings",
        headers=secretary,
        json={
            "area_code": COMMUNITY,
            "title": "加装电梯联席会议",
            "place": "党群服务中心",
            "scheduled_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            "participants": [
                {"actor": a, "name": f"代表{'甲乙丙丁戊己庚辛壬癸'[n % 10]}"}
                for n, a in enumerate(("social_org", "social_worker", "volunteer", "charity"))
            ],
        },
    )
    assert meeting.status_code == 201, meeting.text
    resolved = await projects.post(
        f"/joint-meetings/{meeting.json()['id']}/resolutions",
        headers=secretary,
        json={
            "text": "由社区提出加装电梯协调服务项目",
            "actions": [
                {
                    "kind": "propose_project",
                    "title": "老旧小区加装电梯协调服务",
                    "owner": "社区:社区居委会",
                    "due_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                }
            ],
        },
    )
    assert resolved.status_code == 201, resolved.text
    action_id = resolved.json()["action_ids"][0]

    async def in_pool():
        return next(
            (d for d in (await projects.get("/projects/demands", headers=worker)).json() if d["ref_id"] == action_id),
            None,
        )

    demand = await eventually(in_pool, "the meeting's resolution in the projects' demand pool")
    assert demand["kind"] == "joint_meeting" and demand["title"] == "老旧小区加装电梯协调服务"
    unknown = await projects.post(
        "/projects",
        headers=worker,
        json=project_body(funds["government_purchase"], vital=False, budget=1_000_000) | {"action_id": str(new_id())},
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "action_id"
    proposed = await projects.post(
        "/projects",
        headers=worker,
        json=project_body(funds["government_purchase"], title="老旧小区加装电梯协调服务", budget=1_000_000)
        | {"action_id": action_id},
    )
    assert proposed.status_code == 201, proposed.text

    async def under_way():
        actions = (await projects.get("/meeting-actions", headers=secretary)).json()
        action = next(a for a in actions if a["id"] == action_id)
        return action if action["status"] == "in_progress" else None

    action = await eventually(under_way, "the meeting's action moved on by the proposed project")
    assert "项目已入库" in action["progress"][-1]["note"]


async def test_one_request_is_one_trace_to_the_third_hop(projects, token, world, db):
    """The party's decision (a request with the caller's traceparent) → MatterDecided (party) →
    FundingRequested (projects, from a consumer) → FundsCommitted (charity, from a consumer): every
    event carries the request's trace id, each under a span of its own hop."""
    funds, seats = world
    worker = headers(token, "social_worker", "sw-trace")
    created = await projects.post(
        "/projects", headers=worker, json=project_body(funds["government_purchase"], title="社区助浴服务项目")
    )
    pid = created.json()["id"]
    assert (await projects.post(f"/projects/{pid}/submission", headers=worker)).json()["status"] == "review_pending"
    trace_id = new_id().hex  # 32 hex digits, unique to this test
    traced = httpx.AsyncClient(
        base_url=str(projects.base_url), timeout=10, headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    )
    async with traced:
        await party_decides(traced, token, pid, seats, "approved", "for", "for", "for")
    await projects_kit.status_becomes(projects, worker, pid, "funded")

    async def traced_events(service: str) -> list[tuple[str, str]]:
        rows = await (await db(service)).fetch(
            "SELECT subject, traceparent FROM outbox WHERE traceparent LIKE $1", f"00-{trace_id}-%"
        )
        return [(r["subject"].split(".")[2], r["traceparent"].split("-")[2]) for r in rows]

    hops = {"party": "matter_decided", "projects": "funding_requested", "charity": "funds_committed"}
    found = {
        service: await eventually(lambda s=service: traced_events(s), f"{event} in the trace")
        for service, event in hops.items()
    }
    for service, event in hops.items():
        assert event in {name for name, _ in found[service]}, (service, found[service])
    parents = [span for events in found.values() for _, span in events]
    assert "00f067aa0ba902b7" not in parents and len(set(parents)) == len(parents)  # each hop its own span
