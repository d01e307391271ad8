"""The read endpoints the gateway composes its views from (need 360, dashboards, KPIs), through the
gateway against the real services: the needs trend and the five-actor linkage index, a need's
volunteer service, earmarks and disbursements, projects, whistles and joint-meeting actions, the
funds' flows, and the month-by-month trends of the volunteers' and the registry's statistics.

The world lives in 阜康街道 (130102013) of 长安区, which no other module uses, so its figures are
exactly what this module made; 桥西区 (130104) is the other county. Needs, volunteers, tasks, hours,
donations, earmarks, disbursements, whistles, meetings, projects and organizations are made through
the gateway, and the other services' events reach the needs' timelines by NATS; the one
ProjectProcured is published as the projects service would. History the API cannot make (a need
raised two months ago, a facility set up in spring, an organization registered last year) and the
award of projects (the saga has its own module) are written into the services' databases.

- N1 (community 001, volunteers): a task with V1 (accepted, 90 min verified, 60 min pending) and V2
  (declined); an earmarked donation, paid in part; a whistle and a joint-meeting action for it; two
  projects name it (P1, later evaluated, and the draft P4). Resolved, judged 5: closed.
- N2 (001, project): procured (ProjectProcured) and named by P2; resolved.
- N3 (002, referral): resolved and judged 4: closed. N4 (001): raised two months ago, open.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import httpx
import nats
import pytest
from support.projects import project_body
from support.waiting import eventually, run_in_thread

from contracts.areas import lookup
from contracts.envelope import new_id, wrap
from contracts.events.projects import ProjectProcured
from contracts.subjects import event_subject
from contracts.values import citizen_id_check_char, uscc_check_char
from kit import db as kit_db
from kit.months import LOCAL, key, months_to

CHANGAN, QIAOXI, CITY = "130102", "130104", "130100"
TOWNSHIP = "130102013"  # 阜康街道: this module's own
C1, C2, C3 = "130102013001", "130102013002", "130102013003"
MONTHS = [key(m) for m in months_to(datetime.now(UTC))]  # the last 12, oldest first
_serial = itertools.count(1)


def cid() -> str:
    """A new valid citizen ID of 长安区, born in March 1943 (this module's own range)."""
    n = next(_serial)
    first17 = f"{CHANGAN}194303{n % 28 + 1:02d}{600 + n:03d}"
    return first17 + citizen_id_check_char(first17)


def uscc(n: int) -> str:
    first17 = f"52130102TX{n:07d}"
    return first17 + uscc_check_char(first17)


ORG_A, ORG_B, ORG_C = uscc(1), uscc(2), uscc(3)


def h(token, role: str, area: str = CHANGAN, sub: str | None = None) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub or f'{role}-views-{area}')}"}


def in_month(index: int, day: int = 10) -> datetime:
    """Noon (Beijing time) on `day` of the month MONTHS[index]."""
    first = months_to(datetime.now(UTC))[index]
    return datetime.combine(first.replace(day=day), datetime.min.time(), LOCAL) + timedelta(hours=12)


async def call(c: httpx.AsyncClient, method: str, path: str, headers: dict, body=None, expect: int = 200):
    reply = await c.request(method, path, json=body, headers=headers)
    assert reply.status_code == expect, f"setup {method} {path}: {reply.status_code} {reply.text}"
    return reply.json()


PARTICIPANTS = [
    {"actor": "party", "name": "张书记", "unit": "阜康街道社区党委"},
    {"actor": "community", "name": "刘主任", "unit": "社区居委会"},
    {"actor": "social_org", "name": "王芳", "unit": "长安区阳光社工服务中心"},
    {"actor": "social_worker", "name": "李强", "unit": "阜康街道社工站"},
    {"actor": "volunteer", "name": "赵敏", "unit": "长安区志愿者协会"},
    {"actor": "charity", "name": "孙丽", "unit": "长安区慈善会"},
]


