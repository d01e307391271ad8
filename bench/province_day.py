"""A simulated Hebei day: the load a province generates, played through the real stack.

1. The load model (pure, no I/O; tests/unit/test_province_day_model.py): from the province's
   figures and the assumptions in the constants block below, the day's count of each event type,
   spread over 24 local hours (Asia/Shanghai) by hourly curves; the peak hour is the hour with the
   most HTTP calls at the gateway. Printed first: per event type, per day and at the peak hour.
2. The slice: a fresh temporary WUSHE_HOME with free loopback ports (bench/pipeline.py's Stack,
   extended here to run several replicas of a service on one port, as `wushe up` does), every
   service and the gateway; a small fixture through the public API (长安区: its communities'
   social worker and grid workers, volunteers, a fund, party organizations and members); then the
   peak hour's mix of HTTP calls, open loop at a rate per call type, scaled by one factor so the
   total is what this machine can try (BENCH_PROVINCE_RATE), for BENCH_PROVINCE_S seconds.
3. The report: per call type target and achieved rate, p50/p99 of the HTTP call (and, for needs
   raised, to the volunteers' consumer), non-2xx by status; lost and duplicated effects counted in
   the databases; CPU and RSS per process; and from the CPU per operation and the province's peak
   rates, the replicas each service needs, NATS msgs/s and PostgreSQL transactions per database.

  .venv/bin/python bench/province_day.py            # or: make bench-province
  .venv/bin/python bench/province_day.py --model    # only the derived day, no stack
  BENCH_QUICK=1 .venv/bin/python bench/province_day.py

Knobs (environment): BENCH_PROVINCE_S (120; quick 30), BENCH_PROVINCE_RATE (total HTTP calls/s the
slice aims at, 60), BENCH_PROVINCE_CONNS (32), BENCH_PROVINCE_REPLICAS ("needs=2,gateway=2"),
BENCH_PROVINCE_WARMUP_S (10; quick 5), BENCH_PROVINCE_VOLUNTEERS (240), BENCH_PROVINCE_SEED (79),
BENCH_PROVINCE_HISTORY (needs per community raised before the slice, 0),
BENCH_KEEP_HOME=1 (keep the temporary home and its logs).
"""

from __future__ import annotations

import asyncio
import heapq
import json
import math
import os
import random
import signal
import sys
import threading
import time
import unicodedata
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import asyncpg  # noqa: E402
import orjson  # noqa: E402
import pipeline as pl  # noqa: E402  (puts the repository on sys.path too)
import psutil  # noqa: E402

# --- the province, and every assumption of the load model ------------------------------------
# Figures of Hebei (the design's "Scale" section). Rates are for a working day (Mon–Fri), the
# busiest kind of day for the community and the offices; local time is Asia/Shanghai.
POPULATION = 74_600_000  # residents of Hebei
TOWNSHIPS = 2_365  # townships and streets (乡镇、街道), each with its social-work station
COMMUNITIES = 54_000  # villages and communities (村、社区): where needs arise
COUNTY_OFFICES = 167  # county-level civil-affairs offices (districts, county-level cities, counties)
CITY_OFFICES = 11  # prefecture-level cities
PROVINCE_OFFICES = 1  # the provincial department
REGISTERED_VOLUNTEERS = 5_000_000  # registered volunteers (real-name)

# needs (社区)
NEEDS_PER_1000_PEOPLE = 0.40  # needs raised per 1,000 residents a day (visits, grid rounds, 12345, self-reports)
GRID_SURVEY_SHARE = 0.35  # of the needs raised: recorded by grid workers on their rounds (the rest by social workers)
ASSESSED_SHARE = 0.90  # needs assessed and routed by a social worker the same day (the rest later, or returned)
ROUTE_MIX = {  # where an assessment routes a need (one HTTP call carries both NeedAssessed and NeedRouted)
    "volunteer_task": 0.55,  # → the volunteers service opens a task for it (a consumer, no HTTP call)
    "government_referral": 0.20,  # → civil affairs' own assistance
    "project": 0.15,  # → the projects' demand pool
    "charity_aid": 0.10,  # → waits for a donation earmarked to it
}
NEED_360_READS_PER_NEED = 8.0  # reads of a need's composed view over its life (worker, assessor, follow-up, office)

# volunteers (志愿者 + 社工)
ACTIVITY_TASKS_PER_COMMUNITY = 0.20  # community activities published as tasks per community a day (one a week each)
VOLUNTEER_ACTIVE_SHARE = 0.02  # of the registered volunteers, those who serve on a given day
SERVICES_PER_ACTIVE_VOLUNTEER = 1.2  # services (one check-in and one check-out each) per active volunteer a day
SIGNUPS_PER_SERVICE = 1.15  # sign-ups per service given (some decline or do not come)
SIGNUP_CALLS = 2  # HTTP calls per sign-up: the worker's invitation, the volunteer's acceptance
CHECKOUT_SHARE = 0.98  # check-ins that are checked out by the volunteer (the rest are entered by an organizer later)
VERIFIED_SHARE = 0.95  # checked-out services whose hours a social worker verifies the same day (time-bank credits)
SERVICE_MINUTES = 60  # length of one service: check-outs follow check-ins by this much

# charity (慈善) and party (党建)
DONATIONS_PER_1000_PEOPLE = 0.10  # donations recorded per 1,000 residents a day (people, enterprises, anonymous)
EARMARKED_SHARE = 0.20  # of the donations: earmarked to a need routed to charity aid
WHISTLES_PER_COMMUNITY = 0.03  # whistles blown (吹哨) per community a day (about one a month)

# reads (the gateway's composed views)
DASHBOARD_VIEWS_PER_COMMUNITY = 10.0  # dashboard opened by a community's workers a day
SCREEN_REFRESH_S = 300  # each office's wall screen (township, county, city, province) reloads its dashboard this often
SCREEN_HOURS = (8, 18)  # … between these local hours (08:00–18:00)

# the shape of the day: relative weights of the 24 local hours (0 = 00:00–01:00), normalised to 1
# fmt: off
CURVES_RAW = {
    # community workers and offices: 08:30–12:00 and 14:00–17:30, a little after hours
    "office": (0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 6.0, 10.5, 11.5, 8.5,
               3.0, 3.0, 8.0, 10.0, 9.5, 6.5, 3.0, 2.0, 1.5, 1.2, 0.8, 0.4),
    # volunteers arriving on site: morning services (送餐, 助浴 …), afternoon activities, evening patrols
    "service": (0.1, 0.1, 0.1, 0.1, 0.2, 0.6, 2.0, 5.0, 10.0, 11.5, 9.5, 6.5,
                3.5, 4.0, 8.0, 9.5, 7.5, 5.0, 4.0, 5.0, 4.0, 2.0, 0.8, 0.2),
    # volunteers on their phones (sign-ups): through the day, most in the evening
    "mobile": (0.5, 0.2, 0.1, 0.1, 0.1, 0.3, 1.5, 4.0, 6.0, 6.5, 6.5, 6.0,
               6.5, 5.0, 5.5, 5.5, 5.5, 5.0, 5.0, 6.0, 7.5, 6.5, 3.5, 1.5),
}
# fmt: on

# sizing
PEAK_BURST = 1.5  # the busiest minutes of the peak hour against the hour's mean: what the replicas must carry
TARGET_CPU = 0.65  # CPU a replica (one core: a service is one Python process) may use at that burst
MIN_REPLICAS = 3  # the province overlay's floor (three zones)

# --- the load model ---------------------------------------------------------------------------


def shifted(weights: tuple[float, ...], hours: int) -> tuple[float, ...]:
    """The curve `hours` later (check-outs follow check-ins)."""
    return tuple(weights[(h - hours) % 24] for h in range(24))


def flat(start: int, end: int) -> tuple[float, ...]:
    return tuple(1.0 if start <= h < end else 0.0 for h in range(24))


def curves() -> dict[str, list[float]]:
    raw = {
        **CURVES_RAW,
        "service_end": shifted(CURVES_RAW["service"], round(SERVICE_MINUTES / 60)),
        "screens": flat(*SCREEN_HOURS),
    }
    return {name: [w / sum(ws) for w in ws] for name, ws in raw.items()}


@dataclass(frozen=True)
class Part:
    """A share of an event type's day: `per_day` of them on `curve`, each making the HTTP calls
    `ops` (none when it happens inside another call or in a consumer)."""

    per_day: float
    curve: str
    ops: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    parts: tuple[Part, ...]

    @property
    def per_day(self) -> float:
        return sum(p.per_day for p in self.parts)


# the event type each call of the slice plays
EVENT_OF = {
    "need.raise": "needs raised",
    "need.assess": "assessments, routing",
    "task.publish": "tasks (activities)",
    "signup.invite": "sign-ups: invitation",
    "signup.accept": "sign-ups: acceptance",
    "hours.check_in": "check-ins",
    "hours.check_out": "check-outs",
    "hours.verify": "hours verified",
    "donation": "donations",
    "whistle": "whistles",
    "view.dashboard": "dashboard reads",
    "view.need360": "need-360 reads",
}
# the HTTP calls of the slice: name → method and path through the gateway (ids filled in when played)
OPS = {
    "need.raise": "POST /needs",
    "need.assess": "POST /needs/{id}/assessment",
    "task.publish": "POST /tasks",
    "signup.invite": "POST /tasks/{id}/invitations",
    "signup.accept": "POST /tasks/{id}/invitations/{volunteer}/response",
    "hours.check_in": "POST /tasks/{id}/volunteers/{volunteer}/check-in",
    "hours.check_out": "POST /tasks/{id}/volunteers/{volunteer}/check-out",
    "hours.verify": "POST /hours/{id}/verification",
    "donation": "POST /donations",
    "whistle": "POST /whistles",
    "view.dashboard": "GET /views/dashboard?area=…",
    "view.need360": "GET /views/needs/{id}",
}


def screens() -> int:
    return TOWNSHIPS + COUNTY_OFFICES + CITY_OFFICES + PROVINCE_OFFICES


