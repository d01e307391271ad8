"""Charity through the gateway: a donation earmarked to a need is paid out (two people) and the
need's timeline shows it; a request is rejected with a reason and nothing moves; the 2 % rule
refuses an over-cap purchase with its reason."""

from __future__ import annotations

from datetime import UTC, datetime

from support.waiting import eventually

from contracts.envelope import new_id, wrap
from contracts.events.projects import FundingRequested
from contracts.subjects import event_subject
from contracts.values import citizen_id_check_char

COUNTY, COMMUNITY = "130102", "130102001001"


def bearer(token, role: str, sub: str, area: str = COUNTY) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


async def test_donation_earmarked_to_a_need_is_paid_by_two_people_and_reaches_the_timeline(api, token):
    office, maker, checker = (
        bearer(token, "civil_affairs", "mz-1"),
        bearer(token, "charity_admin", "cz-maker"),
        bearer(token, "charity_admin", "cz-checker"),
    )
    worker = bearer(token, "social_worker", "sw-9")
    fund = await api.post(
        "/funds", headers=office, json={"name": "长安区社区基金会", "kind": "community_foundation", "area_code": COUNTY}
    )
    assert fund.status_code == 201, fund.text
    need = await api.post(
        "/needs",
        headers=worker,
        json={
            "area_code": COMMUNITY,
            "category": "health_care",
            "description": "术后康复需要护理床",
            "resident": {
                "name": "韩奶奶",
                "phone": "13700137009",
                "citizen_id": "13010219400909001" + citizen_id_check_char("13010219400909001"),
            },
        },
    )
    need_id = need.json()["id"]
    donation = await api.post(
        "/donations",
        headers=maker,
        json={
            "fund_id": fund.json()["id"],
            "amount_fen": 500_000,
            "donor": {
                "kind": "enterprise",
                "name": "石家庄爱心企业",
                "uscc": "91350100M000100Y43",
                "disclose_name": True,
            },
            "earmark": {"target_kind": "need", "target_id": need_id, "amount_fen": 300_000},
        },
    )
    assert donation.status_code == 201, donation.text
    earmark_id = donation.json()["earmark_id"]
    too_much = await api.post(
        f"/earmarks/{earmark_id}/disbursements", headers=maker, json={"milestone": "购买护理床", "amount_fen": 300_001}
    )
    asked = too_much.json()["id"]
    over = await api.post(f"/disbursements/{asked}/approval", headers=checker)
    assert over.status_code == 409 and over.json()["rule"] == "balance"  # restricted money cannot overdraw
    paid = await api.post(
        f"/earmarks/{earmark_id}/disbursements", headers=maker, json={"milestone": "购买护理床", "amount_fen": 280_000}
    )
    same_person = await api.post(f"/disbursements/{paid.json()['id']}/approval", headers=maker)
    assert same_person.status_code == 403 and same_person.json()["rule"] == "maker_checker"
    approved = await api.post(f"/disbursements/{paid.json()['id']}/approval", headers=checker)
    assert approved.status_code == 200, approved.text
    listed = (await api.get("/disbursements", headers=checker, params={"status": "disbursed"})).json()
    [shown] = [d for d in listed if d["id"] == paid.json()["id"]]
    assert shown["amount_fen"] == shown["amount"] == 280_000  # money is named *_fen in every answer

    async def on_timeline():
        kinds = [e["kind"] for e in (await api.get(f"/needs/{need_id}/timeline", headers=worker)).json()]
        return kinds if "funds_disbursed" in kinds else None

    kinds = await eventually(on_timeline, "the disbursement on the need's timeline")
    assert "donation_earmarked" in kinds
    check = (await api.get("/ledger/verification", headers=office)).json()
    assert check["ok"] and check["entries"] >= 3


LUQUAN, LUQUAN_COMMUNITY = "130110", "130110100001"  # 鹿泉区, 获鹿镇001号社区: the rejection's own area


