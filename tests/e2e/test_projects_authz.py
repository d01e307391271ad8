"""Role × jurisdiction of every route of the projects service's library and procurement
(services/projects/api.py, procurement/api.py and delivery/api.py) as one table, through the
gateway. The registry's routes have their own table in test_projects_registry.py.

This module's community is 谈固街道 001 (130102011001) of 长安区 (130102), which no other module
uses; its organizations' USCCs use the serials 8000–8999 (the saga uses 7xxx). 桥西区 (130104) is
the other county.

The world is built once:
- two organizations of 长安区: "own", whose administrator (org_admin#own) bids, wins and delivers,
  and "other", whose administrator is org_admin#other;
- a government-purchase fund with money, and a social-assistance fund without a budget, which
  refuses;
- projects in every state the routes need: a draft, one waiting for the party organization, one
  whose funding was refused, a funded one, and an open call (deadline a day ahead) holding a bid
  of "own";
- calls that closed together a few seconds after publication, each with a bid of "own": some not
  scored yet, some scored, one procured (five milestones, the first reported), delivered ones,
  and evaluated ones graded 优秀 (one of them nominated).
Its projects are small (10,000 元, no vital interests), so they skip the party gate, except the
one waiting for it.

For every route the table checks:
- each role of 长安区: allowed ones succeed (on fresh objects where the route changes state),
  others get 403 from the role check, which names no field;
- the same roles of 桥西区: allowed ones get 404 for 长安区 objects (the answer for an unknown id),
  or 403 naming `area_code` for writes that name a 长安区 area;
- a request without a token: 401.

Rules of the routes, as the service states them:
- community workers (social_worker, civil_affairs) propose, revise, submit, re-fund, publish,
  score, award and accept milestones;
- the workers, grid_worker, party_secretary, charity_admin, auditor and org_admin read the library;
  all of them but org_admin read its statistics (403 naming `area_code` outside their area).
  An org_admin sees a project only from its publication on (published, procured, delivered,
  evaluated; 404 before), and while the call is open only their own organization's bids;
- only org_admin bids, withdraws a bid and reports a milestone, and only for an organization whose
  admin_accounts hold their sub (403 naming `organization_uscc`). For a procured project, the
  workers and the awarded organization's administrators ask for volunteers;
- only civil_affairs evaluates and nominates;
- the public showcase needs no token.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from support.authz import Case, Table, call, fill, uncovered_routes
from support.problems import anonymous
from support.waiting import eventually, run_in_thread

from contracts.values import uscc_check_char

CHANGAN, QIAOXI = "130102", "130104"
COMMUNITY = "130102011001"  # 谈固街道 001 社区: this module's own
QIAOXI_COMMUNITY = "130104002001"  # 中山街道 001 社区, 桥西区


def uscc(serial: int) -> str:
    """A valid USCC of a 长安区 social service agency; this module's serials are 8000–8999."""
    assert 8000 <= serial <= 8999
    body = f"5213010{serial:010d}"
    return body + uscc_check_char(body)


OWN, OTHER = uscc(8001), uscc(8002)
OWN_ADMIN, OTHER_ADMIN = "oa-authz-own", "oa-authz-other"
BUDGET = 1_000_000  # 10,000 元: below the party gate's threshold
TOMORROW = (datetime.now(UTC) + timedelta(days=1)).isoformat()