def day_model() -> list[Kind]:
    """Every event type of the day, from the constants above."""
    needs = POPULATION / 1000 * NEEDS_PER_1000_PEOPLE
    assessed = needs * ASSESSED_SHARE
    services = REGISTERED_VOLUNTEERS * VOLUNTEER_ACTIVE_SHARE * SERVICES_PER_ACTIVE_VOLUNTEER
    checked_out = services * CHECKOUT_SHARE
    screen_reads = screens() * (SCREEN_HOURS[1] - SCREEN_HOURS[0]) * 3600 / SCREEN_REFRESH_S
    signup_ops = ("signup.invite", "signup.accept")[:SIGNUP_CALLS]
    return [
        Kind("needs_raised", "需求登记 needs raised", (Part(needs, "office", ("need.raise",)),)),
        Kind("assessments", "评估 assessments", (Part(assessed, "office", ("need.assess",)),)),
        Kind("routing", "分派 routing (in the assessment)", (Part(assessed * sum(ROUTE_MIX.values()), "office"),)),
        Kind(
            "tasks_published",
            "任务发布 tasks published",
            (
                Part(COMMUNITIES * ACTIVITY_TASKS_PER_COMMUNITY, "office", ("task.publish",)),
                Part(assessed * ROUTE_MIX["volunteer_task"], "office"),  # opened by the consumer of NeedRouted
            ),
        ),
        Kind("signups", "报名 sign-ups", (Part(services * SIGNUPS_PER_SERVICE, "mobile", signup_ops),)),
        Kind("check_ins", "签到 check-ins", (Part(services, "service", ("hours.check_in",)),)),
        Kind("check_outs", "签退 check-outs", (Part(checked_out, "service_end", ("hours.check_out",)),)),
        Kind(
            "hours_verified",
            "时长核实 hours verified",
            (Part(checked_out * VERIFIED_SHARE, "office", ("hours.verify",)),),
        ),
        Kind(
            "donations",
            "捐赠 donations",
            (Part(POPULATION / 1000 * DONATIONS_PER_1000_PEOPLE, "office", ("donation",)),),
        ),
        Kind("whistles", "吹哨 whistles", (Part(COMMUNITIES * WHISTLES_PER_COMMUNITY, "office", ("whistle",)),)),
        Kind(
            "dashboard_reads",
            "看板 dashboard reads",
            (
                Part(COMMUNITIES * DASHBOARD_VIEWS_PER_COMMUNITY, "office", ("view.dashboard",)),
                Part(screen_reads, "screens", ("view.dashboard",)),
            ),
        ),
        Kind(
            "need360_reads",
            "需求全景 need-360 reads",
            (Part(needs * NEED_360_READS_PER_NEED, "office", ("view.need360",)),),
        ),
    ]


def hourly(kind: Kind, shape: dict[str, list[float]]) -> list[float]:
    """The kind's events in each local hour."""
    return [sum(p.per_day * shape[p.curve][h] for p in kind.parts) for h in range(24)]


def ops_per_hour(kinds: list[Kind], shape: dict[str, list[float]]) -> dict[str, list[float]]:
    """HTTP calls of each op in each local hour."""
    out = {op: [0.0] * 24 for op in OPS}
    for kind in kinds:
        for part in kind.parts:
            for op in part.ops:
                for h in range(24):
                    out[op][h] += part.per_day * shape[part.curve][h]
    return out


def peak_hour(kinds: list[Kind], shape: dict[str, list[float]]) -> int:
    """The local hour with the most HTTP calls at the gateway."""
    per_op = ops_per_hour(kinds, shape)
    totals = [sum(calls[h] for calls in per_op.values()) for h in range(24)]
    return max(range(24), key=totals.__getitem__)


def peak_rates(kinds: list[Kind], shape: dict[str, list[float]], hour: int) -> dict[str, float]:
    """Each op's calls per second in `hour`, on average over the hour."""
    return {op: calls[hour] / 3600 for op, calls in ops_per_hour(kinds, shape).items()}


def scaled(rates: dict[str, float], total: float) -> tuple[float, dict[str, float]]:
    """The same mix at `total` calls/s: (the factor, the rates)."""
    factor = total / sum(rates.values())
    return factor, {op: r * factor for op, r in rates.items()}


def replicas_for(cores: float, target: float = TARGET_CPU, floor: int = MIN_REPLICAS) -> int:
    """Replicas of one core each so that `cores` of work keeps each at most at `target`."""
    return max(floor, math.ceil(cores / target - 1e-9))


def dashboard_levels() -> dict[str, float]:
    """Which level of area the day's dashboard reads are for."""
    per_screen = (SCREEN_HOURS[1] - SCREEN_HOURS[0]) * 3600 / SCREEN_REFRESH_S
    counts = {
        "community": COMMUNITIES * DASHBOARD_VIEWS_PER_COMMUNITY,
        "township": TOWNSHIPS * per_screen,
        "county": (COUNTY_OFFICES + CITY_OFFICES + PROVINCE_OFFICES) * per_screen,
    }
    total = sum(counts.values())
    return {level: n / total for level, n in counts.items()}


def display_pad(text: str, width: int) -> str:
    """Pad to `width` columns, counting a CJK character as two."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def print_day(kinds: list[Kind], shape: dict[str, list[float]]) -> dict:
    hour = peak_hour(kinds, shape)
    per_op = ops_per_hour(kinds, shape)
    rates = peak_rates(kinds, shape, hour)
    day_calls = sum(sum(v) for v in per_op.values())
    peak_calls = sum(rates.values())
    print(f"\n## A simulated Hebei working day ({POPULATION / 1e6:.1f} M people, {TOWNSHIPS:,} townships,")
    print(f"## {COMMUNITIES:,} villages and communities, {REGISTERED_VOLUNTEERS / 1e6:.1f} M registered volunteers)")
    print(f"peak hour (most HTTP calls): {hour:02d}:00–{hour + 1:02d}:00 Asia/Shanghai\n")
    print(f"{'event type':<34}{'per day':>12}{'peak hour':>11}{'peak /s':>9}  HTTP calls")
    out = {"peak_hour": hour, "kinds": {}, "ops": {}}
    for kind in kinds:
        h = hourly(kind, shape)
        ops = sorted({op for p in kind.parts for op in p.ops})
        print(
            f"{display_pad(kind.label, 34)}{kind.per_day:>12,.0f}{h[hour]:>11,.0f}{h[hour] / 3600:>9.2f}  {', '.join(ops) or '-'}"
        )
        out["kinds"][kind.key] = {"per_day": kind.per_day, "peak_hour": h[hour], "peak_per_s": h[hour] / 3600}
    print(f"\n{'HTTP call':<18}{'per day':>12}{'peak /s':>9}  route")
    for op, calls in per_op.items():
        print(f"{op:<18}{sum(calls):>12,.0f}{rates[op]:>9.2f}  {OPS[op]}")
        out["ops"][op] = {"per_day": sum(calls), "peak_per_s": rates[op]}
    print(
        f"{'all':<18}{day_calls:>12,.0f}{peak_calls:>9.2f}  (the peak hour carries {100 * peak_calls * 3600 / day_calls:.1f} % "
        f"of the day; its busiest minutes ×{PEAK_BURST:g}: {peak_calls * PEAK_BURST:.1f}/s)"
    )
    out.update({"http_calls_per_day": day_calls, "peak_calls_per_s": peak_calls})
    return out


# --- the stack: every service, several replicas of some ---------------------------------------

from contracts.flow import FLOW  # noqa: E402
from contracts.subjects import event_subject  # noqa: E402
from deploy.demo import data as D  # noqa: E402
from deploy.launcher import APPS, answers_ready, spawn  # noqa: E402
from deploy.provision import provision  # noqa: E402
from deploy.servers import start_nats_cluster, start_postgres  # noqa: E402
from kit.auth import issue_token  # noqa: E402

QUICK = pl.QUICK
SLICE_S = float(os.environ.get("BENCH_PROVINCE_S", "30" if QUICK else "120"))
SLICE_RATE = float(os.environ.get("BENCH_PROVINCE_RATE", "60"))
CONNS = int(os.environ.get("BENCH_PROVINCE_CONNS", "32"))
WARMUP_S = float(os.environ.get("BENCH_PROVINCE_WARMUP_S", "5" if QUICK else "10"))
N_VOLUNTEERS = int(os.environ.get("BENCH_PROVINCE_VOLUNTEERS", "240"))
SEED = int(os.environ.get("BENCH_PROVINCE_SEED", "79"))
# needs per community raised (and assessed, as ASSESSED_SHARE says) before the slice: the history a
# community's dashboard reads over (0.4 per 1,000 a day is about 200 a year in a community of 1,400)
HISTORY = int(os.environ.get("BENCH_PROVINCE_HISTORY", "0"))
REPLICAS = {
    name: int(count)
    for name, _, count in (
        item.partition("=")
        for item in os.environ.get("BENCH_PROVINCE_REPLICAS", "needs=2,gateway=2").split(",")
        if item
    )
}
START_TIMEOUT_S = 180.0  # nine Python processes importing on two cores
DRAIN_MAX_S = 120.0  # after the slice: every outbox sent, every consumer caught up
PROGRESS_S = 5.0
MAX_LAG_S = 0.5  # the open loop's schedule moves forward (a slip) rather than burst more than this
SAMPLE_S = 2.0  # RSS sampling period

COUNTY = D.URBAN_COUNTY  # 长安区
PLACES = D.URBAN  # its demo communities
TOWNSHIP = PLACES[0][:9]  # 建北街道
SW = ("social_worker", COUNTY, D.COUNTY_SOCIAL_WORKER[COUNTY])  # the county's social worker (assesses, verifies …)
MZ = ("civil_affairs", COUNTY, D.MZ[COUNTY])
MAKER = ("charity_admin", COUNTY, D.CHARITY_MAKER[COUNTY])
LOCAL = ZoneInfo("Asia/Shanghai")
MAX_SLOTS = 22  # a volunteer's services are laid out two hours apart over the last two days


class ProvinceStack(pl.Stack):
    """pipeline.py's Stack with every service and the gateway, `replicas[name]` processes of a
    service on its one port (`wushe serve NAME --reuse-port`, as deploy/launcher.supervisor_of
    starts them for `wushe up`), unsupervised: a process that exits fails the run."""

    def __init__(self, replicas: dict[str, int]) -> None:
        super().__init__(services=APPS, label="province")
        self.replicas = replicas
        self.service_of: dict[str, str] = {}  # process label ("needs-2") → service
        self.nats_node = None

    def start(self) -> None:
        s = self.settings
        pl.log(
            f"home {self.home}; gateway :{s.http_port}, services :{s.http_port + 1}..{s.http_port + 6}, {s.nats_url}"
        )
        self.nats_node = start_nats_cluster(s, 1).nodes[0]  # one node, with its monitoring port
        self.nats = self.nats_node.proc
        self.pg_started = True
        start_postgres(s)
        asyncio.run(provision(s, log=lambda m: pl.log("provision:", m)))
        for name in self.services:
            count = self.replicas.get(name, 1)
            for i in range(1, count + 1):
                label = name if i == 1 else f"{name}-{i}"
                args = ("serve", name, *(("--reuse-port",) if count > 1 else ()))
                self.procs[label] = spawn(s, *args, log_name=label)
                self.service_of[label] = name
        self._wait_listening()
        pl.log(
            "stack ready: "
            + ", ".join(f"{n} pid {p.pid}" for n, p in self.procs.items())
            + f", nats pid {self.nats.pid}, postgres pid {self.postmaster_pid()}"
        )

    def _wait_listening(self) -> None:
        """Every process listens on its port (uvicorn listens only once its app has started), and
        every service's port answers /readyz."""
        deadline = time.monotonic() + START_TIMEOUT_S
        pending = set(self.procs)
        while pending and time.monotonic() < deadline:
            for label in list(pending):
                proc = self.procs[label]
                if proc.poll() is not None:
                    self.show_logs()
                    raise SystemExit(f"{label} exited during start-up (code {proc.returncode})")
                port = self.settings.port_of(self.service_of[label])
                try:
                    conns = psutil.Process(proc.pid).net_connections("tcp")
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in conns):
                    pending.discard(label)
            time.sleep(0.25)
        if pending:
            raise SystemExit(f"not listening after {START_TIMEOUT_S:.0f}s: {', '.join(sorted(pending))}")
        for name in self.services:
            while not answers_ready(self.settings, name):
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name} not ready after {START_TIMEOUT_S:.0f}s")
                time.sleep(0.25)

    def processes(self) -> dict[str, int]:
        return {label: p.pid for label, p in self.procs.items()}


