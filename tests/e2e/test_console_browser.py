"""The web console in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; no browser
download): a social worker signs in, raises a need, follows it to the resident's judgement and sees the
dashboard change; a charity administrator rejects one payment with a reason and approves another; the
public page without login; the English switch; a phone-sized screen.

Screenshots are kept under test-artifacts/screenshots/ at the repository root."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from support.browser import needs_chromium, new_tab, personas_installed
from support.events import publish
from support.receiver import Endpoint, Receiver
from support.waiting import eventually

from contracts.envelope import new_id, wrap
from contracts.events.volunteers import HoursVerified, TaskAccepted
from contracts.values import citizen_id_check_char
from deploy import portals

pytestmark = needs_chromium

COMMUNITY = "130102014001"  # a community of 建安街道, 长安区: no other module writes here
STREET = "130102014"
PERSONAS = [
    {
        "id": "jianan-sw",
        "label_zh": "建安街道社工 · 周敏",
        "label_en": "Social worker Zhou Min",
        "role": "social_worker",
        "area": COMMUNITY,
        "sub": "e2e-sw-zhou",
        "description_zh": "建安街道001社区社工：登记、评估、分派需求",
    },
    {
        "id": "jianan-street",
        "label_zh": "建安街道办 · 民政",
        "label_en": "Jian'an street civil affairs",
        "role": "civil_affairs",
        "area": STREET,
        "sub": "e2e-mz-jianan",
        "description_zh": "建安街道民政：辖区数据看板",
    },
    {
        "id": "jianan-secretary",
        "label_zh": "建安社区党委书记",
        "label_en": "Party secretary",
        "role": "party_secretary",
        "area": COMMUNITY,
        "sub": "e2e-shuji-jianan",
        "description_zh": "建安街道001社区党委书记",
    },
    {
        "id": "changan-charity",
        "label_zh": "长安区慈善会",
        "label_en": "Charity administrator",
        "role": "charity_admin",
        "area": "130102",
        "sub": "e2e-cz-changan",
        "description_zh": "长安区慈善会：拨付复核、爱心超市",
    },
    {
        "id": "changan-mz",
        "label_zh": "长安区民政局",
        "label_en": "Chang'an civil affairs",
        "role": "civil_affairs",
        "area": "130102",
        "sub": "e2e-mz-changan",
        "description_zh": "长安区民政局：数据交换管理",
    },
]
PAGES = ("", "needs", "volunteers", "projects", "charity", "party", "dashboard", "exchange", "public")


@pytest.fixture(scope="module")
def console(stack, settings) -> str:
    """The whole stack behind the gateway, with the demo personas of 建安街道."""
    with personas_installed(settings, PERSONAS):
        stack.start("needs", "volunteers", "projects", "charity", "party", "exchange", "gateway")
        yield stack.url("gateway")


def _citizen_id(serial: int) -> str:
    base = f"13010219480315{serial % 1000:03d}"
    return base + citizen_id_check_char(base)


async def test_a_social_worker_follows_a_need_to_the_residents_judgement(console, browser, js):
    c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
    page = c.page

    # not signed in: the console asks who you are, and says production signs in elsewhere
    await c.open("dashboard")
    await page.wait_for_selector("button[data-persona='jianan-sw']")
    assert "统一身份认证" in await c.text("#idp-note")
    await c.shot("01-sign-in")
    await page.click("button[data-persona='jianan-sw']")
    await page.wait_for_selector("h1:has-text('工作台')")
    assert "建安街道001号社区" in await c.text("#who")
    await page.wait_for_selector("[data-kpi='open-raised']")
    await c.shot("02-workbench")

    await c.open("dashboard")
    await page.wait_for_selector("[data-kpi='needs-done']")
    before = int((await c.text("[data-kpi='needs-done'] .v")).replace(",", ""))

    # raise a need: a wrong ID check digit is refused, naming the field
    await c.open("needs")
    await page.click("#raise-need")
    marker = f"独居老人需要每日送午餐（{uuid.uuid4().hex[:6]}）"
    # a worker of one community: the area picker shows it, chosen (nothing to type)
    assert await page.input_value("[data-area-picker='area_code'] input[type=hidden]") == COMMUNITY
    assert "建安街道001号社区" in await c.text("[data-area-picker='area_code']")
    await page.select_option("[name='category']", "meal_aid")
    await page.select_option("[name='urgency']", "urgent")
    await page.fill("[name='description']", marker)
    await page.fill("[name='required_skills']", "送餐、陪伴")
    await page.check("input[name='target_groups'][value='empty_nest_elderly']")
    await page.fill("[name='resident.name']", "周奶奶")
    await page.fill("[name='resident.phone']", "13700137014")
    good_id = _citizen_id(14)
    bad_id = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")
    await page.fill("[name='resident.citizen_id']", bad_id)
    await page.click("#submit-need")
    problem = await page.wait_for_selector("#need-form .problem")
    assert "resident.citizen_id" in await problem.inner_text()
    assert await page.get_attribute("[name='resident.citizen_id']", "aria-invalid") == "true"
    await c.shot("03-raise-need-refused")
    await page.fill("[name='resident.citizen_id']", good_id)
    await page.click("#submit-need")
    await page.wait_for_selector("#need-page")
    need_id = page.url.rsplit("/", 1)[-1]
    assert await c.text("#need-status") == "已登记"
    assert "周**" in await c.text("#need-page")  # the resident is shown masked
    await page.wait_for_selector("#timeline li[data-kind='need_raised']")

    # assess and route to a volunteer task
    await page.fill("#assess-form [name='service_plan']", "每日午餐送餐上门，持续一个月")
    await page.check("#assess-form input[name='route'][value='volunteer_task']")
    await page.click("#assess-form button[type=submit]")
    await page.wait_for_selector("#need-status:has-text('已评估分派')")
    await page.wait_for_selector("#timeline li[data-kind='need_routed']")

    # the provider's side: a volunteer accepts the task and their hours are verified (the volunteers
    # service's events, published here); the page notices the need is matched by itself
    now = datetime.now(UTC)
    accepted = wrap(
        TaskAccepted(
            task_id=new_id(), need_id=need_id, area_code=COMMUNITY, volunteer_ref="v-e2e-zhou", accepted_at=now
        ),
        subject="task",
        area_code=COMMUNITY,
    )
    await publish(js, accepted)
    hours = wrap(
        HoursVerified(
            log_id=new_id(),
            task_id=accepted.data.task_id,
            need_id=need_id,
            area_code=COMMUNITY,
            volunteer_ref="v-e2e-zhou",
            minutes=90,
            verified_by="e2e-sw-zhou",
            verified_at=now,
        ),
        subject="log",
        area_code=COMMUNITY,
    )
    await publish(js, hours)
    await page.wait_for_selector("#need-status:has-text('已对接')", timeout=30_000)
    await page.wait_for_selector("#timeline li.a-volunteers[data-kind='task_accepted']")

    # the worker confirms for the resident, and the resident judges the service
    await page.click("#resolve-form button[type=submit]")
    await page.wait_for_selector("#need-status:has-text('已解决')")
    await page.click("#feedback-form [data-star='5']")
    await page.fill("#feedback-form [name='comment']", "送餐及时，老人很满意")
    await page.click("#feedback-form button[type=submit]")
    await page.wait_for_selector("#need-status:has-text('已办结')")
    kinds = await page.eval_on_selector_all("#timeline li", "items => items.map(i => i.dataset.kind)")
    assert kinds[:3] == ["need_raised", "need_assessed", "need_routed"]
    assert "task_accepted" in kinds and kinds[-1] == "feedback_given"
    await page.wait_for_selector("#timeline li[data-kind='hours_verified']", timeout=20_000)
    await c.shot("04-need-closed")

    # the library finds it, and the dashboard counts it
    await c.open(f"needs?area={COMMUNITY}&status=closed")
    await page.wait_for_selector(f"a[href='#/needs/{need_id}']")
    await c.open("dashboard")
    await page.wait_for_selector("[data-chart='needs-by-category'] svg")
    after = int((await c.text("[data-kpi='needs-done'] .v")).replace(",", ""))
    assert after == before + 1
    assert await page.get_attribute("[data-chart='needs-by-category'] tr[data-label='助餐']", "data-value") is not None
    await page.wait_for_selector("[data-chart='needs-by-status'] svg")
    await c.shot("05-dashboard")
    c.check()


async def test_a_street_sees_its_communities_on_the_dashboard(console, browser):
    c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
    await c.sign_in("jianan-street")
    await c.open("dashboard")
    await c.page.wait_for_selector("#area-picker")
    assert "建安街道" in await c.text("h1")
    await c.open(f"dashboard?area={COMMUNITY}")
    await c.page.wait_for_selector(f"#dashboard[data-area='{COMMUNITY}']")
    await c.page.wait_for_selector("[data-kpi='needs-done']")
    outside = await c.page.evaluate("""async () => (await fetch('/api/v1/views/dashboard?area=130102001', {
        headers: {Authorization: 'Bearer ' + sessionStorage.getItem('wushe.token')}})).status""")
    assert outside in (403, 404)  # 404 only until the composed views are deployed
    await c.open("")
    await c.page.wait_for_selector("h1:has-text('工作台')")
    await c.shot("06-street-workbench")
    c.check()


async def test_a_charity_administrator_rejects_one_payment_and_approves_another(console, browser, token):
    """复核拨付 and 驳回 each ask for a confirmation that shows the amount, the fund and what is paid; a
    rejection needs its reason; the queue shows who asked by role, never an account id or a code."""
    marker = uuid.uuid4().hex[:4]
    maker = {"Authorization": f"Bearer {token('charity_admin', '130102', 'e2e-cz-maker')}"}
    me = {"Authorization": f"Bearer {token('charity_admin', '130102', 'e2e-cz-changan')}"}  # the persona
    worker = {"Authorization": f"Bearer {token('social_worker', COMMUNITY, 'e2e-sw-zhou')}"}
    fund_name = f"建安街道助残专项（{marker}）"
    async with httpx.AsyncClient(base_url=f"{console}/api/v1", timeout=10) as api:
        fund = await api.post(
            "/funds", headers=maker, json={"name": fund_name, "kind": "special_fund", "area_code": COMMUNITY}
        )
        assert fund.status_code == 201, fund.text
        fund_id = fund.json()["id"]
        need = {
            "area_code": COMMUNITY,
            "category": "mobility_aid",
            "description": "下肢残疾老人需要轮椅",
            "resident": {"name": "鲁奶奶", "phone": "13700137016", "citizen_id": _citizen_id(16)},
        }
        need_id = (await api.post("/needs", headers=worker, json=need)).json()["id"]
        gift = await api.post(
            "/donations",
            headers=maker,
            json={
                "fund_id": fund_id,
                "amount_fen": 200_000,
                "donor": {"kind": "anonymous"},
                "earmark": {"target_kind": "need", "target_id": need_id, "amount_fen": 150_000},
            },
        )
        assert gift.status_code == 201, gift.text
        earmark = gift.json()["earmark_id"]
        wrong, right, own = f"购买轮椅（{marker}-甲）", f"购买轮椅（{marker}-乙）", f"购买坐便椅（{marker}-丙）"
        for who, milestone, amount in ((maker, wrong, 50_000), (maker, right, 60_000), (me, own, 10_000)):
            asked = await api.post(
                f"/earmarks/{earmark}/disbursements", headers=who, json={"milestone": milestone, "amount_fen": amount}
            )
            assert asked.status_code == 201, asked.text
        balance = (await api.get(f"/funds/{fund_id}", headers=maker)).json()["balance_fen"]
        assert balance == 50_000  # what was not earmarked

    c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
    await c.sign_in("changan-charity")
    await c.open("charity")
    card = "[data-card='approvals']"

    def item(milestone: str) -> str:
        return f"{card} li.review:has-text('{milestone}')"

    await c.page.wait_for_selector(item(wrong))
    first = await c.text(item(wrong))
    assert fund_name in first and "500.00" in first and "慈善资源管理员" in first and "定向需求" in first
    mine = await c.text(item(own))
    assert "本人申请，须由他人复核" in mine and "本人" in mine
    assert await c.page.query_selector(f"{item(own)} button[data-action]") is None  # the maker decides nothing

    # 驳回: a reason is required, then a confirmation shows what is rejected, and why
    await c.page.click(f"{item(wrong)} button[data-action='reject']")
    await c.page.click(f"{item(wrong)} button[data-action='next']")
    assert await c.page.get_attribute(f"{item(wrong)} textarea[name='reason']", "aria-invalid") == "true"
    assert "请写明驳回理由" in await c.text(f"{item(wrong)} .review-step")
    why = "发票抬头与受助人不符，请更正后重新申请"
    await c.page.fill(f"{item(wrong)} textarea[name='reason']", why)
    await c.page.click(f"{item(wrong)} button[data-action='next']")
    confirm = await c.text(f"{item(wrong)} .review-step")
    assert "确认驳回" in confirm and why in confirm and "500.00" in confirm and fund_name in confirm
    await c.shot("12-charity-reject-confirm")
    await c.page.click(f"{item(wrong)} button[data-action='confirm']")
    await c.page.wait_for_selector(".toast:has-text('已驳回')")
    rejected = f"{card} .decided li[data-status='rejected']:has-text('{wrong}')"
    await c.page.wait_for_selector(rejected)
    assert why in await c.text(rejected) and "已驳回" in await c.text(rejected)
    assert await c.page.query_selector(item(wrong)) is None  # out of the queue

    # 复核拨付: a confirmation with the amount, the fund and what is paid, then paid
    await c.page.click(f"{item(right)} button[data-action='approve']")
    confirm = await c.text(f"{item(right)} .review-step")
    assert "确认拨付" in confirm and "600.00" in confirm and fund_name in confirm and "定向需求" in confirm
    await c.page.click(f"{item(right)} button[data-action='cancel']")  # not yet: nothing is sent
    assert await c.page.query_selector(f"{item(right)} button[data-action='confirm']") is None
    await c.page.click(f"{item(right)} button[data-action='approve']")
    await c.page.click(f"{item(right)} button[data-action='confirm']")
    await c.page.wait_for_selector(".toast:has-text('已复核拨付')")
    await c.page.wait_for_selector(f"{card} .decided li[data-status='disbursed']:has-text('{right}')")
    await c.settled()
    await c.shot("13-charity-reviewed")

    shown = await c.text(card)
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", await c.text("#view")), "an internal id on the page"
    for raw in ("e2e-cz-", "charity_admin", "requested", "disbursed", "rejected", "special_fund"):
        assert raw not in shown, f"{raw} shown"
    async with httpx.AsyncClient(base_url=f"{console}/api/v1", timeout=10) as api:
        assert (await api.get(f"/funds/{fund_id}", headers=maker)).json()["balance_fen"] == balance
        opened = (await api.get(f"/public/ledger/funds/{fund_id}")).json()
        assert opened["disbursed_fen"] == 60_000  # the approved one only: the rejected 500 元 stayed put
        listed = (await api.get("/disbursements", headers=maker, params={"area": COMMUNITY})).json()
        decided = {d["milestone"]: (d["status"], d["rejection_reason"]) for d in listed}
        assert decided[wrong] == ("rejected", why) and decided[right] == ("disbursed", None)
        assert decided[own] == ("requested", None)
    c.check()


async def test_the_public_page_needs_no_login(console, browser, token):
    # money in the community's fund, from a donor who agreed to be named
    admin = {"Authorization": f"Bearer {token('charity_admin', '130102', 'e2e-cz-wang')}"}
    async with httpx.AsyncClient(base_url=f"{console}/api/v1", timeout=10) as api:
        fund = await api.post(
            "/funds",
            json={"name": "建安街道社区基金", "kind": "community_foundation", "area_code": COMMUNITY},
            headers=admin,
        )
        assert fund.status_code == 201, fund.text
        gift = await api.post(
            "/donations",
            headers=admin,
            json={
                "fund_id": fund.json()["id"],
                "amount_fen": 1234567,
                "donor": {
                    "kind": "enterprise",
                    "name": "石家庄建安爱心企业",
                    "uscc": "91350100M000100Y43",
                    "disclose_name": True,
                },
            },
        )
        assert gift.status_code == 201, gift.text
    receipt = gift.json()["receipt_code"]

    c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
    await c.open(f"public?area={COMMUNITY}")
    await c.page.wait_for_selector("#public-ledger table")
    assert await c.page.evaluate("sessionStorage.getItem('wushe.token')") is None
    ledger = await c.text("#public-ledger")
    assert "石家庄建安爱心企业" in ledger and "12,345.67" in ledger
    await c.page.wait_for_selector("#showcase h2")
    await c.page.fill("#receipt-form [name='receipt']", receipt)
    await c.page.click("#receipt-form button[type=submit]")
    await c.page.wait_for_selector(f"text={receipt}")
    assert await c.page.query_selector("#sign-out") is None
    await c.shot("07-public")
    c.check()


async def test_english_switch_is_kept(console, browser):
    c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
    await c.sign_in()
    await c.page.wait_for_selector("h1:has-text('工作台')")
    await c.page.click("#lang-switch")
    await c.page.wait_for_selector("h1:has-text('Workbench')")
    assert await c.text("a[data-nav='needs']") == "Needs"
    assert await c.page.get_attribute("html", "lang") == "en"
    await c.page.reload()
    await c.page.wait_for_selector("h1:has-text('Workbench')")
    await c.open("dashboard")
    await c.page.wait_for_selector("[data-chart='needs-by-category'] h2:has-text('Needs by category')")
    await c.shot("08-dashboard-english")
    await c.page.click("#lang-switch")
    await c.page.wait_for_selector("h1:has-text('数据看板')")
    c.check()


async def test_a_phone_sized_screen(console, browser):
    c = await new_tab(
        browser, console, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    await c.sign_in()
    for hash_, ready, name in (
        ("", "[data-kpi='open-raised']", "09-phone-workbench"),
        (f"needs?area={COMMUNITY}", "#need-total", "10-phone-needs"),
        ("dashboard", "[data-chart='needs-by-category'] svg", "11-phone-dashboard"),
    ):
        await c.open(hash_)
        await c.page.wait_for_selector(ready)
        await c.settled()  # the cards that load on their own
        overflow = await c.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"#{hash_} is wider than the phone by {overflow}px"
        await c.shot(name)
    c.check()


@pytest.mark.parametrize("persona", ["jianan-sw", "jianan-street", "jianan-secretary", "changan-charity"])
async def test_every_page_opens_for_each_role(console, browser, persona):
    """Each page loads for each role without a script error or an unexpected problem: what a role may
    not read is left out, not shown as an error."""
    c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
    await c.sign_in(persona)
    for hash_ in PAGES:
        await c.open(hash_)
        await c.page.wait_for_selector("#view h1")
        await c.settled()
        problems = [await p.inner_text() for p in await c.page.query_selector_all("#view .problem")]
        assert problems == [], f"#/{hash_} as {persona}: {problems}"
        if persona == "jianan-sw" and hash_ not in ("", "dashboard", "public"):
            await c.shot(f"page-{hash_}")
    c.check()


async def test_the_office_sees_a_failing_endpoint_with_its_reason_and_replays_it(console, browser, db, token, settings):
    """数据交换: a partner's subscription whose receiver answers 500 shows as failing, with the reason,
    beside a portal's callback; its deliveries list the attempts; replay queues them again."""
    async with Receiver() as receiver:
        receiver.endpoints["down"] = Endpoint(status=500)
        exchange = await db("exchange")
        await exchange.execute(
            """INSERT INTO partners (name, label, area_code, events) VALUES ('changan-data', '长安区数据开放平台',
               '130102', '{needs.*}') ON CONFLICT (name) DO UPDATE SET revoked_at = NULL"""
        )
        partner = {"Authorization": f"Bearer {token('partner', '130102', 'changan-data')}"}
        async with httpx.AsyncClient(base_url=console + "/api/v1", timeout=15) as api:
            reply = await api.post("/webhooks", headers=partner, json={"url": receiver.url("down")})
            assert reply.status_code == 201, reply.text
            assert await portals.add(settings, "changan-12345", "130102", "长安区12345热线", receiver.url("cb")) == 0
            worker = {"Authorization": f"Bearer {token('social_worker', COMMUNITY, 'e2e-sw-zhou')}"}
            need = {
                "area_code": COMMUNITY,
                "category": "meal_aid",
                "description": "需要送餐",
                "resident": {"name": "吴奶奶", "phone": "13700137015", "citizen_id": _citizen_id(15)},
            }
            assert (await api.post("/needs", headers=worker, json=need)).status_code == 201

        async def failed_once():
            return any(r.path == "down" and r.answered == 500 for r in receiver.received)

        await eventually(failed_once, "a failed delivery to the partner")
        c = await new_tab(browser, console, viewport={"width": 1280, "height": 900})
        await c.sign_in("changan-mz")
        await c.open("exchange")
        await c.page.wait_for_selector("[data-partner='changan-data']")
        await c.settled()
        partner_box = await c.text("[data-partner='changan-data']")
        assert "长安区数据开放平台" in partner_box and "投递失败中" in partner_box and "HTTP 500" in partner_box
        assert "需求登记" in partner_box  # public events by name, not by code
        assert "长安区12345热线" in await c.text("[data-card='exchange-portals']")
        await c.page.click("[data-partner='changan-data'] button[data-action='deliveries']")
        await c.page.wait_for_selector("[data-partner='changan-data'] h3:has-text('最近的投递')")
        assert "重试中" in await c.text("[data-partner='changan-data']")
        c.page.once("dialog", lambda dialog: dialog.accept())
        await c.page.click("[data-partner='changan-data'] button[data-action='replay']")
        await c.page.wait_for_selector(".toast:has-text('已重新排队')")
        body = await c.text("#view")
        assert "cn.wushe" not in body and "needs.need_raised" not in body
        await c.shot("07-exchange")
        c.check()


async def test_a_refused_token_sends_the_user_back_to_sign_in(console, browser):
    c = await new_tab(browser, console, viewport={"width": 1024, "height": 768})
    await c.sign_in()
    await c.page.evaluate("sessionStorage.setItem('wushe.token', 'not-a-token')")
    await c.open("needs")
    await c.page.wait_for_selector("button[data-persona='jianan-sw']")
    assert c.page.url.endswith("#/sign-in")
    assert await c.page.evaluate("sessionStorage.getItem('wushe.token')") is None
