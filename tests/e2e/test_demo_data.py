"""The demo data (issue 8): the first `wushe up` loads a realistic Hebei demo through the public
API — needs in every state, volunteers and their hours, organizations, funds, a project graded
优秀 on the public showcase, whistles, a joint meeting — and writes the console's sign-in
personas; the second `wushe up` on the same home loads nothing again and starts quickly.

Like test_launcher, this runs `wushe up` in a temporary WUSHE_HOME on free ports: the demo never
touches the shared test database (other modules count what is in 长安区)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import httpx
import nats
import pytest
from support.browser import SCREENSHOTS, needs_chromium, new_tab
from support.launcher import stop as stop_up
from support.launcher import up_env, wait_up, wushe
from support.stack import free_port_block
from support.waiting import eventually

from contracts.flow import consumers_of
from contracts.values import citizen_id_check_char
from deploy.demo import data as D
from deploy.demo.plan import LOCAL, Plan
from deploy.servers import free_port
from kit import db as kit_db
from kit.auth import issue_token
from kit.settings import Settings

pytestmark = pytest.mark.slow
CITIZEN_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9X](?![0-9A-Za-z])")  # not inside an id
PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")

HOME_COMMUNITY, VILLAGE = "130102001001", "130125100200"
PERSONA_KEYS = {"id", "label_zh", "label_en", "role", "area", "sub", "description_zh"}
PERSONAS = {
    "social_worker": ("social_worker", HOME_COMMUNITY),
    "grid_worker": ("grid_worker", HOME_COMMUNITY),
    "party_secretary": ("party_secretary", HOME_COMMUNITY),
    "civil_affairs_county": ("civil_affairs", "130102"),
    "civil_affairs_city": ("civil_affairs", "130100"),
    "civil_affairs_province": ("civil_affairs", "130000"),
    "charity_admin": ("charity_admin", "130102"),
    "org_admin": ("org_admin", "130102"),
    "volunteer": ("volunteer", HOME_COMMUNITY),
    "resident": ("resident", HOME_COMMUNITY),
    "auditor": ("auditor", "130102"),
    "social_worker_rural": ("social_worker", VILLAGE),
}


@pytest.fixture(scope="module")
def home():
    path = Path(tempfile.mkdtemp(prefix="wushe-demo-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def stack_env(home):
    return up_env(home, free_port_block(), free_port(), demo=True)


def start(env: dict[str, str], timeout: float = 420) -> tuple[subprocess.Popen, str]:
    """`wushe up` until its "press Ctrl-C" line, which comes after the demo: (process, output)."""
    proc = wushe("up", env=env)
    return proc, wait_up(proc, timeout)


def stop(proc: subprocess.Popen) -> str:
    return stop_up(proc, timeout=90)


class Api:
    def __init__(self, env: dict[str, str]) -> None:
        self.settings = Settings(home=Path(env["WUSHE_HOME"]), http_port=int(env["WUSHE_HTTP_PORT"]))
        self.base = f"http://127.0.0.1:{self.settings.http_port}/api/v1"

    def get(self, path: str, role: str | None = None, token_area: str = "130102", sub: str = "test-demo", **params):
        """GET as `role` of `token_area` (no token without a role); keyword arguments are the query."""
        headers = {}
        if role:
            headers["Authorization"] = f"Bearer {issue_token(self.settings, role=role, area=token_area, sub=sub)}"
        reply = httpx.get(self.base + path, headers=headers, params=params, timeout=15)
        assert reply.status_code == 200, f"{path}: {reply.status_code} {reply.text}"
        return reply.json()

    def journal(self) -> dict:
        return json.loads(self.settings.path("demo", "journal.json").read_text(encoding="utf-8"))

    def personas(self) -> list[dict]:
        return json.loads(self.settings.path("demo", "personas.json").read_text(encoding="utf-8"))

    def counts(self) -> dict:
        """What a second load would double."""
        city = ("civil_affairs", "130100")
        return {
            "needs": self.get("/needs/stats", *city, area="130100")["total"],
            "volunteers": self.get("/volunteers/stats", *city, area="130100")["registered"],
            "organizations": self.get("/organizations/stats", *city, area="130100")["organizations"],
            "projects": len(self.get("/projects", *city, area="130100")),
            "whistles": len(self.get("/whistles", *city, area="130100")),
            "party_members": len(self.get("/party-members", *city, area="130100")),
            "tasks": len(self.get("/tasks", *city, area="130100")),
            "ledger": self.get("/public/ledger", page_size=1)["total"],
            "showcase": len(self.get("/public/showcase")),
        }


class Running:
    """A started `wushe up`, stopped once (by the test that needs it stopped, or at the end)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc, self.out = start(env)
        self.stopped_out: str | None = None

    def stop(self) -> str:
        if self.stopped_out is None:
            self.stopped_out = stop(self.proc)
        return self.stopped_out


