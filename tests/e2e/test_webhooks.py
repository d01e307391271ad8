"""Outbound webhooks (Standard Webhooks) through the exchange and the gateway, as real processes, to a
real receiver in the test that verifies every request's signature: every public event of the
subscription's scope arrives, in public-event order, signed, at least once (a duplicate only as a
retry of the same webhook-id); 410 disables; a rotated secret signs beside the new one; replay and
retry re-send; a delivery worker killed with SIGKILL loses nothing.

Internal volunteers events are published onto NATS as the volunteers service's relay would, so that
each public event is known to the test. Everything happens in 高邑县 (130127), which no other test
uses: its partners, its subscriptions, its communities."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest
from support.events import publish
from support.receiver import Endpoint, Received, Receiver
from support.waiting import eventually

from contracts.envelope import new_id, wrap
from contracts.events.volunteers import HoursLogged, HoursVerified
from kit.problems import Problem
from services.exchange.webhooks import handlers as webhook_handlers
from services.exchange.webhooks.config import webhook_settings

COUNTY, TOWN = "130127", "130127100"  # 高邑县, 高邑镇
COMMUNITY, ELSEWHERE = "130127100001", "130127101001"  # 高邑镇001号社区, 大营镇001号社区 (outside the town)
ENV = {
    "WUSHE_EXCHANGE_WEBHOOK_RETRY_S": "[0.2, 0.3, 0.4, 0.5, 0.5, 0.5, 0.5, 0.5]",
    "WUSHE_EXCHANGE_WEBHOOK_POLL_INTERVAL_S": "0.1",
    "WUSHE_EXCHANGE_WEBHOOK_TIMEOUT_S": "2",
    "WUSHE_EXCHANGE_WEBHOOK_LEASE_S": "3",
}


@pytest.fixture(scope="module")
def exchange(stack):
    stack.start("exchange", "gateway", **ENV)
    return stack.url("gateway") + "/api/v1"


@pytest.fixture
async def gateway(exchange):
    async with httpx.AsyncClient(base_url=exchange, timeout=15) as c:
        yield c


@pytest.fixture
async def receiver():
    async with Receiver() as r:
        yield r


@pytest.fixture
async def partner(db, token):
    """partner(name, events=...) → the Authorization header of a partner registered in 高邑县."""
    conn = await db("exchange")

    async def register(name: str, events: tuple[str, ...] = ("volunteers.*",), area: str = COUNTY) -> dict:
        await conn.execute(
            """INSERT INTO partners (name, label, area_code, events) VALUES ($1, $1, $2, $3)
               ON CONFLICT (name) DO UPDATE SET area_code = $2, events = $3, revoked_at = NULL""",
            name,
            area,
            list(events),
        )
        return {"Authorization": f"Bearer {token('partner', area, name)}"}

    return register


async def service_hours(js, tasks: int, area: str = COMMUNITY) -> list[UUID]:
    """Each task's hours logged then verified, as the volunteers service publishes them: two
    internal events per task, about the task (their subject)."""
    ids = []
    for _ in range(tasks):
        task_id, log_id, at = new_id(), new_id(), datetime.now(UTC)
        common = {"log_id": log_id, "task_id": task_id, "area_code": area, "volunteer_ref": "v-gaoyi", "minutes": 60}
        logged = HoursLogged(**common, provenance="self_check_in", logged_at=at)
        verified = HoursVerified(**common, verified_by="sw-gaoyi", verified_at=at)
        for event in (logged, verified):
            await publish(js, wrap(event, subject=str(task_id), area_code=area))
        ids.append(task_id)
    return ids


async def public_ids(conn, task_ids: list[UUID], count: int) -> list[str]:
    """The public events of these tasks in public-event order, once all `count` are published."""

    async def published():
        rows = await conn.fetch(
            "SELECT event_id FROM public_events WHERE envelope->'data'->>'task_id' = ANY($1::text[]) ORDER BY seq",
            [str(t) for t in task_ids],
        )
        return [str(r["event_id"]) for r in rows] if len(rows) == count else None

    return await eventually(published, f"{count} public events", 60)


async def subscribe(gateway, headers, url: str, **extra) -> dict:
    reply = await gateway.post("/webhooks", headers=headers, json={"url": url, **extra})
    assert reply.status_code == 201, reply.text
    return reply.json()


def delivered(received: list[Received]) -> list[str]:
    """The webhook-ids answered 2xx, in the order they were, each once (its first success)."""
    return list(dict.fromkeys(r.webhook_id for r in received if 200 <= r.answered < 300))


async def test_every_event_arrives_signed_in_order_despite_failures(gateway, partner, receiver, js, db):
    hotline = await partner("gaoyi-hotline")
    receiver.endpoints["main"] = Endpoint(fail_first=5)
    sub = await subscribe(gateway, hotline, receiver.url("main"), area=TOWN)
    assert sub["secret"].startswith("whsec_") and sub["area_code"] == TOWN and sub["enabled"]
    assert set(sub["types"]) == {"cn.wushe.pub.volunteers.hours_logged.v1", "cn.wushe.pub.volunteers.hours_verified.v1"}
    receiver.endpoints["main"].secrets = [sub["secret"]]
    assert "secret" not in (await gateway.get(f"/webhooks/{sub['id']}", headers=hotline)).json()

    tasks = await service_hours(js, 10)
    outside = await service_hours(js, 3, area=ELSEWHERE)  # in the county, outside the subscription's town
    expected = await public_ids(await db("exchange"), tasks, 20)

    async def all_delivered():
        return set(delivered(receiver.at("main"))) >= set(expected)

    await eventually(all_delivered, "every public event delivered", 60)
    got = receiver.at("main")
    assert all(r.verified[sub["secret"]] for r in got), "a request whose signature does not verify"
    assert delivered(got) == expected  # every one, none else, in public-event order
    # head of line: nothing of a later event is sent before the earlier one is delivered
    assert [r.webhook_id for r in got] == sorted((r.webhook_id for r in got), key=expected.index)
    for event_id in expected:
        tries = [r.answered for r in got if r.webhook_id == event_id]
        assert tries[-1] == 200 and all(a == 500 for a in tries[:-1])  # duplicates only as retries
    assert sum(r.answered == 500 for r in got) == 5
    first = got[-1]
    assert first.headers["content-type"] == "application/cloudevents+json"
    assert first.body["id"] == first.webhook_id and first.body["type"].startswith("cn.wushe.pub.volunteers.")
    assert first.body["data"]["volunteer"] != "v-gaoyi" and "verified_by" not in first.body["data"]
    outside_ids = {str(t) for t in outside}
    assert not [r for r in got if r.body["data"]["task_id"] in outside_ids]

    log = (await gateway.get(f"/webhooks/{sub['id']}/deliveries", headers=hotline, params={"limit": 50})).json()
    rows = log["deliveries"]
    assert [d["event_id"] for d in rows] == expected and not log["has_more"]
    assert {d["status"] for d in rows} == {"delivered"} and {d["last_status"] for d in rows} == {200}
    assert rows[0]["attempts"] == 6 and all(d["last_latency_ms"] is not None for d in rows)
    assert all(d["next_attempt_at"] is None for d in rows)
    page = (await gateway.get(f"/webhooks/{sub['id']}/deliveries", headers=hotline, params={"limit": 3})).json()
    more = await gateway.get(f"/webhooks/{sub['id']}/deliveries", headers=hotline, params={"after": page["next"]})
    assert [d["event_id"] for d in page["deliveries"] + more.json()["deliveries"]] == expected
    failed = await gateway.get(f"/webhooks/{sub['id']}/deliveries", headers=hotline, params={"status": "failed"})
    assert failed.json()["deliveries"] == []
    listed = (await gateway.get("/webhooks", headers=hotline)).json()
    assert [w["id"] for w in listed] == [sub["id"]] and listed[0]["pending"] == 0 and listed[0]["last_success_at"]


async def test_410_disables_the_subscription_and_nothing_more_is_sent(gateway, partner, receiver, js, db):
    office = await partner("gaoyi-office")
    receiver.endpoints["gone"] = Endpoint(status=410)
    gone = await subscribe(gateway, office, receiver.url("gone"))
    await subscribe(gateway, office, receiver.url("sentinel"))  # the one that still takes events
    tasks = await service_hours(js, 2)
    expected = await public_ids(await db("exchange"), tasks, 4)

    async def disabled():
        found = (await gateway.get(f"/webhooks/{gone['id']}", headers=office)).json()
        return found if not found["enabled"] else None

    found = await eventually(disabled, "the subscription disabled by 410")
    assert "410" in found["disabled_reason"] and "停用" in found["disabled_reason"] and found["disabled_at"]
    assert [w["enabled"] for w in (await gateway.get("/webhooks", headers=office)).json()] == [False, True]
    more = await service_hours(js, 1)
    later = await public_ids(await db("exchange"), more, 2)

    async def sentinel_has_all():
        return set(delivered(receiver.at("sentinel"))) >= set(expected + later)

    await eventually(sentinel_has_all, "the other subscription to receive every event")
    assert len(receiver.at("gone")) == 1  # the 410, and nothing after it
    log = (await gateway.get(f"/webhooks/{gone['id']}/deliveries", headers=office)).json()["deliveries"]
    queued = [d["event_id"] for d in log]  # those published before the 410 came back
    assert queued == expected[: len(queued)] and not set(queued) & set(later)  # none queued once disabled
    assert [d["status"] for d in log] == ["failed"] + ["pending"] * (len(log) - 1) and log[0]["last_status"] == 410

    # enabled again (the endpoint is back): what it kept pending is delivered, in order
    receiver.endpoints["gone"].status = 200
    enabled = await gateway.patch(f"/webhooks/{gone['id']}", headers=office, json={"enabled": True})
    assert enabled.status_code == 200 and enabled.json()["enabled"] and enabled.json()["disabled_reason"] is None

    async def caught_up():
        return delivered(receiver.at("gone")) == queued

    await eventually(caught_up, "the pending deliveries after re-enabling")


async def test_a_rotated_secret_signs_beside_the_new_one(gateway, partner, receiver, js, db):
    media = await partner("gaoyi-media")
    sub = await subscribe(gateway, media, receiver.url("rotating"))
    old = sub["secret"]
    receiver.endpoints["rotating"] = Endpoint(secrets=[old])
    before = await public_ids(await db("exchange"), await service_hours(js, 1), 2)
    await eventually(lambda: _has(receiver, "rotating", before), "deliveries before the rotation")

    rotated = await gateway.post(f"/webhooks/{sub['id']}/rotate-secret", headers=media)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old and new.startswith("whsec_") and rotated.json()["previous_secret_until"]
    receiver.endpoints["rotating"].secrets = [old, new]
    after = await public_ids(await db("exchange"), await service_hours(js, 1), 2)
    await eventually(lambda: _has(receiver, "rotating", after), "deliveries after the rotation")

    for r in receiver.at("rotating"):
        if r.webhook_id in before:
            assert r.verified == {old: True} and r.headers["webhook-signature"].count("v1,") == 1
        else:  # during the overlap: either secret verifies it
            assert r.verified == {old: True, new: True} and r.headers["webhook-signature"].count("v1,") == 2
    assert "secret" not in (await gateway.get(f"/webhooks/{sub['id']}", headers=media)).json()


async def _has(receiver: Receiver, path: str, ids: list[str]) -> bool:
    return set(delivered(receiver.at(path))) >= set(ids)


async def test_bad_input_is_refused_naming_the_field_and_others_see_nothing(gateway, partner, receiver, token):
    mine = await partner("gaoyi-charity")
    other = await partner("gaoyi-other")

    async def refused(body, headers=mine):
        reply = await gateway.post("/webhooks", headers=headers, json=body)
        return reply.status_code, (reply.json().get("errors") or [{}])[0].get("field")

    url = receiver.url("bad")
    assert await refused({"url": "ftp://example.cn/hook"}) == (422, "url")
    assert await refused({"url": "example.cn/hook"}) == (422, "url")
    assert await refused({"url": url, "types": ["charity.*"]}) == (403, "types")
    assert await refused({"url": url, "types": ["needs.need_raised"]}) == (403, "types")
    assert await refused({"url": url, "types": ["volunteers.hours_eaten"]}) == (422, "types")
    assert await refused({"url": url, "types": ["volunteers"]}) == (422, "types")
    assert await refused({"url": url, "area": "130126"}) == (403, "area")  # 灵寿县: not the partner's
    assert await refused({"url": url, "area": "130127999"}) == (422, "area")
    assert await refused({"url": url, "rate_limit_per_s": 0}) == (422, "rate_limit_per_s")
    assert await refused({"url": url, "colour": "red"}) == (422, "colour")
    assert (await refused({"url": url}, {"Authorization": f"Bearer {token('social_worker', COUNTY)}"}))[0] == 403
    assert await refused({"url": url}, {"Authorization": f"Bearer {token('partner', COUNTY, 'nobody')}"}) == (
        403,
        "sub",
    )
    # a pattern takes what of it lies in the partner's scope
    sub = await subscribe(gateway, mine, url, types=["*"], area=TOWN, rate_limit_per_s=2.5)
    assert len(sub["types"]) == 2 and sub["rate_limit_per_s"] == 2.5
    named = await subscribe(gateway, mine, url, types=["volunteers.hours_verified"])
    assert named["types"] == ["cn.wushe.pub.volunteers.hours_verified.v1"] and named["area_code"] == COUNTY

    path = f"/webhooks/{sub['id']}"
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"rate_limit_per_s": 1}),
        ("DELETE", "", None),
        ("POST", "/rotate-secret", None),
        ("GET", "/deliveries", None),
        ("POST", "/replay", {"since": "2026-01-01T00:00:00+08:00"}),
        ("POST", f"/deliveries/{new_id()}/retry", None),
    ]:
        reply = await gateway.request(method, path + suffix, headers=other, json=body)
        assert reply.status_code == 404, (method, suffix, reply.text)
    assert (await gateway.get("/webhooks", headers=other)).json() == []

    patched = await gateway.patch(path, headers=mine, json={"url": "gopher://x"})
    assert patched.status_code == 422 and patched.json()["errors"][0]["field"] == "url"
    patched = await gateway.patch(path, headers=mine, json={"types": ["needs.*"]})
    assert patched.status_code == 403 and patched.json()["errors"][0]["field"] == "types"
    patched = await gateway.patch(path, headers=mine, json={"url": receiver.url("moved"), "rate_limit_per_s": 4})
    assert patched.status_code == 200 and patched.json()["url"] == receiver.url("moved")
    assert patched.json()["rate_limit_per_s"] == 4 and patched.json()["area_code"] == TOWN
    paused = await gateway.patch(path, headers=mine, json={"enabled": False})
    assert not paused.json()["enabled"] and "停用" in paused.json()["disabled_reason"]
    bad_status = await gateway.get(f"{path}/deliveries", headers=mine, params={"status": "lost"})
    assert bad_status.status_code == 422 and bad_status.json()["errors"][0]["field"] == "status"
    bad_cursor = await gateway.get(f"{path}/deliveries", headers=mine, params={"after": "x"})
    assert bad_cursor.status_code == 422 and bad_cursor.json()["errors"][0]["field"] == "after"
    assert (await gateway.post(f"{path}/replay", headers=mine, json={"since": "yesterday"})).status_code == 422
    retry_missing = await gateway.post(f"{path}/deliveries/{new_id()}/retry", headers=mine)
    assert retry_missing.status_code == 404

    assert (await gateway.delete(path, headers=mine)).status_code == 204
    assert (await gateway.get(path, headers=mine)).status_code == 404
    assert [w["id"] for w in (await gateway.get("/webhooks", headers=mine)).json()] == [named["id"]]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/x", "http://localhost/x", "https://10.0.0.8/x", "http://[::1]/x", "https://no.invalid/"]
)
async def test_where_private_endpoints_are_not_allowed_they_are_refused(url):
    with pytest.raises(Problem) as refused:
        await webhook_handlers.check_url(url, allow_private=False)
    assert refused.value.status == 422 and refused.value.errors == [{"field": "url", "message": refused.value.detail}]
    await webhook_handlers.check_url(url, allow_private=True)


async def test_replay_and_retry_send_again_and_the_rate_limit_holds(gateway, partner, receiver, js, db):
    archive = await partner("gaoyi-archive")
    since = datetime.now(UTC) - timedelta(seconds=1)
    sub = await subscribe(gateway, archive, receiver.url("replayed"), rate_limit_per_s=5)
    expected = await public_ids(await db("exchange"), await service_hours(js, 5), 10)
    await eventually(lambda: _has(receiver, "replayed", expected), "the first deliveries")
    first = [r.at for r in receiver.at("replayed")]
    assert first[-1] - first[0] >= (10 - 5) / 5 - 0.1  # a burst of 5, then 5 a second

    replay = await gateway.post(f"/webhooks/{sub['id']}/replay", headers=archive, json={"since": since.isoformat()})
    assert replay.status_code == 202 and replay.json()["queued"] >= 10, replay.text

    async def twice():
        answered = [r.webhook_id for r in receiver.at("replayed") if r.answered == 200]
        return all(answered.count(e) == 2 for e in expected)

    await eventually(twice, "every event sent again after the replay")
    again = [r.webhook_id for r in receiver.at("replayed")][len(first) :]
    assert [e for e in again if e in expected] == expected  # in order again

    log = (await gateway.get(f"/webhooks/{sub['id']}/deliveries", headers=archive)).json()["deliveries"]
    one = next(d for d in log if d["event_id"] == expected[3])
    retried = await gateway.post(f"/webhooks/{sub['id']}/deliveries/{one['id']}/retry", headers=archive)
    assert retried.status_code == 202 and retried.json()["status"] == "pending"

    async def thrice():
        return [r.webhook_id for r in receiver.at("replayed") if r.answered == 200].count(expected[3]) == 3

    await eventually(thrice, "the one delivery sent again")
    assert (await gateway.get(f"/webhooks/{sub['id']}", headers=archive)).json()["pending"] == 0


async def test_the_office_sees_each_partners_deliveries_and_may_replay_them(gateway, partner, receiver, js, db, token):
    press = await partner("gaoyi-press")
    receiver.endpoints["watched"] = Endpoint(fail_first=1)
    sub = await subscribe(gateway, press, receiver.url("watched"))
    since = datetime.now(UTC) - timedelta(seconds=1)
    expected = await public_ids(await db("exchange"), await service_hours(js, 2), 4)

    async def answered(n: int):
        return len([r for r in receiver.at("watched") if r.answered == 200]) == n

    await eventually(lambda: answered(4), "four deliveries")
    office = {"Authorization": f"Bearer {token('civil_affairs', COUNTY, 'mz-gaoyi')}"}
    reply = await gateway.get("/exchange/partners", headers=office)
    assert reply.status_code == 200, reply.text
    [seen] = [p for p in reply.json() if p["partner"]["name"] == "gaoyi-press"]
    assert seen["event_labels"] == ["服务时长登记", "服务时长核实"]
    [watched] = [s for s in seen["subscriptions"] if s["id"] == sub["id"]]
    health = watched["health"]
    assert (health["delivered"], health["attempts"], health["pending"], health["dead"]) == (4, 5, 0, 0)
    assert health["success_rate"] == pytest.approx(0.8) and health["p99_latency_ms"] is not None
    assert watched["event_labels"] == ["服务时长登记", "服务时长核实"] and watched["area_name"] == "高邑县"

    replay = await gateway.post(
        f"/exchange/endpoints/{sub['id']}/replay", json={"since": since.isoformat()}, headers=office
    )
    assert replay.status_code == 202 and replay.json()["queued"] == 4, replay.text
    await eventually(lambda: answered(8), "the four sent again")
    assert delivered(receiver.at("watched")) == expected  # the same webhook-ids, in order: the receiver dedupes

    elsewhere = {"Authorization": f"Bearer {token('civil_affairs', '130102', 'mz-changan')}"}
    theirs = await gateway.get("/exchange/partners", headers=elsewhere)
    assert "gaoyi-press" not in [p["partner"]["name"] for p in theirs.json()]
    outside = await gateway.post(
        f"/exchange/endpoints/{sub['id']}/replay", json={"since": since.isoformat()}, headers=elsewhere
    )
    assert outside.status_code == 404
    assert (await gateway.get("/exchange/partners", headers=press)).status_code == 403


async def test_a_partner_has_at_most_its_cap_of_subscriptions(gateway, partner, receiver):
    crowd = await partner("gaoyi-crowd")
    cap = webhook_settings().max_subscriptions
    for i in range(cap):
        await subscribe(gateway, crowd, receiver.url(f"crowd-{i}"))
    over = await gateway.post("/webhooks", headers=crowd, json={"url": receiver.url("one-more")})
    assert over.status_code == 409 and "上限" in over.json()["detail"], over.text
    listed = (await gateway.get("/webhooks", headers=crowd)).json()
    assert len(listed) == cap  # the refused one was not stored
    for sub in listed[1:]:  # one stays (the next test uses it); the others would only slow the rest
        assert (await gateway.delete(f"/webhooks/{sub['id']}", headers=crowd)).status_code == 204


async def test_closed_deliveries_leave_the_log_after_the_keeping_time_and_open_ones_stay(db):
    conn = await db("exchange")
    sub = await conn.fetchval("SELECT id FROM webhook_subscriptions WHERE partner = 'gaoyi-crowd' LIMIT 1")
    old, recent = datetime.now(UTC) - timedelta(days=webhook_settings().keep_days + 1), datetime.now(UTC)
    rows = [("delivered", old), ("dead", old), ("failed", old), ("pending", old), ("delivered", recent)]
    ids = []
    for seq, (status, at) in enumerate(rows, start=10_000_000):
        ids.append(
            await conn.fetchval(
                """INSERT INTO webhook_deliveries (subscription_id, event_id, seq, type, status, created_at,
                                                   next_attempt_at)  -- not due: no worker touches them
                   VALUES ($1, $2, $3, 'cn.wushe.pub.needs.need_raised.v1', $4, $5, now() + interval '1 day')
                   RETURNING id""",
                sub,
                new_id(),
                seq,
                status,
                at,
            )
        )
    assert await webhook_handlers.prune_deliveries(conn) >= 2
    left = await conn.fetch("SELECT status FROM webhook_deliveries WHERE id = ANY($1::uuid[]) ORDER BY seq", ids)
    assert [r["status"] for r in left] == ["failed", "pending", "delivered"]  # the old closed two are gone
    await conn.execute("DELETE FROM webhook_deliveries WHERE id = ANY($1::uuid[])", ids)  # the open ones are fake


async def test_the_exchange_database_plans_a_statement_once(db):
    """The worker's statements cost more to plan than to run (services/exchange/migrations/0007)."""
    conn = await db("exchange")
    assert await conn.fetchval("SHOW plan_cache_mode") == "force_generic_plan"