async def test_a_rejected_request_moves_no_money_says_why_and_is_decided_once(api, token):
    office = bearer(token, "civil_affairs", "mz-reject", LUQUAN)
    maker = bearer(token, "charity_admin", "cz-reject-maker", LUQUAN)
    checker = bearer(token, "charity_admin", "cz-reject-checker", LUQUAN)
    worker = bearer(token, "social_worker", "sw-reject", LUQUAN)
    fund_name = "鹿泉区社区基金会"
    fund = await api.post(
        "/funds", headers=office, json={"name": fund_name, "kind": "community_foundation", "area_code": LUQUAN}
    )
    assert fund.status_code == 201, fund.text
    fund_id = fund.json()["id"]
    need = await api.post(
        "/needs",
        headers=worker,
        json={
            "area_code": LUQUAN_COMMUNITY,
            "category": "health_care",
            "description": "偏瘫老人需要护理床和康复训练",
            "resident": {
                "name": "葛爷爷",
                "phone": "13700137110",
                "citizen_id": "13011019380202001" + citizen_id_check_char("13011019380202001"),
            },
        },
    )
    assert need.status_code == 201, need.text
    need_id = need.json()["id"]
    donation = await api.post(
        "/donations",
        headers=maker,
        json={
            "fund_id": fund_id,
            "amount_fen": 500_000,
            "donor": {"kind": "anonymous"},
            "earmark": {"target_kind": "need", "target_id": need_id, "amount_fen": 300_000},
        },
    )
    assert donation.status_code == 201, donation.text
    earmark_id = donation.json()["earmark_id"]

    async def ask(milestone: str, amount: int) -> str:
        asked = await api.post(
            f"/earmarks/{earmark_id}/disbursements", headers=maker, json={"milestone": milestone, "amount_fen": amount}
        )
        assert asked.status_code == 201, asked.text
        return asked.json()["id"]

    async def money() -> tuple[int, int]:
        """The fund's free balance, and what the area paid out."""
        balance = (await api.get(f"/funds/{fund_id}", headers=office)).json()["balance_fen"]
        flows = (await api.get("/funds/flows", headers=office, params={"area": LUQUAN, "months": 1})).json()
        return balance, flows["disbursed_fen"]

    async def listed(headers: dict, status: str, disbursement_id: str) -> dict:
        rows = (await api.get("/disbursements", headers=headers, params={"area": LUQUAN, "status": status})).json()
        [row] = [d for d in rows if d["id"] == disbursement_id]
        return row

    bed, training = await ask("购买护理床", 120_000), await ask("康复训练", 100_000)
    waiting = await listed(checker, "requested", bed)  # what the checker decides on, without raw ids to show
    assert (waiting["fund_id"], waiting["fund_name"], waiting["target_kind"], waiting["need_ids"]) == (
        fund_id,
        fund_name,
        "need",
        [need_id],
    )
    assert waiting["status_label"] == "待复核 / Awaiting review" and not waiting["requested_by_you"]
    assert waiting["requested_by_label"] == "慈善资源管理员 / Charity administrator"
    mine = await listed(maker, "requested", bed)
    assert mine["requested_by_you"] and mine["requested_by_label"] == "本人 / you"
    before = await money()

    for bad in ({}, {"reason": " 不 "}, {"reason": "很" * 501}, {"reason": "理由", "extra": 1}):
        refused = await api.post(f"/disbursements/{bed}/rejection", headers=checker, json=bad)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["errors"][0]["field"] in ("reason", "extra"), refused.text
    own = await api.post(f"/disbursements/{bed}/rejection", headers=maker, json={"reason": "申请金额有误"})
    assert own.status_code == 403 and own.json()["rule"] == "maker_checker", own.text
    assert "申请人不能驳回" in own.json()["detail"]
    why = "发票抬头与受助人不符，请更正后重新申请"
    rejected = await api.post(f"/disbursements/{bed}/rejection", headers=checker, json={"reason": why})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected", rejected.text
    assert await money() == before  # nothing moved: the fund's balance and the area's payments are as they were

    shown = await listed(office, "rejected", bed)
    assert (shown["status"], shown["status_label"], shown["rejection_reason"]) == ("rejected", "已驳回 / Rejected", why)
    assert shown["rejected_by_label"] == "慈善资源管理员 / Charity administrator" and shown["rejected_at"]
    assert shown["approved_at"] is None
    for path, body in (
        (f"/disbursements/{bed}/rejection", {"reason": "再驳回一次"}),
        (f"/disbursements/{bed}/approval", None),
    ):
        again = await api.post(path, headers=bearer(token, "civil_affairs", "mz-reject-2", LUQUAN), json=body)
        assert again.status_code == 409, again.text
        problem = again.json()
        assert problem["state"] == "rejected" and problem["detail"].startswith("该拨付申请已驳回"), problem
    assert await money() == before

    own_approval = await api.post(f"/disbursements/{training}/approval", headers=maker)
    assert own_approval.status_code == 403 and own_approval.json()["rule"] == "maker_checker"
    paid = await api.post(f"/disbursements/{training}/approval", headers=checker)
    assert paid.status_code == 200, paid.text
    assert await money() == (before[0], before[1] + 100_000)  # restricted money: paid from the earmark, not the fund
    late = await api.post(f"/disbursements/{training}/rejection", headers=checker, json={"reason": "已拨付后驳回"})
    assert late.status_code == 409 and late.json()["state"] == "disbursed", late.text
    # the rejected 1,200 元 never left the earmark: the rest of it (2,000 元) can still be paid
    rest = await ask("护理床（更正发票后）", 200_000)
    assert (await api.post(f"/disbursements/{rest}/approval", headers=checker)).status_code == 200
    assert await money() == (before[0], before[1] + 300_000)
    over = await api.post(f"/disbursements/{await ask('超出定向金额', 1)}/approval", headers=checker)
    assert over.status_code == 409 and over.json()["rule"] == "balance"

    for_need = (await api.get(f"/earmarks/by-need/{need_id}", headers=office)).json()
    statuses = {d["id"]: (d["status"], d["status_label"]) for d in for_need["disbursements"]}
    assert statuses[bed] == ("rejected", "已驳回 / Rejected") and statuses[training][0] == "disbursed"
    check = (await api.get("/ledger/verification", headers=office)).json()
    assert check["ok"], check