async def build(base: str, token, settings) -> dict:
    sw, office = h(token, "social_worker", sub="sw-views"), h(token, "civil_affairs", sub="mz-views")
    maker, checker = h(token, "charity_admin", sub="cz-views-maker"), h(token, "charity_admin", sub="cz-views-checker")
    secretary = h(token, "party_secretary", C1)
    ids: dict = {}
    async with httpx.AsyncClient(base_url=base, timeout=10) as c:

        async def need(area: str, route: str | None, **extra) -> str:
            created = await call(
                c,
                "POST",
                "/needs",
                sw,
                {
                    "area_code": area,
                    "category": "daily_care",
                    "urgency": "major",
                    "description": "独居老人需要照料",
                    "resident": {"name": "阜大娘", "phone": "13700137013", "citizen_id": cid()},
                    **extra,
                },
                201,
            )
            if route:
                await call(
                    c,
                    "POST",
                    f"/needs/{created['id']}/assessment",
                    sw,
                    {"category": "daily_care", "urgency": "major", "service_plan": "上门照料", "route": route},
                )
            return created["id"]

        async def volunteer(name: str, area: str, **extra) -> dict:
            return await call(
                c,
                "POST",
                "/volunteers",
                sw,
                {
                    "name": name,
                    "citizen_id": cid(),
                    "phone": f"13900139{next(_serial):03d}",
                    "area_code": area,
                    "skills": ["照料"],
                    **extra,
                },
                201,
            )

        n1, n2, n3, n4 = (
            await need(C1, "volunteer_task"),
            await need(C1, "project"),
            await need(C2, "government_referral"),
            await need(C1, None),
        )
        ids |= {"n1": n1, "n2": n2, "n3": n3, "n4": n4}

        # N1's volunteer task: V1 accepts and serves, V2 declines
        v1, v2 = await volunteer("陈小明", C1), await volunteer("刘小红", C1)
        ids |= {"v1_ref": v1["volunteer_ref"], "v2_ref": v2["volunteer_ref"]}

        async def task_opened():
            reply = await c.get(f"/tasks/by-need/{n1}", headers=sw)
            return reply.json() if reply.status_code == 200 else None

        task = (await eventually(task_opened, "the volunteer task of N1"))["id"]
        ids["task"] = task
        await call(c, "POST", f"/tasks/{task}/invitations", sw, {"volunteer_ids": [v1["id"], v2["id"]]}, 201)
        await call(c, "POST", f"/tasks/{task}/invitations/{v2['id']}/response", sw, {"accept": False})
        await call(c, "POST", f"/tasks/{task}/invitations/{v1['id']}/response", sw, {"accept": True})
        served = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
        verified = await call(
            c,
            "POST",
            f"/tasks/{task}/hours",
            sw,
            {
                "volunteer_id": v1["id"],
                "check_in": served.isoformat(),
                "check_out": (served + timedelta(minutes=90)).isoformat(),
                "backfill": True,
            },
            201,
        )
        await call(
            c,
            "POST",
            f"/tasks/{task}/hours",
            sw,
            {
                "volunteer_id": v1["id"],
                "check_in": (served + timedelta(days=1)).isoformat(),
                "check_out": (served + timedelta(days=1, minutes=60)).isoformat(),
                "backfill": True,
            },
            201,
        )
        await call(c, "POST", f"/hours/{verified['log_id']}/verification", sw, {"approve": True})

        # charity: a fund of the street, a donation earmarked to N1 and paid in part, one more donation
        fund = (
            await call(
                c,
                "POST",
                "/funds",
                office,
                {"name": "阜康街道社区基金", "kind": "community_foundation", "area_code": TOWNSHIP},
                201,
            )
        )["id"]
        donation = await call(
            c,
            "POST",
            "/donations",
            maker,
            {
                "fund_id": fund,
                "amount_fen": 500_000,
                "donor": {"kind": "anonymous"},
                "earmark": {"target_kind": "need", "target_id": n1, "amount_fen": 300_000, "area_code": C1},
            },
            201,
        )
        earmark = donation["earmark_id"]
        paid = (
            await call(
                c,
                "POST",
                f"/earmarks/{earmark}/disbursements",
                maker,
                {"milestone": "购买护理床", "amount_fen": 200_000},
                201,
            )
        )["id"]
        await call(c, "POST", f"/disbursements/{paid}/approval", checker)
        asked = (
            await call(
                c,
                "POST",
                f"/earmarks/{earmark}/disbursements",
                maker,
                {"milestone": "康复护理", "amount_fen": 50_000},
                201,
            )
        )["id"]
        old_donation = (
            await call(
                c,
                "POST",
                "/donations",
                maker,
                {"fund_id": fund, "amount_fen": 100_000, "donor": {"kind": "anonymous"}},
                201,
            )
        )["id"]
        ids |= {"fund": fund, "earmark": earmark, "paid": paid, "asked": asked}

        # the party: a whistle for N1 and one for nothing in particular; a joint meeting's actions
        whistle = (
            await call(c, "POST", "/whistles", sw, {"area_code": C1, "title": "独居老人照料", "need_id": n1}, 201)
        )["id"]
        await call(c, "POST", "/whistles", sw, {"area_code": C1, "title": "楼道杂物清理"}, 201)
        meeting = (
            await call(
                c,
                "POST",
                "/joint-meetings",
                secretary,
                {
                    "area_code": C1,
                    "title": "党建联席会议",
                    "place": "社区党群服务中心",
                    "participants": PARTICIPANTS,
                    "scheduled_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                },
                201,
            )
        )["id"]
        due = (datetime.now(UTC) + timedelta(days=14)).isoformat()
        resolved = await call(
            c,
            "POST",
            f"/joint-meetings/{meeting}/resolutions",
            secretary,
            {
                "text": "社工定期探访，物业清理楼道",
                "actions": [
                    {
                        "kind": "other",
                        "title": "每周探访阜大娘",
                        "need_id": n1,
                        "owner": "社工:阜康街道社工站",
                        "due_at": due,
                    },
                    {"kind": "other", "title": "清理楼道杂物", "owner": "物业", "due_at": due},
                ],
            },
            201,
        )
        ids |= {"whistle": whistle, "action": resolved["action_ids"][0]}

        # the registry: three organizations (one to be deregistered) and the street's station
        for code, name in ((ORG_A, "阜康乐龄服务中心"), (ORG_B, "阜康邻里互助会"), (ORG_C, "阜康文体协会")):
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
                    "area_code": TOWNSHIP,
                    "full_time_staff": 3,
                },
                201,
            )
        await call(c, "PATCH", f"/organizations/{ORG_C}", office, {"status": "deregistered"})
        opened_on = in_month(-3).date()
        await call(
            c,
            "POST",
            "/platforms",
            office,
            {"kind": "station", "name": "阜康街道社工站", "area_code": TOWNSHIP, "opened_on": opened_on.isoformat()},
            201,
        )

        # projects: P1 and the draft P4 serve N1, P2 serves N2, P3 serves no need
        p1 = (await call(c, "POST", "/projects", sw, project_body(fund, C1, 1_000_000, need_ids=[n1], months=6), 201))[
            "id"
        ]
        p2 = (await call(c, "POST", "/projects", sw, project_body(fund, C1, 2_000_000, need_ids=[n2], months=6), 201))[
            "id"
        ]
        p3 = (await call(c, "POST", "/projects", sw, project_body(fund, C2, 3_000_000, months=6), 201))["id"]
        p4 = (await call(c, "POST", "/projects", sw, project_body(fund, C1, 500_000, need_ids=[n1], months=6), 201))[
            "id"
        ]
        ids |= {"p1": p1, "p2": p2, "p3": p3, "p4": p4}
        nc = await nats.connect(settings.nats_url)
        try:
            procured = wrap(
                ProjectProcured(
                    project_id=p2,
                    need_ids=[n2],
                    area_code=C1,
                    organization_uscc=ORG_B,
                    budget_fen=1_800_000,
                    procured_at=datetime.now(UTC),
                ),
                subject=p2,
                area_code=C1,
            )
            await nc.jetstream().publish(event_subject(ProjectProcured, C1), procured.model_dump_json().encode())
        finally:
            await nc.close()

        # volunteers' organization: two social workers, two facilities, one station
        sw_old = await volunteer("孙督导", C3, social_worker={"level": "social_worker", "certificate_no": "SW-VIEWS-1"})
        await volunteer("周社工", C3, social_worker={"level": "assistant", "certificate_no": "SW-VIEWS-2"})
        facilities = [
            (await call(c, "POST", "/facilities", office, {"area_code": C3, "name": name}, 201))["id"]
            for name in ("阜康社区综合服务中心", "阜康社区党群服务中心")
        ]
        station = (
            await call(c, "POST", "/stations", sw, {"facility_id": facilities[0], "name": "学雷锋志愿服务站"}, 201)
        )["id"]

        # history, written where the API cannot make it
        needs_db, volunteers_db = await kit_db.connect(settings, "needs"), await kit_db.connect(settings, "volunteers")
        charity_db, projects_db = await kit_db.connect(settings, "charity"), await kit_db.connect(settings, "projects")
        try:
            await needs_db.execute("UPDATE needs SET raised_at = $2 WHERE id = $1", n4, in_month(-3))
            await charity_db.execute("UPDATE donations SET received_at = $2 WHERE id = $1", old_donation, in_month(-3))
            await volunteers_db.execute(
                "UPDATE volunteers SET registered_at = $2 WHERE id = $1", sw_old["id"], in_month(-4, 15)
            )
            await volunteers_db.execute(
                "UPDATE facilities SET created_at = $2 WHERE id = $1", facilities[0], in_month(-3)
            )
            await volunteers_db.execute("UPDATE stations SET created_at = $2 WHERE id = $1", station, in_month(-2))
            await projects_db.execute(
                "UPDATE organizations SET registered_at = $2 WHERE uscc = $1", ORG_A, in_month(-4, 20)
            )
            await projects_db.execute(
                "UPDATE organizations SET registered_at = $2 WHERE uscc = $1", ORG_C, in_month(-6)
            )
            # the awards (the saga's own module drives them through bids): P1 delivered by A, P2 procured by B
            for project, org, fen, status in (
                (p1, ORG_A, 900_000, "delivered"),
                (p2, ORG_B, 1_800_000, "procured"),
                (p3, None, None, "closed"),
            ):
                await projects_db.execute(
                    "UPDATE projects SET status = $2, organization_uscc = $3, awarded_fen = $4 WHERE id = $1",
                    project,
                    status,
                    org,
                    fen,
                )
        finally:
            for conn in (needs_db, volunteers_db, charity_db, projects_db):
                await conn.close()
        evaluation = await call(
            c,
            "POST",
            f"/projects/{p1}/evaluation",
            office,
            {
                "indicators_percent": 100,
                "third_party_score": 95,
                "third_party_evaluator": "河北某社会组织评估中心",
                "survey": [5, 5, 5, 4],
            },
        )
        ids["score"] = evaluation["score"]
        ids["grade"] = evaluation["grade"]

        # the five actors on N1's timeline, N2's procurement; then the residents' judgement
        async def kinds(need_id: str) -> set[str]:
            return {e["kind"] for e in (await c.get(f"/needs/{need_id}/timeline", headers=sw)).json()}

        async def on_timelines():
            return {
                "task_accepted",
                "hours_verified",
                "project_proposed",
                "donation_earmarked",
                "funds_disbursed",
                "whistle_blown",
                "action_dispatched",
            } <= await kinds(n1) and {"project_procured", "project_proposed"} <= await kinds(n2)

        await eventually(on_timelines, "the other services' steps on the needs' timelines", timeout=30)
        for n in (n1, n2, n3):
            await call(c, "POST", f"/needs/{n}/resolution", sw, {"on_behalf_of_resident": True})
        await call(c, "POST", f"/needs/{n1}/feedback", sw, {"satisfaction": 5})
        await call(c, "POST", f"/needs/{n3}/feedback", sw, {"satisfaction": 4})
    return ids