PROJECT = {
    "area_code": COMMUNITY,
    "title": "谈固社区老年助餐服务",
    "service_content": "为辖区独居老人提供午餐配送与探访",
    "indicators": [{"name": "送餐人次", "target": "不少于 2000 人次"}],
    "budget_fen": BUDGET,
    "funding": [{"source": "government_purchase", "fund_id": "{fund}", "amount_fen": BUDGET}],
    "duration_months": 6,
    "vital_interests": False,
}
QIAOXI_PROJECT = {**PROJECT, "area_code": QIAOXI_COMMUNITY}
FUNDING = {"funding": [{"source": "government_purchase", "fund_id": "{fund}", "amount_fen": BUDGET}]}
PUBLICATION = {"bid_deadline": TOMORROW, "criteria": {"plan": 40, "price": 30, "team": 30}}
SCORES = {"scores": {"plan": 90, "price": 80, "team": 80}}
REPORT = {"summary": "完成首月送餐 180 人次", "evidence": [{"kind": "sign_in_sheet", "description": "签收单 180 份"}]}
TASK = {"title": "协助送餐", "required_skills": ["送餐"], "slots": 2}
EVALUATION = {
    "indicators_percent": 100,
    "third_party_score": 96,
    "third_party_evaluator": "河北某社会组织评估中心",
    "survey": [5, 5, 5, 4],
}
NOMINATION = {"kind": "typical_case", "citation": "谈固社区以居民满意度为核心的老年助餐服务典型案例"}


def bid_body(organization: str, milestones: int = 1, price: int = BUDGET) -> dict:
    """A bid for the whole budget: the first milestone is paid it all, the others nothing."""
    today = date.today()
    return {
        "organization_uscc": organization,
        "price_fen": price,
        "plan": "组建送餐服务队，每日配送午餐并开展探访",
        "team": [{"role": "项目主管", "qualification": "中级社会工作师"}, {"role": "送餐员", "count": 4}],
        "milestones": [
            {
                "title": f"第 {n} 阶段",
                "due_on": (today + timedelta(days=30 * n)).isoformat(),
                "amount_fen": price if n == 1 else 0,
            }
            for n in range(1, milestones + 1)
        ],
    }


BID = bid_body(OWN)


# --- the table ------------------------------------------------------------------------------------

ROLES = [
    "social_worker",
    "civil_affairs",
    "grid_worker",
    "party_secretary",
    "charity_admin",
    "auditor",
    "org_admin#own",
    "org_admin#other",
    "volunteer",
    "resident",
    "partner",
]
WORKERS = ["social_worker", "civil_affairs"]
READERS = [*WORKERS, "grid_worker", "party_secretary", "charity_admin", "auditor", "org_admin#own", "org_admin#other"]
ACTS_FOR_OTHER = {"org_admin#other": dict(expect=403, field="organization_uscc")}  # names "own", administers "other"


# Paths name the world's objects; fresh ones (see make) replace them on success. Callers "org_admin#own@…"
# and "org_admin#other@…" are the administrators of the organizations "own" and "other".
table = Table(home=CHANGAN, other=QIAOXI, roles=ROLES)

SHOWCASE = [
    Case("GET", "/public/showcase", f"{role}@{area}", 200, shows="evaluated")
    for area in (CHANGAN, QIAOXI)
    for role in ROLES
] + [Case("GET", "/public/showcase", None, 200, shows="evaluated", note="no login")]
LIBRARY = f"/projects?area={COMMUNITY}"
ORG_ADMINS_SEE_CALLS = {
    role: dict(expect=200, shows="open", hides="draft") for role in ("org_admin#own", "org_admin#other")
}