# --- HTTP through the gateway -----------------------------------------------------------------

Who = tuple[str, str, str]  # role, area, sub


class Tokens:
    def __init__(self, settings) -> None:
        self.settings, self.cache = settings, {}

    def __call__(self, who: Who) -> str:
        if who not in self.cache:
            role, area, sub = who
            self.cache[who] = issue_token(self.settings, role=role, area=area, sub=sub, ttl_s=4 * 3600)
        return self.cache[who]


def request_bytes(port: int, method: str, path: str, token: str, body: Any = None) -> bytes:
    """One request as the console sends it: bearer token, and an Idempotency-Key on every write."""
    head = f"{method} /api/v1{path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
    if method == "GET":
        return (head + "\r\n").encode()
    payload = orjson.dumps({} if body is None else body)
    head += (
        f"Idempotency-Key: {uuid.uuid4()}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


CONN_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError)


async def exchange(conn: pl.HttpConn, request: bytes) -> tuple[int, Any]:
    """(status, parsed JSON body or raw bytes); status -1 on a connection error."""
    conn.request = request
    try:
        status, raw = await conn.roundtrip()
    except CONN_ERRORS as exc:
        conn.close()
        return -1, repr(exc)
    if raw[:1] in (b"{", b"["):
        try:
            return status, orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return status, raw


class Api:
    """The fixture's client: a few keep-alive connections, every answer checked."""

    def __init__(self, port: int, tokens: Tokens, conns: int = 8) -> None:
        self.port, self.tokens = port, tokens
        self.free: asyncio.Queue[pl.HttpConn] = asyncio.Queue()
        for _ in range(conns):
            self.free.put_nowait(pl.HttpConn("127.0.0.1", port, b""))

    async def call(self, method: str, path: str, who: Who, body: Any = None, expect=(200, 201)) -> Any:
        conn = await self.free.get()
        try:
            status, data = await exchange(conn, request_bytes(self.port, method, path, self.tokens(who), body))
        finally:
            self.free.put_nowait(conn)
        if status not in expect:
            raise SystemExit(f"fixture: {method} {path} → {status}: {str(data)[:400]}")
        return data

    def close(self) -> None:
        while not self.free.empty():
            self.free.get_nowait().close()


# --- the world the slice plays in: the fixture, and what each call leaves for the next ----------


@dataclass
class Volunteer:
    id: str
    ref: str
    area: str
    next_slot: int = 0


@dataclass
class World:
    port: int
    tokens: Tokens
    rng: random.Random
    t0: datetime  # services are laid out from two days before this
    slots_per_task: int = 8
    fund_id: str = ""
    volunteers: list[Volunteer] = field(default_factory=list)
    residents: list = field(default_factory=list)
    # the pools: what one call leaves for another
    raised: deque = field(default_factory=deque)  # (need id, category) to assess
    recent: deque = field(default_factory=lambda: deque(maxlen=500))  # needs to read
    charity_needs: deque = field(default_factory=deque)  # needs routed to charity aid, for earmarks
    slots: deque = field(default_factory=deque)  # a task id per free slot
    invited: deque = field(default_factory=deque)  # (task, volunteer index)
    assigned: deque = field(default_factory=deque)  # (task, volunteer index), not on site
    checked_in: deque = field(default_factory=deque)  # (task, volunteer index, check-in time)
    logged: deque = field(default_factory=deque)  # hour log ids to verify
    on_site: set = field(default_factory=set)  # volunteers with an open log (one at a time)
    task_people: dict = field(default_factory=dict)  # task → volunteers invited
    cursor: int = 0
    # what was created, for the checks at the end
    needs: dict = field(default_factory=dict)  # need id → client send time (wall clock)
    routed: dict = field(default_factory=lambda: {route: [] for route in ROUTE_MIX})
    tasks: list = field(default_factory=list)
    accepted: list = field(default_factory=list)
    logs: list = field(default_factory=list)
    verified: list = field(default_factory=list)
    donations: list = field(default_factory=list)
    earmarked: list = field(default_factory=list)
    whistles: list = field(default_factory=list)

    def slot_time(self, v: Volunteer) -> datetime:
        return self.t0 - timedelta(hours=47) + timedelta(hours=2 * v.next_slot)


CATEGORIES = list(D.CATEGORY_SKILL)


async def fixture(api: Api, world: World) -> None:
    """The minimum the flows need, through the public API: a fund, the communities' party
    organizations with a few members each, and the volunteers (real names, valid citizen IDs)."""
    rng, people, today = world.rng, D.People(world.rng), datetime.now(LOCAL).date()
    fund = await api.call(
        "POST", "/funds", MZ, {"name": "长安区社区基金会（压测）", "kind": "community_foundation", "area_code": COUNTY}
    )
    world.fund_id = fund["id"]

    async def party(area: str) -> None:
        sj = ("party_secretary", area, D.party_secretary(area))
        org = await api.call(
            "POST",
            "/party-organizations",
            sj,
            {"name": f"{D.area_name(area)}党委", "kind": "committee", "area_code": area},
        )
        for k in range(4):
            p = people.person(area, rng.randrange(25, 60), today)
            await api.call(
                "POST",
                "/party-members",
                sj,
                {
                    "org_id": org["id"],
                    "name": p.name,
                    "phone": p.phone,
                    "citizen_id": p.citizen_id,
                    "area_code": area,
                    "in_service": k % 2 == 0,
                    "employer": "长安区人民医院" if k % 2 == 0 else "",
                    "skills": ["矛盾调解", "送餐", "家电维修"][k % 3 : k % 3 + 1],
                },
            )

    await asyncio.gather(*(party(area) for area in PLACES))

    skills = list(D.CATEGORY_SKILL.values())

    async def register(i: int) -> None:
        area = PLACES[i % len(PLACES)]
        p = people.person(area, rng.randrange(20, 66), today)
        created = await api.call(
            "POST",
            "/volunteers",
            ("social_worker", area, D.social_worker(area)),
            {
                "name": p.name,
                "citizen_id": p.citizen_id,
                "phone": p.phone,
                "area_code": area,
                "skills": rng.sample(skills, 2),
                "service_areas": [COUNTY],
                "party_member": i % 7 == 0,
            },
        )
        world.volunteers[i] = Volunteer(created["id"], created["volunteer_ref"], area)

    world.volunteers = [None] * N_VOLUNTEERS  # type: ignore[list-item]
    for start in range(0, N_VOLUNTEERS, 40):
        await asyncio.gather(*(register(i) for i in range(start, min(N_VOLUNTEERS, start + 40))))
    world.residents = [people.person(PLACES[i % len(PLACES)], rng.randrange(60, 90), today) for i in range(400)]


# --- the calls: each takes what an earlier call left, and leaves something for a later one ------


class Rec:
    """One call type's answers in one phase."""

    def __init__(self, op: str) -> None:
        self.op = op
        self.samples: list[tuple[float, float, int]] = []  # (send time, wall clock; seconds; status)
        self.statuses: Counter[int] = Counter()
        self.starved = 0  # due, but nothing to act on yet (no need to assess, no open slot …)
        self.error_samples: list[str] = []

    @property
    def sent(self) -> int:
        return len(self.samples)

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    def add(self, t_send: float, dt: float, status: int, data: Any) -> None:
        self.samples.append((t_send, dt, status))
        self.statuses[status] += 1
        if not 200 <= status < 300 and len(self.error_samples) < 5:
            self.error_samples.append(f"{status}: {str(data)[:300]}")