async def test_two_percent_rule_refuses_an_over_cap_purchase_with_its_reason(api, token, js):
    office = bearer(token, "civil_affairs", "mz-2")
    admin = bearer(token, "charity_admin", "cz-2")
    fund = (
        await api.post(
            "/funds",
            headers=office,
            json={"name": "长安区社会救助专项经费", "kind": "social_assistance", "area_code": COUNTY},
        )
    ).json()["id"]
    year = datetime.now(UTC).year
    assert (
        await api.put(f"/funds/{fund}/budgets", headers=office, json={"year": year, "amount_fen": 10_000_000})
    ).status_code == 200  # 100,000 元: cap 2,000 元
    await api.post(
        "/donations", headers=admin, json={"fund_id": fund, "amount_fen": 10_000_000, "donor": {"kind": "anonymous"}}
    )
    decisions = {}
    for amount in (150_000, 60_000):  # 1,500 元 fits; another 600 元 would pass the 2,000 元 cap
        request = FundingRequested(
            request_id=new_id(),
            project_id=new_id(),
            fund_id=fund,
            area_code=COUNTY,
            amount_fen=amount,
            purpose="service_purchase",
            requested_at=datetime.now(UTC),
        )
        envelope = wrap(request, subject=str(request.project_id), area_code=COUNTY)
        await js.publish(event_subject(FundingRequested, COUNTY), envelope.model_dump_json().encode())

        async def decided(request_id=request.request_id):
            reply = await api.get(f"/commitments/by-request/{request_id}", headers=office)
            return reply.json() if reply.status_code == 200 else None

        decisions[amount] = await eventually(decided, "the charity service's decision")
    assert decisions[150_000]["status"] == "committed"
    refused = decisions[60_000]
    assert refused["status"] == "rejected" and refused["rule"] == "two_percent_cap"
    assert "2%" in refused["reason"] and "200000" in refused["reason"]


async def test_volunteer_credits_become_points_that_buy_goods(api, token):
    worker = bearer(token, "social_worker", "sw-10")
    volunteer = await api.post(
        "/volunteers",
        headers=worker,
        json={
            "name": "褚五",
            "citizen_id": "13010219860606006" + citizen_id_check_char("13010219860606006"),
            "phone": "13900139066",
            "area_code": COMMUNITY,
            "skills": ["剪纸"],
        },
    )
    vid, ref = volunteer.json()["id"], volunteer.json()["volunteer_ref"]
    me = bearer(token, "volunteer", ref, COMMUNITY)
    task = (await api.post("/tasks", headers=worker, json={"area_code": COMMUNITY, "title": "剪纸课"})).json()["id"]
    await api.post(f"/tasks/{task}/invitations", headers=worker, json={"volunteer_ids": [vid]})
    await api.post(f"/tasks/{task}/invitations/{vid}/response", headers=me, json={"accept": True})
    start = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    log = await api.post(
        f"/tasks/{task}/hours",
        headers=worker,
        json={"volunteer_id": vid, "check_in": start.isoformat(), "check_out": start.replace(hour=4).isoformat()},
    )
    await api.post(f"/hours/{log.json()['log_id']}/verification", headers=worker, json={"approve": True})  # 3 credits
    exchanged = await api.post("/timebank/exchanges", headers=me, json={"volunteer_id": vid, "units": 200})
    assert exchanged.status_code == 201, exchanged.text  # 2 credits → 20 points at the default rate

    async def points():
        reply = await api.get(f"/supermarket/points/volunteer/{ref}", headers=me)
        return reply.json() if reply.status_code == 200 and reply.json().get("balance") else None

    account = await eventually(points, "points granted from the exchanged credits")
    assert account["balance"] == 20
    admin = bearer(token, "charity_admin", "cz-3")
    goods = await api.post(
        "/supermarket/goods",
        headers=admin,
        json={
            "area_code": COMMUNITY,
            "item": "大米（5kg）",
            "quantity": 10,
            "unit": "袋",
            "estimated_value_fen": 3_500,
            "price_points": 15,
            "donor": {"kind": "anonymous"},
        },
    )
    assert goods.status_code == 201, goods.text
    item_id = goods.json()["item_id"]
    bought = await api.post(
        "/supermarket/redemptions",
        headers=me,
        json={"holder_kind": "volunteer", "holder_ref": ref, "item_id": item_id, "quantity": 1},
    )
    assert bought.status_code == 201, bought.text
    again = await api.post(
        "/supermarket/redemptions",
        headers=me,
        json={"holder_kind": "volunteer", "holder_ref": ref, "item_id": item_id, "quantity": 1},
    )
    assert again.status_code == 409 and again.json()["rule"] == "insufficient_points"
    stock = (await api.get("/supermarket/stock", params={"area": COMMUNITY}, headers=me)).json()
    assert [i["quantity"] for i in stock["items"] if i["item_id"] == item_id] == [9]