TABLE: list[Case] = [
    # the library: proposed, rewritten, submitted and re-funded by the community's workers
    *table.route("POST", "/projects", 201, allowed=WORKERS, other=403, body=PROJECT),
    Case("POST", "/projects", f"social_worker@{CHANGAN}", 403, QIAOXI_PROJECT, field="area_code", note="in 桥西区"),
    *table.route(
        "PUT", "/projects/{draft}", 200, allowed=WORKERS, other=403, body=PROJECT, fresh="draft", shows="draft"
    ),
    Case(
        "PUT",
        "/projects/{draft}",
        f"social_worker@{CHANGAN}",
        403,
        QIAOXI_PROJECT,
        field="area_code",
        note="moved to 桥西区",
    ),
    Case("PUT", "/projects/{draft}", f"social_worker@{QIAOXI}", 404, QIAOXI_PROJECT, note="naming 桥西区"),
    *table.route("POST", "/projects/{draft}/submission", 200, allowed=WORKERS, fresh="draft", shows="draft"),
    *table.route(
        "POST", "/projects/{rejected}/funding", 200, allowed=WORKERS, body=FUNDING, fresh="rejected", shows="rejected"
    ),
    # … read by every reader of the area; organizations see calls for bids and what follows them
    *table.route("GET", LIBRARY, 200, allowed=READERS, other=403, shows="open", special=ORG_ADMINS_SEE_CALLS),
    # the library's figures (the dashboards): every reader but the organizations that bid
    *table.route(
        "GET",
        f"/projects/stats?area={COMMUNITY}",
        200,
        other=403,
        allowed=[r for r in READERS if not r.startswith("org_admin")],
    ),
    Case("GET", "/projects/stats", f"social_worker@{QIAOXI}", 200, note="their own area"),
    # what waits for a project: the community's workers and its party organization
    *table.route(
        "GET",
        f"/projects/demands?area={COMMUNITY}",
        200,
        other=403,
        allowed=[*WORKERS, "grid_worker", "party_secretary"],
    ),
    Case("GET", LIBRARY, f"social_worker@{CHANGAN}", 200, shows="draft", note="drafts"),
    Case("GET", f"{LIBRARY}&status=draft", f"org_admin#own@{CHANGAN}", 200, hides="draft"),
    Case("GET", "/projects", f"social_worker@{QIAOXI}", 200, hides="open", note="their own area"),
    Case("GET", "/projects", f"org_admin#own@{QIAOXI}", 200, hides="open", note="their own area"),
    # bids are sealed while the call runs: only the bidder sees its own; the panel sees them once it closes
    *table.route(
        "GET",
        "/projects/{open}",
        200,
        allowed=READERS,
        shows="open",
        special={
            "social_worker": dict(expect=200, shows="open", hides="open_bid"),
            "org_admin#own": dict(expect=200, shows="open_bid"),
            "org_admin#other": dict(expect=200, shows="open", hides="open_bid"),
        },
    ),
    Case(
        "GET", "/projects/{closed_call}", f"social_worker@{CHANGAN}", 200, shows="closed_bid", note="after the deadline"
    ),
    Case(
        "GET", "/projects/{closed_call}", f"org_admin#other@{CHANGAN}", 200, hides="closed_bid", note="until the award"
    ),
    *[
        Case("GET", f"/projects/{{{state}}}", f"{role}@{CHANGAN}", 404, note="before publication")
        for state in ("draft", "review", "rejected", "funded")
        for role in ("org_admin#own", "org_admin#other")
    ],
    *[
        Case("GET", f"/projects/{{{state}}}", f"{role}@{CHANGAN}", 200, shows=state)
        for state in ("draft", "review", "rejected", "funded")
        for role in ("party_secretary", "auditor")
    ],
    Case("GET", "/projects/{procured}", f"org_admin#other@{CHANGAN}", 200, shows="procured", note="after the award"),
    Case("GET", "/projects/{evaluated}", f"org_admin#own@{CHANGAN}", 200, shows="evaluated"),
    # the call for bids: published by the workers …
    *table.route(
        "POST", "/projects/{funded}/publication", 200, allowed=WORKERS, body=PUBLICATION, fresh="funded", shows="funded"
    ),
    # … bid for by organizations, each through its own administrators …
    *table.route(
        "POST", "/projects/{open}/bids", 201, allowed=["org_admin#own"], body=BID, fresh="open", special=ACTS_FOR_OTHER
    ),
    Case("POST", "/projects/{funded}/bids", f"org_admin#own@{CHANGAN}", 404, BID, note="not published"),
    Case("POST", "/projects/{draft}/bids", f"org_admin#own@{CHANGAN}", 404, BID, note="a draft"),
    *table.route(
        "POST", "/bids/{open_bid}/withdrawal", 200, allowed=["org_admin#own"], fresh="open_bid", special=ACTS_FOR_OTHER
    ),
    # … scored and awarded by the workers
    *table.route("POST", "/bids/{closed_bid}/scores", 200, allowed=WORKERS, body=SCORES, fresh="closed_bid"),
    *table.route("POST", "/projects/{awardable}/award", 200, allowed=WORKERS, fresh="awardable", shows="awardable"),
    # delivery: the awarded organization reports, the workers accept …
    *table.route(
        "POST",
        "/projects/{procured}/milestones/{milestone}/report",
        200,
        allowed=["org_admin#own"],
        body=REPORT,
        special=ACTS_FOR_OTHER,
    ),
    *table.route(
        "POST", "/projects/{procured}/milestones/{milestone}/acceptance", 200, allowed=WORKERS, fresh="milestone"
    ),
    # … and either asks for volunteers
    *table.route(
        "POST",
        "/projects/{procured}/volunteer-tasks",
        201,
        allowed=[*WORKERS, "org_admin#own"],
        body=TASK,
        special=ACTS_FOR_OTHER,
    ),
    # evaluation and nomination: civil affairs only
    *table.route(
        "POST", "/projects/{delivered}/evaluation", 200, allowed=["civil_affairs"], body=EVALUATION, fresh="delivered"
    ),
    *table.route(
        "POST",
        "/projects/{evaluated}/nominations",
        201,
        allowed=["civil_affairs"],
        body=NOMINATION,
        fresh="evaluated",
        shows="evaluated",
    ),
    # the public showcase: no login needed, a token changes nothing
    *SHOWCASE,
]