@pytest.fixture(scope="module")
def world(projects_api, token, settings) -> dict:
    return run_in_thread(build(projects_api, token, settings))


def problem_field(reply) -> str | None:
    errors = reply.json().get("errors") or [{}]
    return errors[0].get("field")


# --- needs ------------------------------------------------------------------------------------------


async def test_needs_trend_month_by_month(projects, token, world):
    office = h(token, "civil_affairs", CITY)
    trend = (await projects.get("/needs/trend", params={"area": TOWNSHIP}, headers=office)).json()
    assert [p["month"] for p in trend] == MONTHS
    now, two_ago = trend[-1], trend[-3]
    assert (now["raised"], now["resolved"]) == (3, 3) and now["median_first_response_hours"] is not None
    assert 0 <= now["median_first_response_hours"] < 1
    assert two_ago == {"month": MONTHS[-3], "raised": 1, "resolved": 0, "median_first_response_hours": None}
    assert all(
        p == {"month": p["month"], "raised": 0, "resolved": 0, "median_first_response_hours": None}
        for p in trend[:-3] + [trend[-2]]
    )

    worker = h(token, "social_worker")  # the caller's area by default: 长安区 holds at least these
    county = (await projects.get("/needs/trend", params={"months": 36}, headers=worker)).json()
    assert len(county) == 36 and county[-1]["raised"] >= 3 and county[-3]["raised"] >= 1
    [one] = (await projects.get("/needs/trend", params={"area": C2, "months": 1}, headers=worker)).json()
    assert (one["month"], one["raised"], one["resolved"]) == (MONTHS[-1], 1, 1)
    for months in (0, 37):
        assert (await projects.get("/needs/trend", params={"months": months}, headers=worker)).status_code == 422
    outside = await projects.get("/needs/trend", params={"area": QIAOXI}, headers=worker)
    assert outside.status_code == 403 and problem_field(outside) == "area_code"
    assert (await projects.get("/needs/trend", params={"area": CITY}, headers=worker)).status_code == 403
    assert (await projects.get("/needs/trend", params={"area": "130102999"}, headers=worker)).status_code == 422
    for role in ("volunteer", "charity_admin", "org_admin"):
        assert (await projects.get("/needs/trend", headers=h(token, role))).status_code == 403
    auditor = await projects.get("/needs/trend", params={"area": TOWNSHIP}, headers=h(token, "auditor"))
    assert auditor.status_code == 200 and auditor.json() == trend


