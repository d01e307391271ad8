"""Role × jurisdiction of every route of the needs service, through the gateway, as one table.

The objects live in 长安区 (130102): a need in each state, an open mediation, residents and a
survey. For every route the table checks an allowed role of 长安区 (success), roles that are not
allowed (403), a worker of 桥西区 130104 (404 for 长安区 objects — the same answer as an unknown id
— and 403 for writes naming a 长安区 area code), a city-level civil_affairs token 130100 (reads
yes, writes no) and a request without a token (401). The need taxonomy is the exception: one list
for the whole installation, read by every role and extended only by provincial civil affairs.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from support.authz import Case, Table, bearer, call, fill
from support.problems import without_instance
from support.waiting import run_in_thread

from contracts.values import citizen_id_check_char

CHANGAN, QIAOXI, CITY = "130102", "130104", "130100"
COMMUNITY = "130102001001"  # 建北街道 001 社区, 长安区
QIAOXI_COMMUNITY = "130104001001"  # 东里街道 001 社区, 桥西区
TOWNSHIP = "130102001"
NOW = datetime.now(UTC)
REVISIT_DAY = (date.today() + timedelta(days=8)).isoformat()  # after every revisit_due of this module
STRANGER_REF = "resident-ref-of-someone-else"


def citizen_id(area: str = CHANGAN, born: date | None = None) -> str:
    """A random, valid 18-character citizen ID (an adult's)."""
    born = born or date(1940 + random.randrange(45), 1 + random.randrange(12), 1 + random.randrange(28))
    first17 = f"{area}{born:%Y%m%d}{random.randrange(1000):03d}"
    return first17 + citizen_id_check_char(first17)


def need_body(
    area: str = COMMUNITY, cid: str = "{cid}", category: str = "counselling", channel: str = "social_worker_visit"
) -> dict:
    return {
        "area_code": area,
        "category": category,
        "urgency": "routine",
        "description": "独居老人需要心理疏导",
        "channel": channel,
        "resident": {"name": "周十", "phone": "13700137000", "citizen_id": cid},
    }


def raise_body(role: str) -> dict:
    """Each caller through its own channel: a resident reports for themself, a portal imports."""
    return need_body(channel={"resident": "self_report", "partner": "portal_import"}.get(role, "social_worker_visit"))


def resident_body(area: str = COMMUNITY, tags: tuple[str, ...] = ()) -> dict:
    return {
        "name": "吴十一",
        "citizen_id": citizen_id(),
        "phone": "13800138011",
        "area_code": area,
        "tags": list(tags),
        "consent": {"purpose": "需求服务与回访", "given_at": NOW.isoformat()},
    }


ASSESSMENT = {
    "category": "counselling",
    "urgency": "routine",
    "service_plan": "每周一次上门心理疏导",
    "route": "government_referral",
}
CONSENT = {"purpose": "回访", "given_at": NOW.isoformat()}
SURVEY = {"area_code": TOWNSHIP, "title": "冬季入户需求调研", "starts_on": "2026-11-01", "ends_on": "2026-12-31"}
VISIT = {"resident_id": "{resident}", "visited_at": NOW.isoformat(), "notes": "入户走访", "needs": []}


def resolution(role: str) -> dict:
    return {"on_behalf_of_resident": role != "resident", "note": "已转介"}


def new_category() -> dict:
    return {"code": f"authz_{uuid.uuid4().hex[:12]}", "zh": "理发", "en": "Haircut"}


# --- the table ------------------------------------------------------------------------------------

# Paths name the world's objects: {need} (= {raised}), {routed}, {resolved}, {mediation}, {resident},
# {elder}, {survey}, {qiaoxi_need}; "resident@130102#own" is the needs' resident (sub = their resident_ref).
table = Table(home=CHANGAN, other=QIAOXI, city=CITY)

W = ["social_worker", "grid_worker"]
READERS = [*W, "civil_affairs", "party_secretary", "auditor"]
OWN, STRANGER = f"resident@{CHANGAN}#own", f"resident@{CHANGAN}#stranger"
LIBRARY = "/needs?category=counselling&page_size=200"

TABLE: list[Case] = [
    # intake and the library
    *table.route(
        "POST",
        "/needs",
        201,
        body=raise_body,
        allowed=[*W, OWN, "partner"],
        denied=["party_secretary", "auditor", "civil_affairs"],
        other=403,
        city=403,
    ),
    Case("POST", "/needs", f"resident@{QIAOXI}#own", 403, raise_body, field="area_code"),
    Case("POST", "/needs", f"partner@{QIAOXI}", 403, raise_body, field="area_code"),
    Case("POST", "/needs", OWN, 403, need_body(channel="social_worker_visit"), field="channel"),
    Case("POST", "/needs", STRANGER, 403, raise_body, field="resident.citizen_id"),  # not for someone else
    Case("POST", "/needs", f"partner@{CHANGAN}", 403, need_body(channel="self_report"), field="channel"),
    *table.route(
        "GET", LIBRARY, 200, allowed=READERS, denied=["resident", "volunteer"], other=200, city=200, shows="need"
    ),
    Case("GET", LIBRARY + f"&area={CHANGAN}", f"social_worker@{QIAOXI}", 403),
    *table.route(
        "GET",
        "/needs/export.csv?category=counselling",
        200,
        allowed=READERS,
        denied=["resident", "org_admin"],
        other=200,
        city=200,
        shows="need",
    ),
    Case("GET", f"/needs/export.csv?area={CHANGAN}", f"grid_worker@{QIAOXI}", 403),
    *table.route("GET", "/needs/stats", 200, allowed=READERS, denied=["resident", "partner"], other=200, city=200),
    Case("GET", f"/needs/stats?area={CHANGAN}", f"social_worker@{QIAOXI}", 403),
    Case("GET", f"/needs/stats?area={CITY}", f"social_worker@{CHANGAN}", 403),
    # one need
    *table.route("GET", "/needs/{need}", 200, allowed=READERS, denied=["resident", "volunteer"], other=404, city=200),
    Case("GET", "/needs/{need}", f"auditor@{QIAOXI}", 404),
    Case("GET", "/needs/{qiaoxi_need}", f"social_worker@{CHANGAN}", 404),  # 长安区 cannot read 桥西区
    Case("GET", "/needs/{qiaoxi_need}", f"grid_worker@{CHANGAN}", 404),
    Case("GET", "/needs/{qiaoxi_need}", f"social_worker@{QIAOXI}", 200),  # …which does exist
    Case("GET", "/needs/{need}?purpose=identity-check", f"social_worker@{CHANGAN}", 200),
    Case("GET", "/needs/{need}?purpose=identity-check", f"grid_worker@{CHANGAN}", 200),
    Case("GET", "/needs/{need}?purpose=identity-check", f"auditor@{CHANGAN}", 403),
    Case("GET", "/needs/{need}?purpose=identity-check", f"civil_affairs@{CITY}", 403),
    Case("GET", "/needs/{need}?purpose=identity-check", f"social_worker@{QIAOXI}", 404),
    *table.route(
        "GET", "/needs/{need}/timeline", 200, allowed=READERS, denied=["resident", "charity_admin"], other=404, city=200
    ),
    # the need's life: success cases get a fresh need in the right state
    *table.route(
        "POST",
        "/needs/{raised}/assessment",
        200,
        body=ASSESSMENT,
        fresh="raised",
        allowed=["social_worker"],
        denied=["grid_worker", "party_secretary", "resident"],
        other=404,
        city=403,
    ),
    *table.route(
        "POST",
        "/needs/{routed}/resolution",
        200,
        body=resolution,
        fresh="routed",
        allowed=[*W, OWN],
        denied=["auditor", "civil_affairs", "party_secretary"],
        other=404,
        city=403,
    ),
    Case("POST", "/needs/{routed}/resolution", STRANGER, 404, resolution),
    *table.route(
        "POST",
        "/needs/{resolved}/feedback",
        200,
        body={"satisfaction": 4, "comment": "满意"},
        fresh="resolved",
        allowed=[*W, OWN],
        denied=["auditor", "civil_affairs", "volunteer"],
        other=404,
        city=403,
    ),
    Case("POST", "/needs/{resolved}/feedback", STRANGER, 404, {"satisfaction": 1}),
    *table.route(
        "POST",
        "/needs/{resolved}/disputes",
        201,
        body={"reason": "问题未解决"},
        fresh="resolved",
        allowed=[*W, OWN],
        denied=["auditor", "civil_affairs", "party_secretary"],
        other=404,
        city=403,
    ),
    Case("POST", "/needs/{resolved}/disputes", STRANGER, 404, {"reason": "问题未解决"}),
    *table.route(
        "POST",
        "/needs/{resolved}/revisits",
        201,
        body={"notes": "老人表示满意"},
        fresh="resolved",
        allowed=W,
        denied=["party_secretary", "auditor", "resident"],
        other=404,
        city=403,
    ),
    # mediations
    *table.route(
        "POST",
        "/mediations/{mediation}/settlement",
        200,
        body={"outcome": "调解办结"},
        fresh="mediation",
        allowed=["social_worker", "party_secretary"],
        denied=["grid_worker", "civil_affairs", "resident"],
        other=404,
        city=403,
    ),
    Case("POST", "/mediations/{mediation}/settlement", f"social_worker@{QIAOXI}", 404, {"outcome": "调解办结"}),
    *table.route(
        "POST",
        "/mediations/{mediation}/escalation",
        200,
        body={"reason": "提交联席会议"},
        fresh="mediation",
        allowed=["social_worker", "party_secretary"],
        denied=["grid_worker", "auditor", "resident"],
        other=404,
        city=403,
    ),
    Case("POST", "/mediations/{mediation}/escalation", f"social_worker@{QIAOXI}", 404, {"reason": "提交联席会议"}),
    *table.route(
        "GET", "/mediations/{mediation}", 200, allowed=READERS, denied=["resident", "volunteer"], other=404, city=200
    ),
    # revisits and proactive visits: lists of community workers
    *table.route(
        "GET",
        f"/revisits/due?on={REVISIT_DAY}",
        200,
        allowed=W,
        denied=["party_secretary", "auditor"],
        other=200,
        city=403,
        shows="resolved",
    ),
    Case("GET", f"/revisits/due?on={REVISIT_DAY}&area={CHANGAN}", f"social_worker@{QIAOXI}", 403),
    *table.route(
        "GET",
        "/proactive-visits",
        200,
        allowed=W,
        denied=["party_secretary", "civil_affairs"],
        other=200,
        city=403,
        shows="elder",
    ),
    Case("GET", f"/proactive-visits?area={CHANGAN}", f"grid_worker@{QIAOXI}", 403),
    # residents
    *table.route(
        "POST",
        "/residents",
        201,
        body=lambda: resident_body(),
        allowed=W,
        denied=["party_secretary", "auditor", "civil_affairs"],
        other=403,
        city=403,
    ),
    *table.route(
        "GET",
        "/residents/{resident}",
        200,
        allowed=[*W, "civil_affairs", "auditor"],
        denied=["party_secretary", "resident"],
        other=404,
        city=200,
    ),
    Case("GET", "/residents/{resident}", f"auditor@{QIAOXI}", 404),
    Case("GET", "/residents/{resident}?purpose=identity-check", f"social_worker@{CHANGAN}", 200),
    Case("GET", "/residents/{resident}?purpose=identity-check", f"grid_worker@{CHANGAN}", 200),
    Case("GET", "/residents/{resident}?purpose=identity-check", f"auditor@{CHANGAN}", 403),
    Case("GET", "/residents/{resident}?purpose=identity-check", f"civil_affairs@{CITY}", 403),
    Case("GET", "/residents/{resident}?purpose=identity-check", f"social_worker@{QIAOXI}", 404),
    *table.route(
        "POST",
        "/residents/{resident}/consents",
        201,
        body=CONSENT,
        allowed=W,
        denied=["party_secretary", "auditor", "civil_affairs"],
        other=404,
        city=403,
    ),
    # surveys and visits
    *table.route(
        "POST",
        "/surveys",
        201,
        body=SURVEY,
        allowed=["social_worker"],
        denied=["grid_worker", "party_secretary", "civil_affairs"],
        other=403,
        city=403,
    ),
    *table.route(
        "POST",
        "/surveys/{survey}/visits",
        201,
        body=VISIT,
        allowed=W,
        denied=["party_secretary", "auditor", "resident"],
        other=404,
        city=403,
    ),
    Case("POST", "/surveys/{survey}/visits", f"grid_worker@{QIAOXI}", 404, VISIT),
    # the taxonomy: one list for the installation, read by everyone, extended by civil affairs
    *table.route(
        "GET",
        "/taxonomy/categories",
        200,
        allowed=["social_worker", "resident", "volunteer", "partner", "auditor"],
        denied=[],
        other=200,
        city=200,
    ),
    # … extended only by the provincial civil-affairs department, since every county sees it
    Case("POST", "/taxonomy/categories", "civil_affairs@130000", 201, new_category),
    *[Case("POST", "/taxonomy/categories", f"civil_affairs@{area}", 403, new_category) for area in (CHANGAN, CITY)],
    *[
        Case("POST", "/taxonomy/categories", f"{role}@130000", 403, new_category)
        for role in ("social_worker", "party_secretary", "auditor")
    ],
    Case("POST", "/taxonomy/categories", None, 401, new_category),
]


# --- objects ---------------------------------------------------------------------------------------


async def make(client: httpx.AsyncClient, kind: str, worker: dict, cid: str) -> str:
    """A new need in 长安区 in the state `kind` (raised, routed, resolved), or an open mediation."""
    need_id = (await call(client, "POST", "/needs", worker, need_body(cid=cid), 201))["id"]
    if kind == "raised":
        return need_id
    await call(client, "POST", f"/needs/{need_id}/assessment", worker, ASSESSMENT)
    if kind == "routed":
        return need_id
    await call(client, "POST", f"/needs/{need_id}/resolution", worker, {"on_behalf_of_resident": True})
    if kind == "resolved":
        return need_id
    assert kind == "mediation"
    return (await call(client, "POST", f"/needs/{need_id}/disputes", worker, {"reason": "居民有异议"}, 201))["case_id"]


@dataclass
class World:
    ids: dict[str, str]
    cid: str  # the citizen ID of every need's resident here
    resident_ref: str

    def subs(self) -> dict[str, str]:
        """The token sub of the callers "…#own" (the needs' resident) and "…#stranger"."""
        return {"own": self.resident_ref, "stranger": STRANGER_REF}


async def build_world(base_url: str, token) -> World:
    worker = bearer(token, f"social_worker@{CHANGAN}")
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        cid = citizen_id()
        resident = await call(client, "POST", "/residents", worker, resident_body() | {"citizen_id": cid}, 201)
        elder = await call(client, "POST", "/residents", worker, resident_body(tags=("empty_nest_elderly",)), 201)
        ids = {kind: await make(client, kind, worker, cid) for kind in ("raised", "routed", "resolved", "mediation")}
        survey = await call(client, "POST", "/surveys", worker, SURVEY, 201)
        qiaoxi = bearer(token, f"social_worker@{QIAOXI}")
        qiaoxi_need = await call(
            client, "POST", "/needs", qiaoxi, need_body(QIAOXI_COMMUNITY, citizen_id(QIAOXI), category="other"), 201
        )
    ids |= {
        "need": ids["raised"],
        "resident": str(resident["id"]),
        "elder": str(elder["id"]),
        "survey": str(survey["id"]),
        "qiaoxi_need": str(qiaoxi_need["id"]),
    }
    return World(ids, cid, resident["resident_ref"])


@pytest.fixture(scope="module")
def world(needs_api, token) -> World:
    return run_in_thread(build_world(needs_api, token))


@pytest.mark.parametrize("case", [c.param() for c in TABLE])
async def test_role_and_jurisdiction(case: Case, world: World, client: httpx.AsyncClient, token):
    ids = {**world.ids, "cid": world.cid}
    if case.fresh and case.expect < 300:
        ids[case.fresh] = await make(client, case.fresh, bearer(token, f"social_worker@{CHANGAN}"), world.cid)
    role = case.caller.partition("@")[0] if case.caller else ""
    body = case.body
    if callable(body):
        body = body(role) if body.__code__.co_argcount else body()
    body = fill(body, ids)
    headers = bearer(token, case.caller, world.subs())
    path = fill(case.path, ids)

    reply = await client.request(case.method, path, json=body, headers=headers)

    assert reply.status_code == case.expect, reply.text
    if "purpose=" in case.path and case.expect == 200:  # an unmasked read shows the data unmasked
        view = reply.json()
        resident = view["need"]["resident"] if "need" in view else view
        assert "*" not in resident["name"] + resident["phone"] + resident["citizen_id"], reply.text
    if case.shows:
        assert ids[case.shows] in reply.text
    if case.hides:
        assert world.ids[case.hides] not in reply.text
    if case.expect == 401:
        assert reply.headers["www-authenticate"] == "Bearer"
    if case.expect == 404 and "{" in case.path:  # it learns nothing: the answer for an unknown id
        unknown = fill(case.path, {k: str(uuid.uuid4()) for k in ids})
        baseline = await client.request(case.method, unknown, json=body, headers=headers)
        assert baseline.status_code == 404
        assert without_instance(reply) == without_instance(baseline)
        assert reply.headers["content-type"] == baseline.headers["content-type"]
    if case.field:
        assert reply.json()["errors"][0]["field"] == case.field