# --- the world -------------------------------------------------------------------------------------


def bearer(token, caller: str | None) -> dict:
    if caller is None:
        return {}
    who, _, area = caller.partition("@")
    role, _, tag = who.partition("#")
    sub = {"own": OWN_ADMIN, "other": OTHER_ADMIN}[tag] if tag else f"authz-{role}-{area}"
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


@dataclass
class World:
    ids: dict[str, str]
    pools: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # fresh objects made in advance


class Builder:
    """Drives the saga through the gateway as the builder's workers and the "own" administrator."""

    def __init__(self, client: httpx.AsyncClient, token, ids: dict[str, str]) -> None:
        self.c, self.ids = client, ids
        self.worker = bearer(token, f"social_worker@{COMMUNITY}")
        self.office = {"Authorization": f"Bearer {token('civil_affairs', CHANGAN, 'mz-authz-builder')}"}
        self.own = bearer(token, f"org_admin#own@{CHANGAN}")

    async def status_becomes(self, project_id: str, status: str) -> dict:
        async def check():
            project = await call(self.c, "GET", f"/projects/{project_id}", self.worker)
            return project if project["status"] == status else None

        return await eventually(check, f"project {project_id} to become {status}")

    async def draft(self, **changes) -> str:
        return (await call(self.c, "POST", "/projects", self.worker, fill({**PROJECT, **changes}, self.ids), 201))["id"]

    async def submitted(self, status: str, **changes) -> str:
        project_id = await self.draft(**changes)
        await call(self.c, "POST", f"/projects/{project_id}/submission", self.worker)
        await self.status_becomes(project_id, status)
        return project_id

    async def funded(self) -> str:
        return await self.submitted("funded")

    async def rejected(self) -> str:
        return await self.submitted(
            "funding_rejected",
            funding=[{"source": "social_assistance", "fund_id": self.ids["sa_fund"], "amount_fen": BUDGET}],
        )

    async def published(self, deadline: str = TOMORROW) -> str:
        project_id = await self.funded()
        await self.publish(project_id, deadline)
        return project_id

    async def publish(self, project_id: str, deadline: str) -> None:
        await call(
            self.c,
            "POST",
            f"/projects/{project_id}/publication",
            self.worker,
            {**PUBLICATION, "bid_deadline": deadline},
        )

    async def bid(self, project_id: str, milestones: int = 1) -> str:
        return (await call(self.c, "POST", f"/projects/{project_id}/bids", self.own, bid_body(OWN, milestones), 201))[
            "id"
        ]

    async def report(self, project_id: str, milestone_id: str) -> None:
        await call(self.c, "POST", f"/projects/{project_id}/milestones/{milestone_id}/report", self.own, REPORT)

    async def deliver(self, project_id: str) -> None:
        """Award the scored call, then report and accept its one milestone."""
        awarded = await call(self.c, "POST", f"/projects/{project_id}/award", self.office)
        (milestone,) = awarded["milestones"]
        await self.report(project_id, milestone["id"])
        accepted = await call(
            self.c, "POST", f"/projects/{project_id}/milestones/{milestone['id']}/acceptance", self.worker
        )
        assert accepted["project_status"] == "delivered", accepted