async def test_linkage_index_over_resolved_needs(projects, token, world):
    office = h(token, "civil_affairs")
    linkage = (await projects.get("/needs/linkage", params={"area": TOWNSHIP}, headers=office)).json()
    third = round(1 / 3, 4)
    assert linkage["area_code"] == TOWNSHIP and linkage["resolved"] == 3
    assert linkage["shares"] == {
        "community": 1.0,
        "volunteers": third,
        "projects": round(2 / 3, 4),
        "charity": third,
        "party": third,
    }
    assert linkage["index"] == round((1 + 1 / 3 + 2 / 3 + 1 / 3 + 1 / 3) / 5, 4)
    assert linkage["communities"] == [
        {
            "area_code": C1,
            "area_name": lookup(C1).name,
            "resolved": 2,
            "index": 0.7,
            "shares": {"community": 1.0, "volunteers": 0.5, "projects": 1.0, "charity": 0.5, "party": 0.5},
        },
        {
            "area_code": C2,
            "area_name": lookup(C2).name,
            "resolved": 1,
            "index": 0.2,
            "shares": {"community": 1.0, "volunteers": 0.0, "projects": 0.0, "charity": 0.0, "party": 0.0},
        },
    ]

    community = (await projects.get("/needs/linkage", params={"area": C1}, headers=office)).json()
    assert community["resolved"] == 2 and [c["area_code"] for c in community["communities"]] == [C1]
    empty = (await projects.get("/needs/linkage", params={"area": C3}, headers=office)).json()
    assert empty == {"area_code": C3, "resolved": 0, "shares": None, "index": None, "communities": []}
    default = (await projects.get("/needs/linkage", headers=h(token, "auditor", TOWNSHIP))).json()
    assert default == linkage

    outside = await projects.get("/needs/linkage", params={"area": QIAOXI}, headers=office)
    assert outside.status_code == 403 and problem_field(outside) == "area_code"
    street = h(token, "social_worker", TOWNSHIP)
    assert (await projects.get("/needs/linkage", params={"area": CHANGAN}, headers=street)).status_code == 403
    for role in ("volunteer", "resident", "charity_admin"):
        assert (await projects.get("/needs/linkage", headers=h(token, role))).status_code == 403