async def send(w: World, conn: pl.HttpConn, rec: Rec, method: str, path: str, who: Who, body: Any = None):
    request = request_bytes(w.port, method, path, w.tokens(who), body)
    t_send, t0 = time.time(), time.perf_counter()
    status, data = await exchange(conn, request)
    rec.add(t_send, time.perf_counter() - t0, status, data)
    return status, data, t_send


def volunteer_token(v: Volunteer) -> Who:
    return ("volunteer", v.area, v.ref)


async def need_raise(w: World, conn, rec) -> bool:
    rng = w.rng
    area, category, person = rng.choice(PLACES), rng.choice(CATEGORIES), rng.choice(w.residents)
    grid = rng.random() < GRID_SURVEY_SHARE
    who = ("grid_worker", area, D.grid_worker(area)) if grid else ("social_worker", area, D.social_worker(area))
    urgency = rng.choices(("routine", "major", "urgent"), (0.80, 0.15, 0.05))[0]
    body = {
        "area_code": area,
        "category": category,
        "urgency": urgency,
        "channel": "grid_survey" if grid else "social_worker_visit",
        "description": rng.choice(D.NEED_TEXTS[category]),
        "required_skills": [D.CATEGORY_SKILL[category]],
        "resident": {"name": person.name, "phone": person.phone, "citizen_id": person.citizen_id},
    }
    status, data, t_send = await send(w, conn, rec, "POST", "/needs", who, body)
    if status == 201:
        w.raised.append((data["id"], category, urgency))
        w.recent.append(data["id"])
        w.needs[data["id"]] = t_send
    return True


async def need_assess(w: World, conn, rec) -> bool:
    if not w.raised:
        return False
    need_id, category, urgency = w.raised.popleft()
    route = w.rng.choices(list(ROUTE_MIX), list(ROUTE_MIX.values()))[0]
    body = {"category": category, "urgency": urgency, "service_plan": D.SERVICE_PLANS[route], "route": route}
    status, _, _ = await send(w, conn, rec, "POST", f"/needs/{need_id}/assessment", SW, body)
    if status == 200:
        w.routed[route].append(need_id)
        if route == "charity_aid":
            w.charity_needs.append(need_id)
    return True


async def task_publish(w: World, conn, rec) -> bool:
    area = w.rng.choice(PLACES)
    skill = w.rng.choice(list(D.CATEGORY_SKILL.values()))
    body = {
        "area_code": area,
        "title": f"社区志愿服务活动：{skill}",
        "description": f"{D.area_name(area)}组织志愿者开展{skill}服务",
        "required_skills": [skill],
        "slots": w.slots_per_task,
        "place": f"{D.area_name(area)}综合服务中心",
    }
    status, data, _ = await send(w, conn, rec, "POST", "/tasks", ("social_worker", area, D.social_worker(area)), body)
    if status == 201:
        w.tasks.append(data["id"])
        w.task_people[data["id"]] = set()
        w.slots.extend([data["id"]] * w.slots_per_task)
    return True


async def signup_invite(w: World, conn, rec) -> bool:
    if not w.slots:
        return False
    task = w.slots.popleft()
    taken = w.task_people[task]
    for _ in range(len(w.volunteers)):
        v = w.cursor % len(w.volunteers)
        w.cursor += 1
        if v not in taken:
            break
    taken.add(v)
    body = {"volunteer_ids": [w.volunteers[v].id]}
    status, _, _ = await send(w, conn, rec, "POST", f"/tasks/{task}/invitations", SW, body)
    if status == 201:
        w.invited.append((task, v))
    return True


async def signup_accept(w: World, conn, rec) -> bool:
    if not w.invited:
        return False
    task, v = w.invited.popleft()
    vol = w.volunteers[v]
    path = f"/tasks/{task}/invitations/{vol.id}/response"
    status, _, _ = await send(w, conn, rec, "POST", path, volunteer_token(vol), {"accept": True})
    if status == 200:
        w.assigned.append((task, v))
        w.accepted.append((task, vol.id))
    return True


async def hours_check_in(w: World, conn, rec) -> bool:
    for _ in range(len(w.assigned)):
        task, v = w.assigned.popleft()
        if v not in w.on_site and w.volunteers[v].next_slot < MAX_SLOTS:
            break
        w.assigned.append((task, v))
    else:
        return False
    vol = w.volunteers[v]
    at = w.slot_time(vol)
    vol.next_slot += 1
    w.on_site.add(v)
    path = f"/tasks/{task}/volunteers/{vol.id}/check-in"
    status, _, _ = await send(w, conn, rec, "POST", path, volunteer_token(vol), {"at": at.isoformat()})
    if status == 201:
        w.checked_in.append((task, v, at))
    else:
        w.on_site.discard(v)
        w.assigned.append((task, v))
    return True


async def hours_check_out(w: World, conn, rec) -> bool:
    if not w.checked_in:
        return False
    task, v, at = w.checked_in.popleft()
    vol = w.volunteers[v]
    path = f"/tasks/{task}/volunteers/{vol.id}/check-out"
    end = at + timedelta(minutes=SERVICE_MINUTES)
    status, data, _ = await send(w, conn, rec, "POST", path, volunteer_token(vol), {"at": end.isoformat()})
    if status == 200:
        w.logged.append(data["log_id"])
        w.logs.append(data["log_id"])
        w.on_site.discard(v)
        w.assigned.append((task, v))
    return True  # on a failure the volunteer stays "on site": never used again


async def hours_verify(w: World, conn, rec) -> bool:
    if not w.logged:
        return False
    log_id = w.logged.popleft()
    status, _, _ = await send(w, conn, rec, "POST", f"/hours/{log_id}/verification", SW, {"approve": True})
    if status == 200:
        w.verified.append(log_id)
    return True


async def donation(w: World, conn, rec) -> bool:
    rng = w.rng
    amount = rng.choice((2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 500_000))
    donor = (
        {"kind": "person", "name": rng.choice(w.residents).name, "disclose_name": rng.random() < 0.3}
        if rng.random() < 0.65
        else {"kind": "anonymous"}
    )
    body: dict[str, Any] = {"fund_id": w.fund_id, "amount_fen": amount, "donor": donor}
    need = w.charity_needs.popleft() if w.charity_needs and rng.random() < EARMARKED_SHARE else None
    if need:
        body["earmark"] = {"target_kind": "need", "target_id": need, "amount_fen": amount}
    status, data, _ = await send(w, conn, rec, "POST", "/donations", MAKER, body)
    if status == 201:
        w.donations.append(data["id"])
        if need:
            w.earmarked.append(need)
    return True


async def whistle(w: World, conn, rec) -> bool:
    area = w.rng.choice(PLACES)
    body = {
        "area_code": area,
        "title": w.rng.choice(("独居老人突发断餐", "楼道堆放杂物存在消防隐患", "暴雨后地下室进水", "老人走失")),
        "description": f"{D.area_name(area)}需要党员就近响应",
        "urgency": w.rng.choice(("urgent", "major")),
    }
    status, data, _ = await send(w, conn, rec, "POST", "/whistles", SW, body)
    if status == 201:
        w.whistles.append(data["id"])
    return True


LEVELS = dashboard_levels()


async def view_dashboard(w: World, conn, rec) -> bool:
    level = w.rng.choices(list(LEVELS), list(LEVELS.values()))[0]
    if level == "community":
        area = w.rng.choice(PLACES)
        who: Who = ("social_worker", area, D.social_worker(area))
    elif level == "township":
        area = w.rng.choice(sorted({c[:9] for c in PLACES}))
        who = ("social_worker", area, f"sg-{area}")
    else:
        area, who = COUNTY, MZ
    await send(w, conn, rec, "GET", f"/views/dashboard?area={area}", who)
    return True


async def view_need360(w: World, conn, rec) -> bool:
    if not w.recent:
        return False
    await send(w, conn, rec, "GET", f"/views/needs/{w.rng.choice(w.recent)}", SW)
    return True


CALLS = {
    "need.raise": need_raise,
    "need.assess": need_assess,
    "task.publish": task_publish,
    "signup.invite": signup_invite,
    "signup.accept": signup_accept,
    "hours.check_in": hours_check_in,
    "hours.check_out": hours_check_out,
    "hours.verify": hours_verify,
    "donation": donation,
    "whistle": whistle,
    "view.dashboard": view_dashboard,
    "view.need360": view_need360,
}
assert set(CALLS) == set(OPS) == set(EVENT_OF)


# --- playing the mix: open loop, a Poisson stream per call type -------------------------------


async def play(w: World, rates: dict[str, float], duration: float, label: str) -> tuple[dict[str, Rec], dict]:
    """Each call type's calls arrive as a Poisson stream at its rate, sent on whichever of CONNS
    connections is free; when the stack falls behind by more than MAX_LAG_S the whole schedule
    moves forward (a slip) instead of bursting. Bounded: nothing is sent after duration + 15 s."""
    recs = {op: Rec(op) for op in rates}
    pool = [pl.HttpConn("127.0.0.1", w.port, b"") for _ in range(CONNS)]
    await asyncio.gather(*(c.open() for c in pool))
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    end, hard_end = start + duration, start + duration + 15
    heap: list[tuple[float, int, str]] = []
    for i, (op, rate) in enumerate(rates.items()):
        if rate > 0 and (first := start + w.rng.expovariate(rate)) < end:  # a rare call may not come at all
            heapq.heappush(heap, (first, i, op))
    state = {"shift": 0.0, "slips": 0}

    async def worker(conn: pl.HttpConn) -> None:
        while heap and loop.time() < hard_end:
            due, i, op = heapq.heappop(heap)
            if due + (step := w.rng.expovariate(rates[op])) < end:
                heapq.heappush(heap, (due + step, i, op))
            lag = loop.time() - (due + state["shift"])
            if lag > MAX_LAG_S:
                state["shift"] += lag - MAX_LAG_S
                state["slips"] += 1
            elif lag < 0:
                await asyncio.sleep(-lag)
            if not await CALLS[op](w, conn, recs[op]):
                recs[op].starved += 1

    async def progress() -> None:
        last_n, last_t, target = 0, loop.time(), sum(rates.values())
        while True:
            await asyncio.sleep(PROGRESS_S)
            n = sum(r.sent for r in recs.values())
            now = loop.time()
            failed = sum(r.failed for r in recs.values())
            starved = sum(r.starved for r in recs.values())
            pl.log(
                f"{label} {now - start:5.0f}s: {n} calls ({(n - last_n) / (now - last_t):.0f}/s, target {target:.0f}/s), "
                f"non-2xx {failed}, starved {starved}, slips {state['slips']}"
            )
            last_n, last_t = n, now

    reporter = asyncio.ensure_future(progress())
    t0 = time.time()
    try:
        await pl._bounded_gather([worker(c) for c in pool], duration + 30)
    finally:
        reporter.cancel()
        for c in pool:
            c.close()
    return recs, {"wall_s": time.time() - t0, "slips": state["slips"], "schedule_shift_s": state["shift"]}


