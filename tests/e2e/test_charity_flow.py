"""Charity through the gateway: a donation earmarked to a need is paid out (two people) and the
need's timeline shows it; the 2 % rule refuses an over-cap purchase with its reason."""

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
