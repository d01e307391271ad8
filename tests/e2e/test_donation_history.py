"""Migrating an earlier system's donations (历史数据迁移) through the gateway, with a records
migrator's token: each goes into its fund at the time it states, so the fund's balance holds it and
the area's months of money read as they were; once per legacy ref, however often and concurrently
posted; a batch with one bad record stores nothing and names the field; the ledger still verifies
and the audit trail keeps each batch.

Everything lives in 井陉县 (130121), which no other module uses."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from contracts.values import uscc_check_char
from kit.months import LOCAL

COUNTY = "130121"


def bearer(token, role: str, sub: str, area: str = COUNTY) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


def months_ago(n: int) -> datetime:
    today = datetime.now(LOCAL)
    year, month = divmod(today.year * 12 + today.month - 1 - n, 12)
    return datetime(year, month + 1, 9, 10, 0, tzinfo=LOCAL)


def donation(ref: str, fund_id: str, fen: int, at: datetime, **donor) -> dict:
    return {
        "legacy_ref": ref,
        "fund_id": fund_id,
        "amount_fen": fen,
        "received_at": at.isoformat(),
        "donor": donor or {"kind": "anonymous"},
    }


async def test_donations_of_an_earlier_system_are_in_their_fund_at_their_month(api, token):
    office, migrator = bearer(token, "civil_affairs", "mz-jingxing"), bearer(token, "migrator", "migration-jingxing")
    fund = await api.post(
        "/funds", headers=office, json={"name": "井陉县社区基金会", "kind": "community_foundation", "area_code": COUNTY}
    )
    assert fund.status_code == 201, fund.text
    fund_id = fund.json()["id"]
    uscc = "91130121MA0C8K2N1"
    enterprise = {"kind": "enterprise", "name": "井陉县太行矿业有限公司", "uscc": uscc + uscc_check_char(uscc)}
    batch = [
        donation("JX-D-1", fund_id, 500_000, months_ago(4), **enterprise, disclose_name=True),
        donation("JX-D-2", fund_id, 20_000, months_ago(4)),
        donation("JX-D-3", fund_id, 80_000, months_ago(1), kind="person", name="张秀英"),
    ]
    posted = await asyncio.gather(
        *(api.post("/donations/history", headers=migrator, json={"donations": batch}) for _ in range(3))
    )
    assert [r.status_code for r in posted] == [200, 200, 200], [r.text for r in posted]
    assert sorted(r.json()["imported"] for r in posted) == [0, 0, 3]  # concurrently posted: one of each

    assert (await api.get(f"/funds/{fund_id}", headers=office)).json()["balance_fen"] == 600_000
    flows = (await api.get("/funds/flows", headers=office, params={"area": COUNTY, "months": 6})).json()
    by_month = {m["month"]: m["in_fen"] for m in flows["by_month"]}
    assert by_month[months_ago(4).strftime("%Y-%m")] == 520_000 and by_month[months_ago(1).strftime("%Y-%m")] == 80_000
    assert flows["received_fen"] == 600_000
    assert (await api.get("/ledger/verification", headers=bearer(token, "auditor", "audit-jx"))).json()["ok"]

    again = await api.post("/donations/history", headers=migrator, json={"donations": batch[:1]})
    assert again.json() == {"imported": 0, "already": ["JX-D-1"]}
    trail = (
        await api.get("/audit", headers=bearer(token, "auditor", "audit-jx"), params={"record": "history/"})
    ).json()
    assert [(e["actor"], e["action_label"]) for e in trail["items"]] == [
        ("migration-jingxing", "导入历史捐赠 / imported donations of an earlier system")
    ]


async def test_a_batch_with_a_bad_donation_stores_nothing_and_names_the_field(api, token):
    office, migrator = bearer(token, "civil_affairs", "mz-jingxing"), bearer(token, "migrator", "migration-jingxing")
    fund = await api.post(
        "/funds", headers=office, json={"name": "井陉县助学基金", "kind": "special_fund", "area_code": COUNTY}
    )
    fund_id = fund.json()["id"]
    good = donation("JX-BAD-1", fund_id, 10_000, months_ago(2))
    future = donation("JX-BAD-2", fund_id, 10_000, datetime.now(LOCAL) + timedelta(days=1))
    reply = await api.post("/donations/history", headers=migrator, json={"donations": [good, future]})
    assert reply.status_code == 422 and [e["field"] for e in reply.json()["errors"]] == ["donations.1.received_at"]
    elsewhere = await api.post(
        "/funds",
        headers=bearer(token, "civil_affairs", "mz-lq", "130110"),
        json={"name": "鹿泉区助学基金", "kind": "special_fund", "area_code": "130110"},
    )
    outside = donation("JX-BAD-3", elsewhere.json()["id"], 10_000, months_ago(2))
    refused = await api.post("/donations/history", headers=migrator, json={"donations": [good, outside]})
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["donations.1.fund_id"]
    assert (await api.get(f"/funds/{fund_id}", headers=office)).json()["balance_fen"] == 0, "nothing was stored"
    charity_admin = bearer(token, "charity_admin", "cz-jx")
    assert (await api.post("/donations/history", headers=charity_admin, json={"donations": [good]})).status_code == 403