async def build_world(base_url: str, token) -> World:
    office, donor = bearer(token, f"civil_affairs@{CHANGAN}"), bearer(token, f"charity_admin@{CHANGAN}")
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as c:
        for code, name, admin in ((OWN, "谈固社会工作服务中心", OWN_ADMIN), (OTHER, "谈固邻里互助服务社", OTHER_ADMIN)):
            await call(
                c,
                "POST",
                "/organizations",
                office,
                {
                    "name": name,
                    "uscc": code,
                    "legal_type": "social_service_agency",
                    "category": "life_service",
                    "area_code": CHANGAN,
                    "social_work_agency": True,
                    "full_time_staff": 6,
                    "admin_accounts": [admin],
                },
                201,
            )
        fund = (
            await call(
                c,
                "POST",
                "/funds",
                office,
                {"name": "谈固街道政府购买服务资金", "kind": "government_purchase", "area_code": CHANGAN},
                201,
            )
        )["id"]
        sa_fund = (
            await call(
                c,
                "POST",
                "/funds",
                office,
                {"name": "长安区社会救助专项经费（授权表）", "kind": "social_assistance", "area_code": CHANGAN},
                201,
            )
        )["id"]
        await call(
            c,
            "POST",
            "/donations",
            donor,
            {"fund_id": fund, "amount_fen": 100_000_000, "donor": {"kind": "anonymous"}},
            201,
        )
        ids = {"fund": fund, "sa_fund": sa_fund}
        b = Builder(c, token, ids)
        ids["draft"] = await b.draft()
        ids["review"] = await b.submitted("review_pending", vital_interests=True)
        ids["rejected"] = await b.rejected()
        ids["funded"] = await b.funded()
        ids["open"] = await b.published()
        ids["open_bid"] = await b.bid(ids["open"])

        # calls that close together, a few seconds after they open, each with a bid of "own"
        counts = {"closed": 3, "awardable": 3, "procured": 1, "delivered": 2, "evaluated": 2}
        calls = {kind: [await b.funded() for _ in range(n)] for kind, n in counts.items()}
        deadline = datetime.now(UTC) + timedelta(seconds=4)
        for project_id in (p for projects in calls.values() for p in projects):
            await b.publish(project_id, deadline.isoformat())
        bids = {
            p: await b.bid(p, milestones=5 if kind == "procured" else 1)
            for kind, projects in calls.items()
            for p in projects
        }
        await asyncio.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.3)
        for project_id in (p for kind, projects in calls.items() if kind != "closed" for p in projects):
            await call(c, "POST", f"/bids/{bids[project_id]}/scores", b.office, SCORES)

        (procured,) = calls["procured"]
        milestones = [m["id"] for m in (await call(c, "POST", f"/projects/{procured}/award", b.office))["milestones"]]
        await b.report(procured, milestones[0])
        for project_id in (*calls["delivered"], *calls["evaluated"]):
            await b.deliver(project_id)
        for project_id in calls["evaluated"]:
            evaluation = await call(c, "POST", f"/projects/{project_id}/evaluation", b.office, EVALUATION)
            assert evaluation["grade"] == "excellent", evaluation
        await call(c, "POST", f"/projects/{calls['evaluated'][0]}/nominations", b.office, NOMINATION, 201)

    def base_and_pool(kind: str, values: list[str]) -> list[dict[str, str]]:
        ids[kind] = values[0]  # the table's object; the rest are fresh ones for the rows that succeed
        return [{kind: v} for v in values[1:]]

    pools = {
        "closed_bid": base_and_pool("closed_bid", [bids[p] for p in calls["closed"]]),
        "awardable": base_and_pool("awardable", calls["awardable"]),
        "milestone": base_and_pool("milestone", milestones),
        "delivered": base_and_pool("delivered", calls["delivered"]),
        "evaluated": base_and_pool("evaluated", calls["evaluated"]),
    }
    ids["procured"], ids["closed_call"] = procured, calls["closed"][0]
    return World(ids, pools)