# pools the calls leave for each other: pool → (the call that fills it, the pool that call takes from)
PRODUCERS = {
    "raised": ("need.raise", None),
    "slots": ("task.publish", None),
    "invited": ("signup.invite", "slots"),
    "assigned": ("signup.accept", "invited"),
    "checked_in": ("hours.check_in", "assigned"),
    "logged": ("hours.check_out", "checked_in"),
}
CONSUMERS = {
    "raised": "need.assess",
    "slots": "signup.invite",
    "invited": "signup.accept",
    "checked_in": "hours.check_out",
    "logged": "hours.verify",
}


def backlog(rates: dict[str, float], duration: float, slots_per_task: int) -> dict[str, int]:
    """What earlier hours left open at the start of the slice: enough in each pool that the calls
    taking from it never wait, though at the peak hour some take faster than others fill
    (check-outs follow the earlier, busier hour of check-ins) — plus five seconds of margin."""
    fills = {pool: rates[op] * (slots_per_task if pool == "slots" else 1) for pool, (op, _) in PRODUCERS.items()}
    out = {}
    for pool, op in CONSUMERS.items():
        take = rates[op]
        out[pool] = math.ceil(duration * max(0.0, take - fills[pool]) + 5 * take + 5)
    out["assigned"] = out["checked_in"] + math.ceil(2 * rates["hours.check_in"]) + 10
    return out


async def preload(w: World, per_community: int, bound_s: float = 300.0) -> None:
    """History for the reads to aggregate over: needs raised, most of them assessed and routed."""
    rec, target = Rec("history"), per_community * len(PLACES)
    conns = [pl.HttpConn("127.0.0.1", w.port, b"") for _ in range(8)]
    deadline, t0 = time.monotonic() + bound_s, time.monotonic()

    async def run(conn) -> None:
        while len(w.needs) < target and time.monotonic() < deadline and rec.failed < 50:
            await need_raise(w, conn, rec)
            if w.rng.random() < ASSESSED_SHARE:
                await need_assess(w, conn, rec)

    await asyncio.gather(*(run(c) for c in conns))
    for c in conns:
        c.close()
    w.raised.clear()  # the slice assesses only what it raises
    pl.log(f"history: {len(w.needs)} needs ({rec.sent} calls, {rec.failed} failed) in {time.monotonic() - t0:.0f}s")


async def top_up(w: World, targets: dict[str, int], bound_s: float = 90.0) -> None:
    """Fill the pools to `targets`, downstream first (filling one takes from the one before it)."""
    rec = Rec("top-up")
    pool_conns = [pl.HttpConn("127.0.0.1", w.port, b"") for _ in range(8)]
    deadline = time.monotonic() + bound_s

    def size(pool: str) -> int:
        if pool == "assigned":
            return sum(1 for _, v in w.assigned if v not in w.on_site)
        return len(getattr(w, pool))

    async def produce(pool: str, conn, depth: int = 0) -> None:
        op, source = PRODUCERS[pool]
        if not await CALLS[op](w, conn, rec) and source and depth < 6:
            await produce(source, conn, depth + 1)
            await CALLS[op](w, conn, rec)

    for pool in ("logged", "checked_in", "assigned", "invited", "slots", "raised"):

        async def fill(conn, pool=pool) -> None:
            while size(pool) < targets.get(pool, 0) and time.monotonic() < deadline and rec.failed < 50:
                await produce(pool, conn)

        await asyncio.gather(*(fill(c) for c in pool_conns))
    for c in pool_conns:
        c.close()
    if rec.failed:
        pl.log(f"top-up: {rec.failed} calls failed: {rec.error_samples}")
    pl.log(f"top-up: {rec.sent} calls; pools " + ", ".join(f"{p} {size(p)}/{n}" for p, n in targets.items()))


# --- what the stack did: RSS, PostgreSQL and NATS counters, deliveries ---------------------------


def pg_label(proc: psutil.Process) -> str:
    """CpuProbe's labels: postgres[<database>] for a backend, postgres[bg] for the rest."""
    try:
        words = " ".join(proc.cmdline()).split()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return "postgres[bg]"
    return f"postgres[{words[2]}]" if "[local]" in words and len(words) > 2 else "postgres[bg]"


