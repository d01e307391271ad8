"""Public ledger and disclosure (慈善信息公开, no login): five donations (anonymous, a person who
consented to be named, one who did not, an enterprise that did not, one that did), earmarked to a
project and to a need; the project is funded through a FundingRequested event and paid a milestone,
the need is paid directly. The public views follow each donation to where it went and show donors
only as they consented. Everything lives in 新华区 (130105), an area no other module's charity data
uses, so the ledger's totals are this module's own."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import httpx
import nats
import pytest
from support.waiting import eventually, run_in_thread

from contracts.envelope import new_id, wrap
from contracts.events.projects import FundingRequested
from contracts.subjects import event_subject
from services.charity.disclosure.domain import (
    LOCAL,
    NEED_PAYMENT,
    donor_shown,
    months_later,
    normalize_receipt,
    redact,
    reporting,
)

COMMUNITY = "130105001001"
COUNTY = "130105"
PHONE, CITIZEN_ID = "13912345678", "130105195001011234"
MILESTONE = f"第一期：助老服务启动，联系人电话{PHONE}"
NEED_MILESTONE = f"李奶奶医药费 身份证{CITIZEN_ID}"  # staff free text naming a resident: never published
HIDDEN = (
    "王隐名",
    "河北某某科技有限公司",
    "91350100M000100Y43",
    "91130105MA0000001A",
    PHONE,
    CITIZEN_ID,
    "李奶奶",
    "ca-maker",
    "ca-checker",
)
DONORS = {
    "anonymous": ({"kind": "anonymous"}, 100_000),
    "named": ({"kind": "person", "name": "李乐善", "disclose_name": True}, 50_000),
    "unnamed": ({"kind": "person", "name": "王隐名"}, 30_000),
    "enterprise": ({"kind": "enterprise", "name": "河北某某科技有限公司", "uscc": "91350100M000100Y43"}, 200_000),
    "named_enterprise": (
        {"kind": "enterprise", "name": "新华爱心商贸有限公司", "uscc": "91130105MA0000001A", "disclose_name": True},
        150_000,
    ),
}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def today() -> date:
    return datetime.now(LOCAL).date()


async def _created(reply: httpx.Response) -> dict:
    assert reply.status_code == 201, reply.text
    return reply.json()


async def _commit(client, js, reader, fund_id, project_id, amount, purpose="other") -> str:
    """Publish a project's FundingRequested and wait for the charity service's commitment."""
    request_id = new_id()
    event = FundingRequested(
        request_id=request_id,
        project_id=project_id,
        fund_id=fund_id,
        area_code=COMMUNITY,
        amount_fen=amount,
        purpose=purpose,
        requested_at=datetime.now(UTC),
    )
    envelope = wrap(event, subject=str(project_id), area_code=COMMUNITY)
    await js.publish(
        event_subject(FundingRequested, COMMUNITY),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": str(envelope.id)},
    )

    async def decided():
        reply = await client.get(f"/commitments/by-request/{request_id}", headers=reader)
        return reply.json() if reply.status_code == 200 else None

    commitment = await eventually(decided, f"the commitment of request {request_id}")
    assert commitment["status"] == "committed", commitment
    return commitment["id"]


async def _pay(client, maker, checker, path: str, milestone: str, amount: int) -> None:
    asked = await _created(await client.post(path, headers=maker, json={"milestone": milestone, "amount_fen": amount}))
    approved = await client.post(f"/disbursements/{asked['id']}/approval", headers=checker)
    assert approved.status_code == 200, approved.text


async def _scenario(base: str, nats_url: str, token) -> dict:
    maker = bearer(token("charity_admin", COUNTY, "ca-maker"))
    checker = bearer(token("charity_admin", COUNTY, "ca-checker"))
    civil = bearer(token("civil_affairs", COUNTY, "civil-disclosure"))
    project, need, assisted = uuid4(), uuid4(), uuid4()
    nc = await nats.connect(nats_url)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            fund = (
                await _created(
                    await client.post(
                        "/funds",
                        headers=maker,
                        json={"name": "新华区社区慈善基金", "kind": "community_foundation", "area_code": COUNTY},
                    )
                )
            )["id"]
            receipts, earmarks = {}, {}
            for key, (donor, amount) in DONORS.items():
                body = {"fund_id": fund, "donor": donor, "amount_fen": amount}
                if key == "anonymous":
                    body["earmark"] = {
                        "target_kind": "project",
                        "target_id": str(project),
                        "amount_fen": 60_000,
                        "area_code": COMMUNITY,
                    }
                if key == "named":
                    body["earmark"] = {
                        "target_kind": "need",
                        "target_id": str(need),
                        "amount_fen": 20_000,
                        "area_code": COMMUNITY,
                    }
                created = await _created(await client.post("/donations", headers=maker, json=body))
                receipts[key], earmarks[key] = created["receipt_code"], created["earmark_id"]
                if key == "unnamed":  # given back: a refund line on the ledger
                    refunded = await client.post(f"/donations/{created['id']}/refund", headers=maker)
                    assert refunded.status_code == 200, refunded.text
            commitment = await _commit(client, nc.jetstream(), civil, fund, project, 80_000)
            await _pay(client, maker, checker, f"/commitments/{commitment}/disbursements", MILESTONE, 30_000)
            await _pay(client, maker, checker, f"/earmarks/{earmarks['named']}/disbursements", NEED_MILESTONE, 15_000)

            # a social-assistance fund: service purchases capped at 2 % of the year's budget
            assistance = (
                await _created(
                    await client.post(
                        "/funds",
                        headers=maker,
                        json={"name": "新华区社会救助专项经费", "kind": "social_assistance", "area_code": COUNTY},
                    )
                )
            )["id"]
            budget = await client.put(
                f"/funds/{assistance}/budgets", headers=civil, json={"year": today().year, "amount_fen": 1_000_000}
            )
            assert budget.status_code == 200, budget.text
            await _created(
                await client.post(
                    "/donations",
                    headers=maker,
                    json={"fund_id": assistance, "donor": {"kind": "anonymous"}, "amount_fen": 50_000},
                )
            )
            await _commit(client, nc.jetstream(), civil, assistance, assisted, 10_000, purpose="service_purchase")
    finally:
        await nc.close()
    return {
        "fund": fund,
        "assistance": assistance,
        "project": str(project),
        "need": str(need),
        "commitment": commitment,
        "receipts": receipts,
        "earmarks": earmarks,
    }


@pytest.fixture(scope="module")
def scene(stack, settings, token) -> dict:
    stack.start("charity", "gateway")
    return run_in_thread(_scenario(stack.url("charity"), settings.nats_url, token))


@pytest.fixture
async def public(stack):
    async with httpx.AsyncClient(base_url=stack.url("charity"), timeout=10) as c:  # no token, ever
        yield c


def assert_private(text: str) -> None:
    for secret in HIDDEN:
        assert secret not in text, secret


# --- a donation, followed ----------------------------------------------------------------------


async def test_follow_an_anonymous_donation_to_the_project_milestone(public, scene):
    code = scene["receipts"]["anonymous"]
    reply = await public.get(f"/public/donations/{code[:6].lower()}-{code[6:].lower()}")  # typed from paper
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["donor"] == {"kind": "anonymous", "shown_as": "匿名 / Anonymous", "named": False}
    assert body["amount_fen"] == 100_000 and body["fund"]["id"] == scene["fund"]
    assert body["fund"]["kind_label"] == "社区基金会 / Community foundation"
    assert body["earmarked_fen"] == 60_000 and body["unearmarked_fen"] == 40_000 and body["refunded_fen"] == 0
    assert body["received_on"] == today().isoformat()
    [earmark] = body["earmarks"]
    assert (earmark["target_kind"], earmark["target_id"], earmark["amount_fen"], earmark["unspent_fen"]) == (
        "project",
        scene["project"],
        60_000,
        0,
    )
    [share] = earmark["commitments"]
    assert share["commitment_id"] == scene["commitment"] and share["project_id"] == scene["project"]
    assert share["from_earmark_fen"] == 60_000 and share["commitment_fen"] == 80_000
    assert share["payments"] == [
        {"milestone": "第一期：助老服务启动，联系人电话***", "amount_fen": 30_000, "paid_on": today().isoformat()}
    ]
    assert earmark["payments"] == []
    assert_private(reply.text)


async def test_follow_a_named_donation_to_the_need(public, scene):
    body = (await public.get(f"/public/donations/{scene['receipts']['named']}")).json()
    assert body["donor"] == {"kind": "person", "shown_as": "李乐善", "named": True}
    [earmark] = body["earmarks"]
    assert (earmark["target_kind"], earmark["target_id"], earmark["unspent_fen"]) == ("need", scene["need"], 5_000)
    assert earmark["commitments"] == []
    assert earmark["payments"] == [{"milestone": NEED_PAYMENT, "amount_fen": 15_000, "paid_on": today().isoformat()}]
    assert body["unearmarked_fen"] == 30_000


@pytest.mark.parametrize(
    "key, shown, named",
    [
        ("unnamed", "爱心人士 / A kind donor", False),
        ("enterprise", "爱心企业 / A caring enterprise", False),
        ("named_enterprise", "新华爱心商贸有限公司", True),
    ],
)
async def test_donors_appear_only_as_they_consented(public, scene, key, shown, named):
    reply = await public.get(f"/public/donations/{scene['receipts'][key]}")
    body = reply.json()
    assert body["donor"]["shown_as"] == shown and body["donor"]["named"] is named
    assert body["earmarks"] == [] and body["unearmarked_fen"] == body["amount_fen"]
    assert body["refunded_fen"] == (30_000 if key == "unnamed" else 0)
    assert_private(reply.text)  # an enterprise's USCC is never shown, consent or not


async def test_unknown_receipts_are_not_found(public, scene):
    assert (await public.get("/public/donations/23456789ABCD")).status_code == 404
    assert (await public.get("/public/donations/not-a-code")).status_code == 404


# --- a project's disclosure report ---------------------------------------------------------------


async def test_project_disclosure_report(public, scene):
    reply = await public.get(f"/public/projects/{scene['project']}/disclosure")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["area_code"] == COMMUNITY and body["committed_fen"] == 80_000
    assert body["by_fund"] == [
        {
            "fund_id": scene["fund"],
            "fund_name": "新华区社区慈善基金",
            "committed_fen": 80_000,
            "from_earmarks_fen": 60_000,
            "from_fund_fen": 20_000,
        }
    ]
    assert (body["earmarked_fen"], body["earmarked_unspent_fen"], body["from_earmarks_fen"]) == (60_000, 0, 60_000)
    assert body["disbursed_fen"] == 30_000 and body["balance_fen"] == 50_000
    assert [p["milestone"] for p in body["payments"]] == ["第一期：助老服务启动，联系人电话***"]
    reporting_ = body["reporting"]
    assert reporting_["required"] is False and reporting_["since"] == today().isoformat() and reporting_["missing"] == 0
    [quarter] = reporting_["quarters"]
    assert quarter["status"] == "disclosed" and quarter["disclosures"] == 1
    assert quarter["quarter"] == f"{today().year}Q{(today().month - 1) // 3 + 1}"
    assert_private(reply.text)
    assert (await public.get(f"/public/projects/{uuid4()}/disclosure")).status_code == 404


# --- the public ledger ----------------------------------------------------------------------------


async def _all_lines(public, **params) -> tuple[int, list[dict]]:
    items, page = [], 1
    while True:
        body = (await public.get("/public/ledger", params={**params, "page": page, "page_size": 5})).json()
        items += body["items"]
        if page * 5 >= body["total"]:
            return body["total"], items
        page += 1


async def test_ledger_of_the_county(public, scene):
    total, lines = await _all_lines(public, area=COUNTY)
    assert total == len(lines) == 13  # 6 donations, 1 refund, 2 earmarks, 2 commitments, 2 disbursements
    assert [line["seq"] for line in lines] == sorted(line["seq"] for line in lines)
    kinds = [line["kind"] for line in lines]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "donation": 6,
        "refund": 1,
        "earmark": 2,
        "commitment": 2,
        "disbursement": 2,
    }
    donors = [line["donor"] for line in lines if line["kind"] == "donation"]
    assert donors == [
        "匿名 / Anonymous",
        "李乐善",
        "爱心人士 / A kind donor",
        "爱心企业 / A caring enterprise",
        "新华爱心商贸有限公司",
        "匿名 / Anonymous",
    ]
    first = lines[0]
    assert first["amounts"] == {"world": -100_000, "fund": 100_000}
    assert (first["target_kind"], first["target_id"], first["on"]) == ("fund", scene["fund"], today().isoformat())
    assert lines[1]["memo"] == "定向至项目 / earmarked for a project" and lines[1]["donor"] == "匿名 / Anonymous"
    [refund] = [line for line in lines if line["kind"] == "refund"]
    assert refund["donor"] == "爱心人士 / A kind donor" and refund["amounts"] == {"fund": -30_000, "world": 30_000}
    paid = [(line["memo"], line["target_kind"], line["amounts"]) for line in lines if line["kind"] == "disbursement"]
    assert paid == [
        ("第一期：助老服务启动，联系人电话***", "project", {"committed": -30_000, "world": 30_000}),
        (NEED_PAYMENT, "need", {"restricted": -15_000, "world": 15_000}),
    ]
    assert_private(str(lines))


async def test_ledger_filters(public, scene):
    total, lines = await _all_lines(public, area=COMMUNITY)  # the community's restricted and committed accounts
    assert total == 6 and {line["kind"] for line in lines} == {"earmark", "commitment", "disbursement"}
    tomorrow = (today() + timedelta(days=1)).isoformat()
    assert (await public.get("/public/ledger", params={"area": COUNTY, "from": tomorrow})).json()["total"] == 0
    until_today = await public.get("/public/ledger", params={"area": COUNTY, "to": today().isoformat()})
    assert until_today.json()["total"] == 13
    bad_area = await public.get("/public/ledger", params={"area": "999999"})
    assert bad_area.status_code == 422 and bad_area.json()["errors"][0]["field"] == "area"
    backwards = await public.get("/public/ledger", params={"from": tomorrow, "to": today().isoformat()})
    assert backwards.status_code == 422


async def test_ledger_csv(public, scene):
    reply = await public.get("/public/ledger.csv", params={"area": COUNTY})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    assert reply.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8 Chinese
    rows = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["序号", "日期", "类型", "摘要", "捐赠人"] and len(rows) == 1 + 13
    first = dict(zip(rows[0], rows[1], strict=False))
    assert first["类型"] == "捐赠收入" and first["捐赠人"] == "匿名 / Anonymous"
    assert first["外部（元）"] == "-1000.00" and first["基金（元）"] == "1000.00"
    assert any(row[4] == "李乐善" for row in rows)
    assert_private(reply.text)
    assert (await public.get("/public/ledger.csv", params={"area": "999999"})).status_code == 422


# --- a fund's totals ----------------------------------------------------------------------------


async def test_fund_totals(public, scene):
    reply = await public.get(f"/public/funds/{scene['fund']}")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    received = sum(amount for _, amount in DONORS.values())
    assert (body["received_fen"], body["refunded_fen"], body["earmarked_fen"]) == (received, 30_000, 80_000)
    assert (body["committed_fen"], body["disbursed_fen"], body["restricted_unspent_fen"]) == (80_000, 45_000, 5_000)
    # refunded, earmarked, then 20 000 of free money committed
    assert body["balance_fen"] == received - 30_000 - 80_000 - 20_000
    assert body["two_percent"] is None
    assert (await public.get(f"/public/funds/{uuid4()}")).status_code == 404


async def test_social_assistance_fund_shows_the_two_percent_cap(public, scene):
    body = (await public.get(f"/public/funds/{scene['assistance']}")).json()
    assert body["fund"]["kind"] == "social_assistance"
    assert body["two_percent"] == {
        "year": today().year,
        "budget_fen": 1_000_000,
        "cap_fen": 20_000,
        "service_purchases_fen": 10_000,
        "cap_left_fen": 10_000,
        "cap_used_percent": 50.0,
    }
    last_year = (await public.get(f"/public/funds/{scene['assistance']}", params={"year": today().year - 1})).json()
    assert last_year["two_percent"]["budget_fen"] is None and last_year["two_percent"]["service_purchases_fen"] == 0


async def test_the_private_routes_still_need_a_token(public, scene):
    assert (await public.get(f"/funds/{scene['fund']}")).status_code == 401


# --- pure rules -------------------------------------------------------------------------------


def test_reporting_every_quarter_after_six_months():
    report = reporting(date(2024, 11, 15), [date(2024, 12, 1), date(2025, 4, 2), date(2025, 5, 9)], date(2025, 7, 10))
    assert report.required and report.since == date(2024, 11, 15)
    assert [(q.quarter, q.disclosures, q.status) for q in report.quarters] == [
        ("2024Q4", 1, "disclosed"),
        ("2025Q1", 0, "missing"),
        ("2025Q2", 2, "disclosed"),
        ("2025Q3", 0, "open"),
    ]
    assert report.quarters[1].start == date(2025, 1, 1) and report.quarters[1].end == date(2025, 3, 31)
    assert report.missing == 1
    assert not reporting(date(2025, 1, 10), [], date(2025, 7, 10)).required  # exactly six months: not more
    assert reporting(date(2025, 1, 10), [], date(2025, 7, 11)).required
    assert reporting(None, [], date(2025, 7, 10)).quarters == []


def test_months_later_keeps_to_the_month_end():
    assert months_later(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert months_later(date(2024, 11, 1), 3) == date(2025, 2, 1)


def test_receipt_codes_and_donors_and_redaction():
    assert normalize_receipt("abcd-efgh 2345") == "ABCDEFGH2345"
    assert normalize_receipt("ABCDEFGH234O") is None and normalize_receipt("short") is None
    assert donor_shown("person", False, "王隐名").shown_as == "爱心人士 / A kind donor"
    assert donor_shown("person", True, "李乐善").shown_as == "李乐善"
    assert donor_shown("enterprise", True, None).shown_as == "爱心企业 / A caring enterprise"
    assert redact(f"电话 {PHONE}，座机 0311-87654321，身份证 13010519500101123X，2025年3月") == (
        "电话 ***，座机 ***，身份证 ***，2025年3月"
    )