# --- volunteers ---------------------------------------------------------------------------------------


async def test_the_volunteer_service_of_a_need(projects, token, world):
    worker = h(token, "social_worker")
    service = (await projects.get(f"/tasks/by-need/{world['n1']}/service", headers=worker)).json()
    task = (await projects.get(f"/tasks/by-need/{world['n1']}", headers=worker)).json()
    assert service["task"] == task and task["id"] == world["task"] and task["accepted"] == 1
    assert service["volunteers"] == [
        {"volunteer_ref": world["v1_ref"], "name": "陈**", "status": "accepted"},
        {"volunteer_ref": world["v2_ref"], "name": "刘**", "status": "declined"},
    ]
    assert (service["minutes_verified"], service["minutes_pending"]) == (90, 60)
    city = await projects.get(f"/tasks/by-need/{world['n1']}/service", headers=h(token, "civil_affairs", CITY))
    assert city.status_code == 200 and city.json() == service

    for need in (world["n3"], str(new_id())):  # a need with no task (a referral), an unknown need
        assert (await projects.get(f"/tasks/by-need/{need}/service", headers=worker)).status_code == 404
    elsewhere = await projects.get(f"/tasks/by-need/{world['n1']}/service", headers=h(token, "social_worker", QIAOXI))
    assert elsewhere.status_code == 404
    other_street = h(token, "social_worker", "130102001")
    assert (await projects.get(f"/tasks/by-need/{world['n1']}/service", headers=other_street)).status_code == 404
    for role in ("volunteer", "org_admin", "charity_admin"):
        reply = await projects.get(f"/tasks/by-need/{world['n1']}/service", headers=h(token, role))
        assert reply.status_code == 403


