"""Demo data (演示数据): a realistic Hebei demo — 长安区 and the rural 行唐县 — loaded through the
public API (the gateway, with development tokens), so that every event really flows between the
services and every console page has something true to show.

`wushe up` loads it once, after the services are ready (WUSHE_DEMO=false skips it); `wushe demo`
loads it into a running stack. Completion is recorded in $WUSHE_HOME/demo/loaded. Every object
created is written to $WUSHE_HOME/demo/journal.json as it is created, so a run that was
interrupted starts again from the top and only sends what is missing; objects the journal does not
know are recognised by the services (409, or the same Idempotency-Key) and looked up where a later
step needs their id. The story itself (who, where, which need goes which way) is deploy/demo_plan.py,
the names, places and texts deploy/demo_data.py."""

from __future__ import annotations

import asyncio
import json
import os
import time
import traceback
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from deploy import demo_data as D
from deploy.demo_plan import CHARITY_MILESTONES, LOCAL, Activity, Need, Plan
from kit.auth import issue_token
from kit.settings import Settings

CONCURRENCY = 8  # requests in flight: enough to keep two cores busy, not enough to crowd the services
BID_WINDOW_S = 8.0  # the calls for bids and the venture call close this long after they open
POLL_TIMEOUT_S = 60.0
STAGES = (
    ("登记机关", "registry"),
    ("资金与捐赠", "funds and donations"),
    ("志愿者与社工", "volunteers"),
    ("党组织与党员", "party"),
    ("居民", "residents"),
    ("居民需求", "needs"),
    ("服务与项目", "services and projects"),
    ("吹哨、心愿与联席会议", "whistles, wishes, joint meeting"),
    ("时间银行与爱心超市", "time bank and love supermarket"),
)
Who = tuple[str, str, str]  # role, area, sub
PERSONA_IDS = [
    "social_worker",
    "grid_worker",
    "party_secretary",
    "civil_affairs_county",
    "civil_affairs_city",
    "civil_affairs_province",
    "charity_admin",
    "org_admin",
    "volunteer",
    "resident",
    "auditor",
    "social_worker_rural",
]


class Interrupted(Exception):
    """Ctrl-C while loading: stop sending, keep what was done."""


class DemoError(Exception):
    """An answer the demo did not expect."""


class Unknown(DemoError):
    """The object is there already (a run before this one made it), but its id cannot be found."""


def loaded_marker(settings: Settings) -> Path:
    return settings.path("demo", "loaded")


class AlreadyThere(Exception):
    """The demo's data is in the database, but the journal that knows it is gone."""


