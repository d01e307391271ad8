"""Migrating an earlier system's ended needs (历史数据迁移) through the gateway, with a records
migrator's token: each need with the times its record states, so the area's months, response times
and satisfaction read as they were; once per legacy ref, however often and concurrently posted; a
batch with one bad record stores nothing and names the field; the audit trail keeps each batch.

Everything lives in community 130102001020 of 长安区, which no other module uses; citizen IDs born
in 1968."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from contracts.values import citizen_id_check_char
from kit.months import LOCAL

COUNTY, COMMUNITY = "130102", "130102001020"


def citizen(n: int) -> str:
    first17 = f"{COUNTY}19680{n % 9 + 1}1{n % 9}{n:03d}"[:17]
    return first17 + citizen_id_check_char(first17)


def bearer(token, role: str, sub: str, area: str = COUNTY) -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


def month_start(months_ago: int) -> datetime:
    today = datetime.now(LOCAL)
    year, month = divmod(today.year * 12 + today.month - 1 - months_ago, 12)
    return datetime(year, month + 1, 3, 9, 0, tzinfo=LOCAL)


def closed(ref: str, n: int, raised: datetime, response_h: float, days_to_resolve: float) -> dict:
    first = raised + timedelta(hours=response_h)
    resolved = first + timedelta(days=days_to_resolve)
    return {
        "legacy_ref": ref,
        "area_code": COMMUNITY,
        "category": "daily_care",
        "description": "老人独居，需每周上门照料",
        "resident": {"name": "赵桂兰", "phone": f"1390068{n:04d}", "citizen_id": citizen(n)},
        "outcome": "closed",
        "route": "volunteer_task",
        "raised_at": raised.isoformat(),
        "first_response_at": first.isoformat(),
        "resolved_at": resolved.isoformat(),
        "satisfaction": 4 + n % 2,
        "feedback_at": (resolved + timedelta(days=1)).isoformat(),
    }


async def test_ended_needs_of_an_earlier_system_read_as_they_were(client, token):
    migrator = bearer(token, "migrator", "migration-changan")
    worker = bearer(token, "social_worker", "sw-history")
    # five months ago: 2 needs answered in 6 h; two months ago: 3 answered in 30 h; one returned
    batch = [closed(f"CA-2026-{n}", n, month_start(5), 6, 3) for n in (1, 2)]
    batch += [closed(f"CA-2026-{n}", n, month_start(2), 30, 10) for n in (3, 4, 5)]
    batch.append(
        {
            **{k: v for k, v in closed("CA-2026-6", 6, month_start(2), 2, 0).items() if k not in OPTIONAL},
            "outcome": "returned",
        }
    )
    posted = await asyncio.gather(
        *(client.post("/needs/history", headers=migrator, json={"needs": batch}) for _ in range(3))
    )
    assert sorted(r.status_code for r in posted) == [200, 200, 200], [r.text for r in posted]
    assert sorted(r.json()["imported"] for r in posted) == [0, 0, 6]  # concurrently posted: one of each

    trend = (await client.get("/needs/trend", headers=worker, params={"area": COMMUNITY, "months": 6})).json()
    by_month = {p["month"]: p for p in trend}
    five, two = by_month[month_start(5).strftime("%Y-%m")], by_month[month_start(2).strftime("%Y-%m")]
    assert (five["raised"], five["median_first_response_hours"]) == (2, 6.0)
    assert (two["raised"], two["median_first_response_hours"]) == (4, 30.0)  # 2, 30, 30, 30 h
    stats = (await client.get("/needs/stats", headers=worker, params={"area": COMMUNITY})).json()
    assert stats["by_status"] == {"closed": 5, "returned": 1} and stats["overdue"] == 0
    assert stats["mean_satisfaction"] == 4.6  # 5, 4, 5, 4, 5

    library = (await client.get("/needs", headers=worker, params={"area": COMMUNITY, "status": "closed"})).json()
    need_id = library["items"][0]["id"]
    timeline = (await client.get(f"/needs/{need_id}/timeline", headers=worker)).json()
    assert [(e["actor"], e["kind"]) for e in timeline] == [
        ("community", "need_raised"),
        ("community", "need_routed"),
        ("volunteers", "need_resolved"),  # the actor the need was routed to served it
        ("community", "feedback_given"),
    ]
    assert all("历史数据迁移" in e["detail"]["note"] for e in timeline)
    assert datetime.fromisoformat(timeline[0]["at"]) < month_start(1)  # at the stated time, not today

    linkage = (await client.get("/needs/linkage", headers=worker, params={"area": COMMUNITY})).json()
    assert (linkage["resolved"], linkage["shares"]["volunteers"], linkage["shares"]["projects"]) == (5, 1.0, 0.0)

    again = await client.post("/needs/history", headers=migrator, json={"needs": batch[:2]})
    assert again.json() == {"imported": 0, "already": ["CA-2026-1", "CA-2026-2"]}
    auditor = bearer(token, "auditor", "audit-history")
    trail = (await client.get("/audit", headers=auditor, params={"record": f"history/{COUNTY}"})).json()
    assert [(e["actor"], e["action_label"]) for e in trail["items"]] == [
        ("migration-changan", "导入历史需求 / imported needs of an earlier system")
    ]


OPTIONAL = ("route", "resolved_at", "satisfaction", "feedback_at")


async def test_a_batch_with_a_bad_record_stores_nothing_and_names_the_field(client, token):
    migrator = bearer(token, "migrator", "migration-changan")
    good = closed("CA-BAD-1", 11, month_start(3), 5, 2)
    early = {**closed("CA-BAD-2", 12, month_start(3), 5, 2), "resolved_at": month_start(4).isoformat()}
    future = closed("CA-BAD-3", 13, datetime.now(LOCAL) + timedelta(days=1), 5, 2)
    for batch, field in (([good, early], "needs.1.resolved_at"), ([good, future], "needs.1.raised_at")):
        reply = await client.post("/needs/history", headers=migrator, json={"needs": batch})
        assert reply.status_code == 422 and reply.headers["content-type"] == "application/problem+json"
        fields = {e["field"] for e in reply.json()["errors"]}
        assert field in fields and not any(f.startswith("needs.0") for f in fields), fields
    retried = await client.post("/needs/history", headers=migrator, json={"needs": [good]})
    assert retried.json() == {"imported": 1, "already": []}, "the refused batch stored nothing"

    outside = {**closed("CA-BAD-4", 14, month_start(3), 5, 2), "area_code": "130104001001"}
    refused = await client.post("/needs/history", headers=migrator, json={"needs": [outside]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "needs.0.area_code"
    worker = bearer(token, "social_worker", "sw-history")
    assert (await client.post("/needs/history", headers=worker, json={"needs": [good]})).status_code == 403