async def test_volunteer_stats_trends(projects, token, world):
    office = h(token, "civil_affairs")
    stats = (await projects.get("/volunteers/stats", params={"area": TOWNSHIP}, headers=office)).json()
    workers = stats["social_workers_trend"]
    assert [p["month"] for p in workers] == MONTHS
    assert [p["value"] for p in workers] == [0] * 8 + [1, 1, 1, 2]
    assert sum(stats["social_workers_by_level"].values()) == 2
    coverage = stats["station_coverage"]
    assert (coverage["facilities"], coverage["with_station"], coverage["coverage"]) == (2, 1, 0.5)
    assert [p["month"] for p in coverage["trend"]] == MONTHS
    assert [p["value"] for p in coverage["trend"]] == [None] * 9 + [0.0, 1.0, 0.5]

    community = (await projects.get("/volunteers/stats", params={"area": C1}, headers=office)).json()
    assert [p["value"] for p in community["social_workers_trend"]] == [0] * 12
    assert [p["value"] for p in community["station_coverage"]["trend"]] == [None] * 12
    outside = await projects.get("/volunteers/stats", params={"area": QIAOXI}, headers=office)
    assert outside.status_code == 403 and problem_field(outside) == "area_code"
    for role in ("volunteer", "charity_admin"):
        assert (await projects.get("/volunteers/stats", headers=h(token, role))).status_code == 403
    assert (
        await projects.get("/volunteers/stats", params={"area": TOWNSHIP}, headers=h(token, "auditor"))
    ).status_code == 200


# --- projects and the registry --------------------------------------------------------------------------


async def test_projects_of_a_need(projects, token, world):
    worker = h(token, "social_worker")
    listed = (await projects.get("/projects", params={"need_id": world["n1"]}, headers=worker)).json()
    assert {p["id"] for p in listed} == {world["p1"], world["p4"]}
    assert all(world["n1"] in p["need_ids"] for p in listed)
    drafts = (
        await projects.get("/projects", params={"need_id": world["n1"], "status": "draft"}, headers=worker)
    ).json()
    assert [p["id"] for p in drafts] == [world["p4"]]
    # an organization sees a project from its publication on, whatever the filter
    org = (await projects.get("/projects", params={"need_id": world["n1"]}, headers=h(token, "org_admin"))).json()
    assert [p["id"] for p in org] == [world["p1"]]
    assert (await projects.get("/projects", params={"need_id": str(new_id())}, headers=worker)).json() == []
    qiaoxi = h(token, "social_worker", QIAOXI)
    assert (await projects.get("/projects", params={"need_id": world["n1"]}, headers=qiaoxi)).json() == []
    outside = await projects.get("/projects", params={"need_id": world["n1"], "area": CHANGAN}, headers=qiaoxi)
    assert outside.status_code == 403 and problem_field(outside) == "area_code"
    assert (await projects.get("/projects", params={"need_id": "not-a-uuid"}, headers=worker)).status_code == 422
    for role in ("volunteer", "resident"):
        reply = await projects.get("/projects", params={"need_id": world["n1"]}, headers=h(token, role))
        assert reply.status_code == 403