class RssSampler:
    """Max memory per labelled process, sampled every SAMPLE_S from a thread: RSS, and RSS less its
    shared pages (for PostgreSQL, whose backends all map the shared buffers: summed over a
    database's backends, only the private part adds up)."""

    def __init__(self, roots: dict[str, int], postmaster: int | None) -> None:
        self.roots, self.postmaster = roots, postmaster
        self.max: dict[str, dict[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss", daemon=True)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> dict[str, dict]:
        self._stop.set()
        self._thread.join(10)
        return {
            label: {
                "rss_max_mib": round(m["rss"] / 2**20, 1),
                "private_max_mib": round(m["private"] / 2**20, 1),
                "processes": m["processes"],
            }
            for label, m in sorted(self.max.items())
        }

    def sample(self) -> None:
        pairs: list[tuple[str, psutil.Process]] = []
        for label, pid in self.roots.items():
            try:
                pairs.append((label, psutil.Process(pid)))
            except psutil.NoSuchProcess:
                pass
        if self.postmaster:
            try:
                pm = psutil.Process(self.postmaster)
                pairs.append(("postgres[bg]", pm))
                pairs += [(pg_label(child), child) for child in pm.children()]
            except psutil.NoSuchProcess:
                pass
        now: dict[str, Counter[str]] = {}
        for label, proc in pairs:
            try:
                mem = proc.memory_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            c = now.setdefault(label, Counter())
            c["rss"] += mem.rss
            c["private"] += mem.rss - getattr(mem, "shared", 0)
            c["processes"] += 1
        for label, c in now.items():
            m = self.max.setdefault(label, {"rss": 0, "private": 0, "processes": 0})
            for key in m:
                m[key] = max(m[key], c[key])

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            self.sample()


SERVICE_DBS = [name for name in APPS if name != "gateway"]


async def pg_snapshot(stack: ProvinceStack) -> dict:
    s = stack.settings
    conn = await asyncpg.connect(**stack.pg_kwargs, database="postgres")
    try:
        rows = await conn.fetch(
            """SELECT datname, xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted,
                      pg_database_size(datname) AS size
               FROM pg_stat_database WHERE datname = ANY($1::text[])""",
            [s.db_name(n) for n in SERVICE_DBS],
        )
        wal = await conn.fetchrow("SELECT wal_records, wal_bytes FROM pg_stat_wal")
    finally:
        await conn.close()
    by_db = {r["datname"]: dict(r) for r in rows}
    return {
        "dbs": {n: by_db.get(s.db_name(n), {}) for n in SERVICE_DBS},
        "wal_bytes": int(wal["wal_bytes"]) if wal else 0,
        "wal_records": int(wal["wal_records"]) if wal else 0,
    }


WAL_WRITES_SQL = """
SELECT d.datname, count(DISTINCT w.xid::text) AS write_xacts, sum(w.record_length) AS wal_bytes
FROM pg_get_wal_records_info($1::text::pg_lsn, $2::text::pg_lsn) AS w
JOIN pg_database d ON d.oid = (regexp_match(w.block_ref, 'rel [0-9]+/([0-9]+)/'))[1]::oid
WHERE w.xid::text <> '0'
GROUP BY d.datname
"""


async def wal_lsn(stack: ProvinceStack) -> str:
    conn = await asyncpg.connect(**stack.pg_kwargs, database="postgres")
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        return str(await conn.fetchval("SELECT pg_current_wal_lsn()::text"))
    finally:
        await conn.close()


async def wal_writes(stack: ProvinceStack, since: str, until: str) -> dict[str, dict]:
    """Per database, the transactions that wrote (their xids in the WAL records touching its
    relations: reads never get one) and the WAL bytes of those records, between two LSNs."""
    conn = await asyncpg.connect(**stack.pg_kwargs, database="postgres")
    try:
        rows = await conn.fetch(WAL_WRITES_SQL, since, until)
    except asyncpg.PostgresError as exc:
        pl.log(f"pg_walinspect: {exc!r}: no write-transaction counts")
        return {}
    finally:
        await conn.close()
    return {r["datname"]: {"write_xacts": r["write_xacts"], "wal_bytes": int(r["wal_bytes"])} for r in rows}


def nats_snapshot(stack: ProvinceStack) -> dict:
    _, varz = stack.nats_node.monitor("/varz")
    _, jsz = stack.nats_node.monitor("/jsz?streams=true&consumers=true")
    streams, delivered = {}, 0
    for account in jsz.get("account_details", []):
        for stream in account.get("stream_detail", []):
            streams[stream["name"]] = {
                "messages": stream["state"]["messages"],
                "bytes": stream["state"]["bytes"],
                "last_seq": stream["state"]["last_seq"],
            }
            for consumer in stream.get("consumer_detail", []):
                delivered += consumer.get("delivered", {}).get("consumer_seq", 0)
    return {
        "in_msgs": varz.get("in_msgs", 0),
        "out_msgs": varz.get("out_msgs", 0),
        "in_bytes": varz.get("in_bytes", 0),
        "out_bytes": varz.get("out_bytes", 0),
        "streams": streams,
        "delivered": delivered,
    }


def base_of(event) -> str:
    """evt.<service>.<event>.v<N>: the subjects of one event type, any area."""
    return ".".join(event_subject(event, COUNTY).split(".")[:4])


DELIVERY_SQL = """
SELECT (SELECT count(*) FROM outbox WHERE sent_at IS NULL) AS pending,
       (SELECT coalesce(json_object_agg(k, n), '{}') FROM (
            SELECT split_part(subject, '.', 1) || '.' || split_part(subject, '.', 2) || '.' ||
                   split_part(subject, '.', 3) || '.' || split_part(subject, '.', 4) AS k, count(*) AS n
            FROM outbox GROUP BY 1) o) AS published,
       (SELECT coalesce(json_object_agg(consumer, n), '{}') FROM (
            SELECT consumer, count(*) AS n FROM inbox GROUP BY 1) i) AS consumed,
       (SELECT coalesce(json_object_agg(consumer, n), '{}') FROM (
            SELECT consumer, count(*) AS n FROM event_failures GROUP BY 1) f) AS failed
"""


class Deliveries:
    """Every outbox and inbox of the stack: what each service published, what each durable
    consumer applied (its inbox rows) and what failed (event_failures), one statement per database."""

    def __init__(self, stack: ProvinceStack) -> None:
        self.stack, self.conns, self.polls = stack, {}, 0

    async def open(self) -> Deliveries:
        for name in SERVICE_DBS:
            self.conns[name] = await asyncpg.connect(**self.stack.pg_kwargs, database=self.stack.settings.db_name(name))
        return self

    async def close(self) -> None:
        for conn in self.conns.values():
            await conn.close()

    async def state(self) -> dict:
        self.polls += 1
        out = {}
        for name, conn in self.conns.items():
            row = await conn.fetchrow(DELIVERY_SQL)
            out[name] = {
                "pending": row["pending"],
                "published": json.loads(row["published"]),
                "consumed": json.loads(row["consumed"]),
                "failed": json.loads(row["failed"]),
            }
        return out

    @staticmethod
    def balance(state: dict) -> list[dict]:
        """Per durable consumer: published (of the events it takes) − applied − failed."""
        rows = []
        for c in FLOW:
            published = 0
            for event in c.events:
                base = base_of(event)
                published += state.get(base.split(".")[1], {}).get("published", {}).get(base, 0)
            consumed = state.get(c.service, {}).get("consumed", {}).get(c.durable, 0)
            failed = state.get(c.service, {}).get("failed", {}).get(c.durable, 0)
            rows.append(
                {
                    "consumer": c.durable,
                    "published": published,
                    "applied": consumed,
                    "failed": failed,
                    "missing": published - consumed - failed,
                }
            )
        return rows

    async def drain(self, max_s: float) -> tuple[bool, dict, float]:
        """Until every outbox is sent and every consumer has applied what was published."""
        t0 = time.monotonic()
        while True:
            state = await self.state()
            pending = sum(v["pending"] for v in state.values())
            missing = sum(max(0, r["missing"]) for r in self.balance(state))
            if pending == 0 and missing == 0:
                return True, state, time.monotonic() - t0
            if time.monotonic() - t0 > max_s:
                pl.log(f"!! not drained after {max_s:.0f}s: outbox pending {pending}, unapplied {missing}")
                return False, state, time.monotonic() - t0
            self.stack.check_alive()
            await asyncio.sleep(0.5)


async def effect_checks(stack: ProvinceStack, w: World) -> list[dict]:
    """Every effect the calls caused, counted where it lands: (what, expected, found, distinct)."""
    s = stack.settings
    db = {n: await asyncpg.connect(**stack.pg_kwargs, database=s.db_name(n)) for n in SERVICE_DBS}
    needs = list(w.needs)
    tasks_of_needs = w.routed["volunteer_task"]
    checks = []

    async def check(what: str, service: str, expected: int, sql: str, *args) -> None:
        row = await db[service].fetchrow(sql, *args)
        found, distinct = row[0], row[1]
        checks.append(
            {
                "check": what,
                "expected": expected,
                "found": found,
                "lost": expected - distinct,
                "duplicated": found - distinct,
            }
        )

    try:
        await check(
            "needs raised → needs.needs",
            "needs",
            len(needs),
            "SELECT count(*), count(DISTINCT id) FROM needs WHERE id = ANY($1::uuid[])",
            needs,
        )
        await check(
            "needs raised → needs' timeline (need_raised)",
            "needs",
            len(needs),
            "SELECT count(*), count(DISTINCT need_id) FROM need_timeline "
            "WHERE need_id = ANY($1::uuid[]) AND kind = 'need_raised'",
            needs,
        )
        await check(
            "NeedRaised → volunteers.demands",
            "volunteers",
            len(needs),
            "SELECT count(*), count(DISTINCT need_id) FROM demands WHERE need_id = ANY($1::uuid[])",
            needs,
        )
        await check(
            "NeedRouted (volunteer_task) → volunteers.tasks",
            "volunteers",
            len(tasks_of_needs),
            "SELECT count(*), count(DISTINCT need_id) FROM tasks WHERE need_id = ANY($1::uuid[])",
            tasks_of_needs,
        )
        await check(
            "NeedRouted (project) → projects' demand pool",
            "projects",
            len(w.routed["project"]),
            "SELECT count(*), count(DISTINCT ref_id) FROM demands WHERE kind = 'need' AND ref_id = ANY($1::uuid[])",
            w.routed["project"],
        )
        await check(
            "tasks published → volunteers.tasks",
            "volunteers",
            len(w.tasks),
            "SELECT count(*), count(DISTINCT id) FROM tasks WHERE id = ANY($1::uuid[])",
            w.tasks,
        )
        await check(
            "sign-ups accepted → assignments",
            "volunteers",
            len(w.accepted),
            "SELECT count(*), count(DISTINCT (a.task_id, a.volunteer_id)) FROM assignments a "
            "JOIN unnest($1::uuid[], $2::uuid[]) AS x(t, v) ON a.task_id = x.t AND a.volunteer_id = x.v "
            "WHERE a.status = 'accepted'",
            [t for t, _ in w.accepted],
            [v for _, v in w.accepted],
        )
        await check(
            "check-outs → hour_logs",
            "volunteers",
            len(w.logs),
            "SELECT count(*), count(DISTINCT id) FROM hour_logs WHERE id = ANY($1::uuid[])",
            w.logs,
        )
        await check(
            "hours verified → hour_logs verified",
            "volunteers",
            len(w.verified),
            "SELECT count(*), count(DISTINCT id) FROM hour_logs WHERE id = ANY($1::uuid[]) AND status = 'verified'",
            w.verified,
        )
        await check(
            "hours verified → time-bank credits",
            "volunteers",
            len(w.verified),
            "SELECT count(*), count(DISTINCT reference) FROM timebank_transactions "
            "WHERE kind = 'earn' AND reference = ANY($1::text[])",
            [str(x) for x in w.verified],
        )
        await check(
            "donations → charity.donations",
            "charity",
            len(w.donations),
            "SELECT count(*), count(DISTINCT id) FROM donations WHERE id = ANY($1::uuid[])",
            w.donations,
        )
        await check(
            "donations → the ledger's journal",
            "charity",
            len(w.donations),
            "SELECT count(*), count(DISTINCT reference) FROM journal WHERE reference = ANY($1::text[])",
            [f"donation:{d}" for d in w.donations],
        )
        await check(
            "DonationEarmarked → needs' timeline",
            "needs",
            len(w.earmarked),
            "SELECT count(*), count(DISTINCT need_id) FROM need_timeline "
            "WHERE need_id = ANY($1::uuid[]) AND kind = 'donation_earmarked'",
            w.earmarked,
        )
        await check(
            "whistles → party.whistles",
            "party",
            len(w.whistles),
            "SELECT count(*), count(DISTINCT id) FROM whistles WHERE id = ANY($1::uuid[])",
            w.whistles,
        )
    finally:
        for conn in db.values():
            await conn.close()
    return checks


async def need_e2e(stack: ProvinceStack, w: World, since: float, until: float) -> list[float]:
    """ms from the client's send of POST /needs to the volunteers consumer's insert of its demand."""
    ids = [i for i, t in w.needs.items() if since <= t <= until]
    conn = await asyncpg.connect(**stack.pg_kwargs, database=stack.settings.db_name("volunteers"))
    try:
        rows = await conn.fetch("SELECT need_id, recorded_at FROM demands WHERE need_id = ANY($1::uuid[])", ids)
    finally:
        await conn.close()
    return [(r["recorded_at"].timestamp() - w.needs[str(r["need_id"])]) * 1000 for r in rows]


# --- one run: fixture, warm-up, backlog, the slice, drain, checks -------------------------------


async def run_slice(stack: ProvinceStack, rates: dict[str, float], slots_per_task: int) -> dict:
    s = stack.settings
    tokens = Tokens(s)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    world = World(s.http_port, tokens, random.Random(SEED), now, slots_per_task)
    t = time.monotonic()
    api = Api(s.http_port, tokens)
    try:
        await fixture(api, world)
    finally:
        api.close()
    pl.log(
        f"fixture: {len(PLACES)} party organizations with 4 members each, {len(world.volunteers)} volunteers, "
        f"a fund, in {time.monotonic() - t:.1f}s"
    )
    if HISTORY:
        await preload(world, HISTORY)
    roots = {**stack.processes(), "nats-server": stack.nats.pid, "load-generator": os.getpid()}
    sampler = RssSampler(roots, stack.postmaster_pid()).start()
    deliveries = await Deliveries(stack).open()
    try:
        if WARMUP_S > 0:
            pl.log(f"warm-up: the slice's mix for {WARMUP_S:g}s (not measured)")
            warm, _ = await play(world, rates, WARMUP_S, "warm-up")
            pl.log("warm-up: " + ", ".join(f"{op} {r.sent}" for op, r in warm.items()))
        targets = backlog(rates, SLICE_S, slots_per_task)
        pl.log(f"backlog the slice starts with: {targets}")
        await top_up(world, targets)
        drained, _, took = await deliveries.drain(DRAIN_MAX_S)
        pl.log(f"before the slice: consumers caught up in {took:.1f}s ({'drained' if drained else 'NOT drained'})")
        await asyncio.sleep(11)  # idle backends report their statistics within 10 s
        pg0, nats0, polls0, lsn0 = (
            await pg_snapshot(stack),
            nats_snapshot(stack),
            deliveries.polls,
            await wal_lsn(stack),
        )
        probe_slice = pl.CpuProbe(roots, stack.postmaster_pid()).start()
        probe_all = pl.CpuProbe(roots, stack.postmaster_pid()).start()
        t_all = time.perf_counter()
        since = time.time()
        pl.log(f"slice: {sum(rates.values()):.0f} calls/s for {SLICE_S:g}s, open loop over {CONNS} connections")
        recs, meta = await play(world, rates, SLICE_S, "slice")
        until = time.time()
        cpu_slice = probe_slice.stop()
        nats1 = nats_snapshot(stack)
        drained, state, took = await deliveries.drain(DRAIN_MAX_S)
        cpu_all = probe_all.stop()
        wall_all = time.perf_counter() - t_all
        writes = await wal_writes(stack, lsn0, await wal_lsn(stack))
        pl.log(f"after the slice: consumers caught up in {took:.1f}s ({'drained' if drained else 'NOT drained'})")
        await asyncio.sleep(11)
        pg2, nats2, polls = await pg_snapshot(stack), nats_snapshot(stack), deliveries.polls - polls0
        e2e = await need_e2e(stack, world, since, until)
        checks = await effect_checks(stack, world)
        balance = Deliveries.balance(state)
        stack.check_alive()
    finally:
        await deliveries.close()
        rss = sampler.stop()
    return {
        "recs": recs,
        "meta": {**meta, "drained": drained, "drain_s": took, "wall_all_s": wall_all, "delivery_polls": polls},
        "cpu_slice": cpu_slice,
        "cpu_all": cpu_all,
        "rss": rss,
        "pg": (pg0, pg2),
        "wal_writes": writes,
        "nats": (nats0, nats1, nats2),
        "e2e_ms": e2e,
        "checks": checks,
        "balance": balance,
        "pending": {n: v["pending"] for n, v in state.items()},
        "service_of": dict(stack.service_of),
        "db_names": {n: s.db_name(n) for n in SERVICE_DBS},
        "totals": {
            "needs": len(world.needs),
            "routed": {k: len(v) for k, v in world.routed.items()},
            "tasks": len(world.tasks),
            "accepted": len(world.accepted),
            "logs": len(world.logs),
            "verified": len(world.verified),
            "donations": len(world.donations),
            "earmarked": len(world.earmarked),
            "whistles": len(world.whistles),
        },
    }


# --- the report and the sizing -------------------------------------------------------------------


def op_rows(recs: dict[str, Rec], rates: dict[str, float], wall: float, e2e: list[float]) -> list[dict]:
    rows = []
    for op, rec in recs.items():
        ok = [dt * 1000 for _, dt, status in rec.samples if 200 <= status < 300]
        row = {
            "op": op,
            "target_per_s": rates[op],
            "achieved_per_s": rec.sent / wall if wall else 0.0,
            "sent": rec.sent,
            "ok": len(ok),
            "p50_ms": pl.pct(ok, 50) if ok else None,
            "p99_ms": pl.pct(ok, 99) if ok else None,
            "non_2xx": {str(k): v for k, v in sorted(rec.statuses.items()) if not 200 <= k < 300},
            "starved": rec.starved,
            "error_samples": rec.error_samples,
        }
        if op == "need.raise" and e2e:
            row.update({"e2e_n": len(e2e), "e2e_p50_ms": pl.pct(e2e, 50), "e2e_p99_ms": pl.pct(e2e, 99)})
        rows.append(row)
    return rows


def sizing(run: dict, calls: int, peak_calls: float, day_calls: float) -> dict:
    """From what each process used per call in the slice (its drain included) to the province's
    busiest minutes: peak_calls × PEAK_BURST calls/s."""
    wall = run["meta"]["wall_all_s"]
    at_peak = peak_calls * PEAK_BURST / calls  # multiplies a per-slice total into a per-second rate at peak
    cpu_s = {label: pct / 100 * wall for label, pct in run["cpu_all"].items() if isinstance(pct, int | float)}
    services = {}
    for label, service in run["service_of"].items():
        services.setdefault(service, []).append(label)
    out: dict[str, Any] = {"peak_calls_per_s": peak_calls, "burst": PEAK_BURST, "calls_measured": calls, "services": {}}
    for service, labels in services.items():
        used = sum(cpu_s.get(label, 0.0) for label in labels)
        cores = used * at_peak
        out["services"][service] = {
            "replicas_measured": len(labels),
            "cpu_pct_slice": round(sum(run["cpu_slice"].get(label, 0.0) for label in labels), 1),
            "cpu_ms_per_call": round(1000 * used / calls, 3),
            "cores_at_peak": round(cores, 3),
            "replicas": replicas_for(cores),
            "replicas_by_cpu": math.ceil(cores / TARGET_CPU - 1e-9),
            # what one replica (one core at TARGET_CPU) carries of this mix
            "calls_per_s_per_replica": round(TARGET_CPU * calls / used) if used else None,
        }
    nats_cores = cpu_s.get("nats-server", 0.0) * at_peak
    n0, _, n2 = run["nats"]
    stored = {k: v["last_seq"] - n0["streams"].get(k, {}).get("last_seq", 0) for k, v in n2["streams"].items()}
    out["nats"] = {
        "cores_at_peak": round(nats_cores, 3),
        "cpu_ms_per_call": round(1000 * cpu_s.get("nats-server", 0.0) / calls, 3),
        "jetstream_msgs_per_s": round(sum(stored.values()) * at_peak, 1),
        "per_stream_msgs_per_s": {k: round(v * at_peak, 1) for k, v in sorted(stored.items()) if v},
        "deliveries_per_s": round((n2["delivered"] - n0["delivered"]) * at_peak, 1),
        "server_in_msgs_per_s": round((n2["in_msgs"] - n0["in_msgs"]) * at_peak, 1),
        "server_out_msgs_per_s": round((n2["out_msgs"] - n0["out_msgs"]) * at_peak, 1),
        "server_in_kib_per_s": round((n2["in_bytes"] - n0["in_bytes"]) * at_peak / 1024, 1),
        "server_out_kib_per_s": round((n2["out_bytes"] - n0["out_bytes"]) * at_peak / 1024, 1),
        "msgs_per_day_stored": round(sum(stored.values()) / calls * day_calls),
        "stored_gib_per_day": round(
            sum(v["bytes"] - n0["streams"].get(k, {}).get("bytes", 0) for k, v in n2["streams"].items())
            / calls
            * day_calls
            / 2**30,
            2,
        ),
    }
    p0, p2 = run["pg"]
    polls = run["meta"]["delivery_polls"]
    out["postgres"] = {"wal_kib_per_s": round((p2["wal_bytes"] - p0["wal_bytes"]) * at_peak / 1024, 1), "dbs": {}}
    for name in SERVICE_DBS:
        a, b = p0["dbs"].get(name, {}), p2["dbs"].get(name, {})
        if not a or not b:
            continue
        commits = b["xact_commit"] - a["xact_commit"] - polls  # less the drain's own polls
        written = sum(b[k] - a[k] for k in ("tup_inserted", "tup_updated", "tup_deleted"))
        db = run["db_names"][name]
        db_cpu = cpu_s.get(f"postgres[{db}]", 0.0)
        wal = run["wal_writes"].get(db, {})
        out["postgres"]["dbs"][name] = {
            "commits_per_s": round(commits * at_peak, 1),  # every transaction, reads included
            "write_tx_per_s": round(wal.get("write_xacts", 0) * at_peak, 1) if wal else None,
            "rows_written_per_s": round(written * at_peak, 1),
            "wal_kib_per_s": round(wal.get("wal_bytes", 0) * at_peak / 1024, 1) if wal else None,
            "backend_cores_at_peak": round(db_cpu * at_peak, 3),
            "backends_max": run["rss"].get(f"postgres[{db}]", {}).get("processes"),
            # the database's growth (pages allocated: coarse over a short slice) per call, over a day
            "growth_mib_per_day": round(max(0, b["size"] - a["size"]) / calls * day_calls / 2**20),
        }
    out["postgres"]["bg_cores_at_peak"] = round(cpu_s.get("postgres[bg]", 0.0) * at_peak, 3)
    return out


def print_report(rows, run, size, factor, rates, day) -> None:
    wall = run["meta"]["wall_s"]
    print(f"\n## The slice: the peak hour's mix ×{factor:.2f} ({sum(rates.values()):.0f} calls/s), {wall:.0f}s")
    print(
        "   (×1 is the province's peak-hour mean; above 1 the slice is time-compressed: each second plays "
        f"{factor:.2f} s of the peak hour)"
    )
    print(
        f"{'event type':<22}{'call':<17}{'target/s':>9}{'got/s':>8}{'ok':>7}{'p50 ms':>8}{'p99 ms':>8}"
        "  non-2xx / starved"
    )
    for r in rows:
        extra = ", ".join(f"{'conn' if k == '-1' else k}×{v}" for k, v in r["non_2xx"].items()) or "0"
        if r["starved"]:
            extra += f" / starved {r['starved']}"
        print(
            f"{EVENT_OF[r['op']]:<22}{r['op']:<17}{r['target_per_s']:>9.2f}{r['achieved_per_s']:>8.2f}{r['ok']:>7}"
            f"{pl.fmt(r['p50_ms']):>8}{pl.fmt(r['p99_ms']):>8}  {extra}"
        )
        if "e2e_p50_ms" in r:
            print(
                f"{'':<22}{'  → demand (e2e)':<17}{'':>9}{'':>8}{r['e2e_n']:>7}{pl.fmt(r['e2e_p50_ms']):>8}"
                f"{pl.fmt(r['e2e_p99_ms']):>8}  POST /needs → volunteers' consumer"
            )
    sent = sum(r["sent"] for r in rows)
    print(
        f"{'all':<39}{sum(rates.values()):>9.2f}{sent / wall:>8.2f}{sum(r['ok'] for r in rows):>7}"
        f"{'':>16}  slips {run['meta']['slips']}, schedule moved {run['meta']['schedule_shift_s']:.1f}s"
    )
    print("\nlost / duplicated, counted in the databases (everything the run created, fixture and warm-up too):")
    for c in run["checks"]:
        print(
            f"  {display_pad(c['check'], 50)} expected {c['expected']:>6}  found {c['found']:>6}  "
            f"lost {c['lost']}  duplicated {c['duplicated']}"
        )
    bad = [b for b in run["balance"] if b["missing"] or b["failed"]]
    print(
        f"  every durable consumer ({len(run['balance'])}): published = applied"
        + (f" — except {bad}" if bad else f" (events applied: {sum(b['applied'] for b in run['balance'])})")
        + f"; outboxes pending {sum(run['pending'].values())}; drained in {run['meta']['drain_s']:.1f}s"
    )
    print("\nCPU (% of one core, mean over the slice) and RSS (max over the run), per process:")
    rss = run["rss"]
    for label, pct in run["cpu_slice"].items():
        if label.startswith("machine") or label == "postgres(all)":
            continue
        mem = rss.get(label)
        if not mem:
            mem_s = ""
        elif label.startswith("postgres["):
            mem_s = f"{mem['private_max_mib']:>8.0f} MiB private, {mem['processes']} processes"
        else:
            mem_s = f"{mem['rss_max_mib']:>8.0f} MiB"
        print(f"  {label:<28}{pct:>7.1f} %{mem_s}")
    for label in ("postgres(all)", *[k for k in run["cpu_slice"] if k.startswith("machine")]):
        print(f"  {label:<28}{run['cpu_slice'][label]!s:>7}")
    print(
        f"\n## Sizing at the province's busiest minutes: {size['peak_calls_per_s']:.1f} calls/s × {PEAK_BURST:g} = "
        f"{size['peak_calls_per_s'] * PEAK_BURST:.0f} calls/s"
    )
    print(
        f"   (CPU per call measured over the slice and its drain; a replica = one core at ≤ {TARGET_CPU:.0%}; "
        f"floor {MIN_REPLICAS})"
    )
    print(
        f"{'service':<12}{'CPU % slice':>12}{'ms/call':>9}{'calls/s/replica':>16}{'cores@peak':>12}"
        f"{'by CPU':>8}{'replicas':>10}"
    )
    for name, v in size["services"].items():
        print(
            f"{name:<12}{v['cpu_pct_slice']:>12.1f}{v['cpu_ms_per_call']:>9.2f}{v['calls_per_s_per_replica'] or 0:>16}"
            f"{v['cores_at_peak']:>12.2f}{v['replicas_by_cpu']:>8}{v['replicas']:>10}"
        )
    n = size["nats"]
    print(
        f"NATS: {n['cores_at_peak']:.2f} cores; JetStream {n['jetstream_msgs_per_s']:.0f} msgs/s stored "
        f"({', '.join(f'{k} {v:g}' for k, v in n['per_stream_msgs_per_s'].items())}), "
        f"{n['deliveries_per_s']:.0f} deliveries/s; server in/out {n['server_in_msgs_per_s']:.0f}/"
        f"{n['server_out_msgs_per_s']:.0f} msgs/s, {n['server_in_kib_per_s']:.0f}/{n['server_out_kib_per_s']:.0f} KiB/s; "
        f"{n['msgs_per_day_stored']:,} messages, {n['stored_gib_per_day']:.2f} GiB stored a day"
    )
    print(
        f"PostgreSQL (per service database; WAL of the whole local server {size['postgres']['wal_kib_per_s']:.0f} KiB/s):"
    )
    print(
        f"  {'database':<12}{'commits/s':>10}{'write tx/s':>11}{'rows/s':>8}{'WAL KiB/s':>10}{'cores':>7}"
        f"{'backends':>9}{'MiB/day':>9}"
    )
    for name, v in size["postgres"]["dbs"].items():
        print(
            f"  {name:<12}{v['commits_per_s']:>10.0f}{pl.fmt(v['write_tx_per_s'], 0):>11}{v['rows_written_per_s']:>8.0f}"
            f"{pl.fmt(v['wal_kib_per_s'], 0):>10}{v['backend_cores_at_peak']:>7.2f}{v['backends_max'] or 0:>9}"
            f"{v['growth_mib_per_day']:>9}"
        )
    print(f"  background processes: {size['postgres']['bg_cores_at_peak']:.2f} cores")


def emit_results(rows, size, factor) -> None:
    for r in rows:
        base = f"wushe province slice ×{factor:.2f} {r['op']}"
        pl.report_line(f"{base} achieved", [r["achieved_per_s"]], "calls/s", {"target": r["target_per_s"]})
        if r["p50_ms"] is not None:
            pl.report_line(f"{base} p50", [r["p50_ms"]], "ms")
            pl.report_line(f"{base} p99", [r["p99_ms"]], "ms", {"non_2xx": r["non_2xx"], "starved": r["starved"]})
        if "e2e_p99_ms" in r:
            pl.report_line(f"{base} e2e p50", [r["e2e_p50_ms"]], "ms")
            pl.report_line(f"{base} e2e p99", [r["e2e_p99_ms"]], "ms")
    for name, v in size["services"].items():
        pl.report_line(f"wushe province peak replicas {name}", [v["replicas"]], "replicas", v)
    pl.report_line("wushe province peak NATS JetStream", [size["nats"]["jetstream_msgs_per_s"]], "msgs/s", size["nats"])
    for name, v in size["postgres"]["dbs"].items():
        pl.report_line(f"wushe province peak PostgreSQL {name} write tx", [v["write_tx_per_s"]], "tx/s", v)


# --- main -------------------------------------------------------------------------------------------


def main() -> int:
    kinds, shape = day_model(), curves()
    day = print_day(kinds, shape)
    if "--model" in sys.argv[1:]:
        return 0
    signal.signal(signal.SIGTERM, pl._sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    province = peak_rates(kinds, shape, day["peak_hour"])
    factor, rates = scaled(province, SLICE_RATE)
    slots_per_task = max(2, math.ceil(1.5 * rates["signup.invite"] / rates["task.publish"]))
    print(
        f"\nthe slice: ×{factor:.2f} the peak hour's rates = {SLICE_RATE:g} calls/s for {SLICE_S:g}s "
        f"(activity tasks of {slots_per_task} slots; replicas {REPLICAS})",
        flush=True,
    )
    t_start = time.time()
    stack = ProvinceStack(REPLICAS)
    failed = False
    try:
        stack.start()
        run = pl.arun(run_slice(stack, rates, slots_per_task))
    except KeyboardInterrupt:
        pl.log("interrupted: stopping everything")
        return 130
    except BaseException:
        failed = True
        raise
    finally:
        pl.log("stopping services, nats-server and PostgreSQL …")
        stack.stop(failed)

    wall = run["meta"]["wall_s"]
    rows = op_rows(run["recs"], rates, wall, run["e2e_ms"])
    calls = sum(r["sent"] for r in rows)
    size = sizing(run, calls, day["peak_calls_per_s"], day["http_calls_per_day"])
    print_report(rows, run, size, factor, rates, day)
    print()
    emit_results(rows, size, factor)
    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"province-{stamp}.json"
    run.pop("recs")
    path.write_text(
        json.dumps(
            {
                "benchmark": "a simulated Hebei day: the peak hour's mix through the whole stack",
                "utc": stamp,
                "duration_s": round(time.time() - t_start, 1),
                "versions": pl.versions(),
                "config": {
                    "slice_s": SLICE_S,
                    "slice_rate": SLICE_RATE,
                    "factor": factor,
                    "conns": CONNS,
                    "warmup_s": WARMUP_S,
                    "volunteers": N_VOLUNTEERS,
                    "replicas": REPLICAS,
                    "seed": SEED,
                    "quick": QUICK,
                    "slots_per_task": slots_per_task,
                    "history_needs_per_community": HISTORY,
                },
                "assumptions": assumptions(),
                "day": day,
                "slice_rates": rates,
                "calls": rows,
                "run": run,
                "sizing": size,
            },
            indent=2,
            ensure_ascii=False,
            default=str,
        )
    )
    print(f"\nwritten {path.relative_to(REPO)}")
    return 0


def assumptions() -> dict:
    """The constants of the load model, as the JSON records them."""
    return {n: globals()[n] for n in sorted(_ASSUMPTIONS)}


_ASSUMPTIONS = {
    "POPULATION", "TOWNSHIPS", "COMMUNITIES", "COUNTY_OFFICES", "CITY_OFFICES", "PROVINCE_OFFICES",
    "REGISTERED_VOLUNTEERS", "NEEDS_PER_1000_PEOPLE", "GRID_SURVEY_SHARE", "ASSESSED_SHARE", "ROUTE_MIX",
    "NEED_360_READS_PER_NEED", "ACTIVITY_TASKS_PER_COMMUNITY", "VOLUNTEER_ACTIVE_SHARE",
    "SERVICES_PER_ACTIVE_VOLUNTEER", "SIGNUPS_PER_SERVICE", "SIGNUP_CALLS", "CHECKOUT_SHARE", "VERIFIED_SHARE",
    "SERVICE_MINUTES", "DONATIONS_PER_1000_PEOPLE", "EARMARKED_SHARE", "WHISTLES_PER_COMMUNITY",
    "DASHBOARD_VIEWS_PER_COMMUNITY", "SCREEN_REFRESH_S", "SCREEN_HOURS", "CURVES_RAW", "PEAK_BURST", "TARGET_CPU",
    "MIN_REPLICAS",
}  # fmt: skip
REPO = pl.REPO

if __name__ == "__main__":
    sys.exit(main())