@pytest.fixture(scope="module")
def first_start(stack_env):
    running = Running(stack_env)
    api = Api(stack_env)
    try:
        yield api, running.out, api.counts(), running
    finally:
        running.stop()


def test_the_first_start_loads_the_demo_before_it_says_it_is_up(first_start):
    _, out, *_ = first_start
    assert "正在载入演示数据 / loading demo data: 1/9" in out and "9/9" in out
    assert out.index("演示数据已载入 / demo data loaded") < out.index("wushe 已启动 / is up")
    assert "跳过 / skipped" not in out and "Traceback" not in out, out


def test_needs_in_every_state_for_every_vulnerable_group(first_start):
    api, *_ = first_start
    stats = api.get("/needs/stats", "civil_affairs", "130102", area="130102")
    assert stats["total"] >= 150
    for status in ("raised", "routed", "matched", "resolved", "closed", "reopened", "disputed"):
        assert stats["by_status"].get(status, 0) > 0, (status, stats["by_status"])
    for group in ("subsistence", "extreme_poverty", "empty_nest_elderly", "disabled", "child_in_difficulty"):
        assert stats["by_target_group"].get(group, 0) > 0, (group, stats["by_target_group"])
    assert 4.0 <= stats["mean_satisfaction"] <= 5.0 and stats["resolution_rate"] > 0.3
    rural = api.get("/needs/stats", "social_worker", VILLAGE, area=VILLAGE)
    assert rural["total"] > 5 and rural["by_target_group"].get("left_behind_child", 0) > 0
    # the resident's own report came in through the resident's channel
    library = api.get("/needs", "social_worker", HOME_COMMUNITY, page_size=200)
    assert any(n["channel"] == "self_report" for n in library["items"])
    assert any(n["channel"] == "grid_survey" for n in library["items"])


def test_a_year_of_history_behind_the_demo(first_start):
    """The ended needs of the year before, migrated from an earlier system: every month has needs
    raised and resolved, winter and the summer holidays more than late spring, first responses in
    hours (not the 0 minutes of needs all raised at one moment), quicker by the year's end."""
    api, *_ = first_start
    past = api.get("/needs/trend", "civil_affairs", "130000", area="130000", months=13)[:-1]
    assert len(past) == 12 and all(p["raised"] > 0 and p["resolved"] > 0 for p in past), past
    by_month = {p["month"][5:]: p["raised"] for p in past}
    assert min(by_month["01"], by_month["08"]) > by_month["05"], by_month
    medians = [p["median_first_response_hours"] for p in past]
    assert all(1 <= m <= 72 for m in medians), medians
    assert sum(medians[-3:]) < sum(medians[:3]), medians
    stats = api.get("/needs/stats", "civil_affairs", "130000", area="130000")
    assert stats["first_response_hours"]["p50"] >= 1, stats["first_response_hours"]


def test_volunteers_social_workers_and_their_verified_hours(first_start):
    api, *_ = first_start
    stats = api.get("/volunteers/stats", "civil_affairs", "130102", area="130102")
    assert stats["registered"] >= 80 and stats["party_members"] > 0 and stats["active_30d"] > 40
    assert set(stats["social_workers_by_level"]) == {"assistant", "social_worker", "senior"}
    assert all(stats["social_workers_by_level"].values())
    assert stats["verified_ratio"] > 0.8 and sum(stats["hours_by_month"].values()) > 100
    served = [month for month, hours in stats["hours_by_month"].items() if hours > 0]
    assert len(served) >= 11, stats["hours_by_month"]  # the year's round of community activities
    assert stats["station_coverage"]["met"]