class Journal:
    """What the demo created, by key: written at most once a second while loading, and at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except (OSError, ValueError):
            self.data = {}
        self.fresh = not set(self.data) - {"anchor"}  # nothing created yet (as far as it knows)
        self.dirty, self.saved_at = False, time.monotonic()

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def put(self, key: str, value: Any) -> Any:
        self.data[key] = value
        self.dirty = True
        self.save()
        return value

    def keys(self, prefix: str) -> list[str]:
        return [k for k in self.data if k.startswith(prefix)]

    def save(self, force: bool = False) -> None:
        if not self.dirty or (not force and time.monotonic() - self.saved_at < 1.0):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)
        self.dirty, self.saved_at = False, time.monotonic()


def _iso(at: datetime) -> str:
    return at.isoformat()


class Demo:
    def __init__(
        self,
        settings: Settings,
        session: aiohttp.ClientSession,
        journal: Journal,
        should_stop: Callable[[], bool],
        say: Callable[[str], None],
    ) -> None:
        self.settings, self.session, self.j, self.should_stop, self.say = settings, session, journal, should_stop, say
        self.base = f"http://{settings.http_host}:{settings.http_port}/api/v1"
        self.sem = asyncio.Semaphore(CONCURRENCY)
        self.tokens: dict[Who, str] = {}
        self.on_duty: dict[
            int, asyncio.Lock
        ] = {}  # a volunteer is at one place at a time: an open log overlaps any other
        self.warnings: list[str] = []
        self.requests = 0
        anchor = journal.get("anchor") or journal.put("anchor", datetime.now(UTC).replace(microsecond=0).isoformat())
        self.anchor = datetime.fromisoformat(anchor)  # the first run's start: dates are counted from it
        self.today = self.anchor.astimezone(LOCAL).date()
        self.year = self.today.year
        self.plan = Plan(self.today)

    # --- who is acting ----------------------------------------------------------------------------------
    def mz(self, area: str) -> Who:
        county = area[:6] if area[:6] in D.MZ else area
        return ("civil_affairs", county, D.MZ[county])

    def sw(self, area: str) -> Who:
        if len(area) == 12:
            return ("social_worker", area, D.social_worker(area))
        return ("social_worker", area[:6], D.COUNTY_SOCIAL_WORKER[area[:6]])

    def grid(self, area: str) -> Who:
        return ("grid_worker", area, D.grid_worker(area))

    def sj(self, area: str) -> Who:
        return ("party_secretary", area, D.party_secretary(area))

    def maker(self, area: str) -> Who:
        return ("charity_admin", area[:6], D.CHARITY_MAKER[area[:6]])

    def checker(self, area: str) -> Who:
        return ("charity_admin", area[:6], D.CHARITY_CHECKER[area[:6]])

    def org_admin(self, key: str) -> Who:
        org = self.org(key)
        return ("org_admin", org[4][:6], org[7][0])

    def org(self, key: str) -> tuple:
        return next(o for o in D.ORGANIZATIONS if o[0] == key)

    def uscc(self, key: str) -> str:
        org = self.org(key)
        return D.org_uscc(org[2], org[4], D.ORGANIZATIONS.index(org) + 1)

    def volunteer_token(self, index: int) -> Who:
        return ("volunteer", self.plan.volunteers[index].area, self.need_field(f"volunteer:{index}", "volunteer_ref"))

    def resident_token(self, index: int) -> Who | None:
        known = self.j.get(f"resident:{index}")
        return ("resident", self.plan.residents[index].area_code, known["resident_ref"]) if known else None

    def token(self, who: Who) -> str:
        if who not in self.tokens:
            role, area, sub = who
            self.tokens[who] = issue_token(self.settings, role=role, area=area, sub=sub, ttl_s=3600)
        return self.tokens[who]

    # --- requests ----------------------------------------------------------------------------------------
    def check_stop(self) -> None:
        if self.should_stop():
            raise Interrupted()

    async def call(
        self,
        method: str,
        path: str,
        who: Who | None,
        body: Any = None,
        *,
        params: dict | None = None,
        key: str | None = None,
        lane: bool = True,
    ) -> tuple[int, Any]:
        """One request through the gateway. GET, PUT and keyed writes are retried on a connection error
        or a 5xx; other writes are not (they might have been applied)."""
        headers = {"Authorization": f"Bearer {self.token(who)}"} if who else {}
        if key:
            headers["Idempotency-Key"] = key
        attempts = 3 if method in ("GET", "PUT") or key else 1
        for attempt in range(attempts):
            async with self.sem if lane else nullcontext():
                self.check_stop()
                try:
                    async with self.session.request(
                        method, self.base + path, json=body, params=params, headers=headers
                    ) as reply:
                        raw, status = await reply.read(), reply.status
                        data = json.loads(raw) if raw and "json" in (reply.content_type or "") else raw
                except (aiohttp.ClientError, TimeoutError) as exc:
                    if attempt + 1 < attempts:
                        await asyncio.sleep(0.5 * (attempt + 1))
                        continue
                    raise DemoError(f"{method} {path}: {exc!r}") from None
            self.requests += 1
            if status >= 500 and attempt + 1 < attempts:
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            return status, data
        raise AssertionError("unreachable")

    async def get(self, path: str, who: Who | None, params: dict | None = None, *, missing_ok: bool = False) -> Any:
        status, data = await self.call("GET", path, who, params=params)
        if status == 200:
            return data
        if status == 404 and missing_ok:
            return None
        raise DemoError(f"GET {path} → {status}: {_detail(data)}")

    async def put(self, path: str, who: Who, body: Any) -> Any:
        status, data = await self.call("PUT", path, who, body)
        if status != 200:
            raise DemoError(f"PUT {path} → {status}: {_detail(data)}")
        return data

    async def create(
        self,
        key: str,
        path: str,
        who: Who,
        body: Any,
        *,
        idem: bool = False,
        lookup: Callable[[], Awaitable[Any]] | None = None,
        lane: bool = True,
    ) -> dict:
        """Create once: the journal's answer if it has one; a 409 (or an Idempotency-Key used before)
        means a run before this one made it: look it up, or say it is unknown."""
        if (known := self.j.get(key)) is not None:
            return known
        status, data = await self.call("POST", path, who, body, key=key if idem else None, lane=lane)
        if status in (200, 201):
            return self.j.put(key, data)
        if status == 409 or (idem and status == 422 and _is_key_reuse(data)):
            found = await lookup() if lookup else None
            if found:
                return self.j.put(key, found)
            raise Unknown(f"{key}: 已存在，编号未知 / already there, its id unknown")
        raise DemoError(f"POST {path} → {status}: {_detail(data)}")

    async def step(
        self, key: str, path: str, who: Who, body: Any = None, *, done: tuple[int, ...] = (409,), lane: bool = True
    ) -> dict:
        """A transition (assess, accept, verify …): a 409 means it happened already."""
        if (known := self.j.get(key)) is not None:
            return known
        status, data = await self.call("POST", path, who, {} if body is None else body, lane=lane)
        if 200 <= status < 300:
            return self.j.put(key, data if isinstance(data, dict) else {"ok": True})
        if status in done:
            return self.j.put(key, {"already": True})
        raise DemoError(f"POST {path} → {status}: {_detail(data)}")

    def need_field(self, key: str, name: str = "id") -> str:
        known = self.j.get(key)
        if not known or name not in known:
            raise Unknown(f"{key}: 编号未知 / id unknown")
        return known[name]

    async def until(self, what: str, check: Callable[[], Awaitable[Any]], timeout: float = POLL_TIMEOUT_S) -> Any:
        """Poll until `check` answers something (events take their time to flow)."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_stop()
            if result := await check():
                return result
            if time.monotonic() > deadline:
                raise DemoError(f"等待超时 / timed out waiting for {what}")
            await asyncio.sleep(0.25)

    async def sleep_until(self, at: datetime) -> None:
        while (left := (at - datetime.now(UTC)).total_seconds()) > 0:
            self.check_stop()
            await asyncio.sleep(min(left, 0.2))

    async def gather(self, *coros: Awaitable) -> list:
        """Run together; every one finishes what it is sending before an interruption is raised."""
        results = await asyncio.gather(*coros, return_exceptions=True)
        for result in results:
            if isinstance(result, Interrupted):
                raise result
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results

    async def flow(self, label: str, coro: Awaitable) -> Any:
        """One independent story (a need, a project …): if it cannot go on, say so and let the others go on."""
        try:
            return await coro
        except Interrupted:
            raise
        except DemoError as exc:
            self.warnings.append(f"{label}: {exc}")
            self.say(f"  ! 跳过 / skipped — {label}: {exc}")

    # --- the run -------------------------------------------------------------------------------------------
    async def run(self, force: bool = False) -> None:
        if self.j.fresh and not force:
            uscc = self.uscc("hub_changan")
            if await self.get(f"/organizations/{uscc}", self.mz(D.URBAN_COUNTY), missing_ok=True):
                raise AlreadyThere()
        stages = (
            self.registry,
            self.funds,
            self.volunteers,
            self.party,
            self.residents,
            self.needs,
            self.services,
            self.party_work,
            self.exchanges,
        )
        for n, ((zh, en), stage) in enumerate(zip(STAGES, stages, strict=False), 1):
            self.say(f"正在载入演示数据 / loading demo data: {n}/{len(STAGES)} {zh} / {en} …")
            await stage()
            self.j.save(force=True)

    # 1 --- registry: communities, purchase lists, organizations, service platforms ------------------------------
    async def registry(self) -> None:
        for county in (D.URBAN_COUNTY, D.RURAL_COUNTY):
            await self.put(
                "/communities",
                self.mz(county),
                {"area_code": county, "codes": [c for c in D.COMMUNITIES if c.startswith(county)]},
            )
            await self.put(
                f"/purchase-list/{county}/{self.year}",
                self.mz(county),
                {
                    "items": [
                        {"code": code, "name": name, "category": category, "max_budget_fen": ceiling}
                        for code, name, category, ceiling in D.PURCHASE_LISTS[county]
                    ]
                },
            )
        hubs = [o for o in D.ORGANIZATIONS if o[5].get("hub")]
        await self.gather(*(self.flow(o[1], self.organization(o)) for o in hubs))
        mz = self.mz(D.URBAN_COUNTY)
        base = await self.create(
            "platform:incubation_base",
            "/platforms",
            mz,
            {
                "kind": "incubation_base",
                "name": "长安区社区社会组织孵化基地",
                "area_code": D.URBAN_COUNTY,
                "operator_uscc": self.uscc("hub_changan"),
                "contract_until": f"{self.year + 1}-12-31",
                "staff": 3,
                "opened_on": "2024-06-01",
            },
            idem=True,
        )
        await self.gather(
            *(self.flow(o[1], self.organization(o, base["id"])) for o in D.ORGANIZATIONS if o not in hubs)
        )
        await self.gather(
            *(
                self.flow(name, self.station(township, name, operator, staff))
                for township, name, operator, staff in D.STATIONS
            ),
            *(self.flow(f"{D.area_name(c)}社会工作室", self.room(c)) for c in D.ROOMS),
        )

    async def organization(self, org: tuple, base_id: str | None = None) -> None:
        key, name, legal_type, category, area, flags, staff, admins = org
        uscc, mz = self.uscc(key), self.mz(area)
        body = {
            "name": name,
            "uscc": uscc,
            "legal_type": legal_type,
            "category": category,
            "area_code": area,
            "hub": bool(flags.get("hub")),
            "social_work_agency": bool(flags.get("social_work_agency")),
            "charity_certified": bool(flags.get("charity_certified")),
            "full_time_staff": staff,
            "admin_accounts": admins,
        }
        if flags.get("incubated") and base_id:
            body["incubation"] = {"base_id": base_id, "since": "2025-03-01"}
        await self.create(
            f"org:{key}",
            "/organizations",
            mz,
            body,
            lookup=lambda: self.get(f"/organizations/{uscc}", mz, missing_ok=True),
        )

    async def station(self, township: str, name: str, operator: str, staff: int) -> None:
        mz = self.mz(township)

        async def lookup():
            found = await self.get("/platforms", mz, {"area": township, "kind": "station"})
            return found[0] if found else None

        await self.create(
            f"platform:station:{township}",
            "/platforms",
            mz,
            {
                "kind": "station",
                "name": name,
                "area_code": township,
                "operator_uscc": self.uscc(operator),
                "contract_until": f"{self.year + 1}-12-31",
                "staff": staff,
                "opened_on": "2024-03-01",
            },
            idem=True,
            lookup=lookup,
        )

    async def room(self, area: str) -> None:
        await self.create(
            f"platform:room:{area}",
            "/platforms",
            self.mz(area),
            {
                "kind": "room",
                "name": f"{D.area_name(area)}社会工作室",
                "area_code": area,
                "staff": 1,
                "opened_on": "2025-01-15",
            },
            idem=True,
        )

    # 2 --- funds and donations ------------------------------------------------------------------------------------
    async def funds(self) -> None:
        for key, name, kind, area, opening, budget in D.FUNDS:
            fund = await self.create(
                f"fund:{key}", "/funds", self.mz(area), {"name": name, "kind": kind, "area_code": area}
            )
            if budget:
                await self.put(f"/funds/{fund['id']}/budgets", self.mz(area), {"year": self.year, "amount_fen": budget})
            if opening:  # the year's appropriation
                await self.create(
                    f"donation:{key}:opening",
                    "/donations",
                    self.maker(area),
                    {"fund_id": fund["id"], "amount_fen": opening, "donor": {"kind": "anonymous"}},
                )
        gifts = []
        for i, (name, county, code, fund, amount, disclose) in enumerate(D.ENTERPRISES):
            gifts.append(
                (
                    f"donation:enterprise:{i}",
                    fund,
                    amount,
                    {
                        "kind": "enterprise",
                        "name": name,
                        "uscc": D.enterprise_uscc(county, code),
                        "disclose_name": disclose,
                    },
                )
            )
        for i, ((fund, amount, disclose), name) in enumerate(zip(D.PERSON_DONATIONS, self.plan.donors, strict=False)):
            gifts.append(
                (f"donation:person:{i}", fund, amount, {"kind": "person", "name": name, "disclose_name": disclose})
            )
        for i, (fund, amount) in enumerate(D.ANONYMOUS_DONATIONS):
            gifts.append((f"donation:anonymous:{i}", fund, amount, {"kind": "anonymous"}))

        async def give(key: str, fund: str, amount: int, donor: dict) -> None:
            area = next(f[3] for f in D.FUNDS if f[0] == fund)
            await self.create(
                key,
                "/donations",
                self.maker(area),
                {"fund_id": self.need_field(f"fund:{fund}"), "amount_fen": amount, "donor": donor},
            )

        await self.gather(*(self.flow(gift[0], give(*gift)) for gift in gifts))

    # 3 --- volunteers, facilities, stations, teams -------------------------------------------------------------------
    async def volunteers(self) -> None:
        plan = self.plan
        persona = plan.volunteers[plan.persona_volunteer]
        await self.flow("志愿者 / volunteer", self.register_volunteer(persona.index))
        await self.gather(
            *(
                self.flow(f"志愿者 {v.person.name}", self.register_volunteer(v.index))
                for v in plan.volunteers
                if v.index != persona.index
            )
        )
        stations = [c for c in D.COMMUNITIES if c not in ("130102007002", "130125102200")]  # 8 of 10 facilities
        await self.gather(
            *(self.flow(f"{D.area_name(c)}服务设施", self.facility(c, c in stations)) for c in D.COMMUNITIES)
        )
        await self.gather(*(self.flow(f"志愿服务队 {street}", self.team(street)) for street in D.STREETS))

    async def register_volunteer(self, index: int) -> None:
        v = self.plan.volunteers[index]
        p = v.person
        body = {
            "name": p.name,
            "citizen_id": p.citizen_id,
            "phone": p.phone,
            "area_code": v.area,
            "skills": v.skills,
            "service_areas": v.service_areas,
            "availability": v.availability,
            "party_member": v.party_member,
        }
        if v.level:
            body["social_worker"] = {
                "level": v.level,
                "certificate_no": f"{self.year - 3 + index % 3}{13010200 + index:08d}",
            }
        if v.guardian:
            body["guardian_consent"] = {**v.guardian, "given_at": _iso(self.anchor - timedelta(days=30))}
        await self.create(f"volunteer:{index}", "/volunteers", self.sw(v.area), body)

    async def facility(self, area: str, with_station: bool) -> None:
        facility = await self.create(
            f"facility:{area}",
            "/facilities",
            self.sw(area),
            {"area_code": area, "name": f"{D.area_name(area)}综合服务中心"},
        )
        if with_station:
            kind = "新时代文明实践站" if area.startswith(D.RURAL_COUNTY) else "学雷锋志愿服务站"
            await self.create(
                f"vstation:{area}",
                "/stations",
                self.sw(area),
                {"facility_id": facility["id"], "name": f"{D.area_name(area)}{kind}"},
            )

    TEAMS = {
        "130102001": "建北助老志愿服务队",
        "130102002": "青园邻里守望志愿服务队",
        "130102007": "河东青年志愿服务队",
        "130125100": "龙州镇巾帼志愿服务队",
        "130125102": "上碑镇乡村振兴志愿服务队",
    }
    COURSES = ["老年人沟通技巧", "志愿服务礼仪与安全", "困境儿童关爱服务技巧", "急救知识与心肺复苏"]

    async def team(self, street: str) -> None:
        people = self.plan.volunteers_of(street)
        supervisor = next(v for v in people if v.level)
        members = [v for v in people if v is not supervisor and self.j.get(f"volunteer:{v.index}")]
        station = self.j.get(f"vstation:{D.STREETS[street][0]}")
        sw = self.sw(street)
        team = await self.create(
            f"team:{street}",
            "/teams",
            sw,
            {
                "name": self.TEAMS[street],
                "area_code": street,
                "station_id": station["id"] if station else None,
                "supervisor_id": self.need_field(f"volunteer:{supervisor.index}"),
                "member_ids": [self.need_field(f"volunteer:{v.index}") for v in members],
            },
        )
        course = self.COURSES[list(self.TEAMS).index(street) % len(self.COURSES)]
        await self.create(
            f"training:{street}",
            f"/teams/{team['id']}/trainings",
            sw,
            {
                "course": course,
                "held_on": (self.today - timedelta(days=20)).isoformat(),
                "attendee_ids": [self.need_field(f"volunteer:{v.index}") for v in members[:8]],
            },
        )
        await self.create(
            f"supervision:{street}",
            f"/teams/{team['id']}/supervisions",
            self.volunteer_token(supervisor.index),
            {
                "held_at": _iso(self.anchor - timedelta(days=10)),
                "notes": "复盘近期入户服务，讨论独居老人沟通技巧与安全注意事项",
            },
        )

    # 4 --- party organizations, committees, members, responsible units ---------------------------------------
    async def party(self) -> None:
        await self.gather(
            *(self.flow(f"{D.area_name(c)}党组织", self.party_community(c)) for c in D.COMMUNITIES),
            self.flow("社会组织党支部", self.party_in_social_org()),
        )

    async def party_community(self, area: str) -> None:
        sj, rural = self.sj(area), area.startswith(D.RURAL_COUNTY)
        name = f"{D.area_name(area)}{'党支部' if rural else '党委'}"

        async def lookup():
            return next(
                (o for o in await self.get("/party-organizations", sj, {"area": area}) if o["name"] == name), None
            )

        org = await self.create(
            f"party-org:{area}",
            "/party-organizations",
            sj,
            {"name": name, "kind": "branch" if rural else "committee", "area_code": area},
            lookup=lookup,
        )
        for k, (person, position, actor) in enumerate(self.plan.committees[area]):
            member = await self.create(
                f"party-member:{area}:{k}",
                "/party-members",
                sj,
                {
                    "org_id": org["id"],
                    "name": person.name,
                    "phone": person.phone,
                    "citizen_id": person.citizen_id,
                    "area_code": area,
                    "in_service": actor is not None,
                    "skills": ["矛盾调解", "政策宣传"],
                    "employer": dict(D.PART_TIME).get(actor, "") if actor else "",
                    "account": D.party_secretary(area) if position == "secretary" else None,
                },
            )
            await self.step(
                f"seat:{area}:{k}",
                f"/party-organizations/{org['id']}/committee",
                sj,
                {
                    "member_id": member["id"],
                    "position": position,
                    "part_time": actor is not None,
                    "from_actor": actor,
                    "since": f"{self.year - 1}-01-01",
                },
            )
        # in-service party members who volunteer register with their community (在职党员到社区报到)
        posts = ["助老服务岗", "矛盾调解岗", "政策宣传岗", "环境整治岗", "应急处置岗"]
        for v in self.plan.volunteers_of(area):
            if not v.party_member or not self.j.get(f"volunteer:{v.index}"):
                continue
            await self.create(
                f"party-member:volunteer:{v.index}",
                "/party-members",
                sj,
                {
                    "org_id": org["id"],
                    "name": v.person.name,
                    "phone": v.person.phone,
                    "citizen_id": v.person.citizen_id,
                    "area_code": area,
                    "in_service": bool(v.employer),
                    "employer": v.employer,
                    "skills": v.skills,
                    "preferred_posts": posts[v.index % len(posts) :][:2],
                    "volunteer_id": self.need_field(f"volunteer:{v.index}"),
                    "account": self.need_field(f"volunteer:{v.index}", "volunteer_ref"),
                },
            )
        for k, (unit, categories) in enumerate(D.UNITS.get(area, [])):

            async def find(unit=unit):
                return next(
                    (u for u in await self.get("/responsible-units", sj, {"area": area}) if u["name"] == unit), None
                )

            await self.create(
                f"unit:{area}:{k}",
                "/responsible-units",
                self.sw(area),
                {
                    "area_code": area,
                    "name": unit,
                    "categories": categories,
                    "contact": f"0311-8{6012345 + k * 1111:07d}",
                    "account": f"unit-{area}-{k}",
                },
                lookup=find,
            )

    async def party_in_social_org(self) -> None:
        sj = ("party_secretary", D.URBAN_COUNTY, "sj-changan-liangxin")  # 区委社会工作部 for the 两新 organizations
        uscc = self.uscc("leling")

        async def lookup():
            return next(
                (
                    o
                    for o in await self.get("/party-organizations", sj, {"area": D.URBAN_COUNTY})
                    if o["host_uscc"] == uscc
                ),
                None,
            )

        await self.create(
            "party-org:leling",
            "/party-organizations",
            sj,
            {
                "name": "长安区乐龄社会工作服务中心党支部",
                "kind": "branch",
                "area_code": D.URBAN_COUNTY,
                "host_kind": "social_org",
                "host_uscc": uscc,
            },
            lookup=lookup,
        )

    # 5 --- residents, with their consent ---------------------------------------------------------------------------
    async def residents(self) -> None:
        plan = self.plan
        adults = [i for i, p in enumerate(plan.residents) if p.guardian is None]
        minors = [i for i, p in enumerate(plan.residents) if p.guardian is not None]
        await self.gather(*(self.flow(f"居民 {plan.residents[i].name}", self.register_resident(i)) for i in adults))
        await self.gather(*(self.flow(f"居民 {plan.residents[i].name}", self.register_resident(i)) for i in minors))

    async def register_resident(self, index: int) -> None:
        p = self.plan.residents[index]
        consent = {"purpose": "需求服务与回访", "given_at": _iso(self.anchor - timedelta(days=40 + index % 200))}
        body = {
            "name": p.name,
            "citizen_id": p.citizen_id,
            "phone": p.phone,
            "area_code": p.area_code,
            "address": p.address,
            "tags": p.tags,
            "disability_grade": p.disability_grade,
        }
        if p.guardian is not None:
            body["guardian_id"] = self.need_field(f"resident:{p.guardian}")
            consent["given_by_guardian"] = True
        body["consent"] = consent
        await self.create(f"resident:{index}", "/residents", self.sw(p.area_code), body)

    # 6 --- needs: raised, assessed, routed ------------------------------------------------------------------------
    async def needs(self) -> None:
        needs = self.plan.needs
        await self.gather(*(self.flow(f"需求 {n.index}", self.raise_need(n)) for n in needs))
        await self.flow("居民自主上报 / self-report", self.self_report())
        await self.gather(*(self.flow(f"需求 {n.index}", self.assess(n)) for n in needs if n.route))

    def need_body(self, n: Need) -> dict:
        p = self.plan.residents[n.resident]
        body = {
            "area_code": n.area,
            "category": n.category,
            "urgency": n.urgency,
            "channel": n.channel,
            "description": n.description,
            "required_skills": [D.CATEGORY_SKILL[n.category]],
            "target_groups": n.groups,
            "resident": {"name": p.name, "phone": p.phone, "citizen_id": p.citizen_id},
        }
        if n.window:
            body["time_window"] = n.window
        return body

    async def raise_need(self, n: Need) -> None:
        who = self.grid(n.area) if n.channel == "grid_survey" else self.sw(n.area)
        await self.create(f"need:{n.index}", "/needs", who, self.need_body(n), idem=True)

    async def self_report(self) -> None:
        """The resident of the persona raises a need of their own (居民自主上报)."""
        resident = self.plan.persona_resident
        who = self.resident_token(resident)
        if who is None:
            raise Unknown("persona resident")
        p = self.plan.residents[resident]
        await self.create(
            "need:self_report",
            "/needs",
            who,
            {
                "area_code": p.area_code,
                "category": "recreation",
                "channel": "self_report",
                "description": "想参加社区老年合唱团，希望社区组织活动",
                "required_skills": ["文艺表演"],
                "target_groups": p.tags,
                "resident": {"name": p.name, "phone": p.phone, "citizen_id": p.citizen_id},
            },
            idem=True,
        )

    async def assess(self, n: Need) -> None:
        await self.step(
            f"assess:{n.index}",
            f"/needs/{self.need_field(f'need:{n.index}')}/assessment",
            self.sw(n.area),
            {"category": n.category, "urgency": n.urgency, "service_plan": D.SERVICE_PLANS[n.route], "route": n.route},
        )

    # 7 --- services: volunteers serve, charity pays, projects are procured and delivered ----------------------
    async def services(self) -> None:
        plan = self.plan
        flows = [
            self.flow(f"需求 {n.index}（志愿服务）", self.serve(n)) for n in plan.needs if n.route == "volunteer_task"
        ]
        flows += [
            self.flow(f"需求 {n.index}（慈善救助）", self.charity_aid(n))
            for n in plan.needs
            if n.route == "charity_aid"
        ]
        flows += [
            self.flow(f"需求 {n.index}（转介）", self.referral(n)) for n in plan.needs if n.fate == "referral_closed"
        ]
        flows += [self.flow(f"志愿活动 {a.title}", self.activity(a)) for a in plan.activities]
        await self.gather(
            self.flow("服务项目 / projects", self.projects()),
            self.flow("吹哨 / whistles", self.blow_whistles()),
            *flows,
        )

    async def need_status(self, need_id: str, who: Who) -> str:
        return (await self.get(f"/needs/{need_id}", who))["need"]["status"]

    async def wait_status(self, need_id: str, who: Who, statuses: set[str]) -> None:
        async def check():
            return await self.need_status(need_id, who) in statuses

        await self.until(f"需求 {need_id} → {'/'.join(sorted(statuses))}", check)

    async def close_need(self, n: Need, need_id: str) -> None:
        """The resident (or a worker for them) confirms the need is met, then judges the service."""
        i, resident = n.index, (self.resident_token(n.resident) if n.by_resident else None)
        who = resident or self.sw(n.area)
        await self.step(
            f"resolve:{i}",
            f"/needs/{need_id}/resolution",
            who,
            {"on_behalf_of_resident": resident is None, "note": "" if resident else "电话回访，居民确认已解决"},
        )
        if n.satisfaction is None or n.fate == "resolved":
            return
        comments = D.FEEDBACK[n.satisfaction]
        comment = comments[i % len(comments)]
        await self.step(
            f"feedback:{i}", f"/needs/{need_id}/feedback", who, {"satisfaction": n.satisfaction, "comment": comment}
        )

    async def serve(self, n: Need) -> None:
        i, sw = n.index, self.sw(n.area)
        need_id = self.need_field(f"need:{i}")

        async def task_of_need():
            return await self.get(f"/tasks/by-need/{need_id}", sw, missing_ok=True)

        task = self.j.get(f"task:{i}") or self.j.put(
            f"task:{i}", await self.until(f"需求 {i} 的志愿服务任务", task_of_need)
        )
        task_id, vid = task["id"], self.need_field(f"volunteer:{n.volunteer}")
        await self.step(f"invite:{i}", f"/tasks/{task_id}/invitations", sw, {"volunteer_ids": [vid]})
        if n.fate == "routed_task":
            return  # the invitation waits for the volunteer's answer
        me = self.volunteer_token(n.volunteer)
        await self.step(f"accept:{i}", f"/tasks/{task_id}/invitations/{vid}/response", me, {"accept": True})
        start, end = n.slot
        check_in = {"at": _iso(start)}
        async with self.on_duty.setdefault(n.volunteer, asyncio.Lock()):
            if n.code and not self.j.get(f"checkin:{i}"):  # the organizer's QR code on site, scanned by the volunteer
                status, code = await self.call("POST", f"/tasks/{task_id}/checkin-codes", sw, {})
                if status == 201:
                    check_in["code"] = code["code"]
            await self.step(
                f"checkin:{i}", f"/tasks/{task_id}/volunteers/{vid}/check-in", me, check_in, done=(409, 422)
            )
            out = await self.step(
                f"checkout:{i}", f"/tasks/{task_id}/volunteers/{vid}/check-out", me, {"at": _iso(end)}
            )
        log_id = out.get("log_id") or self.need_field(f"checkout:{i}", "log_id")
        if n.fate == "matched":
            return  # hours logged, waiting for the social worker to verify them
        await self.step(f"verify:{i}", f"/hours/{log_id}/verification", sw, {"approve": True})
        await self.wait_status(need_id, sw, {"matched", "resolved", "closed", "reopened", "disputed"})
        await self.close_need(n, need_id)
        if n.fate in ("disputed", "mediated"):
            reason = (
                "居民认为赡养问题未彻底解决，子女与老人意见不一"
                if n.fate == "mediated"
                else "居民认为服务时间与约定不符"
            )
            await self.create(f"dispute:{i}", f"/needs/{need_id}/disputes", sw, {"reason": reason})

    async def charity_aid(self, n: Need) -> None:
        """Money earmarked for the need by a donor (DonationEarmarked matches it), paid out by one
        charity administrator and approved by another (maker–checker)."""
        i, sw = n.index, self.sw(n.area)
        need_id = self.need_field(f"need:{i}")
        rural = n.area.startswith(D.RURAL_COUNTY)
        fund = "xt_children" if rural else "foundation"
        maker, checker = self.maker(n.area), self.checker(n.area)
        earmark = {"target_kind": "need", "target_id": need_id, "amount_fen": n.amount_fen}
        if i % 2 == 0 or rural:  # a donor gives for this need
            donor = {"kind": "person", "name": self.plan.donors[i % len(self.plan.donors)], "disclose_name": False}
            gift = await self.create(
                f"donation:need:{i}",
                "/donations",
                maker,
                {
                    "fund_id": self.need_field(f"fund:{fund}"),
                    "amount_fen": n.amount_fen,
                    "donor": donor,
                    "earmark": earmark,
                },
            )
            earmark_id = gift["earmark_id"]
        else:  # part of an enterprise's gift to the foundation is restricted to the need
            enterprise = self.need_field(f"donation:enterprise:{i % 4}")
            earmark_id = (await self.create(f"earmark:{i}", f"/donations/{enterprise}/earmarks", maker, earmark))["id"]
        await self.wait_status(need_id, sw, {"matched", "resolved", "closed"})
        milestone = CHARITY_MILESTONES.get(n.category, "救助款拨付")
        payment = await self.create(
            f"disbursement:{i}",
            f"/earmarks/{earmark_id}/disbursements",
            maker,
            {"milestone": milestone, "amount_fen": n.amount_fen},
        )
        if n.fate == "charity_pending":
            return  # waits for the second charity administrator's approval
        await self.step(f"approve:{i}", f"/disbursements/{payment['id']}/approval", checker)
        await self.close_need(n, need_id)

    async def referral(self, n: Need) -> None:
        """Referred to the civil-affairs office and settled there: the worker records it for the resident."""
        await self.close_need(n, self.need_field(f"need:{n.index}"))

    async def activity(self, a: Activity) -> None:
        """A community activity whose hours the organizer enters afterwards (补录), verified."""
        sw = self.sw(a.area)
        people = [v for v in a.volunteers if self.j.get(f"volunteer:{v}")]
        if not people:
            raise Unknown("volunteers: 编号未知 / ids unknown")
        vids = [self.need_field(f"volunteer:{v}") for v in people]
        task = await self.create(
            f"activity:{a.index}",
            "/tasks",
            sw,
            {
                "area_code": a.area,
                "title": a.title,
                "description": f"{D.area_name(a.area)}{a.title}",
                "required_skills": a.skills,
                "slots": len(vids),
                "place": f"{D.area_name(a.area)}综合服务中心",
            },
        )
        await self.step(f"activity:{a.index}:invite", f"/tasks/{task['id']}/invitations", sw, {"volunteer_ids": vids})
        for k, (index, vid) in enumerate(zip(people, vids, strict=False)):
            await self.step(
                f"activity:{a.index}:accept:{k}",
                f"/tasks/{task['id']}/invitations/{vid}/response",
                sw,
                {"accept": True},
            )
            async with self.on_duty.setdefault(index, asyncio.Lock()):
                log = await self.step(
                    f"activity:{a.index}:hours:{k}",
                    f"/tasks/{task['id']}/hours",
                    sw,
                    {
                        "volunteer_id": vid,
                        "check_in": _iso(a.start),
                        "check_out": _iso(a.start + timedelta(minutes=a.minutes)),
                        "backfill": True,
                    },
                    done=(409, 422),
                )
            if log.get("log_id"):
                await self.step(
                    f"activity:{a.index}:verify:{k}", f"/hours/{log['log_id']}/verification", sw, {"approve": True}
                )

    # projects --------------------------------------------------------------------------------------------------------
    async def projects(self) -> None:
        """One project graded 优秀 and on the showcase, two in delivery, one open for bids, one waiting
        for the party committee (after the joint meeting), a draft, and a venture-philanthropy call."""
        specs = self.project_specs()
        await self.gather(*(self.find_project(key, spec) for key, spec in specs.items()))
        await self.gather(*(self.wait_pool(key, spec) for key, spec in specs.items() if spec.get("need_fate")))
        await self.gather(*(self.propose(key, spec) for key, spec in specs.items()))
        for key, spec in specs.items():
            if spec.get("submit", True):
                await self.step(
                    f"project:{key}:submit", f"/projects/{self.need_field(f'project:{key}')}/submission", spec["who"]
                )
        await self.party_decides(specs["meals"])
        await self.gather(
            *(
                self.wait_project(key, specs[key], {"funded", "published", "procured", "delivered", "evaluated"})
                for key in ("meals", "care", "tutor", "village")
            )
        )
        # the calls: meals, care, the village and the venture call close together, a few seconds from now
        closing = datetime.now(UTC) + timedelta(seconds=BID_WINDOW_S)
        deadlines = await self.gather(
            *(self.publish(key, specs[key], closing) for key in ("meals", "care", "village")),
            self.publish("tutor", specs["tutor"], datetime.now(UTC) + timedelta(days=14)),
            self.venture_call(closing),
        )
        await self.gather(
            *(
                self.bid(key, org, price, specs[key])
                for key, org, price in (
                    ("meals", "leling", 7_500_000),
                    ("meals", "renhe", 7_800_000),
                    ("meals", "linli", 7_900_000),
                    ("care", "leling", 4_200_000),
                    ("care", "renhe", 4_400_000),
                    ("village", "yangguang", 2_800_000),
                    ("village", "guanai", 2_900_000),
                    ("tutor", "renhe", 1_900_000),
                )
            ),
            self.venture_apply(),
        )
        await self.sleep_until(max(d for d in deadlines[:3] + deadlines[4:] if d) + timedelta(seconds=0.5))
        await self.gather(*(self.award(key, specs[key]) for key in ("meals", "care", "village")), self.venture_award())
        await self.gather(
            self.deliver_meals(specs["meals"]), self.deliver_care(specs["care"]), self.deliver_village(specs["village"])
        )

    def project_specs(self) -> dict[str, dict]:
        home, care_area, village = D.HOME, "130102002001", D.VILLAGE
        return {
            "meals": {
                "who": self.sw(home),
                "need_fate": ("project", home),
                "body": {
                    "area_code": home,
                    "title": "建北社区老年助餐服务项目",
                    "service_content": "为辖区高龄、独居、失能老人提供午餐配送上门与定期探访，建立助餐台账",
                    "indicators": [
                        {"name": "送餐人次", "target": "不少于 6000 人次"},
                        {"name": "服务老人", "target": "不少于 40 人"},
                    ],
                    "budget_fen": 8_000_000,
                    "funding": [("government_purchase", "purchase", 8_000_000)],
                    "purchase_item": "meal",
                    "duration_months": 12,
                    "vital_interests": True,
                },
                "evaluators": (self.sw(D.URBAN_COUNTY), self.mz(D.URBAN_COUNTY)),
                "scores": {
                    "leling": {"plan": 93, "price": 86, "team": 91},
                    "renhe": {"plan": 86, "price": 83, "team": 84},
                    "linli": {"plan": 78, "price": 80, "team": 72},
                },
            },
            "care": {
                "who": self.sw(care_area),
                "need_fate": ("project", care_area),
                "body": {
                    "area_code": care_area,
                    "title": "青园社区居家养老照料服务项目",
                    "service_content": "为失能、半失能及独居老人提供上门生活照料、助浴和精神慰藉服务",
                    "indicators": [
                        {"name": "上门服务", "target": "不少于 1500 人次"},
                        {"name": "居民满意度", "target": "不低于 90%"},
                    ],
                    "budget_fen": 4_500_000,
                    "funding": [("government_purchase", "purchase", 4_500_000)],
                    "purchase_item": "care",
                    "duration_months": 12,
                    "vital_interests": False,
                },
                "evaluators": (self.sw(D.URBAN_COUNTY), self.mz(D.URBAN_COUNTY)),
                "scores": {
                    "leling": {"plan": 90, "price": 88, "team": 89},
                    "renhe": {"plan": 84, "price": 85, "team": 80},
                },
            },
            "tutor": {
                "who": self.sw("130102007001"),
                "body": {
                    "area_code": "130102007001",
                    "title": "河东社区困境儿童“四点半课堂”",
                    "service_content": "为困境儿童和双职工家庭儿童提供课后托管、作业辅导和心理关爱",
                    "indicators": [
                        {"name": "服务儿童", "target": "不少于 30 人"},
                        {"name": "辅导人次", "target": "不少于 500 人次"},
                    ],
                    "budget_fen": 2_000_000,
                    "funding": [("social_assistance", "assistance", 2_000_000)],
                    "purchase_item": "tutor",
                    "duration_months": 6,
                    "vital_interests": False,
                },
            },
            "village": {
                "who": self.sw(village),
                "need_fate": ("project", village),
                "body": {
                    "area_code": village,
                    "title": "龙州镇农村留守儿童关爱服务项目",
                    "service_content": "为留守儿童提供周末课业辅导、亲情视频连线和安全教育",
                    "indicators": [
                        {"name": "服务留守儿童", "target": "不少于 25 人"},
                        {"name": "亲情连线", "target": "每月 2 次"},
                    ],
                    "budget_fen": 3_000_000,
                    "funding": [("government_purchase", "xt_purchase", 3_000_000)],
                    "purchase_item": "leftchild",
                    "duration_months": 10,
                    "vital_interests": False,
                },
                "evaluators": (self.sw(D.RURAL_COUNTY), self.mz(D.RURAL_COUNTY)),
                "scores": {
                    "yangguang": {"plan": 90, "price": 88, "team": 87},
                    "guanai": {"plan": 82, "price": 85, "team": 76},
                },
            },
            "phones": {
                "who": self.sw("130102002002"),
                "submit": False,
                "body": {
                    "area_code": "130102002002",
                    "title": "青园社区老年人智能手机培训",
                    "service_content": "分批开设智能手机使用课堂：视频通话、健康码、网上缴费与防诈骗",
                    "indicators": [{"name": "培训老人", "target": "不少于 120 人"}],
                    "budget_fen": 800_000,
                    "funding": [("government_purchase", "purchase", 800_000)],
                    "duration_months": 4,
                    "vital_interests": False,
                },
            },
        }

    def project_body(self, spec: dict) -> dict:
        body = dict(spec["body"])
        body["funding"] = [
            {"source": source, "fund_id": self.need_field(f"fund:{fund}"), "amount_fen": amount}
            for source, fund, amount in body["funding"]
        ]
        if spec.get("need_fate"):
            fate, area = spec["need_fate"]
            body["need_ids"] = [self.need_field(f"need:{n.index}") for n in self.plan.needs_of(fate, area)]
        body["year"] = self.year
        return body

    async def wait_pool(self, key: str, spec: dict) -> None:
        """The needs routed to "project" wait in the demand pool before a project takes them."""
        if self.j.get(f"project:{key}"):
            return
        fate, area = spec["need_fate"]
        wanted = {self.need_field(f"need:{n.index}") for n in self.plan.needs_of(fate, area)}

        async def pooled():
            return wanted <= {d["need_id"] for d in await self.get("/projects/demands", spec["who"], {"area": area})}

        await self.until(f"{area} 的需求进入项目需求池 / needs in the demand pool", pooled)

    async def find_project(self, key: str, spec: dict) -> None:
        """Proposing has no natural key: a project of the same title and area is the one a run before made."""
        if self.j.get(f"project:{key}"):
            return
        title = spec["body"]["title"]
        found = next(
            (
                p
                for p in await self.get("/projects", spec["who"], {"area": spec["body"]["area_code"]})
                if p["title"] == title
            ),
            None,
        )
        if found:
            self.j.put(f"project:{key}", {"id": found["id"]})

    async def propose(self, key: str, spec: dict) -> None:
        await self.create(f"project:{key}", "/projects", spec["who"], self.project_body(spec))

    async def party_decides(self, spec: dict) -> None:
        """The project touches residents' vital interests: the community party committee studies it
        first (先议后决), and its secretary records the committee's vote."""
        project_id, area = self.need_field("project:meals"), spec["body"]["area_code"]
        sj = self.sj(area)

        async def matter():
            return next(
                (m for m in await self.get("/matters", sj, {"area": area}) if m["project_id"] == project_id), None
            )

        found = await self.until("项目送党组织研究 / the project's review by the party committee", matter)
        if found["status"] == "pending":
            await self.decide("decision:project:meals", found["id"], area, "approved")

    async def decide(self, key: str, matter_id: str, area: str, outcome: str, reasons: str = "") -> None:
        sj = self.sj(area)
        org = await self.get(f"/party-organizations/{self.need_field(f'party-org:{area}')}", sj)
        votes = [{"seat_id": seat["id"], "vote": "for"} for seat in org["committee"]]
        await self.step(
            key,
            f"/matters/{matter_id}/decision",
            sj,
            {
                "meeting_held_at": _iso(datetime.now(UTC) - timedelta(minutes=5)),
                "votes": votes,
                "outcome": outcome,
                "reasons": reasons,
            },
        )

    async def wait_project(self, key: str, spec: dict, statuses: set[str]) -> dict:
        project_id = self.need_field(f"project:{key}")

        async def check():
            project = await self.get(f"/projects/{project_id}", spec["who"])
            if project["status"] in ("funding_rejected", "closed"):
                raise DemoError(f"项目 {key}: {project['status']} {project['funding']}")
            return project if project["status"] in statuses else None

        return await self.until(f"项目 {key} → {'/'.join(sorted(statuses))}", check)

    async def publish(self, key: str, spec: dict, deadline: datetime) -> datetime | None:
        project_id = self.need_field(f"project:{key}")
        await self.step(
            f"project:{key}:publish",
            f"/projects/{project_id}/publication",
            spec["who"],
            {"bid_deadline": _iso(deadline), "criteria": {"plan": 40, "price": 30, "team": 30}},
            lane=False,
        )
        project = await self.get(f"/projects/{project_id}", spec["who"])
        return datetime.fromisoformat(project["bid_deadline"]) if project["bid_deadline"] else None

    def bid_body(self, org: str, price: int, spec: dict) -> dict:
        first = price // 2
        return {
            "organization_uscc": self.uscc(org),
            "price_fen": price,
            "plan": f"由{self.org(org)[1]}组建专业服务团队，按月制定服务计划，社工督导志愿者开展服务并定期回访",
            "team": [
                {"role": "项目主管", "qualification": "中级社会工作师"},
                {"role": "社会工作者", "qualification": "助理社会工作师", "count": 3},
                {"role": "志愿者", "count": 10},
            ],
            "milestones": [
                {
                    "title": "服务启动与需求评估",
                    "due_on": (self.today + timedelta(days=60)).isoformat(),
                    "amount_fen": first,
                },
                {
                    "title": "服务完成与结项评估",
                    "due_on": (self.today + timedelta(days=300)).isoformat(),
                    "amount_fen": price - first,
                },
            ],
        }

    async def bid(self, key: str, org: str, price: int, spec: dict) -> None:
        project_id, uscc = self.need_field(f"project:{key}"), self.uscc(org)
        oa = self.org_admin(org)

        async def lookup():
            project = await self.get(f"/projects/{project_id}", spec["who"])
            return next(({"id": b["id"]} for b in project["bids"] if b["organization_uscc"] == uscc), None)

        await self.flow(
            f"投标 {key} {org}",
            self.create(
                f"bid:{key}:{org}",
                f"/projects/{project_id}/bids",
                oa,
                self.bid_body(org, price, spec),
                lookup=lookup,
                lane=False,
            ),
        )

    async def award(self, key: str, spec: dict) -> None:
        project_id = self.need_field(f"project:{key}")
        for org, scores in spec["scores"].items():
            bid = self.j.get(f"bid:{key}:{org}")
            if not bid:
                continue
            for n, evaluator in enumerate(spec["evaluators"]):
                adjusted = {c: max(0, s - 2 * n) for c, s in scores.items()}
                await self.step(
                    f"bid:{key}:{org}:score:{n}", f"/bids/{bid['id']}/scores", evaluator, {"scores": adjusted}
                )
        await self.step(f"project:{key}:award", f"/projects/{project_id}/award", spec["evaluators"][1])

    async def approve_payments(self, commitment_id: str, area: str) -> None:
        """The charity's checker approves the milestone payment the acceptance asked for."""
        checker = self.checker(area)

        async def requested():
            return [
                d
                for d in await self.get("/disbursements", checker, {"area": area[:6], "status": "requested"})
                if d["commitment_id"] == commitment_id
            ]

        for payment in await self.until("里程碑拨付申请 / the milestone's payment request", requested):
            await self.step(f"approve:{payment['id']}", f"/disbursements/{payment['id']}/approval", checker)

    async def milestone(self, key: str, spec: dict, org: str, seq: int, *, accept: bool = True) -> None:
        project_id = self.need_field(f"project:{key}")
        project = await self.get(f"/projects/{project_id}", spec["who"])
        milestone = next(m for m in project["milestones"] if m["seq"] == seq)
        evidence = [
            {"kind": "sign_in_sheet", "description": "服务签到表与居民签收单"},
            {"kind": "photo", "description": "服务现场照片 12 张"},
            {"kind": "report", "description": "阶段服务报告"},
        ]
        if milestone["status"] not in ("reported", "accepted"):
            await self.step(
                f"project:{key}:report:{seq}",
                f"/projects/{project_id}/milestones/{milestone['id']}/report",
                self.org_admin(org),
                {"summary": f"{milestone['title']}：按计划完成本阶段服务", "evidence": evidence},
            )
        if not accept:
            return
        await self.step(
            f"project:{key}:accept:{seq}",
            f"/projects/{project_id}/milestones/{milestone['id']}/acceptance",
            spec["who"],
        )
        commitment = project["funding"][0]["commitment_id"]
        if not self.j.get(f"project:{key}:paid:{seq}"):
            await self.approve_payments(commitment, spec["body"]["area_code"])
            self.j.put(f"project:{key}:paid:{seq}", True)

    async def deliver_meals(self, spec: dict) -> None:
        """Delivered, judged by the residents it served, evaluated 优秀, nominated, on the showcase."""
        await self.wait_project("meals", spec, {"procured", "delivered", "evaluated"})
        for n in self.plan.needs_of(*spec["need_fate"]):
            need_id = self.need_field(f"need:{n.index}")
            await self.wait_status(need_id, spec["who"], {"matched", "resolved", "closed"})
            await self.close_need(n, need_id)
        for seq in (1, 2):
            await self.milestone("meals", spec, "leling", seq)
        project_id = self.need_field("project:meals")
        mz = self.mz(D.URBAN_COUNTY)
        await self.step(
            "project:meals:evaluation",
            f"/projects/{project_id}/evaluation",
            mz,
            {
                "indicators_percent": 96,
                "third_party_score": 93,
                "third_party_evaluator": "河北省社会组织评估中心",
                "survey": [5, 5, 5, 4, 5, 5, 5, 5, 4, 5, 5, 5],
            },
        )
        for kind, citation in (
            ("typical_case", "以居民满意度为核心、党建引领五社联动的社区老年助餐服务，送餐上门与探访相结合"),
            ("hebei_charity_award", "社区、社工、志愿者与慈善资源协同，为独居高龄老人解决吃饭难题"),
        ):
            await self.step(
                f"project:meals:nomination:{kind}",
                f"/projects/{project_id}/nominations",
                mz,
                {"kind": kind, "citation": citation},
            )

    async def deliver_care(self, spec: dict) -> None:
        """In delivery: the first milestone reported, accepted and paid; volunteers asked for."""
        await self.wait_project("care", spec, {"procured", "delivered"})
        await self.milestone("care", spec, "leling", 1)
        project_id = self.need_field("project:care")
        need_id = self.need_field(f"need:{self.plan.needs_of(*spec['need_fate'])[0].index}")
        await self.create(
            "project:care:volunteers",
            f"/projects/{project_id}/volunteer-tasks",
            self.org_admin("leling"),
            {
                "title": "协助上门照料失能老人",
                "description": "每周两次协助社工上门照料",
                "required_skills": ["生活照料"],
                "slots": 3,
                "need_id": need_id,
                "place": "青园小区",
            },
        )

    async def deliver_village(self, spec: dict) -> None:
        """The first milestone reported, waiting for the village social worker's acceptance."""
        await self.wait_project("village", spec, {"procured", "delivered"})
        await self.milestone("village", spec, "yangguang", 1, accept=False)

    VENTURE_APPS = [
        (
            "renhe",
            "130102007002",
            "青少年心理健康护航计划",
            "面向辖区中小学生开展心理健康讲座、团体辅导和个案跟进",
            7_000_000,
            {"innovation": 90, "feasibility": 88, "benefit": 92},
        ),
        (
            "linli",
            "130102002002",
            "邻里守望互助计划",
            "组织低龄老人结对帮扶高龄独居老人，建立邻里互助时间账户",
            6_000_000,
            {"innovation": 86, "feasibility": 90, "benefit": 88},
        ),
        (
            "xiyanghong",
            "130102001001",
            "银龄文艺进社区",
            "组织老年文艺队走进各小区开展文艺演出和健康宣传",
            4_000_000,
            {"innovation": 78, "feasibility": 85, "benefit": 80},
        ),
    ]

    async def venture_call(self, closing: datetime) -> datetime:
        mz = self.mz(D.URBAN_COUNTY)
        call = await self.create(
            "venture:call",
            "/venture-calls",
            mz,
            {
                "kind": "venture",
                "title": f"长安区{self.year}年度社区公益创投大赛",
                "area_code": D.URBAN_COUNTY,
                "fund_id": self.need_field("fund:purchase"),
                "pool_fen": 15_000_000,
                "max_grant_fen": 8_000_000,
                "apply_deadline": _iso(closing),
            },
            lane=False,
        )
        return datetime.fromisoformat((await self.get(f"/venture-calls/{call['id']}", mz))["apply_deadline"])

    async def venture_apply(self) -> None:
        call_id = self.need_field("venture:call")
        for org, area, title, summary, amount, _ in self.VENTURE_APPS:
            first = amount * 6 // 10
            await self.flow(
                f"公益创投 {org}",
                self.create(
                    f"venture:app:{org}",
                    f"/venture-calls/{call_id}/applications",
                    self.org_admin(org),
                    {
                        "organization_uscc": self.uscc(org),
                        "area_code": area,
                        "title": title,
                        "summary": summary,
                        "indicators": [{"name": "受益人数", "target": "不少于 200 人"}],
                        "requested_fen": amount,
                        "milestones": [
                            {
                                "title": "项目启动",
                                "due_on": (self.today + timedelta(days=30)).isoformat(),
                                "amount_fen": first,
                            },
                            {
                                "title": "项目结项",
                                "due_on": (self.today + timedelta(days=180)).isoformat(),
                                "amount_fen": amount - first,
                            },
                        ],
                    },
                    lane=False,
                ),
            )

    async def venture_award(self) -> None:
        call_id = self.need_field("venture:call")
        judges = (self.mz(D.URBAN_COUNTY), self.sw(D.URBAN_COUNTY))
        for org, *_, scores in self.VENTURE_APPS:
            app = self.j.get(f"venture:app:{org}")
            if not app:
                continue
            for n, judge in enumerate(judges):
                await self.step(
                    f"venture:app:{org}:score:{n}",
                    f"/venture-calls/{call_id}/applications/{app['id']}/scores",
                    judge,
                    {"scores": {c: s - n for c, s in scores.items()}},
                )
        await self.step("venture:award", f"/venture-calls/{call_id}/award", judges[0])

    # 8 --- the party leads: a major matter, whistles, small wishes, the joint meeting --------------------------
    async def party_work(self) -> None:
        await self.gather(
            self.flow("重大事项 / major matter", self.matter()),
            self.flow("吹哨报到 / whistles", self.answer_whistles()),
            self.flow("微心愿 / wishes", self.wishes()),
            self.flow("联席会议 / joint meeting", self.joint_meeting()),
        )

    async def matter(self) -> None:
        matter = await self.create(
            "matter:foundation",
            "/matters",
            self.sw(D.HOME),
            {
                "kind": "foundation_use",
                "area_code": D.HOME,
                "title": "动用社区基金修缮社区老年活动室",
                "summary": "活动室屋顶漏雨、地面破损，拟动用社区基金 6 万元修缮，供老年合唱团和助餐点使用",
                "amount_fen": 6_000_000,
                "vital_interests": True,
            },
        )
        await self.decide("decision:matter:foundation", matter["id"], D.HOME, "approved")

    async def blow_whistles(self) -> None:
        """社区吹哨: blown while the services run, answered in the next stage (党员报到)."""
        home, sw = D.HOME, self.sw(D.HOME)
        need_id = self.need_field(f"need:{self.plan.needs_of('whistle', home)[0].index}")
        await self.create(
            "whistle:meal",
            "/whistles",
            sw,
            {
                "area_code": home,
                "title": "独居老人突发断餐",
                "description": "老人摔伤后无法做饭，请就近党员送餐并联系助餐点",
                "urgency": "urgent",
                "category": "meal_aid",
                "required_skills": ["送餐"],
                "need_id": need_id,
            },
            idem=True,
        )
        await self.create(
            "whistle:corridor",
            "/whistles",
            sw,
            {
                "area_code": home,
                "title": "楼道堆放杂物存在消防隐患",
                "description": "光华里3号楼楼道堆放纸箱和电动车，需清理",
                "urgency": "major",
                "category": "other",
            },
            idem=True,
        )
        await self.create(
            "whistle:village",
            "/whistles",
            self.sw(D.VILLAGE),
            {
                "area_code": D.VILLAGE,
                "title": "留守老人家中房屋漏雨",
                "description": "连续降雨，独居老人家中房顶漏雨，需要帮忙修补",
                "urgency": "major",
                "category": "daily_care",
            },
            idem=True,
        )

    async def answer_whistles(self) -> None:
        home, sw, sj = D.HOME, self.sw(D.HOME), self.sj(D.HOME)
        persona = self.plan.persona_volunteer
        member = self.need_field(f"party-member:volunteer:{persona}")
        me = self.volunteer_token(persona)
        # 1: a need nobody could wait for: the persona (a party member) takes the whistle on himself
        need = self.plan.needs_of("whistle", home)[0]
        need_id = self.need_field(f"need:{need.index}")
        w1 = {"id": self.need_field("whistle:meal")}
        await self.step(
            "whistle:meal:report",
            f"/whistles/{w1['id']}/reports",
            me,
            {"responder_kind": "member", "responder_id": member},
        )
        await self.step(
            "whistle:meal:handled",
            f"/whistles/{w1['id']}/reports/{member}/handled",
            me,
            {"note": "已送餐上门，并联系社区助餐点每日配送"},
        )
        await self.step(
            "whistle:meal:close",
            f"/whistles/{w1['id']}/close",
            sw,
            {"satisfaction": 5, "evaluated_by": "resident", "comment": "党员半小时就到了，很及时"},
        )
        await self.step(
            f"assess:{need.index}",
            f"/needs/{need_id}/assessment",
            sw,
            {
                "category": "meal_aid",
                "urgency": "urgent",
                "service_plan": "吹哨应急送餐后，纳入志愿者每日送餐",
                "route": "volunteer_task",
            },
        )
        # 2: taken on by the property company, not closed yet
        w2 = self.j.get("whistle:corridor") or {"id": self.need_field("whistle:corridor")}
        unit = self.need_field(f"unit:{home}:1")
        await self.step(
            "whistle:corridor:report",
            f"/whistles/{w2['id']}/reports",
            sj,
            {"responder_kind": "unit", "responder_id": unit},
        )
        # 3: just blown: every registered member of the community is called on
        await self.create(
            "whistle:flood",
            "/whistles",
            sw,
            {
                "area_code": home,
                "title": "暴雨后地下室进水",
                "description": "建北小区5号楼地下室进水，需要人手协助排水和转移物品",
                "urgency": "urgent",
            },
            idem=True,
        )
        # 4: in the village, answered by a member the social worker records, closed by the community
        vsw = self.sw(D.VILLAGE)
        w4 = {"id": self.need_field("whistle:village")}
        whistle = await self.get(f"/whistles/{w4['id']}", vsw)
        responder = next((d["responder_id"] for d in whistle["dispatches"] if d["responder_kind"] == "member"), None)
        if responder:
            await self.step(
                "whistle:village:report",
                f"/whistles/{w4['id']}/reports",
                vsw,
                {"responder_kind": "member", "responder_id": responder},
            )
            await self.step(
                "whistle:village:handled",
                f"/whistles/{w4['id']}/reports/{responder}/handled",
                vsw,
                {"note": "已组织党员修补房顶"},
            )
            await self.step(
                "whistle:village:close",
                f"/whistles/{w4['id']}/close",
                vsw,
                {"satisfaction": 4, "evaluated_by": "community", "comment": "处置及时"},
            )

    async def wishes(self) -> None:
        home, sw, sj = D.HOME, self.sw(D.HOME), self.sj(D.HOME)
        claimer = self.need_field(f"party-member:{home}:1")
        for key, title, beneficiary, state in (
            ("radio", "一台收音机", "王**（独居老人）", "fulfilled"),
            ("quilt", "冬季棉被两床", "李**（低保户）", "claimed"),
            ("glasses", "一副老花镜", "张**（空巢老人）", "open"),
        ):
            wish = await self.create(
                f"wish:{key}", "/wishes", sw, {"area_code": home, "title": title, "beneficiary": beneficiary}, idem=True
            )
            if state in ("claimed", "fulfilled"):
                await self.step(f"wish:{key}:claim", f"/wishes/{wish['id']}/claim", sj, {"member_id": claimer})
            if state == "fulfilled":
                await self.step(f"wish:{key}:fulfil", f"/wishes/{wish['id']}/fulfil", sj, {"note": "已送到老人家中"})
        vsw = self.sw(D.VILLAGE)
        wish = await self.create(
            "wish:schoolbag",
            "/wishes",
            vsw,
            {"area_code": D.VILLAGE, "title": "新书包和文具", "beneficiary": "李*（留守儿童）"},
            idem=True,
        )
        await self.step(
            "wish:schoolbag:claim",
            f"/wishes/{wish['id']}/claim",
            vsw,
            {"member_id": self.need_field(f"party-member:{D.VILLAGE}:0")},
        )
        await self.step("wish:schoolbag:fulfil", f"/wishes/{wish['id']}/fulfil", vsw, {"note": "开学前送到"})

    async def joint_meeting(self) -> None:
        """A dispute mediation goes up to the joint meeting (调处 → 党建联席会议); its resolutions send
        volunteers out, have the social worker follow up, and propose a project — which then waits for the
        party committee (先议后决)."""
        home, sw, sj = D.HOME, self.sw(D.HOME), self.sj(D.HOME)
        need = self.plan.needs_of("mediated", home)[0]
        case_id = self.need_field(f"dispute:{need.index}", "case_id")
        await self.step(
            f"escalate:{need.index}",
            f"/mediations/{case_id}/escalation",
            sw,
            {"reason": "涉及老人子女多方，社区调解未果，提交党建联席会议"},
        )
        manual = await self.create(
            "agenda:elevator",
            "/agenda-items",
            sw,
            {"area_code": home, "summary": "光华里老旧小区加装电梯，低层与高层住户意见分歧"},
        )

        async def dispute_on_agenda():
            items = await self.get("/agenda-items", sj, {"area": home})
            return next((i for i in items if i["kind"] == "dispute" and i["ref_id"] == case_id), None)

        if not self.j.get("meeting"):
            await self.until("调处进入联席会议议程 / the dispute on the agenda", dispute_on_agenda)
        secretary = self.plan.committees[home][0][0].name
        title = f"{self.year}年第{'一二三四'[(self.today.month - 1) // 3]}季度党建联席会议"

        async def find_meeting():
            return next((m for m in await self.get("/joint-meetings", sj, {"area": home}) if m["title"] == title), None)

        meeting = await self.create(
            "meeting",
            "/joint-meetings",
            sj,
            {
                "area_code": home,
                "title": title,
                "scheduled_at": _iso(datetime.now(UTC) + timedelta(seconds=3)),
                "place": "建北社区党群服务中心",
                "participants": [
                    {"actor": "party", "name": secretary, "unit": "建北街道001号社区党委"},
                    {"actor": "community", "name": "刘娜", "unit": "建北街道001号社区居委会"},
                    {"actor": "social_org", "name": "周敏", "unit": "长安区乐龄社会工作服务中心"},
                    {"actor": "social_worker", "name": "孙丽", "unit": "建北街道社会工作服务站"},
                    {
                        "actor": "volunteer",
                        "name": self.plan.volunteers[self.plan.persona_volunteer].person.name,
                        "unit": "建北助老志愿服务队",
                    },
                    {"actor": "charity", "name": "钱芳", "unit": "长安区慈善协会"},
                ],
            },
            lookup=find_meeting,
        )
        view = await self.get(f"/joint-meetings/{meeting['id']}", sj)
        if view["status"] == "scheduled":
            await self.sleep_until(datetime.fromisoformat(view["scheduled_at"]))  # the meeting is held at its time
        dispute_item = next(
            (i["id"] for i in view["agenda"] if i["kind"] == "dispute" and i["ref_id"] == case_id), None
        )
        elevator_item = next((i["id"] for i in view["agenda"] if i["id"] == manual["id"]), None)
        due = self.anchor
        first = await self.create(
            "resolution:dispute",
            f"/joint-meetings/{meeting['id']}/resolutions",
            sj,
            {
                "agenda_item_id": dispute_item,
                "text": "由社工牵头、志愿者入户，协调老人子女签订赡养协议",
                "actions": [
                    {
                        "kind": "volunteer_task",
                        "title": "入户回访调解对象",
                        "details": "了解老人近况，协助社工沟通",
                        "need_id": self.need_field(f"need:{need.index}"),
                        "required_skills": ["入户走访"],
                        "owner": "志愿者:建北助老志愿服务队",
                        "due_at": _iso(due + timedelta(days=7)),
                    },
                    {
                        "kind": "other",
                        "title": "社工跟进调解并报告结果",
                        "owner": "社工:刘娜",
                        "due_at": _iso(due + timedelta(days=14)),
                    },
                ],
            },
            idem=True,
        )
        second = await self.create(
            "resolution:elevator",
            f"/joint-meetings/{meeting['id']}/resolutions",
            sj,
            {
                "agenda_item_id": elevator_item,
                "text": "就加装电梯组织住户议事协商，提出社区议事协商服务项目",
                "actions": [
                    {
                        "kind": "propose_project",
                        "title": "光华里加装电梯议事协商",
                        "owner": "社区:建北街道001号社区居委会",
                        "due_at": _iso(due + timedelta(days=30)),
                    }
                ],
            },
            idem=True,
        )
        # the volunteers service opened a task for the action (its id is the action's): the persona takes it
        volunteer_action, follow_up = first["action_ids"]
        persona = self.plan.persona_volunteer
        vid, me = self.need_field(f"volunteer:{persona}"), self.volunteer_token(persona)
        await self.until(
            "联席会议派发的志愿服务任务 / the meeting's volunteer task",
            lambda: self.get(f"/tasks/{volunteer_action}", sw, missing_ok=True),
        )
        await self.step("meeting:task:invite", f"/tasks/{volunteer_action}/invitations", sw, {"volunteer_ids": [vid]})
        await self.step(
            "meeting:task:accept", f"/tasks/{volunteer_action}/invitations/{vid}/response", me, {"accept": True}
        )
        await self.step(
            "meeting:follow-up",
            f"/meeting-actions/{follow_up}/progress",
            sw,
            {"status": "done", "note": "子女与老人签订赡养协议，每周轮流探望"},
        )
        await self.step(
            f"settle:{need.index}",
            f"/mediations/{case_id}/settlement",
            sw,
            {"outcome": "联席会议协调后，子女与老人签订赡养协议，调处办结"},
        )
        # the project the meeting proposed: out of the demand pool, then waiting for the party committee
        project_action = second["action_ids"][0]

        async def pooled():
            return any(d["ref_id"] == project_action for d in await self.get("/projects/demands", sw, {"area": home}))

        if not self.j.get("project:elevator"):
            await self.until("联席会议提出的项目需求 / the meeting's project in the demand pool", pooled)
        project = await self.create(
            "project:elevator",
            "/projects",
            sw,
            {
                "area_code": home,
                "title": "光华里老旧小区加装电梯议事协商项目",
                "service_content": "由专业社工组织低层、高层住户议事协商，形成加装电梯共识方案并跟进实施",
                "indicators": [
                    {"name": "议事协商会", "target": "不少于 6 次"},
                    {"name": "住户参与率", "target": "不低于 90%"},
                ],
                "budget_fen": 6_000_000,
                "funding": [
                    {
                        "source": "government_purchase",
                        "fund_id": self.need_field("fund:purchase"),
                        "amount_fen": 6_000_000,
                    }
                ],
                "purchase_item": "consult",
                "year": self.year,
                "duration_months": 6,
                "vital_interests": True,
                "action_id": project_action,
            },
        )
        await self.step("project:elevator:submit", f"/projects/{project['id']}/submission", sw)

    # 9 --- time bank, love supermarket, surveys and visits, revisits, certificates ---------------------------
    async def exchanges(self) -> None:
        await self.flow(
            "爱心超市 / supermarket", self.supermarket()
        )  # the goods first: the time bank's points buy them
        await self.gather(
            self.flow("时间银行 / time bank", self.timebank()),
            self.flow("入户调研 / survey", self.survey()),
            self.flow("回访 / revisits", self.revisits()),
            self.flow("服务证明 / certificate", self.certificate()),
        )

    async def supermarket(self) -> None:
        home, sw = D.HOME, self.sw(D.HOME)
        items = {}
        for area in (home, "130102002001", D.VILLAGE):
            who = self.maker(area)
            for k, (item, unit, quantity, value, price) in enumerate(D.GOODS if area == home else D.GOODS[:3]):
                donor = (
                    {
                        "kind": "enterprise",
                        "name": D.ENTERPRISES[2][0],
                        "uscc": D.enterprise_uscc(*D.ENTERPRISES[2][1:3]),
                    }
                    if k % 2 == 0
                    else {"kind": "anonymous"}
                )
                receipt = await self.create(
                    f"goods:{area}:{k}",
                    "/supermarket/goods",
                    who,
                    {
                        "area_code": area,
                        "item": item,
                        "unit": unit,
                        "quantity": quantity,
                        "estimated_value_fen": value,
                        "price_points": price,
                        "donor": donor,
                    },
                    idem=True,
                )
                items[(area, k)] = receipt["item_id"]
        # points for residents who took part in community work, and what they bought with them
        home_needs = [n for n in self.plan.needs if n.area == home]
        holders = [self.plan.persona_resident] + [n.resident for n in home_needs[:5]]
        for k, resident in enumerate(dict.fromkeys(holders)):
            known = self.j.get(f"resident:{resident}")
            if not known:
                continue
            await self.create(
                f"points:{resident}",
                "/supermarket/points-grants",
                sw,
                {
                    "area_code": home,
                    "holder_kind": "resident",
                    "holder_ref": known["resident_ref"],
                    "points": 30 + 10 * k,
                    "reason": ("参加社区环境整治志愿活动", "参加垃圾分类宣传", "参加邻里互助结对")[k % 3],
                },
                idem=True,
            )
        persona = self.resident_token(self.plan.persona_resident)
        if persona:
            await self.create(
                "redemption:resident",
                "/supermarket/redemptions",
                persona,
                {"holder_kind": "resident", "holder_ref": persona[2], "item_id": items[(home, 0)], "quantity": 1},
                idem=True,
            )

    async def timebank(self) -> None:
        """The persona's verified hours became time credits: some go to charity points (CreditsExchanged),
        which buy a towel at the love supermarket; another volunteer pays for a haircut with credits."""
        persona = self.plan.persona_volunteer
        vid, me = self.need_field(f"volunteer:{persona}"), self.volunteer_token(persona)
        await self.create(
            "timebank:exchange", "/timebank/exchanges", me, {"volunteer_id": vid, "units": 100}, idem=True
        )
        ref = me[2]

        async def points():
            account = await self.get(f"/supermarket/points/volunteer/{ref}", me, missing_ok=True)
            return account if account and account["balance"] >= 5 else None

        await self.until("时间积分兑换为爱心积分 / credits exchanged for points", points)
        goods = self.j.get(f"goods:{D.HOME}:4")
        if goods:
            await self.create(
                "redemption:volunteer",
                "/supermarket/redemptions",
                me,
                {"holder_kind": "volunteer", "holder_ref": ref, "item_id": goods["item_id"], "quantity": 1},
                idem=True,
            )
        # a volunteer of the neighbouring community pays a haircut with credits (通存通兑 between community banks)
        closed = [
            n for n in self.plan.needs if n.area == "130102001002" and n.fate == "closed" and n.volunteer is not None
        ]
        if closed:
            index = closed[0].volunteer
            await self.create(
                "timebank:redemption",
                "/timebank/redemptions",
                self.sw("130102001002"),
                {
                    "volunteer_id": self.need_field(f"volunteer:{index}"),
                    "units": 50,
                    "service": "上门理发",
                    "at_bank_area": D.HOME,
                },
                idem=True,
            )

    async def survey(self) -> None:
        """The community's household survey: the grid worker visits, some visits find needs."""
        survey = await self.create(
            "survey",
            "/surveys",
            self.sw(D.HOME),
            {
                "area_code": D.HOME,
                "title": f"{self.year}年入户需求调研",
                "starts_on": (self.today - timedelta(days=10)).isoformat(),
                "ends_on": (self.today + timedelta(days=50)).isoformat(),
            },
        )
        grid = self.grid(D.HOME)
        visited = [
            i for i, p in enumerate(self.plan.residents) if p.area_code == D.HOME and "empty_nest_elderly" in p.tags
        ][:6]
        found = {
            0: {
                "category": "daily_care",
                "description": "冬季取暖需要帮助，家中暖气不热",
                "required_skills": ["家电维修"],
            },
            2: {
                "category": "emotional_comfort",
                "description": "老人独居少言，希望志愿者每周来聊聊天",
                "urgency": "major",
            },
        }
        for k, resident in enumerate(visited):
            known = self.j.get(f"resident:{resident}")
            if not known:
                continue
            await self.create(
                f"visit:{resident}",
                f"/surveys/{survey['id']}/visits",
                grid,
                {
                    "resident_id": known["id"],
                    "visited_at": _iso(self.anchor - timedelta(days=3 - k % 3, hours=k)),
                    "notes": ("身体状况良好", "行动不便，需关注", "子女每月探望一次")[k % 3],
                    "needs": [found[k]] if k in found else [],
                },
            )

    async def revisits(self) -> None:
        closed = [n for n in self.plan.needs if n.area == D.HOME and n.fate == "closed"][:4]
        for n in closed:
            if self.j.get(f"feedback:{n.index}"):
                await self.create(
                    f"revisit:{n.index}",
                    f"/needs/{self.need_field(f'need:{n.index}')}/revisits",
                    self.sw(n.area),
                    {"notes": ("老人表示满意，希望继续", "服务效果良好", "家属表示感谢")[n.index % 3]},
                )

    async def certificate(self) -> None:
        persona = self.plan.persona_volunteer
        await self.create(
            "certificate",
            "/certificates",
            self.sw(D.HOME),
            {
                "volunteer_id": self.need_field(f"volunteer:{persona}"),
                "period_start": f"{self.year}-01-01",
                "period_end": self.today.isoformat(),
            },
        )

    # --- personas for the console's development sign-in -------------------------------------------------
    def personas(self) -> list[dict]:
        plan, home = self.plan, D.HOME
        volunteer = plan.volunteers[plan.persona_volunteer]
        resident = plan.residents[plan.persona_resident]
        volunteer_ref = (self.j.get(f"volunteer:{volunteer.index}") or {}).get("volunteer_ref")
        resident_ref = (self.j.get(f"resident:{plan.persona_resident}") or {}).get("resident_ref")
        secretary = plan.committees[home][0][0].name
        people = [
            (
                "social_worker",
                "社区社工 刘娜",
                "Community social worker",
                "social_worker",
                home,
                D.social_worker(home),
                "建北街道001号社区社工：登记和评估需求、派单给志愿者、核实服务时长、回访居民",
            ),
            (
                "grid_worker",
                "网格员 赵磊",
                "Grid worker",
                "grid_worker",
                home,
                D.grid_worker(home),
                "建北街道001号社区网格员：入户走访、需求调研、登记需求",
            ),
            (
                "party_secretary",
                f"社区党委书记 {secretary}",
                "Community party secretary",
                "party_secretary",
                home,
                D.party_secretary(home),
                "建北街道001号社区党委书记（党委委员席位）：先议后决、吹哨报到、联席会议",
            ),
            (
                "civil_affairs_county",
                "长安区民政局",
                "Chang'an District civil affairs",
                "civil_affairs",
                D.URBAN_COUNTY,
                D.MZ[D.URBAN_COUNTY],
                "登记社会组织、设立社工站、评估项目、区县统计",
            ),
            (
                "civil_affairs_city",
                "石家庄市民政局",
                "Shijiazhuang civil affairs",
                "civil_affairs",
                D.CITY,
                D.MZ[D.CITY],
                "全市五社联动指标：需求、志愿服务、社会组织",
            ),
            (
                "civil_affairs_province",
                "河北省民政厅",
                "Hebei civil affairs department",
                "civil_affairs",
                D.PROVINCE,
                D.MZ[D.PROVINCE],
                "全省指标与需求类别管理",
            ),
            (
                "charity_admin",
                "长安区慈善复核员 赵",
                "Charity administrator (checker)",
                "charity_admin",
                D.URBAN_COUNTY,
                D.CHARITY_CHECKER[D.URBAN_COUNTY],
                "长安区慈善资金：复核拨付（有待复核的拨付申请）、爱心超市、公开账目",
            ),
            (
                "org_admin",
                "乐龄社工服务中心管理员",
                "Social-work agency administrator",
                "org_admin",
                D.URBAN_COUNTY,
                D.ORG_ADMIN,
                "长安区乐龄社会工作服务中心：投标、报告项目里程碑、申请志愿者",
            ),
            (
                "volunteer",
                f"志愿者 {volunteer.person.name}",
                "Volunteer (party member)",
                "volunteer",
                home,
                volunteer_ref,
                "建北街道001号社区志愿者、在职党员：接受任务邀请、签到签退、时间银行、爱心积分、吹哨报到",
            ),
            (
                "resident",
                f"居民 {resident.name}",
                "Resident",
                "resident",
                home,
                resident_ref,
                "建北街道001号社区空巢老人：自主上报需求、确认需求已解决并评价服务",
            ),
            ("auditor", "长安区审计", "Auditor", "auditor", D.URBAN_COUNTY, D.AUDITOR, "只读：账本校验、需求库、统计"),
            (
                "social_worker_rural",
                "龙州镇村社工 郭",
                "Village social worker",
                "social_worker",
                D.VILLAGE,
                D.social_worker(D.VILLAGE),
                "行唐县龙州镇200号村社工：留守儿童和留守老人的需求、项目验收",
            ),
        ]
        return [
            {
                "id": pid,
                "label_zh": zh,
                "label_en": en,
                "role": role,
                "area": area,
                "sub": sub,
                "description_zh": description,
            }
            for pid, zh, en, role, area, sub, description in people
            if sub
        ]

    def write_personas(self) -> Path:
        path = self.settings.path("demo", "personas.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        personas = self.personas()
        try:  # a persona whose login this run could not learn keeps the one an earlier run wrote
            earlier = {p["id"]: p for p in json.loads(path.read_text(encoding="utf-8"))} if path.exists() else {}
        except (OSError, ValueError, TypeError, KeyError):
            earlier = {}
        known = {p["id"] for p in personas}
        personas += [p for pid, p in earlier.items() if pid not in known and pid in PERSONA_IDS]
        personas.sort(key=lambda p: PERSONA_IDS.index(p["id"]))
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(personas, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path

    async def summary(self) -> str:
        city = self.mz(D.CITY)
        needs = await self.get("/needs/stats", city, {"area": D.CITY})
        volunteers = await self.get("/volunteers/stats", city, {"area": D.CITY})
        organizations = await self.get("/organizations/stats", city, {"area": D.CITY})
        projects = await self.get("/projects", city, {"area": D.CITY})
        showcase = await self.get("/public/showcase", None)
        return (
            f"居民 {len(self.j.keys('resident:'))}，需求 {needs['total']}，志愿者 {volunteers['registered']}"
            f"（社工 {sum(volunteers['social_workers_by_level'].values())}），社会组织 {organizations['organizations']}，"
            f"项目 {len(projects)}，优秀项目展示 {len(showcase)} / residents, needs, volunteers (social workers), "
            f"organizations, projects, showcase"
        )


def _detail(data: Any) -> str:
    if isinstance(data, dict):
        errors = data.get("errors") or []
        return f"{data.get('detail') or data.get('title')}" + (f" {errors[:2]}" if errors else "")
    return str(data)[:300]


def _is_key_reuse(data: Any) -> bool:
    return isinstance(data, dict) and any(e.get("type") == "idempotency_key" for e in data.get("errors") or [])


async def load(
    settings: Settings,
    should_stop: Callable[[], bool] = lambda: False,
    say: Callable[[str], None] = lambda s: print(s, flush=True),
    force: bool = False,
) -> Demo:
    journal = Journal(settings.path("demo", "journal.json"))
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=CONCURRENCY + 8)) as session:
        demo = Demo(settings, session, journal, should_stop, say)
        try:
            await demo.run(force)
        finally:
            journal.save(force=True)
        demo.write_personas()
        demo.summary_text = await demo.summary()
    return demo