async def make(client: httpx.AsyncClient, kind: str, world: World, token) -> dict[str, str]:
    """A new object for the placeholder `kind`, for a row that changes it."""
    if kind in world.pools:
        assert world.pools[kind], f"no fresh {kind} left: build more in build_world"
        fresh = world.pools[kind].pop(0)
        if kind == "milestone":  # reported, so that it can be accepted
            await Builder(client, token, world.ids).report(world.ids["procured"], fresh["milestone"])
        return fresh
    b = Builder(client, token, world.ids)
    if kind == "draft":
        return {kind: await b.draft()}
    if kind == "rejected":
        return {kind: await b.rejected()}
    if kind == "funded":
        return {kind: await b.funded()}
    if kind == "open":
        return {kind: await b.published()}
    if kind == "open_bid":
        project_id = await b.published()
        return {"open": project_id, kind: await b.bid(project_id)}
    raise AssertionError(f"no maker for {kind}")


@pytest.fixture(scope="module")
def world(projects_api, token) -> World:
    return run_in_thread(build_world(projects_api, token))


# --- the tests -------------------------------------------------------------------------------------

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_the_table_covers_every_route():
    from services.projects.api import router
    from services.projects.delivery.api import router as delivery_router
    from services.projects.procurement.api import router as procurement_router

    assert not uncovered_routes([router, procurement_router, delivery_router], ((c.method, c.path) for c in TABLE))


@pytest.mark.parametrize("case", TABLE, ids=str)
async def test_role_and_jurisdiction(case: Case, world: World, projects: httpx.AsyncClient, token):
    ids = dict(world.ids)
    if case.fresh and case.expect < 300:
        ids |= await make(projects, case.fresh, world, token)
    headers = bearer(token, case.caller)
    path, body = fill(case.path, ids), fill(case.body, ids)

    reply = await projects.request(case.method, path, json=body, headers=headers)

    assert reply.status_code == case.expect, reply.text
    if case.shows:
        assert ids[case.shows] in reply.text, reply.text
    if case.hides:
        assert world.ids[case.hides] not in reply.text, reply.text
    if case.expect == 401:
        assert reply.headers["www-authenticate"] == "Bearer"
    if case.expect == 403:
        errors = reply.json().get("errors")
        if case.field:  # an object- or field-level refusal names what it refuses
            assert errors and errors[0]["field"] == case.field, reply.text
        else:  # the role check: the same answer whatever the object
            assert not errors, reply.text
    if case.expect == 404:  # it learns nothing: the answer for an unknown id (the one id aside)
        fresh_ids = {value: str(uuid.uuid4()) for value in set(ids.values())}
        unknown = {k: fresh_ids[v] for k, v in ids.items()}
        baseline = await projects.request(
            case.method, fill(case.path, unknown), json=fill(case.body, unknown), headers=headers
        )
        assert baseline.status_code == 404, baseline.text
        names = {value: f"<id {i}>" for i, value in enumerate(fresh_ids) if UUID.fullmatch(value)}
        assert anonymous(reply, names) == anonymous(baseline, {fresh_ids[v]: n for v, n in names.items()})
        assert reply.headers["content-type"] == baseline.headers["content-type"]