def test_organizations_platforms_projects_and_the_showcase(first_start):
    api, *_ = first_start
    organizations = api.get("/organizations/stats", "civil_affairs", "130100", area="130100")
    assert organizations["organizations"] == 10
    assert api.get("/organizations/stats", "civil_affairs", "130102", area="130102")["hub_coverage"]["met"]
    coverage = api.get("/platforms/coverage", "civil_affairs", "130102", area="130102")
    assert coverage["stations"]["with_station"] == 3 and coverage["rooms"]["rooms"] >= 4
    statuses = {p["status"] for p in api.get("/projects", "civil_affairs", "130100", area="130100")}
    assert {"evaluated", "procured", "published", "review_pending", "draft"} <= statuses
    showcase = api.get("/public/showcase")  # no token
    assert [item["grade_zh"] for item in showcase] == ["优秀"]
    assert set(showcase[0]["nominations"]) == {"typical_case", "hebei_charity_award"}
    calls = api.get("/venture-calls", "civil_affairs", "130102", area="130102")
    assert calls[0]["status"] == "awarded" and [a["status"] for a in calls[0]["applications"]].count("won") == 2


def test_funds_donations_and_payments(first_start):
    api, *_ = first_start
    funds = {k.split(":", 1)[1]: v["id"] for k, v in api.journal().items() if k.startswith("fund:")}
    assistance = api.get(f"/public/ledger/funds/{funds['assistance']}")
    assert assistance["two_percent"]["budget_fen"] > 0 and 0 < assistance["two_percent"]["service_purchases_fen"]
    assert assistance["two_percent"]["cap_left_fen"] > 0
    foundation = api.get(f"/public/ledger/funds/{funds['foundation']}")
    assert foundation["received_fen"] > 0 and foundation["earmarked_fen"] > 0 and foundation["disbursed_fen"] > 0
    ledger = api.get("/public/ledger", area="130102", page_size=200)
    donors = {line["donor"] for line in ledger["items"] if line["donor"]}
    assert "匿名" in " ".join(donors) or "爱心" in " ".join(donors)
    assert any("有限公司" in d for d in donors)  # an enterprise that agreed to be named
    assert api.get("/ledger/verification", "auditor", "130102")["ok"]
    past = api.get("/funds/flows", "civil_affairs", "130102", area="130102", months=13)["by_month"][:-1]
    given = {m["month"][5:]: m["in_fen"] for m in past}
    assert len(given) == 12 and all(given.values()), given  # money came in every month
    waiting = api.get("/disbursements", "charity_admin", "130102", status="requested")
    assert waiting, "a payment waits for the second charity administrator"


def test_the_party_leads(first_start):
    api, *_ = first_start
    whistles = api.get("/whistles", "party_secretary", HOME_COMMUNITY)
    assert {w["status"] for w in whistles} == {"open", "responded", "closed"}
    meetings = api.get("/joint-meetings", "party_secretary", HOME_COMMUNITY)
    assert [m["status"] for m in meetings] == ["held"]
    actions = api.get("/meeting-actions", "party_secretary", HOME_COMMUNITY)
    assert {a["kind"] for a in actions} == {"volunteer_task", "other", "propose_project"}
    assert {a["status"] for a in actions} == {"in_progress", "done"}
    matters = {m["status"] for m in api.get("/matters", "party_secretary", HOME_COMMUNITY)}
    assert matters == {"decided", "pending"}
    assert {w["status"] for w in api.get("/wishes", "party_secretary", HOME_COMMUNITY)} == {
        "open",
        "claimed",
        "fulfilled",
    }


async def test_no_public_event_of_the_demo_names_a_person(first_start, stack_env):
    """Every payload the exchange published to PUBLIC for the whole demo: no citizen ID, phone
    number or full name of anyone in it, nor a platform account or internal volunteer ref."""
    api, *_ = first_start
    payloads = await all_public_payloads(api.settings.model_copy(update={"nats_url": stack_env["WUSHE_NATS_URL"]}))
    plan = Plan(datetime.fromisoformat(api.journal()["anchor"]).astimezone(LOCAL).date())
    people = [*plan.residents, *(v.person for v in plan.volunteers)]
    people += [member for committee in plan.committees.values() for member, *_ in committee]
    names = {p.name for p in people} | set(plan.donors)
    refs = {v["volunteer_ref"] for k, v in api.journal().items() if k.startswith("volunteer:")}
    accounts = {*D.SOCIAL_WORKER.values(), *D.GRID_WORKER.values(), *D.PARTY_SECRETARY.values(), *D.MZ.values()}
    assert len(payloads) > 500 and len(names) > 400
    text = "\n".join(payloads)
    assert [m for m in CITIZEN_ID.findall(text) if citizen_id_check_char(m[:17]) == m[17]] == []
    assert [text[m.start() - 80 : m.end() + 20] for m in PHONE.finditer(text)] == []
    assert sorted(n for n in names | refs | accounts if n in text) == []