async def test_kill_9_while_delivering_loses_nothing(gateway, partner, receiver, js, db, stack):
    town = await partner("gaoyi-town")
    receiver.endpoints["slow"] = Endpoint(delay_s=0.2)
    sub = await subscribe(gateway, town, receiver.url("slow"), area=TOWN, rate_limit_per_s=100)
    receiver.endpoints["slow"].secrets = [sub["secret"]]
    expected = await public_ids(await db("exchange"), await service_hours(js, 20), 40)

    async def some_delivered():
        return len(delivered(receiver.at("slow"))) >= 5

    await eventually(some_delivered, "the first deliveries", 30)
    stack.stop("exchange", signal.SIGKILL)
    killed_at = len(delivered(receiver.at("slow")))
    assert killed_at < len(expected), "delivered everything before the kill: make the receiver slower"
    stack.start("exchange", **ENV)

    async def all_delivered():
        return set(delivered(receiver.at("slow"))) >= set(expected)

    await eventually(all_delivered, "every delivery after the restart", 60)
    got = receiver.at("slow")
    assert delivered(got) == expected  # none lost, in order (a repeat only of what was in flight)
    assert all(r.verified[sub["secret"]] for r in got)
    repeats = len([r for r in got if r.answered == 200]) - len(expected)
    assert repeats <= 1, f"{repeats} deliveries sent twice: only the one in flight at the kill may be"
    log = (await gateway.get(f"/webhooks/{sub['id']}/deliveries", headers=town, params={"limit": 100})).json()
    assert [d["status"] for d in log["deliveries"]] == ["delivered"] * len(expected)
