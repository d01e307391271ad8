"""Role × jurisdiction of every route of the charity service — funds, donations, earmarks, funding
commitments, maker–checker disbursements, the ledger check — and of its love supermarket (goods,
stock, points, redemptions, the monthly publication), as one table, through the gateway.

The objects live in 长安区 (130102), the supermarket in community 130102001011 (no other module
uses it): a community foundation opened by 长安区's civil affairs bureau; an anonymous donation to
it (with part of it earmarked to a project) and an enterprise donation earmarked to a need raised by
a social worker; the commitment the service decided on the project's FundingRequested; a
disbursement asked for by a charity administrator (the maker); goods on the shelf; a volunteer
("me") who exchanged time-bank credits for points and a resident granted points for an activity.
桥西区 (130104) has a fund, a rejected commitment and goods in 130104002001 of its own.

For every route the table checks each allowed role of 长安区 (success, on fresh objects where the
route changes state), roles that are not allowed (403), a caller of 桥西区 (404 for 长安区 objects —
the same answer as an unknown id — and 403 naming `area_code` for writes naming a 长安区 area), the
city's civil affairs bureau 130100 (reads where civil affairs reads; it opens funds, sets budgets
and approves disbursements in its counties, nothing else) and a request without a token (401).

Rules of the routes, as the service states them:
- funds are opened by charity administrators and civil affairs; budgets are civil affairs' own;
  charity administrators, civil affairs, auditors and social workers read funds and commitments, and
  what was earmarked for a need (only the earmarks within their area); the party secretary also reads
  an area's money in and out by month (403 naming `area_code` outside their area);
- donations, earmarks, refunds and disbursement requests are charity administrators' work; a
  disbursement is approved, or rejected with a reason, by a charity administrator or civil affairs,
  never by its maker (403, `rule` = "maker_checker", whatever role the maker signs in with);
- the ledger check is for auditors, civil affairs and charity administrators, of any area;
- the supermarket's goods come in through social workers and charity administrators of the
  community, points are granted by its social workers, and only to a registered volunteer or resident
  (422 naming `holder_ref` otherwise); a community's stock and its monthly publication are public
  disclosure, served without a token on the public routes, and signed in they are read by those who
  work there within their area (community workers, charity administrators, civil affairs, auditors;
  a resident or volunteer: their own community); a points account is read by the holder themself (token sub = their ref) and
  by workers whose area covers the account; a resident or volunteer redeems only for themself (403
  naming `holder_ref`), a worker only at a community of their area (403 naming `area_code`).
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from support.authz import Case, Table, bearer, call, fill, uncovered_routes
from support.problems import anonymous
from support.waiting import eventually, run_in_thread

from contracts.envelope import new_id, wrap
from contracts.events.projects import FundingRequested
from contracts.subjects import event_subject
from contracts.values import citizen_id_check_char

CHANGAN, QIAOXI, CITY = "130102", "130104", "130100"
COMMUNITY = "130102001011"  # 建北街道 011 社区, 长安区: this module's own
QIAOXI_COMMUNITY = "130104002001"  # 中山街道 001 社区, 桥西区
USCC = "91350100M000100Y43"
MONTH = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")  # the publication of this month
MAKER_SUB = "cz-authz-maker"  # the charity administrator who asks for every disbursement here
ITEM, GOODS_ITEM = "大米（5kg）", "食用油（5L）"  # the shelf the redemptions use; the one receipts add to
PRICE = 5  # points per bag of rice

_serial = itertools.count()


def citizen_id() -> str:
    """A new valid citizen ID of 长安区, born in 1935 (this module's own range)."""
    n = next(_serial)
    first17 = f"{CHANGAN}{date(1935, 1, 1) + timedelta(days=n // 1000):%Y%m%d}{n % 1000:03d}"
    return first17 + citizen_id_check_char(first17)


FUND = {"name": "长安区建北社区基金", "kind": "general", "area_code": CHANGAN}
BUDGET = {"year": 2026, "amount_fen": 5_000_000}
ANONYMOUS = {"kind": "anonymous"}
ENTERPRISE = {"kind": "enterprise", "name": "石家庄爱心企业", "uscc": USCC, "disclose_name": True}
DONATION = {"fund_id": "{fund}", "amount_fen": 10_000, "donor": ANONYMOUS}
ENTERPRISE_DONATION = {
    "fund_id": "{fund}",
    "amount_fen": 20_000,
    "donor": ENTERPRISE,
    "earmark": {"target_kind": "need", "target_id": "{need}", "amount_fen": 5_000},
}
EARMARK = {"target_kind": "need", "target_id": "{need}", "amount_fen": 1_000}
PAYMENT = {"milestone": "购买护理用品", "amount_fen": 1_000}
REJECTION = {"reason": "缺少购买凭证 / no receipt for the purchase"}
GOODS = {
    "area_code": COMMUNITY,
    "item": GOODS_ITEM,
    "unit": "桶",
    "quantity": 2,
    "estimated_value_fen": 12_000,
    "price_points": 30,
    "donor": {"kind": "enterprise", "uscc": USCC, "name": "石家庄爱心企业"},
}
GRANT = {
    "area_code": COMMUNITY,
    "holder_kind": "resident",
    "holder_ref": "{resident_ref}",
    "points": 10,
    "reason": "社区清洁活动 / community clean-up",
}
FOR_RESIDENT = {"holder_kind": "resident", "holder_ref": "{resident_ref}", "item_id": "{item}", "quantity": 1}
FOR_ME = {"holder_kind": "volunteer", "holder_ref": "{me_ref}", "item_id": "{item}", "quantity": 1}
QIAOXI_REDEMPTION = {**FOR_RESIDENT, "item_id": "{qiaoxi_item}"}  # the resident's points at 桥西区's shelf
STOCK = f"/supermarket/stock?area={COMMUNITY}"
PUBLICATION = f"/supermarket/publications?area={COMMUNITY}&month={MONTH}"
PUBLIC_STOCK = f"/public{STOCK}"
PUBLIC_PUBLICATION = f"/public{PUBLICATION}"


# --- the table ------------------------------------------------------------------------------------

# Paths name the world's objects (see build_world); fresh ones (see make) replace them on success.
# Callers "role@area#tag" sign in with the sub SUBS or FIXED_SUBS give the tag.
table = Table(home=CHANGAN, other=QIAOXI, city=CITY)

READERS = ["charity_admin", "civil_affairs", "auditor", "social_worker"]
NOT_READERS = ["grid_worker", "party_secretary", "volunteer", "resident"]
NOT_ADMINS = ["civil_affairs", "auditor", "social_worker"]
SELF = f"volunteer@{COMMUNITY}#self"  # "me", with their own token (sub = their volunteer_ref)
RESIDENT = f"resident@{COMMUNITY}#resident"  # the resident holding points (sub = their ref)
STRANGER = f"volunteer@{COMMUNITY}#stranger"
RESIDENT_STRANGER = f"resident@{COMMUNITY}#stranger"
QIAOXI_VOLUNTEER = f"volunteer@{QIAOXI_COMMUNITY}#qiaoxi"
MAKER = f"charity_admin@{CHANGAN}#maker"
SUPERMARKET_WORKERS = ["social_worker", "charity_admin"]
# who reads a community's stock and 公示 signed in (everyone else reads the public routes)
SUPERMARKET_READERS = [
    "social_worker",
    "grid_worker",
    "charity_admin",
    "civil_affairs",
    "auditor",
    "party_secretary",
    SELF,
    RESIDENT,
]
NOT_SUPERMARKET_READERS = ["org_admin", "partner"]

TABLE: list[Case] = [
    # funds: opened by charity administrators and civil affairs within their area …
    *table.route(
        "POST",
        "/funds",
        201,
        body=FUND,
        allowed=["civil_affairs", "charity_admin"],
        denied=["auditor", "social_worker", "grid_worker"],
        other=403,
        city=201,
    ),
    Case("POST", "/funds", f"civil_affairs@{QIAOXI}", 201, {**FUND, "area_code": QIAOXI}),
    Case("POST", "/funds", f"civil_affairs@{CHANGAN}", 403, {**FUND, "area_code": CITY}, field="area_code"),
    # … budgeted by civil affairs …
    *table.route(
        "PUT",
        "/funds/{fund}/budgets",
        200,
        body=BUDGET,
        allowed=["civil_affairs"],
        denied=["charity_admin", "auditor", "social_worker"],
        other=404,
        city=200,
    ),
    # … and read by every charity reader
    *table.route("GET", "/funds/{fund}", 200, allowed=READERS, denied=NOT_READERS, other=404, city=200, shows="fund"),
    Case("GET", "/funds/{qiaoxi_fund}", f"charity_admin@{CHANGAN}", 404),
    Case("GET", "/funds/{qiaoxi_fund}", f"charity_admin@{QIAOXI}", 200, shows="qiaoxi_fund"),
    # donations: received by charity administrators into a fund they can see
    *table.route(
        "POST", "/donations", 201, body=DONATION, allowed=["charity_admin"], denied=NOT_ADMINS, other=404, city=403
    ),
    Case("POST", "/donations", f"charity_admin@{CHANGAN}", 201, ENTERPRISE_DONATION, note="enterprise, earmarked"),
    Case("POST", "/donations", f"charity_admin@{QIAOXI}", 404, ENTERPRISE_DONATION, note="enterprise, earmarked"),
    Case("POST", "/donations", f"charity_admin@{QIAOXI}", 201, {**DONATION, "fund_id": "{qiaoxi_fund}"}),
    Case("POST", "/donations", f"charity_admin@{CHANGAN}", 404, {**DONATION, "fund_id": "{qiaoxi_fund}"}),
    Case(
        "POST",
        "/donations",
        f"charity_admin@{CHANGAN}",
        403,
        {**ENTERPRISE_DONATION, "earmark": {**ENTERPRISE_DONATION["earmark"], "area_code": QIAOXI_COMMUNITY}},
        field="area_code",
        note="earmarked to 桥西区",
    ),
    # earmarks on a donation …
    *table.route(
        "POST",
        "/donations/{donation}/earmarks",
        201,
        body=EARMARK,
        allowed=["charity_admin"],
        denied=NOT_ADMINS,
        other=404,
        city=403,
    ),
    Case(
        "POST",
        "/donations/{donation}/earmarks",
        f"charity_admin@{CHANGAN}",
        403,
        {**EARMARK, "area_code": QIAOXI_COMMUNITY},
        field="area_code",
        note="to 桥西区",
    ),
    # … and the refund of what was not earmarked
    *table.route(
        "POST",
        "/donations/{refundable}/refund",
        200,
        fresh="refundable",
        allowed=["charity_admin"],
        denied=NOT_ADMINS,
        other=404,
        city=403,
    ),
    # the service's decisions on funding requests
    *table.route(
        "GET",
        "/commitments/{commitment}",
        200,
        allowed=READERS,
        denied=NOT_READERS,
        other=404,
        city=200,
        shows="commitment",
    ),
    *table.route(
        "GET",
        "/commitments/by-request/{request}",
        200,
        allowed=READERS,
        denied=NOT_READERS,
        other=404,
        city=200,
        shows="commitment",
    ),
    Case("GET", "/commitments/{qiaoxi_commitment}", f"social_worker@{CHANGAN}", 404),
    Case("GET", "/commitments/{qiaoxi_commitment}", f"social_worker@{QIAOXI}", 200, shows="qiaoxi_commitment"),
    Case("GET", "/commitments/by-request/{qiaoxi_request}", f"auditor@{CHANGAN}", 404),
    Case("GET", "/commitments/by-request/{qiaoxi_request}", f"auditor@{QIAOXI}", 200, shows="qiaoxi_commitment"),
    # disbursement requests waiting for a checker (milestones of projects arrive here by event) …
    *table.route(
        "GET",
        f"/disbursements?area={CHANGAN}&status=requested",
        200,
        allowed=READERS,
        denied=NOT_READERS,
        other=403,
        city=200,
        shows="disbursement",
    ),
    # disbursements: asked for by a charity administrator …
    *table.route(
        "POST",
        "/commitments/{commitment}/disbursements",
        201,
        body=PAYMENT,
        allowed=["charity_admin"],
        denied=NOT_ADMINS,
        other=404,
        city=403,
    ),
    Case("POST", "/commitments/{qiaoxi_commitment}/disbursements", f"charity_admin@{CHANGAN}", 404, PAYMENT),
    Case(
        "POST",
        "/commitments/{qiaoxi_commitment}/disbursements",
        f"charity_admin@{QIAOXI}",
        409,
        PAYMENT,
        note="rejected",
    ),
    *table.route(
        "POST",
        "/earmarks/{need_earmark}/disbursements",
        201,
        body=PAYMENT,
        allowed=["charity_admin"],
        denied=NOT_ADMINS,
        other=404,
        city=403,
    ),
    Case(
        "POST",
        "/earmarks/{project_earmark}/disbursements",
        f"charity_admin@{CHANGAN}",
        422,
        PAYMENT,
        field="earmark_id",
    ),  # a project's money is paid through its commitment
    # … and approved by another person: a charity administrator or civil affairs
    *table.route(
        "POST",
        "/disbursements/{disbursement}/approval",
        200,
        fresh="disbursement",
        allowed=["charity_admin", "civil_affairs"],
        denied=["auditor", "social_worker", "grid_worker"],
        other=404,
        city=200,
    ),
    Case(
        "POST",
        "/disbursements/{project_disbursement}/approval",
        f"civil_affairs@{CHANGAN}",
        200,
        fresh="project_disbursement",
    ),
    Case("POST", "/disbursements/{project_disbursement}/approval", f"civil_affairs@{QIAOXI}", 404),
    Case("POST", "/disbursements/{disbursement}/approval", MAKER, 403, rule="maker_checker"),
    Case(
        "POST",
        "/disbursements/{disbursement}/approval",
        f"civil_affairs@{CHANGAN}#maker",
        403,
        rule="maker_checker",
        note="the maker as civil affairs",
    ),
    Case("POST", "/disbursements/{project_disbursement}/approval", MAKER, 403, rule="maker_checker"),
    # … or rejected, saying why, by the same people on the same terms (issue 15)
    *table.route(
        "POST",
        "/disbursements/{disbursement}/rejection",
        200,
        body=REJECTION,
        fresh="disbursement",
        allowed=["charity_admin", "civil_affairs"],
        denied=["auditor", "social_worker", "grid_worker"],
        other=404,
        city=200,
    ),
    Case(
        "POST",
        "/disbursements/{project_disbursement}/rejection",
        f"civil_affairs@{CHANGAN}",
        200,
        REJECTION,
        fresh="project_disbursement",
    ),
    Case("POST", "/disbursements/{project_disbursement}/rejection", f"civil_affairs@{QIAOXI}", 404, REJECTION),
    Case("POST", "/disbursements/{disbursement}/rejection", MAKER, 403, REJECTION, rule="maker_checker"),
    Case("POST", "/disbursements/{project_disbursement}/rejection", MAKER, 403, REJECTION, rule="maker_checker"),
    Case(
        "POST",
        "/disbursements/{disbursement}/rejection",
        f"charity_admin@{CHANGAN}",
        422,
        {"reason": "无"},
        field="reason",
        note="too short",
    ),
    # what was earmarked for a need and paid from it (the need's view): within the caller's area, none is
    # no error — a caller of 桥西区 gets empty lists …
    *table.route(
        "GET",
        "/earmarks/by-need/{need}",
        200,
        allowed=READERS,
        denied=NOT_READERS,
        other=200,
        city=200,
        shows="need_earmark",
    ),
    # … and an area's money in and out by month (the dashboards): the readers and the party organization
    *table.route(
        "GET",
        f"/funds/flows?area={CHANGAN}",
        200,
        allowed=[*READERS, "party_secretary"],
        denied=["grid_worker", "org_admin", "volunteer", "resident"],
        other=403,
        city=200,
    ),
    # the ledger's hash chain: checked by auditors, civil affairs and charity administrators of any area
    *table.route(
        "GET",
        "/ledger/verification",
        200,
        allowed=["auditor", "civil_affairs", "charity_admin"],
        denied=["social_worker", "grid_worker", "volunteer", "resident"],
        other=200,
        city=200,
        public=True,
    ),
    # the love supermarket: goods come in through the community's workers …
    *table.route(
        "POST",
        "/supermarket/goods",
        201,
        body=GOODS,
        allowed=SUPERMARKET_WORKERS,
        denied=["civil_affairs", "auditor", "grid_worker", "volunteer", "resident"],
        other=403,
        city=403,
    ),
    Case("POST", "/supermarket/goods", f"social_worker@{QIAOXI}", 201, {**GOODS, "area_code": QIAOXI_COMMUNITY}),
    Case(
        "POST",
        "/supermarket/goods",
        f"charity_admin@{CHANGAN}",
        403,
        {**GOODS, "area_code": QIAOXI_COMMUNITY},
        field="area_code",
    ),
    # … the stock is public without a token; signed in, it is read by those who work there, in their area
    *table.route(
        "GET",
        STOCK,
        200,
        allowed=SUPERMARKET_READERS,
        denied=NOT_SUPERMARKET_READERS,
        other=403,
        city=200,
        shows="item",
    ),
    Case("GET", f"/supermarket/stock?area={QIAOXI_COMMUNITY}", f"resident@{COMMUNITY}", 403, field="area_code"),
    Case("GET", f"/supermarket/stock?area={QIAOXI_COMMUNITY}", QIAOXI_VOLUNTEER, 200, shows="qiaoxi_item"),
    Case("GET", PUBLIC_STOCK, None, 200, shows="item"),
    Case("GET", f"/public/supermarket/stock?area={QIAOXI_COMMUNITY}", None, 200, shows="qiaoxi_item"),
    # … points are granted by the community's social workers …
    *table.route(
        "POST",
        "/supermarket/points-grants",
        201,
        body=GRANT,
        allowed=["social_worker"],
        denied=["charity_admin", "civil_affairs", "auditor", "volunteer", "resident"],
        other=403,
        city=403,
    ),
    Case(
        "POST",
        "/supermarket/points-grants",
        f"social_worker@{CHANGAN}",
        201,
        {**GRANT, "holder_kind": "volunteer", "holder_ref": "{me_ref}"},
    ),
    Case(
        "POST",
        "/supermarket/points-grants",
        f"social_worker@{CHANGAN}",
        422,
        {**GRANT, "holder_ref": "r-authz-nobody"},
        field="holder_ref",
        note="nobody registered",
    ),
    Case(
        "POST",
        "/supermarket/points-grants",
        f"social_worker@{CHANGAN}",
        422,
        {**GRANT, "holder_ref": "{me_ref}"},
        field="holder_ref",
        note="a volunteer's ref as a resident",
    ),
    Case(
        "POST", "/supermarket/points-grants", f"social_worker@{QIAOXI}", 201, {**GRANT, "area_code": QIAOXI_COMMUNITY}
    ),
    Case(
        "POST",
        "/supermarket/points-grants",
        f"social_worker@{CHANGAN}",
        403,
        {**GRANT, "area_code": QIAOXI_COMMUNITY},
        field="area_code",
    ),
    # … read by the holder and by workers over the account's community …
    *table.route(
        "GET",
        "/supermarket/points/volunteer/{me_ref}",
        200,
        allowed=[*SUPERMARKET_WORKERS, SELF],
        denied=["civil_affairs", "auditor", "grid_worker"],
        other=404,
        city=403,
        shows="me_ref",
    ),
    Case("GET", "/supermarket/points/volunteer/{me_ref}", STRANGER, 404),
    Case("GET", "/supermarket/points/volunteer/{me_ref}", QIAOXI_VOLUNTEER, 404),
    Case("GET", "/supermarket/points/volunteer/{me_ref}", f"resident@{COMMUNITY}#self", 404, note="a resident"),
    Case("GET", "/supermarket/points/resident/{resident_ref}", RESIDENT, 200, shows="resident_ref"),
    Case("GET", "/supermarket/points/resident/{resident_ref}", RESIDENT_STRANGER, 404),
    Case(
        "GET", "/supermarket/points/resident/{resident_ref}", f"volunteer@{COMMUNITY}#resident", 404, note="a volunteer"
    ),
    Case("GET", "/supermarket/points/resident/{resident_ref}", f"charity_admin@{QIAOXI}", 404),
    # … and redeemed by the holder themself, or by a worker at a supermarket of their area
    *table.route(
        "POST",
        "/supermarket/redemptions",
        201,
        body=FOR_RESIDENT,
        allowed=[*SUPERMARKET_WORKERS, RESIDENT],
        denied=["civil_affairs", "auditor", "grid_worker"],
        other=403,
        city=403,
    ),
    Case("POST", "/supermarket/redemptions", SELF, 201, FOR_ME),
    Case("POST", "/supermarket/redemptions", STRANGER, 403, FOR_ME, field="holder_ref"),
    Case("POST", "/supermarket/redemptions", QIAOXI_VOLUNTEER, 403, FOR_ME, field="holder_ref"),
    Case("POST", "/supermarket/redemptions", RESIDENT_STRANGER, 403, FOR_RESIDENT, field="holder_ref"),
    Case(
        "POST",
        "/supermarket/redemptions",
        f"resident@{COMMUNITY}#self",
        403,
        FOR_ME,
        field="holder_ref",
        note="a resident",
    ),
    Case("POST", "/supermarket/redemptions", f"social_worker@{CHANGAN}", 403, QIAOXI_REDEMPTION, field="area_code"),
    # points are recognised across communities: 桥西区's supermarket takes the 长安区 resident's points
    Case("POST", "/supermarket/redemptions", f"social_worker@{QIAOXI}", 201, QIAOXI_REDEMPTION),
    # the monthly publication is public without a token, and names nobody; signed in, like the stock
    *table.route(
        "GET", PUBLICATION, 200, allowed=SUPERMARKET_READERS, denied=NOT_SUPERMARKET_READERS, other=403, city=200
    ),
    Case("GET", PUBLIC_PUBLICATION, None, 200),
    Case("GET", f"/public/supermarket/publications?area={COMMUNITY}&month=2026-13", None, 422, field="month"),
]


# --- objects ---------------------------------------------------------------------------------------

SUBS = {"self": "me_ref", "resident": "resident_ref"}  # tags whose sub is an object's ref
FIXED_SUBS = {"maker": MAKER_SUB, "stranger": "authz-stranger", "qiaoxi": "authz-qiaoxi"}


def subs(ids: dict[str, str]) -> dict[str, str]:
    """The token sub of each tagged caller."""
    return FIXED_SUBS | {tag: ids[ref] for tag, ref in SUBS.items()}


@dataclass
class World:
    ids: dict[str, str]


async def make(client: httpx.AsyncClient, kind: str, ids: dict[str, str], token) -> dict[str, str]:
    """A new object for the placeholder `kind`: an anonymous donation not yet refunded, or a
    disbursement the maker asked for (from the need's earmark, or from the project's commitment)."""
    maker = bearer(token, MAKER, FIXED_SUBS)
    if kind == "refundable":
        donation = await call(client, "POST", "/donations", maker, {**DONATION, "fund_id": ids["fund"]}, 201)
        return {kind: donation["id"]}
    source = f"/earmarks/{ids['need_earmark']}" if kind == "disbursement" else f"/commitments/{ids['commitment']}"
    return {kind: (await call(client, "POST", f"{source}/disbursements", maker, PAYMENT, 201))["id"]}


async def build_world(base_url: str, token) -> World:
    office, maker = bearer(token, f"civil_affairs@{CHANGAN}"), bearer(token, MAKER, FIXED_SUBS)
    worker, qiaoxi_office = bearer(token, f"social_worker@{CHANGAN}"), bearer(token, f"civil_affairs@{QIAOXI}")
    qiaoxi_worker = bearer(token, f"social_worker@{QIAOXI}")
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        # the funds, and the money in them
        fund = (await call(client, "POST", "/funds", office, {**FUND, "kind": "community_foundation"}, 201))["id"]
        qiaoxi_fund = (
            await call(
                client, "POST", "/funds", qiaoxi_office, {**FUND, "name": "桥西区社区基金", "area_code": QIAOXI}, 201
            )
        )["id"]
        donation = (
            await call(
                client, "POST", "/donations", maker, {**DONATION, "fund_id": fund, "amount_fen": 10_000_000}, 201
            )
        )["id"]
        refundable = (await call(client, "POST", "/donations", maker, {**DONATION, "fund_id": fund}, 201))["id"]
        project = str(uuid.uuid4())
        project_earmark = (
            await call(
                client,
                "POST",
                f"/donations/{donation}/earmarks",
                maker,
                {"target_kind": "project", "target_id": project, "amount_fen": 100_000},
                201,
            )
        )["id"]
        # a need, and an enterprise's donation earmarked to it; the maker asks to pay part of it
        need = (
            await call(
                client,
                "POST",
                "/needs",
                worker,
                {
                    "area_code": COMMUNITY,
                    "category": "health_care",
                    "description": "术后康复需要护理用品",
                    "resident": {"name": "卫奶奶", "phone": "13700137311", "citizen_id": citizen_id()},
                },
                201,
            )
        )["id"]
        enterprise = await call(
            client,
            "POST",
            "/donations",
            maker,
            {
                "fund_id": fund,
                "amount_fen": 1_000_000,
                "donor": ENTERPRISE,
                "earmark": {"target_kind": "need", "target_id": need, "amount_fen": 500_000},
            },
            201,
        )
        need_earmark = enterprise["earmark_id"]
        disbursement = (await call(client, "POST", f"/earmarks/{need_earmark}/disbursements", maker, PAYMENT, 201))[
            "id"
        ]

        # the love supermarket: rice on the shelf here, noodles in 桥西区
        goods = {
            "item": ITEM,
            "unit": "袋",
            "quantity": 1000,
            "estimated_value_fen": 3_500,
            "price_points": PRICE,
            "donor": ANONYMOUS,
        }
        item = (await call(client, "POST", "/supermarket/goods", maker, {**goods, "area_code": COMMUNITY}, 201))[
            "item_id"
        ]
        qiaoxi_item = (
            await call(
                client,
                "POST",
                "/supermarket/goods",
                qiaoxi_worker,
                {**goods, "item": "挂面（1kg）", "area_code": QIAOXI_COMMUNITY},
                201,
            )
        )["item_id"]
        # a registered resident granted points for an activity (once the charity service has learnt of them)
        resident_ref = (
            await call(
                client,
                "POST",
                "/residents",
                worker,
                {
                    "name": "卫大爷",
                    "citizen_id": citizen_id(),
                    "phone": "13700137312",
                    "area_code": COMMUNITY,
                    "consent": {"purpose": "爱心超市积分", "given_at": datetime.now(UTC).isoformat()},
                },
                201,
            )
        )["resident_ref"]

        async def granted():
            reply = await client.post(
                "/supermarket/points-grants", headers=worker, json={**GRANT, "holder_ref": resident_ref, "points": 1000}
            )
            return reply.status_code == 201

        await eventually(granted, "points granted to the registered resident")
        # a volunteer whose verified hours became time-bank credits, exchanged for points
        cid = citizen_id()
        volunteer = await call(
            client,
            "POST",
            "/volunteers",
            worker,
            {
                "name": "卫六",
                "citizen_id": cid,
                "phone": "13900139" + cid[-4:-1],
                "area_code": COMMUNITY,
                "skills": ["折纸"],
            },
            201,
        )
        me, me_ref = volunteer["id"], volunteer["volunteer_ref"]
        self_token = bearer(token, SELF, {"self": me_ref})
        task = (await call(client, "POST", "/tasks", worker, {"area_code": COMMUNITY, "title": "折纸课"}, 201))["id"]
        await call(client, "POST", f"/tasks/{task}/invitations", worker, {"volunteer_ids": [me]}, 201)
        await call(client, "POST", f"/tasks/{task}/invitations/{me}/response", self_token, {"accept": True})
        start = datetime(2026, 11, 5, 1, 0, tzinfo=UTC)
        log = (
            await call(
                client,
                "POST",
                f"/tasks/{task}/hours",
                worker,
                {"volunteer_id": me, "check_in": start.isoformat(), "check_out": start.replace(hour=4).isoformat()},
                201,
            )
        )["log_id"]
        await call(client, "POST", f"/hours/{log}/verification", worker, {"approve": True})  # 3 credits
        await call(client, "POST", "/timebank/exchanges", self_token, {"volunteer_id": me, "units": 200}, 201)

        async def points():
            reply = await client.get(f"/supermarket/points/volunteer/{me_ref}", headers=self_token)
            return reply.status_code == 200 and reply.json()["balance"] == 20  # 2 credits at 10 points each

        await eventually(points, "points granted from the exchanged credits")
    return World(
        {
            "fund": fund,
            "qiaoxi_fund": qiaoxi_fund,
            "donation": donation,
            "refundable": refundable,
            "project": project,
            "project_earmark": project_earmark,
            "need": need,
            "need_earmark": need_earmark,
            "disbursement": disbursement,
            "item": item,
            "qiaoxi_item": qiaoxi_item,
            "resident_ref": resident_ref,
            "me": me,
            "me_ref": me_ref,
        }
    )


async def decide(client: httpx.AsyncClient, js, token, fund: str, area: str, project: str) -> tuple[str, str]:
    """Publish a project's FundingRequested as the projects service would; (request id, commitment id)
    once the charity service has decided."""
    request = FundingRequested(
        request_id=new_id(),
        project_id=project,
        fund_id=fund,
        area_code=area,
        amount_fen=200_000,
        purpose="other",
        requested_at=datetime.now(UTC),
    )
    envelope = wrap(request, subject=str(request.project_id), area_code=area)
    await js.publish(event_subject(FundingRequested, area), envelope.model_dump_json().encode())
    office = bearer(token, f"civil_affairs@{area}")

    async def decided():
        reply = await client.get(f"/commitments/by-request/{request.request_id}", headers=office)
        return reply.json() if reply.status_code == 200 else None

    commitment = await eventually(decided, "the charity service's decision on the funding request")
    return str(request.request_id), commitment["id"]


@pytest.fixture(scope="module")
def base_world(charity_api, token) -> World:
    return run_in_thread(build_world(charity_api, token))


@pytest.fixture
async def world(base_world: World, api: httpx.AsyncClient, js, token) -> World:
    """The world, with the commitments added on first use: the project's (committed, from its
    earmark and the fund) and one of 桥西区 (refused: its fund holds no money)."""
    ids = base_world.ids
    if "commitment" not in ids:
        request, commitment = await decide(api, js, token, ids["fund"], CHANGAN, ids["project"])
        qiaoxi_request, qiaoxi_commitment = await decide(api, js, token, ids["qiaoxi_fund"], QIAOXI, str(new_id()))
        project_disbursement = (await make(api, "project_disbursement", ids | {"commitment": commitment}, token))[
            "project_disbursement"
        ]
        ids |= {
            "request": request,
            "commitment": commitment,
            "qiaoxi_request": qiaoxi_request,
            "qiaoxi_commitment": qiaoxi_commitment,
            "project_disbursement": project_disbursement,
        }
    return base_world


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_the_table_covers_every_route():
    from services.charity.api import router
    from services.charity.supermarket.api import public_router
    from services.charity.supermarket.api import router as supermarket_router

    assert not uncovered_routes([router, supermarket_router, public_router], ((c.method, c.path) for c in TABLE))


@pytest.mark.parametrize("case", [c.param() for c in TABLE])
async def test_role_and_jurisdiction(case: Case, world: World, api: httpx.AsyncClient, token):
    ids = dict(world.ids)
    if case.fresh and case.expect < 300:
        ids |= await make(api, case.fresh, ids, token)
    body = fill(case.body, ids)
    headers = bearer(token, case.caller, subs(ids))
    path = fill(case.path, ids)

    reply = await api.request(case.method, path, json=body, headers=headers)

    assert reply.status_code == case.expect, reply.text
    if case.shows:
        assert ids[case.shows] in reply.text
    if case.hides:
        assert world.ids[case.hides] not in reply.text
    if case.expect == 401:
        assert reply.headers["www-authenticate"] == "Bearer"
    if case.expect == 404:  # it learns nothing: the answer for an unknown id (the one id aside)
        fresh_ids = {value: str(uuid.uuid4()) for value in set(ids.values())}
        unknown = {k: fresh_ids[v] for k, v in ids.items()}
        baseline = await api.request(
            case.method, fill(case.path, unknown), json=fill(case.body, unknown), headers=headers
        )
        assert baseline.status_code == 404, baseline.text
        names = {value: f"<id {i}>" for i, value in enumerate(fresh_ids) if UUID.fullmatch(value)}
        assert anonymous(reply, names) == anonymous(baseline, {fresh_ids[v]: n for v, n in names.items()})
        assert reply.headers["content-type"] == baseline.headers["content-type"]
    if case.field:
        field = reply.json()["errors"][0]["field"]
        assert field == case.field or field.endswith("." + case.field), reply.text
    if case.rule:
        assert reply.json()["rule"] == case.rule, reply.text
    if (
        case.path in (PUBLICATION, PUBLIC_PUBLICATION) and case.expect == 200
    ):  # the 公示 shows what came in and went out, and no holder's ref
        published = reply.json()
        assert published["area_code"] == COMMUNITY and published["totals"]["receipts"] >= 1, reply.text
        assert ids["me_ref"] not in reply.text and ids["resident_ref"] not in reply.text
    if case.path == "/ledger/verification" and case.expect == 200:
        assert reply.json()["entries"] >= 1, reply.text