async def all_public_payloads(settings: Settings) -> list[str]:
    """Once the exchange has caught up with every stream and sent what it wrote: PUBLIC, whole."""
    nc = await nats.connect(settings.nats_servers)
    conn = await kit_db.connect(settings, "exchange")
    try:
        js = nc.jetstream()

        async def caught_up() -> bool:
            for c in consumers_of("exchange"):
                info = await js.consumer_info(c.stream, c.durable)
                if info.num_pending or info.num_ack_pending:
                    return False
            return not await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")

        await eventually(caught_up, "the exchange to publish the demo's public events", 120)
        last = (await js.stream_info("PUBLIC")).state.last_seq
        return [(await js.get_msg("PUBLIC", seq)).data.decode() for seq in range(1, last + 1)]
    finally:
        await conn.close()
        await nc.close()


def test_personas_for_the_console_sign_in(first_start):
    api, *_ = first_start
    personas = api.personas()
    assert all(set(p) == PERSONA_KEYS and all(isinstance(v, str) and v for v in p.values()) for p in personas)
    by_id = {p["id"]: p for p in personas}
    assert {pid: (by_id[pid]["role"], by_id[pid]["area"]) for pid in PERSONAS} == PERSONAS

    def get(pid: str, path: str, **params):
        p = by_id[pid]
        return api.get(path, p["role"], p["area"], p["sub"], **params)

    journal = api.journal()
    volunteer = by_id["volunteer"]["sub"]
    volunteer_id = next(
        v["id"] for k, v in journal.items() if k.startswith("volunteer:") and v["volunteer_ref"] == volunteer
    )
    assert get("volunteer", f"/volunteers/{volunteer_id}")["volunteer_ref"] == volunteer  # their own record
    assert get("volunteer", f"/timebank/volunteers/{volunteer_id}")["balance_units"] > 0
    assert get("resident", f"/supermarket/points/resident/{by_id['resident']['sub']}")["balance"] > 0
    organizations = get("civil_affairs_county", "/organizations")
    admin = next(o for o in organizations if o["name"] == "长安区乐龄社会工作服务中心")
    assert by_id["org_admin"]["sub"] in get("org_admin", f"/organizations/{admin['uscc']}")["admin_accounts"]
    assert get("party_secretary", "/matters", status="pending")  # the project the joint meeting proposed
    assert get("charity_admin", "/disbursements", status="requested")
    assert get("social_worker_rural", "/needs/stats")["total"] > 0
    assert get("civil_affairs_province", "/needs/stats")["total"] >= 190


DEMO_PAGES = (
    ("", "workbench"),
    ("needs", "needs"),
    ("volunteers", "volunteers"),
    ("projects", "projects"),
    ("charity", "charity"),
    ("party", "party"),
    ("dashboard", "dashboard"),
    ("public", "public"),
)


@needs_chromium
async def test_the_console_shows_the_demo(first_start, browser):
    """The console on the demo, page by page, as the community's social worker and the province's
    civil-affairs office: every page opens with data and no script error (screenshots: demo-*.png)."""
    api, *_ = first_start
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    console = await new_tab(browser, api.base.removesuffix("/api/v1"), viewport={"width": 1280, "height": 900})
    await console.sign_in("social_worker")
    for page, name in DEMO_PAGES:
        await console.open(page)
        await console.shot(f"demo-{name}")
    await console.open("needs")
    await console.settled()
    await console.page.click("#view a[href^='#/needs/']:not(#raise-need)")  # the library's first need: its 360 page
    await console.page.wait_for_selector("#view .timeline")
    await console.shot("demo-need-360")
    await console.open("sign-in")
    await console.page.click("button[data-persona='civil_affairs_province']")
    await console.page.wait_for_selector("#sign-out")
    await console.open("dashboard")
    await console.shot("demo-dashboard-province")
    total = api.get("/needs/stats", "civil_affairs", "130000")["total"]
    assert total >= 190 and f"{total:,}" in await console.text("#view")  # the province's needs, as the tiles show them
    console.check()


def test_the_second_start_loads_nothing_again(first_start, stack_env):
    api, _, counts, running = first_start
    assert "已停止 / stopped" in running.stop()
    proc, out = start(stack_env, timeout=180)
    try:
        assert "演示数据已载入 / demo data already loaded" in out and "正在载入演示数据" not in out, out
        assert api.counts() == counts
        assert len(api.personas()) == len(PERSONAS)
    finally:
        stop(proc)