async def test_project_stats(projects, token, world):
    office = h(token, "civil_affairs")
    stats = (await projects.get("/projects/stats", params={"area": TOWNSHIP}, headers=office)).json()
    assert stats["area_code"] == TOWNSHIP
    assert {s: n for s, n in stats["by_status"].items() if n} == {
        "draft": 1,
        "procured": 1,
        "evaluated": 1,
        "closed": 1,
    }
    assert set(stats["by_status"]) >= {"draft", "review_pending", "funded", "published", "delivered"}
    assert stats["budget_fen"] == 1_000_000 + 2_000_000 + 500_000  # P3 is closed
    assert stats["awarded_fen"] == 900_000 + 1_800_000
    assert stats["by_grade"] == {"excellent": 0, "good": 0, "basic": 0, "unqualified": 0, world["grade"]: 1}
    assert stats["mean_score"] == round(world["score"], 2) and stats["organizations_delivering"] == 2

    empty = (await projects.get("/projects/stats", params={"area": C3}, headers=office)).json()
    assert (empty["budget_fen"], empty["awarded_fen"], empty["mean_score"], empty["organizations_delivering"]) == (
        0,
        0,
        None,
        0,
    )
    assert set(empty["by_status"].values()) == {0} and set(empty["by_grade"].values()) == {0}
    outside = await projects.get("/projects/stats", params={"area": QIAOXI}, headers=office)
    assert outside.status_code == 403 and problem_field(outside) == "area_code"
    unknown = await projects.get("/projects/stats", params={"area": "130102999"}, headers=office)
    assert unknown.status_code == 422 and problem_field(unknown) == "area"
    for role in ("org_admin", "volunteer", "resident"):
        assert (await projects.get("/projects/stats", headers=h(token, role))).status_code == 403
    for role in ("auditor", "social_worker", "party_secretary", "grid_worker", "charity_admin"):
        reply = await projects.get("/projects/stats", params={"area": TOWNSHIP}, headers=h(token, role))
        assert reply.status_code == 200 and reply.json() == stats


async def test_registry_trends(projects, token, world):
    office = h(token, "civil_affairs")
    stats = (await projects.get("/organizations/stats", params={"area": TOWNSHIP}, headers=office)).json()
    assert stats["organizations"] == 2
    assert [p["month"] for p in stats["trend"]] == MONTHS
    # C registered six months ago and deregistered now; A four months ago; B now
    assert [p["value"] for p in stats["trend"]] == [0] * 6 + [1, 1, 2, 2, 2, 2]
    coverage = (await projects.get("/platforms/coverage", params={"area": TOWNSHIP}, headers=office)).json()
    assert coverage["stations"]["townships"] == 1 and coverage["stations"]["share"] == 1.0
    assert [p["month"] for p in coverage["trend"]] == MONTHS
    assert [p["value"] for p in coverage["trend"]] == [0.0] * 9 + [1.0] * 3

    for path in ("/organizations/stats", "/platforms/coverage"):
        outside = await projects.get(path, params={"area": QIAOXI}, headers=office)
        assert outside.status_code == 403 and problem_field(outside) == "area_code"
        for role in ("grid_worker", "volunteer", "org_admin"):
            assert (await projects.get(path, headers=h(token, role))).status_code == 403
        assert (await projects.get(path, params={"area": TOWNSHIP}, headers=h(token, "auditor"))).status_code == 200


# --- charity ------------------------------------------------------------------------------------------


async def test_fund_flows(projects, token, world):
    admin = h(token, "charity_admin")
    flows = (await projects.get("/funds/flows", params={"area": TOWNSHIP}, headers=admin)).json()
    assert flows["area_code"] == TOWNSHIP
    assert (flows["received_fen"], flows["disbursed_fen"], flows["earmarked_fen"]) == (600_000, 200_000, 300_000)
    assert [m["month"] for m in flows["by_month"]] == MONTHS
    assert flows["by_month"][-1] == {"month": MONTHS[-1], "in_fen": 500_000, "out_fen": 200_000}
    assert flows["by_month"][-3] == {"month": MONTHS[-3], "in_fen": 100_000, "out_fen": 0}
    assert sum(m["in_fen"] + m["out_fen"] for m in flows["by_month"]) == 800_000

    # the community: donations belong to the street's fund; the earmark and its payment to the community
    community = (await projects.get("/funds/flows", params={"area": C1}, headers=admin)).json()
    assert (community["received_fen"], community["disbursed_fen"], community["earmarked_fen"]) == (0, 200_000, 300_000)
    recent = (await projects.get("/funds/flows", params={"area": TOWNSHIP, "months": 2}, headers=admin)).json()
    assert len(recent["by_month"]) == 2 and recent["received_fen"] == 500_000
    for months in (0, 37):
        reply = await projects.get("/funds/flows", params={"months": months}, headers=admin)
        assert reply.status_code == 422
    outside = await projects.get("/funds/flows", params={"area": QIAOXI}, headers=admin)
    assert outside.status_code == 403 and problem_field(outside) == "area_code"
    assert (await projects.get("/funds/flows", params={"area": CITY}, headers=admin)).status_code == 403
    for role in ("grid_worker", "volunteer", "org_admin"):
        assert (await projects.get("/funds/flows", headers=h(token, role))).status_code == 403
    for role in ("civil_affairs", "auditor", "social_worker", "party_secretary"):
        reply = await projects.get("/funds/flows", params={"area": TOWNSHIP}, headers=h(token, role))
        assert reply.status_code == 200 and reply.json() == flows