def load_demo(settings: Settings, should_stop: Callable[[], bool] = lambda: False, *, force: bool = False) -> bool:
    """Load the demo unless it is loaded already. True when the demo is there (loaded now or before);
    False when it was interrupted or failed (the next start tries again)."""
    marker = loaded_marker(settings)
    if marker.exists() and not force:
        print(f"演示数据已载入 / demo data already loaded ({marker}; WUSHE_DEMO=false 关闭 / turns it off)", flush=True)
        return True
    started = time.monotonic()
    try:
        demo = asyncio.run(load(settings, should_stop, force=force))
    except AlreadyThere:
        print(
            f"演示数据已在数据库中，但其记录 {settings.path('demo', 'journal.json')} 已不在：不再重复载入；"
            f"`wushe demo --force` 可强制再载一遍（没有自然键的对象如资金账户、捐赠会重复）/ the demo data is in the "
            f"database but its journal is gone: not loading it again (`wushe demo --force` would, duplicating objects "
            f"without a natural key such as funds and donations)",
            flush=True,
        )
        return True
    except Interrupted:
        print(
            "演示数据载入已中断，下次启动时继续 / demo loading interrupted; the next start goes on with it", flush=True
        )
        return False
    except Exception as exc:  # noqa: BLE001 - the stack keeps running without the demo; the log has the details
        log = settings.path("log", "demo.log")
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as out:
            out.write(f"--- {datetime.now(UTC).isoformat()}\n{traceback.format_exc()}\n")
        print(
            f"演示数据未能载入 / demo data could not be loaded: {exc!r} (see {log}); "
            f"下次启动或 `wushe demo` 时重试 / retried at the next start or by `wushe demo`",
            flush=True,
        )
        return False
    elapsed = time.monotonic() - started
    if demo.warnings:
        print(f"演示数据有 {len(demo.warnings)} 处跳过 / {len(demo.warnings)} parts skipped (see above)", flush=True)
    marker.write_text(f"{datetime.now(UTC).isoformat()} {demo.requests} requests {elapsed:.1f}s\n", encoding="utf-8")
    print(
        f"演示数据已载入 / demo data loaded in {elapsed:.0f} s ({demo.requests} 个请求 / requests): {demo.summary_text}",
        flush=True,
    )
    print(f"开发登录身份 / sign-in personas: {settings.path('demo', 'personas.json')}", flush=True)
    return True
