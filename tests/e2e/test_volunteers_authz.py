"""Role × jurisdiction of every route of the volunteers service — its time bank, its organization
(facilities, stations, teams, training, supervision, statistics) and its service record
certificates — as one table.

The objects live in 长安区 (130102): volunteers of community 130102001001, an open task (the
volunteer "me" invited), a task "me" accepted with verified hours (so "me" holds credits) and an
unverified hours record, a need routed to volunteers (its demand record and its task), a relative
of "me" for the time bank. For every route the table checks each allowed role of 长安区 (success,
on fresh objects where the route changes state), a role that is not allowed (403), a worker of
桥西区 130104 (404 for 长安区 objects — the same answer as an unknown id — and 403 naming
`area_code` for writes naming a 长安区 area), the city's civil affairs bureau 130100 (reads where
civil affairs reads, no writes) and a request without a token (401). Where a route serves the
volunteer themself, their own token (sub = their volunteer_ref) succeeds and another volunteer's
token answers 404.

Everything goes through the gateway except `GET /demands/{need_id}`: the gateway never exposes
it, it only composes it into `GET /needs/{id}` (`matching_status`). Those rows check the
composition through the gateway and the route's own rules against the volunteers service.
Time-bank clearing is civil affairs' own write: the city clears between its counties.

The organization lives in community 130102001009: a facility with its station, a team at that
station led by a supervising social worker (a volunteer registered with a social worker's
certificate) with one member and one training, and a team without a supervisor. Community
130102001010 holds a volunteer with verified hours in the past week and the certificate a social
worker issued them. Civil affairs organizes (facilities, stations, teams, members), so the city's
bureau may write there; only a social worker trains, and only the team's supervisor (token sub =
their volunteer_ref, as social worker or as volunteer) records supervision. A station names a
facility, a team names a station, members and a supervisor: when what it names lies outside the
caller's area, the answer is the 422 naming that field that an unknown id gets. The certificate's
code is checked without a token at the gateway's /public/certificates/{code}; the pass-through
/certificates/verify/{code} still wants one.
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from support.authz import Case, Table, bearer, call, fill
from support.problems import anonymous
from support.waiting import eventually, run_in_thread

from contracts.values import citizen_id_check_char

CHANGAN, QIAOXI, CITY = "130102", "130104", "130100"
COMMUNITY = "130102001001"  # 建北街道 001 社区, 长安区
QIAOXI_COMMUNITY = "130104002001"  # 中山街道 001 社区, 桥西区
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.now(SHANGHAI).date()


def local(days_ago: int, hour: int, minute: int = 0) -> str:
    """A time that has passed, in Beijing time: hours are only logged for time really served."""
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour, minute), SHANGHAI).isoformat()


WINDOW = {"start": local(10, 8), "end": local(2, 18)}  # the tasks' window: every hours record here lies inside it
SERVICE = "service"  # Case.via: straight to the volunteers service, not through the gateway
# communities of 长安区 no other module uses: the organization's objects, and a certificate's holder
TEAM_COMMUNITY, HOLDER_COMMUNITY = "130102001009", "130102001010"

_serial = itertools.count()
_org_serial = itertools.count()


def citizen_id() -> str:
    """A new valid citizen ID of 长安区, born in 1955 (this module's own range)."""
    n = next(_serial)
    born = date(1955, 1, 1) + timedelta(days=n // 1000)
    first17 = f"{CHANGAN}{born:%Y%m%d}{n % 1000:03d}"
    return first17 + citizen_id_check_char(first17)


def org_citizen_id() -> str:
    """A new valid citizen ID of 长安区, born in 1945: the organization's and certificates' people."""
    n = next(_org_serial)
    born = date(1945, 1, 1) + timedelta(days=n // 1000)
    first17 = f"{CHANGAN}{born:%Y%m%d}{n % 1000:03d}"
    return first17 + citizen_id_check_char(first17)


def volunteer_body(area: str = COMMUNITY, cid: str | None = None, **extra) -> dict:
    """A skill of this module's own: other modules' matching in the shared county is not disturbed."""
    cid = cid or citizen_id()
    return {
        "name": "郑一",
        "citizen_id": cid,
        "phone": "13900139" + cid[-4:-1],
        "area_code": area,
        "skills": ["读报"],
        "availability": [{"weekday": 0, "start": "08:00", "end": "12:00"}],
        **extra,
    }


def task_body(area: str = COMMUNITY) -> dict:
    return {"area_code": area, "title": "为老人读报", "required_skills": ["读报"], "time_window": WINDOW}


def need_body(area: str, cid: str) -> dict:
    return {
        "area_code": area,
        "category": "meal_aid",
        "description": "独居老人需要送午餐",
        "required_skills": ["送餐"],
        "time_window": WINDOW,
        "resident": {"name": "冯奶奶", "phone": "13700137055", "citizen_id": cid},
    }


ASSESSMENT = {"category": "meal_aid", "urgency": "major", "service_plan": "每周一上午送餐", "route": "volunteer_task"}
CHECK_IN = {"at": local(6, 9, 5)}  # each success on a volunteer of its own: no overlaps
CHECK_OUT = {"at": local(6, 10, 35)}
HOURS = {"volunteer_id": "{me}", "check_in": local(5, 9), "check_out": local(5, 11)}
FAMILY = {"volunteer_id": "{me}", "relative_id": "{relative}", "relation": "child"}
TRANSFER = {"from_volunteer": "{me}", "to_volunteer": "{relative}", "units": 10}
REDEMPTION = {"volunteer_id": "{me}", "units": 10, "service": "理发", "at_bank_area": COMMUNITY}
EXCHANGE = {"volunteer_id": "{me}", "units": 10}

SOCIAL_WORKER = {"social_worker": {"level": "social_worker", "certificate_no": "SW-2026-001"}}
FACILITY = {"area_code": TEAM_COMMUNITY, "name": "建北社区综合服务中心"}
STATION = {"facility_id": "{facility}", "name": "学雷锋志愿服务站"}  # {facility} is fresh: one station each
TEAM = {
    "name": "建北读报志愿服务队",
    "area_code": TEAM_COMMUNITY,
    "station_id": "{station}",
    "supervisor_id": "{supervisor}",
    "member_ids": ["{member}"],
}
MEMBERS = {"member_ids": ["{member}"]}
TRAINING = {"course": "读报志愿者培训", "held_on": "2026-11-20", "attendee_ids": ["{member}"]}
SUPERVISION = {"held_at": "2026-11-21T15:00:00+08:00", "notes": "个案督导"}
SERVED_ON = TODAY - timedelta(days=7)  # the holder's verified hours: a certificate covers past service only
CERTIFICATE = {
    "volunteer_id": "{holder}",
    "period_start": (SERVED_ON - timedelta(days=3)).isoformat(),
    "period_end": TODAY.isoformat(),
}
UNKNOWN_CODE = "ZZZZ-ZZZZ-ZZZZ"  # well formed, never drawn in practice (31**12 codes)


# --- the table ------------------------------------------------------------------------------------

# Paths name the world's objects (see build_world); {invited}, {accepted}, {checked_in}, {logged} are fresh
# on success, with a new {me}. Callers "volunteer@…#self" ({me}'s own token), "#stranger", "#qiaoxi",
# "#supervisor", "#holder": see REFS.
table = Table(home=CHANGAN, other=QIAOXI, city=CITY)

W = ["social_worker", "grid_worker"]
READERS = [*W, "civil_affairs", "party_secretary", "auditor"]
SELF, STRANGER = f"volunteer@{COMMUNITY}#self", f"volunteer@{COMMUNITY}#stranger"
QIAOXI_VOLUNTEER = f"volunteer@{QIAOXI_COMMUNITY}#qiaoxi"
TIMEBANK_ACTORS = ["social_worker", SELF]
TIMEBANK_READERS = [*W, "civil_affairs", "auditor"]

ORGANIZERS = ["social_worker", "civil_affairs"]
SUPERVISOR_WORKER = f"social_worker@{CHANGAN}#supervisor"  # the team's supervisor, signed in as a social worker
SUPERVISOR_VOLUNTEER = f"volunteer@{TEAM_COMMUNITY}#supervisor"  # … or with their own volunteer token
HOLDER = f"volunteer@{HOLDER_COMMUNITY}#holder"  # the certificate's volunteer
QIAOXI_TEAM = {"name": "中山志愿服务队", "area_code": QIAOXI_COMMUNITY}

TABLE: list[Case] = [
    # the demand record, composed by the gateway into GET /needs/{id} …
    *[Case("GET", "/needs/{need}", f"{role}@{CHANGAN}", 200, matching="available") for role in READERS],
    Case("GET", "/needs/{need}", f"civil_affairs@{CITY}", 200, matching="available"),
    Case("GET", "/needs/{need}", f"social_worker@{QIAOXI}", 404),
    Case("GET", "/needs/{qiaoxi_need}", f"social_worker@{QIAOXI}", 200, matching="available"),
    # … and its own rules, in the volunteers service
    *table.route(
        "GET",
        "/demands/{need}",
        200,
        allowed=READERS,
        denied=["volunteer", "org_admin", "resident"],
        other=404,
        city=200,
        shows="need",
        via=SERVICE,
    ),
    Case("GET", "/demands/{qiaoxi_need}", f"social_worker@{CHANGAN}", 404, via=SERVICE),
    Case("GET", "/demands/{qiaoxi_need}", f"social_worker@{QIAOXI}", 200, via=SERVICE),
    # registration
    *table.route(
        "POST",
        "/volunteers",
        201,
        body=volunteer_body,
        allowed=W,
        denied=["party_secretary", "auditor", "civil_affairs", "org_admin", "volunteer"],
        other=403,
        city=403,
    ),
    Case("POST", "/volunteers", f"grid_worker@{QIAOXI}", 403, volunteer_body, field="area_code"),
    Case("POST", "/volunteers", f"social_worker@{QIAOXI}", 201, lambda: volunteer_body(QIAOXI_COMMUNITY)),
    # one volunteer: masked for every reader, the volunteer themself included; unmasked for workers with a purpose
    *table.route(
        "GET",
        "/volunteers/{me}",
        200,
        allowed=[*READERS, SELF],
        denied=["resident", "org_admin", "partner"],
        other=404,
        city=200,
        shows="me",
    ),
    Case("GET", "/volunteers/{me}", STRANGER, 404),
    Case("GET", "/volunteers/{me}", QIAOXI_VOLUNTEER, 404),
    Case("GET", "/volunteers/{qiaoxi_volunteer}", f"social_worker@{CHANGAN}", 404),
    Case("GET", "/volunteers/{qiaoxi_volunteer}", f"social_worker@{QIAOXI}", 200),
    Case("GET", "/volunteers/{me}?purpose=identity-check", f"social_worker@{CHANGAN}", 200),
    Case("GET", "/volunteers/{me}?purpose=identity-check", f"grid_worker@{CHANGAN}", 200),
    Case("GET", "/volunteers/{me}?purpose=identity-check", f"auditor@{CHANGAN}", 403),
    Case("GET", "/volunteers/{me}?purpose=identity-check", f"civil_affairs@{CITY}", 403),
    Case("GET", "/volunteers/{me}?purpose=identity-check", SELF, 403),
    Case("GET", "/volunteers/{me}?purpose=identity-check", f"social_worker@{QIAOXI}", 404),
    # the roll of volunteers: workers, their own area by default, masked (q: {me}'s phone number's last four digits)
    *table.route(
        "GET",
        "/volunteers?q={me_tail}&limit=200",
        200,
        allowed=W,
        denied=["civil_affairs", "party_secretary", "auditor", "org_admin", SELF],
        other=200,
        city=403,
        shows="me",
    ),
    Case("GET", f"/volunteers?area={CHANGAN}", f"social_worker@{QIAOXI}", 403, field="area_code"),
    Case("GET", f"/volunteers?area={CITY}", f"grid_worker@{CHANGAN}", 403, field="area_code"),
    # tasks
    *table.route(
        "POST",
        "/tasks",
        201,
        body=task_body(),
        allowed=[*W, "org_admin"],
        denied=["party_secretary", "auditor", "civil_affairs", SELF],
        other=403,
        city=403,
    ),
    Case("POST", "/tasks", f"org_admin@{QIAOXI}", 403, task_body(), field="area_code"),
    Case("POST", "/tasks", f"social_worker@{QIAOXI}", 201, task_body(QIAOXI_COMMUNITY)),
    *table.route(
        "GET", "/tasks?status=open", 200, allowed=READERS, denied=["resident", SELF], other=200, city=200, shows="task"
    ),
    # an organization lists, reads and works on the tasks it created only (these are a social worker's)
    Case("GET", "/tasks?status=open", f"org_admin@{CHANGAN}", 200, hides="task"),
    Case("GET", f"/tasks?area={CHANGAN}", f"social_worker@{QIAOXI}", 403, field="area_code"),
    Case("GET", f"/tasks?area={CITY}", f"social_worker@{CHANGAN}", 403, field="area_code"),
    *table.route(
        "GET",
        "/tasks/by-need/{need}",
        200,
        allowed=READERS,
        denied=["org_admin", SELF, "resident"],
        other=404,
        city=200,
        shows="need_task",
    ),
    *table.route(
        "GET",
        "/tasks/{task}",
        200,
        allowed=[*READERS, SELF],
        denied=["resident", "partner"],
        other=404,
        city=200,
        shows="task",
    ),
    Case("GET", "/tasks/{task}", f"org_admin@{CHANGAN}", 404),
    Case("GET", "/tasks/{task}", STRANGER, 404),
    Case("GET", "/tasks/{task}", QIAOXI_VOLUNTEER, 404),
    Case("GET", "/tasks/{qiaoxi_task}", f"social_worker@{CHANGAN}", 404),
    Case("GET", "/tasks/{qiaoxi_task}", f"social_worker@{QIAOXI}", 200),
    *table.route(
        "GET",
        "/tasks/{task}/candidates",
        200,
        allowed=W,
        denied=["party_secretary", "auditor", "org_admin", SELF],
        other=404,
        city=403,
    ),
    *table.route(
        "POST",
        "/tasks/batch-assignment",
        200,
        body={"task_ids": ["{task}"], "invite": False},
        allowed=["social_worker"],
        denied=["grid_worker", "org_admin", "party_secretary"],
        other=404,
        city=403,
    ),
    *table.route(
        "POST",
        "/tasks/{task}/invitations",
        201,
        body={"volunteer_ids": ["{relative}"]},
        allowed=W,
        denied=["party_secretary", "auditor", "org_admin", SELF],
        other=404,
        city=403,
    ),
    *table.route(
        "POST",
        "/tasks/{invited}/invitations/{me}/response",
        200,
        body={"accept": True},
        fresh="invited",
        allowed=[*W, SELF],
        denied=["party_secretary", "auditor", "org_admin"],
        other=404,
        city=403,
    ),
    Case("POST", "/tasks/{invited}/invitations/{me}/response", STRANGER, 404, {"accept": True}),
    # hours
    *table.route(
        "POST",
        "/tasks/{accepted}/volunteers/{me}/check-in",
        201,
        body=CHECK_IN,
        fresh="accepted",
        allowed=[*W, SELF],
        denied=["party_secretary", "auditor", "org_admin"],
        other=404,
        city=403,
    ),
    Case("POST", "/tasks/{accepted}/volunteers/{me}/check-in", STRANGER, 404, CHECK_IN),
    *table.route(
        "POST",
        "/tasks/{checked_in}/volunteers/{me}/check-out",
        200,
        body=CHECK_OUT,
        fresh="checked_in",
        allowed=[*W, SELF],
        denied=["party_secretary", "auditor", "org_admin"],
        other=404,
        city=403,
    ),
    Case("POST", "/tasks/{checked_in}/volunteers/{me}/check-out", STRANGER, 404, CHECK_OUT),
    *table.route(
        "POST",
        "/tasks/{accepted}/hours",
        201,
        body=HOURS,
        fresh="accepted",
        allowed=W,
        denied=["party_secretary", SELF],
        other=404,
        city=403,
    ),
    Case("POST", "/tasks/{accepted}/hours", f"org_admin@{CHANGAN}", 404, HOURS),
    *table.route(
        "GET", "/hours/{log}", 200, allowed=[*READERS, SELF], denied=["resident"], other=404, city=200, shows="log"
    ),
    Case("GET", "/hours/{log}", f"org_admin@{CHANGAN}", 404),
    # the verifiers' list of hours waiting for them: social workers of the area, organizations for their own tasks
    *table.route(
        "GET",
        "/hours?limit=200",
        200,
        allowed=["social_worker"],
        denied=["grid_worker", "civil_affairs", "party_secretary", "auditor", SELF],
        other=200,
        city=403,
        shows="log",
    ),
    Case("GET", "/hours?limit=200", f"org_admin@{CHANGAN}", 200, hides="log"),
    Case("GET", f"/hours?area={CHANGAN}", f"social_worker@{QIAOXI}", 403, field="area_code"),
    Case("GET", "/hours/{log}", STRANGER, 404),
    *table.route(
        "POST",
        "/hours/{logged}/verification",
        200,
        body={"approve": True},
        fresh="logged",
        allowed=["social_worker"],
        denied=["grid_worker", "auditor", SELF],
        other=404,
        city=403,
    ),
    # an organization verifies only the hours of the tasks it organised (these were a social worker's)
    Case("POST", "/hours/{logged}/verification", f"org_admin@{CHANGAN}", 404, {"approve": True}),
    Case("POST", "/hours/{logged}/verification", f"org_admin@{QIAOXI}", 404, {"approve": True}),
    # the time bank: a volunteer's account is read by workers in jurisdiction and by the volunteer themself …
    *table.route(
        "GET",
        "/timebank/volunteers/{me}",
        200,
        allowed=[*TIMEBANK_READERS, SELF],
        denied=["party_secretary", "org_admin", "resident"],
        other=404,
        city=200,
        shows="me",
    ),
    Case("GET", "/timebank/volunteers/{me}", STRANGER, 404),
    Case("GET", "/timebank/volunteers/{me}", QIAOXI_VOLUNTEER, 404),
    # … and moved by the volunteer themself or a social worker in jurisdiction
    *[
        row
        for path, ok, body in (
            ("/timebank/family-links", 201, FAMILY),
            ("/timebank/transfers", 201, TRANSFER),
            ("/timebank/redemptions", 201, REDEMPTION),
            ("/timebank/exchanges", 201, EXCHANGE),
        )
        for row in (
            *table.route(
                "POST",
                path,
                ok,
                body=body,
                allowed=TIMEBANK_ACTORS,
                denied=["grid_worker", "civil_affairs", "party_secretary", "auditor"],
                other=404,
                city=403,
            ),
            Case("POST", path, STRANGER, 404, body),
            Case("POST", path, QIAOXI_VOLUNTEER, 404, body),
        )
    ],
    # clearing between community banks is civil affairs' own work, at each level over its own area
    *table.route(
        "POST",
        "/timebank/clearing",
        200,
        body={},
        allowed=["civil_affairs"],
        denied=["social_worker", "auditor", "party_secretary", SELF],
        other=200,
        city=200,
    ),
    Case("POST", "/timebank/clearing", f"civil_affairs@{QIAOXI}", 403, {"area": CHANGAN}, field="area_code"),
    Case("POST", "/timebank/clearing", f"civil_affairs@{CHANGAN}", 403, {"area": CITY}, field="area_code"),
    *table.route(
        "GET",
        "/timebank/positions",
        200,
        allowed=TIMEBANK_READERS,
        denied=["party_secretary", "org_admin", SELF],
        other=200,
        city=200,
        shows="bank",
    ),
    Case("GET", f"/timebank/positions?area={CHANGAN}", f"social_worker@{QIAOXI}", 403, field="area_code"),
    Case("GET", f"/timebank/positions?area={CITY}", f"auditor@{CHANGAN}", 403, field="area_code"),
    # facilities and their stations: organized by social workers and civil affairs, read by every worker
    *table.route(
        "POST",
        "/facilities",
        201,
        body=FACILITY,
        allowed=ORGANIZERS,
        denied=["grid_worker", "party_secretary", "auditor", "org_admin", SELF],
        other=403,
        city=201,
    ),
    Case("POST", "/facilities", f"civil_affairs@{QIAOXI}", 403, FACILITY, field="area_code"),
    Case("POST", "/facilities", f"social_worker@{QIAOXI}", 201, {**FACILITY, "area_code": QIAOXI_COMMUNITY}),
    *table.route(
        "GET",
        "/facilities",
        200,
        allowed=READERS,
        denied=["org_admin", "resident", SELF],
        other=200,
        city=200,
        shows="facility",
    ),
    Case("GET", f"/facilities?area={CHANGAN}", f"social_worker@{QIAOXI}", 403, field="area_code"),
    Case("GET", f"/facilities?area={CITY}", f"social_worker@{CHANGAN}", 403, field="area_code"),
    *table.route(
        "POST",
        "/stations",
        201,
        body=STATION,
        fresh="facility",
        allowed=ORGANIZERS,
        denied=["grid_worker", "party_secretary", "auditor", "org_admin", SELF],
        other=422,
        city=201,
        other_field="facility_id",
    ),
    *table.route(
        "GET",
        "/stations",
        200,
        allowed=READERS,
        denied=["org_admin", "resident", SELF],
        other=200,
        city=200,
        shows="station",
    ),
    Case("GET", f"/stations?area={CHANGAN}", f"social_worker@{QIAOXI}", 403, field="area_code"),
    Case("GET", f"/stations?area={CITY}", f"grid_worker@{CHANGAN}", 403, field="area_code"),
    # teams: formed and joined by organizers; what a team names must be within the caller's area
    *table.route(
        "POST",
        "/teams",
        201,
        body=TEAM,
        allowed=ORGANIZERS,
        denied=["grid_worker", "party_secretary", "auditor", "org_admin", SELF, SUPERVISOR_VOLUNTEER],
        other=403,
        city=201,
    ),
    Case("POST", "/teams", f"civil_affairs@{QIAOXI}", 403, TEAM, field="area_code"),
    Case("POST", "/teams", f"social_worker@{QIAOXI}", 201, QIAOXI_TEAM),
    Case(
        "POST", "/teams", f"social_worker@{QIAOXI}", 422, {**QIAOXI_TEAM, "station_id": "{station}"}, field="station_id"
    ),
    Case(
        "POST",
        "/teams",
        f"social_worker@{QIAOXI}",
        422,
        {**QIAOXI_TEAM, "member_ids": ["{member}"]},
        field="member_ids",
    ),
    Case(
        "POST",
        "/teams",
        f"social_worker@{QIAOXI}",
        422,
        {**QIAOXI_TEAM, "supervisor_id": "{supervisor}"},
        field="supervisor_id",
    ),
    *table.route(
        "GET",
        "/teams/{team}",
        200,
        allowed=READERS,
        denied=["org_admin", "resident", SELF, SUPERVISOR_VOLUNTEER],
        other=404,
        city=200,
        shows="team",
    ),
    Case("GET", "/teams/{qiaoxi_team}", f"social_worker@{CHANGAN}", 404),
    Case("GET", "/teams/{qiaoxi_team}", f"social_worker@{QIAOXI}", 200, shows="qiaoxi_team"),
    *table.route(
        "POST",
        "/teams/{team}/members",
        200,
        body=MEMBERS,
        allowed=ORGANIZERS,
        denied=["grid_worker", "party_secretary", "auditor", "org_admin", SELF, SUPERVISOR_VOLUNTEER],
        other=404,
        city=200,
    ),
    Case("POST", "/teams/{qiaoxi_team}/members", f"social_worker@{QIAOXI}", 422, MEMBERS, field="member_ids"),
    Case(
        "POST",
        "/teams/{team}/members",
        f"social_worker@{CHANGAN}",
        422,
        {"member_ids": ["{qiaoxi_volunteer}"]},
        field="member_ids",
    ),
    # social workers lead volunteers: a social worker of the area trains the team …
    *table.route(
        "POST",
        "/teams/{team}/trainings",
        201,
        body=TRAINING,
        allowed=["social_worker", SUPERVISOR_WORKER],
        denied=["grid_worker", "civil_affairs", "party_secretary", "auditor", "org_admin", SUPERVISOR_VOLUNTEER],
        other=404,
        city=403,
    ),
    *table.route(
        "GET",
        "/teams/{team}/trainings",
        200,
        allowed=READERS,
        denied=["org_admin", "resident", SELF],
        other=404,
        city=200,
        shows="training",
    ),
    # … and only the team's supervising social worker (sub = their volunteer_ref) records supervision
    *[
        Case("POST", "/teams/{team}/supervisions", caller, 201, SUPERVISION)
        for caller in (SUPERVISOR_WORKER, SUPERVISOR_VOLUNTEER)
    ],
    Case("POST", "/teams/{team}/supervisions", f"social_worker@{CHANGAN}", 403, SUPERVISION),  # not the supervisor
    *[
        Case("POST", "/teams/{team}/supervisions", f"{role}@{CHANGAN}", 403, SUPERVISION)
        for role in ("grid_worker", "civil_affairs", "party_secretary", "auditor", "org_admin")
    ],
    Case("POST", "/teams/{team}/supervisions", STRANGER, 404, SUPERVISION),
    Case("POST", "/teams/{team}/supervisions", f"volunteer@{TEAM_COMMUNITY}#stranger", 404, SUPERVISION),
    Case("POST", "/teams/{team}/supervisions", QIAOXI_VOLUNTEER, 404, SUPERVISION),
    Case("POST", "/teams/{team}/supervisions", f"social_worker@{QIAOXI}", 404, SUPERVISION),
    Case("POST", "/teams/{team}/supervisions", f"civil_affairs@{CITY}", 403, SUPERVISION),
    Case("POST", "/teams/{team}/supervisions", None, 401, SUPERVISION),
    Case("POST", "/teams/{bare_team}/supervisions", f"social_worker@{CHANGAN}", 409, SUPERVISION),  # no supervisor
    Case(
        "POST", "/teams/{bare_team}/supervisions", SUPERVISOR_WORKER, 409, SUPERVISION
    ),  # another team's supervisor too
    # an area's statistics: the caller's own area by default, never outside it
    *table.route(
        "GET",
        f"/volunteers/stats?area={CHANGAN}",
        200,
        allowed=READERS,
        denied=["org_admin", "resident", SELF],
        other=403,
        city=200,
        shows="county",
    ),
    Case("GET", "/volunteers/stats", f"social_worker@{QIAOXI}", 200, hides="county"),
    Case("GET", f"/volunteers/stats?area={CITY}", f"auditor@{CHANGAN}", 403, field="area_code"),
    Case("GET", f"/volunteers/stats?area={TEAM_COMMUNITY}", f"party_secretary@{CHANGAN}", 200),
    # service record certificates: issued by a social worker of the volunteer's area or the volunteer themself …
    *table.route(
        "POST",
        "/certificates",
        201,
        body=CERTIFICATE,
        allowed=["social_worker", HOLDER],
        denied=["grid_worker", "civil_affairs", "party_secretary", "auditor", "org_admin", "resident"],
        other=404,
        city=403,
    ),
    Case("POST", "/certificates", STRANGER, 404, CERTIFICATE),
    Case("POST", "/certificates", QIAOXI_VOLUNTEER, 404, CERTIFICATE),
    # … read (and printed) by them, and by civil affairs and auditors, masked
    *[
        row
        for path, shows in (("/certificates/{cert}", "cert"), ("/certificates/{cert}/print", "cert_code"))
        for row in (
            *table.route(
                "GET",
                path,
                200,
                allowed=["social_worker", HOLDER, "civil_affairs", "auditor"],
                denied=["grid_worker", "party_secretary", "org_admin", "resident"],
                other=404,
                city=200,
                shows=shows,
            ),
            Case("GET", path, STRANGER, 404),
            Case("GET", path, QIAOXI_VOLUNTEER, 404),
        )
    ],
    # … and checked by anyone holding the code, without a token, at the gateway's public route
    Case("GET", "/public/certificates/{cert_code}", None, 200),
    Case("GET", "/public/certificates/{cert_code}", f"resident@{QIAOXI}", 200),
    Case("GET", f"/public/certificates/{UNKNOWN_CODE}", None, 404),
    Case("GET", "/public/certificates/not-a-code", None, 404),
    # the service's own check, passed through like every route of the service, wants a token at the gateway
    Case("GET", "/certificates/verify/{cert_code}", None, 401),
    Case("GET", "/certificates/verify/{cert_code}", f"resident@{QIAOXI}", 200),
    Case("GET", f"/certificates/verify/{UNKNOWN_CODE}", f"auditor@{CHANGAN}", 404),
    Case("GET", "/certificates/verify/{cert_code}", None, 200, via=SERVICE),
]


# --- objects ---------------------------------------------------------------------------------------


REFS = {
    "self": "me_ref",
    "stranger": "other_ref",
    "qiaoxi": "qiaoxi_ref",
    "supervisor": "supervisor_ref",
    "holder": "holder_ref",
}


def subs(ids: dict[str, str]) -> dict[str, str]:
    """The token sub of each tagged caller: the volunteer_ref of one of the world's volunteers."""
    return {tag: ids[ref] for tag, ref in REFS.items()}


async def make(client: httpx.AsyncClient, kind: str, worker: dict, area: str = COMMUNITY) -> dict[str, str]:
    """A new volunteer {me} of `area` and a new task of theirs in the state `kind`: invited, accepted,
    checked_in, or logged (hours entered, not verified: {logged} is the hours record); or, for
    `facility`, a new facility without a station."""
    if kind == "facility":
        return {"facility": (await call(client, "POST", "/facilities", worker, FACILITY, 201))["id"]}
    body = volunteer_body(area)
    me = await call(client, "POST", "/volunteers", worker, body, 201)
    task = (await call(client, "POST", "/tasks", worker, task_body(area), 201))["id"]
    await call(client, "POST", f"/tasks/{task}/invitations", worker, {"volunteer_ids": [me["id"]]}, 201)
    ids = {"me": me["id"], "me_ref": me["volunteer_ref"], "me_tail": body["phone"][-4:], kind: task}
    if kind == "invited":
        return ids
    await call(client, "POST", f"/tasks/{task}/invitations/{me['id']}/response", worker, {"accept": True})
    if kind == "accepted":
        return ids
    if kind == "checked_in":
        await call(client, "POST", f"/tasks/{task}/volunteers/{me['id']}/check-in", worker, CHECK_IN, 201)
        return ids
    assert kind == "logged"
    hours = {**HOURS, "volunteer_id": me["id"]}
    return ids | {"logged": (await call(client, "POST", f"/tasks/{task}/hours", worker, hours, 201))["log_id"]}


@dataclass
class World:
    ids: dict[str, str]


async def build_world(base_url: str, service_url: str, token) -> World:
    worker = bearer(token, f"social_worker@{CHANGAN}")
    qiaoxi = bearer(token, f"social_worker@{QIAOXI}")
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
        httpx.AsyncClient(base_url=service_url, timeout=10) as service,
    ):
        # "me" holds credits: 3 verified hours on the task they accepted, and 1 more hour not yet verified
        accepted = await make(client, "accepted", worker)
        me, task_accepted = accepted["me"], accepted["accepted"]
        verified, log = [
            (
                await call(
                    client,
                    "POST",
                    f"/tasks/{task_accepted}/hours",
                    worker,
                    {"volunteer_id": me, "check_in": local(days_ago, 9), "check_out": local(days_ago, 9 + hours)},
                    201,
                )
            )["log_id"]
            for days_ago, hours in ((9, 3), (8, 1))
        ]
        await call(client, "POST", f"/hours/{verified}/verification", worker, {"approve": True})
        # the open task "me" is invited to
        task = (await call(client, "POST", "/tasks", worker, task_body(), 201))["id"]
        await call(client, "POST", f"/tasks/{task}/invitations", worker, {"volunteer_ids": [me]}, 201)
        other = await call(client, "POST", "/volunteers", worker, volunteer_body(), 201)
        relative = await call(client, "POST", "/volunteers", worker, volunteer_body(), 201)
        await call(
            client,
            "POST",
            "/timebank/family-links",
            worker,
            {"volunteer_id": me, "relative_id": relative["id"], "relation": "child"},
            201,
        )
        qiaoxi_volunteer = await call(client, "POST", "/volunteers", qiaoxi, volunteer_body(QIAOXI_COMMUNITY), 201)
        qiaoxi_task = (await call(client, "POST", "/tasks", qiaoxi, task_body(QIAOXI_COMMUNITY), 201))["id"]

        # a need routed to volunteers: its demand record and its task arrive by events
        need = (await call(client, "POST", "/needs", worker, need_body(COMMUNITY, citizen_id()), 201))["id"]
        await call(client, "POST", f"/needs/{need}/assessment", worker, ASSESSMENT)
        qiaoxi_cid = citizen_id()  # a valid ID; the area of a need comes from its area_code
        qiaoxi_need = (await call(client, "POST", "/needs", qiaoxi, need_body(QIAOXI_COMMUNITY, qiaoxi_cid), 201))["id"]

        async def need_task():
            reply = await client.get(f"/tasks/by-need/{need}", headers=worker)
            return reply.json()["id"] if reply.status_code == 200 else None

        async def demands():
            mine = await service.get(f"/demands/{need}", headers=worker)
            theirs = await service.get(f"/demands/{qiaoxi_need}", headers=qiaoxi)
            return mine.status_code == theirs.status_code == 200

        need_task_id = await eventually(need_task, "the task created from NeedRouted")
        await eventually(demands, "the demand records from NeedRaised")
        organization = await build_organization(client, worker, qiaoxi)
        certificate = await build_certificate(client, worker)
    return World(
        organization
        | certificate
        | {
            "me": me,
            "me_ref": accepted["me_ref"],
            "me_tail": accepted["me_tail"],
            "other_ref": other["volunteer_ref"],
            "relative": relative["id"],
            "qiaoxi_volunteer": qiaoxi_volunteer["id"],
            "qiaoxi_ref": qiaoxi_volunteer["volunteer_ref"],
            "task": task,
            "invited": task,
            "accepted": task_accepted,
            "checked_in": task_accepted,
            "log": log,
            "logged": log,
            "qiaoxi_task": qiaoxi_task,
            "need": need,
            "need_task": need_task_id,
            "qiaoxi_need": qiaoxi_need,
            "bank": COMMUNITY,
            "county": CHANGAN,
        }
    )


async def build_organization(client: httpx.AsyncClient, worker: dict, qiaoxi: dict) -> dict[str, str]:
    """In 130102001009: a facility with its station, a team there supervised by a social worker with
    one member and one training, and a team without a supervisor; a team of 桥西区."""
    facility = (await call(client, "POST", "/facilities", worker, FACILITY, 201))["id"]
    station = (await call(client, "POST", "/stations", worker, {**STATION, "facility_id": facility}, 201))["id"]
    supervisor = await call(
        client, "POST", "/volunteers", worker, volunteer_body(TEAM_COMMUNITY, org_citizen_id(), **SOCIAL_WORKER), 201
    )
    member = (await call(client, "POST", "/volunteers", worker, volunteer_body(TEAM_COMMUNITY, org_citizen_id()), 201))[
        "id"
    ]
    team = (
        await call(
            client,
            "POST",
            "/teams",
            worker,
            {**TEAM, "station_id": station, "supervisor_id": supervisor["id"], "member_ids": [member]},
            201,
        )
    )["id"]
    training = (
        await call(client, "POST", f"/teams/{team}/trainings", worker, {**TRAINING, "attendee_ids": [member]}, 201)
    )["id"]
    bare_team = (
        await call(client, "POST", "/teams", worker, {"name": "建北巡访队", "area_code": TEAM_COMMUNITY}, 201)
    )["id"]
    qiaoxi_team = (await call(client, "POST", "/teams", qiaoxi, QIAOXI_TEAM, 201))["id"]
    return {
        "facility": facility,
        "station": station,
        "supervisor": supervisor["id"],
        "supervisor_ref": supervisor["volunteer_ref"],
        "member": member,
        "team": team,
        "training": training,
        "bare_team": bare_team,
        "qiaoxi_team": qiaoxi_team,
    }


async def build_certificate(client: httpx.AsyncClient, worker: dict) -> dict[str, str]:
    """In 130102001010: a volunteer with two hours served a week ago, verified, and the certificate a
    social worker issued them."""
    holder = await call(client, "POST", "/volunteers", worker, volunteer_body(HOLDER_COMMUNITY, org_citizen_id()), 201)
    task = (await call(client, "POST", "/tasks", worker, task_body(HOLDER_COMMUNITY), 201))["id"]
    await call(client, "POST", f"/tasks/{task}/invitations", worker, {"volunteer_ids": [holder["id"]]}, 201)
    await call(client, "POST", f"/tasks/{task}/invitations/{holder['id']}/response", worker, {"accept": True})
    start = datetime.combine(SERVED_ON, time(9), SHANGHAI)
    log = (
        await call(
            client,
            "POST",
            f"/tasks/{task}/hours",
            worker,
            {
                "volunteer_id": holder["id"],
                "check_in": start.isoformat(),
                "check_out": (start + timedelta(hours=2)).isoformat(),
            },
            201,
        )
    )["log_id"]
    await call(client, "POST", f"/hours/{log}/verification", worker, {"approve": True})
    certificate = await call(
        client, "POST", "/certificates", worker, {**CERTIFICATE, "volunteer_id": holder["id"]}, 201
    )
    return {
        "holder": holder["id"],
        "holder_ref": holder["volunteer_ref"],
        "cert": certificate["id"],
        "cert_code": certificate["code"],
    }


@pytest.fixture(scope="module")
def world(needs_api, stack, token) -> World:
    return run_in_thread(build_world(needs_api, stack.url("volunteers"), token))


@pytest.fixture
async def service(needs_api, stack):
    async with httpx.AsyncClient(base_url=stack.url("volunteers"), timeout=10) as c:
        yield c


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CERTIFICATE_PATH = re.compile(rf"/certificates/{UUID.pattern}")


@pytest.mark.parametrize("case", [c.param() for c in TABLE])
async def test_role_and_jurisdiction(
    case: Case, world: World, client: httpx.AsyncClient, service: httpx.AsyncClient, token
):
    ids = dict(world.ids)
    if case.fresh and case.expect < 300:
        ids |= await make(client, case.fresh, bearer(token, f"social_worker@{CHANGAN}"))
    raw = case.body() if callable(case.body) else case.body
    body = fill(raw, ids)
    headers = bearer(token, case.caller, subs(ids))
    path = fill(case.path, ids)
    http = service if case.via == SERVICE else client

    reply = await http.request(case.method, path, json=body, headers=headers)

    assert reply.status_code == case.expect, reply.text
    if path.startswith("/volunteers/") and not path.startswith("/volunteers/stats") and case.expect == 200:
        # masked unless a worker states a purpose
        view = reply.json()
        assert view["masked"] is ("purpose=" not in path), reply.text
        assert ("*" in view["name"] + view["citizen_id"] + view["phone"]) is view["masked"], reply.text
    if CERTIFICATE_PATH.fullmatch(path) and case.expect == 200:  # the name masked unless the holder or a social worker
        view, role = reply.json(), case.caller.partition("@")[0]
        assert view["name_masked"] is (role not in ("volunteer", "social_worker")), reply.text
        assert view["volunteer_name"] == ("郑*" if view["name_masked"] else "郑一"), reply.text
        assert "*" in view["citizen_id"] and view["code"] == ids["cert_code"], reply.text
    if re.match(r"/(public/certificates|certificates/verify)/", path) and case.expect == 200:  # masked, intact
        check = reply.json()
        assert check["valid"] is True and check["volunteer_name"] == "郑*" and "*" in check["citizen_id"], reply.text
        assert check["certified_minutes"] == 120, reply.text
    if case.matching:
        assert reply.json()["matching_status"] == case.matching, reply.text
    if case.shows:
        assert ids[case.shows] in reply.text
    if case.hides:
        assert world.ids[case.hides] not in reply.text
    if case.expect == 401:
        assert reply.headers["www-authenticate"] == "Bearer"
    if case.expect in (404, 422):  # it learns nothing: the answer for an unknown id (the one id aside)
        fresh_ids = {value: str(uuid.uuid4()) for value in set(ids.values())}
        unknown = {k: fresh_ids[v] for k, v in ids.items()}
        # a 404 is about the object in the path; a 422 about an id in the body (the path's object is known)
        path_ids = unknown if case.expect == 404 else ids
        baseline = await http.request(case.method, fill(case.path, path_ids), json=fill(raw, unknown), headers=headers)
        assert baseline.status_code == case.expect, baseline.text
        names = {value: f"<id {i}>" for i, value in enumerate(fresh_ids) if UUID.fullmatch(value)}
        assert anonymous(reply, names) == anonymous(baseline, {fresh_ids[v]: n for v, n in names.items()})
        assert reply.headers["content-type"] == baseline.headers["content-type"]
    if case.field:
        assert reply.json()["errors"][0]["field"] == case.field