async def test_earmarks_of_a_need(projects, token, world):
    admin = h(token, "charity_admin")
    found = (await projects.get(f"/earmarks/by-need/{world['n1']}", headers=admin)).json()
    [earmark] = found["earmarks"]
    assert (earmark["id"], earmark["amount_fen"], earmark["area_code"]) == (world["earmark"], 300_000, C1)
    assert earmark["earmarked_at"]
    paid, asked = found["disbursements"]
    assert (paid["id"], paid["amount"], paid["status"], paid["milestone"]) == (
        world["paid"],
        200_000,
        "disbursed",
        "购买护理床",
    )
    assert paid["approved_at"] and paid["earmark_id"] == world["earmark"]
    assert (asked["id"], asked["status"], asked["approved_at"]) == (world["asked"], "requested", None)
    for role, area in (("social_worker", CHANGAN), ("auditor", C1), ("civil_affairs", CITY)):
        assert (await projects.get(f"/earmarks/by-need/{world['n1']}", headers=h(token, role, area))).json() == found

    nothing = {"earmarks": [], "disbursements": []}
    assert (await projects.get(f"/earmarks/by-need/{world['n2']}", headers=admin)).json() == nothing
    assert (await projects.get(f"/earmarks/by-need/{new_id()}", headers=admin)).json() == nothing
    for outsider in (h(token, "charity_admin", QIAOXI), h(token, "social_worker", C2)):  # another county, street
        reply = await projects.get(f"/earmarks/by-need/{world['n1']}", headers=outsider)
        assert reply.status_code == 200 and reply.json() == nothing
    assert (await projects.get("/earmarks/by-need/not-a-uuid", headers=admin)).status_code == 422
    for role in ("volunteer", "party_secretary", "grid_worker"):
        assert (await projects.get(f"/earmarks/by-need/{world['n1']}", headers=h(token, role))).status_code == 403


# --- the party --------------------------------------------------------------------------------------------


async def test_whistles_and_meeting_actions_of_a_need(projects, token, world):
    worker = h(token, "social_worker")
    whistles = (await projects.get("/whistles", params={"need_id": world["n1"]}, headers=worker)).json()
    assert [w["id"] for w in whistles] == [world["whistle"]] and whistles[0]["need_id"] == world["n1"]
    everything = (await projects.get("/whistles", params={"area": C1}, headers=worker)).json()
    assert len(everything) >= 2
    actions = (await projects.get("/meeting-actions", params={"need_id": world["n1"]}, headers=worker)).json()
    assert [a["id"] for a in actions] == [world["action"]] and actions[0]["need_id"] == world["n1"]
    assert len((await projects.get("/meeting-actions", params={"area": C1}, headers=worker)).json()) == 2

    for path in ("/whistles", "/meeting-actions"):
        assert (await projects.get(path, params={"need_id": str(new_id())}, headers=worker)).json() == []
        assert (await projects.get(path, params={"need_id": world["n2"]}, headers=worker)).json() == []
        qiaoxi = h(token, "social_worker", QIAOXI)
        assert (await projects.get(path, params={"need_id": world["n1"]}, headers=qiaoxi)).json() == []
        outside = await projects.get(path, params={"need_id": world["n1"], "area": CHANGAN}, headers=qiaoxi)
        assert outside.status_code == 403 and problem_field(outside) == "area_code"
        assert (await projects.get(path, params={"need_id": "not-a-uuid"}, headers=worker)).status_code == 422
        for role in ("volunteer", "resident"):
            reply = await projects.get(path, params={"need_id": world["n1"]}, headers=h(token, role))
            assert reply.status_code == 403
        for role in ("civil_affairs", "auditor", "party_secretary"):
            reply = await projects.get(path, params={"need_id": world["n1"]}, headers=h(token, role))
            assert reply.status_code == 200 and len(reply.json()) == 1
