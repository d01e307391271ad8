"""No personal data leaves the needs service on the bus: every event it publishes, and its audit
events, carry pseudonymous refs and never a resident's name, phone number or citizen ID.

The flows below publish every event type of the service for residents with distinctive names,
phone numbers and ID numbers; then every message of the NEEDS and AUDIT streams is scanned."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import nats.js.errors
import orjson
from support.waiting import eventually

from contracts.envelope import new_id, wrap
from contracts.events.volunteers import TaskAccepted
from contracts.subjects import event_subject
from contracts.values import citizen_id_check_char

COMMUNITY = "130102001001"
NOW = datetime.now(UTC)


def citizen_id(first17: str) -> str:
    return first17 + citizen_id_check_char(first17)


# three residents; phone numbers given in the forms people type them
OUYANG = {
    "name": "欧阳霁川",
    "phone": "139-0311-7742",
    "citizen_id": citizen_id("13010219460312517"),
    "address": "建华南大街甲17号3单元502",
}
SIMA = {
    "name": "司马砚秋",
    "phone": "0311-86712345",
    "citizen_id": citizen_id("13010419770823100"),  # ends in X
    "address": "中山东路桥东巷9号",
}
ZHUGE = {"name": "诸葛望舒", "phone": "158 3112 7706", "citizen_id": citizen_id("13010819830905264")}
RESIDENTS = (OUYANG, SIMA, ZHUGE)

EXPECTED = {
    "need_raised",
    "need_assessed",
    "need_routed",
    "need_escalated",
    "need_matched",
    "need_resolved",
    "need_feedback_given",
    "mediation_opened",
    "mediation_escalated",
    "personal_data_read",
}
PII_KEYS = {"name", "phone", "citizen_id", "address"}


def forbidden_strings() -> set[str]:
    """Every form in which the residents' data could appear."""
    out = set()
    for person in RESIDENTS:
        name, phone, cid = person["name"], person["phone"], person["citizen_id"]
        digits = "".join(c for c in phone if c.isdigit())
        out |= {name, name[2:], phone, digits, phone.replace(" ", "-"), cid, cid.lower(), cid[:17]}
        if phone.startswith("0"):  # a landline: the local number alone
            out.add(phone.split("-")[1])
        else:
            out.add(f"{digits[:3]} {digits[3:7]} {digits[7:]}")
        if "address" in person:
            out.add(person["address"])
    return out


def bearer(token, role: str, sub: str, area: str = "130102") -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


async def ok(reply_coro, status: int = 200) -> dict | list:
    reply = await reply_coro
    assert reply.status_code == status, reply.text
    return reply.json()


async def all_messages(js, stream: str) -> list:
    info = await js.stream_info(stream)
    out = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            out.append(await js.get_msg(stream, seq))
        except nats.js.errors.NotFoundError:  # a deleted sequence
            continue
    return out


def keys_at_any_depth(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_at_any_depth(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_at_any_depth(v)}
    return set()


def raise_need(resident: dict, **changes) -> dict:
    body = {
        "area_code": COMMUNITY,
        "category": "meal_aid",
        "urgency": "major",
        "description": "老人独居，需要助餐服务",
        "resident": {k: resident[k] for k in ("name", "phone", "citizen_id")},
    }
    return body | changes


def register(resident: dict, **changes) -> dict:
    return {
        **resident,
        "area_code": COMMUNITY,
        "tags": ["empty_nest_elderly"],
        "consent": {"purpose": "需求服务与回访", "given_at": NOW.isoformat()},
    } | changes


async def test_no_personal_data_in_any_published_event(client, js, db, token):
    worker = bearer(token, "social_worker", "sw-pii")
    secretary = bearer(token, "party_secretary", "ps-pii")
    portal = bearer(token, "partner", "hotline-12345")

    ouyang = await ok(client.post("/residents", json=register(OUYANG), headers=worker), 201)
    sima = await ok(client.post("/residents", json=register(SIMA, tags=[]), headers=worker), 201)
    as_ouyang = bearer(token, "resident", ouyang["resident_ref"], COMMUNITY)
    as_sima = bearer(token, "resident", sima["resident_ref"], COMMUNITY)

    # A: raised by a worker, assessed and routed, matched by a volunteer, resolved and judged by the resident
    need_a = (await ok(client.post("/needs", json=raise_need(OUYANG), headers=worker), 201))["id"]
    await ok(
        client.post(
            f"/needs/{need_a}/assessment",
            headers=worker,
            json={
                "category": "meal_aid",
                "urgency": "major",
                "service_plan": "每日午餐送餐上门",
                "route": "volunteer_task",
            },
        )
    )
    accepted = wrap(
        TaskAccepted(task_id=new_id(), need_id=need_a, area_code=COMMUNITY, volunteer_ref="v-pii", accepted_at=NOW),
        subject="task",
        area_code=COMMUNITY,
    )
    await js.publish(
        event_subject(TaskAccepted, COMMUNITY),
        accepted.model_dump_json().encode(),
        headers={"Nats-Msg-Id": str(accepted.id)},
    )

    async def matched():
        view = await ok(client.get(f"/needs/{need_a}", headers=worker))
        return view["need"]["status"] == "matched"

    await eventually(matched, "NeedMatched")
    await ok(client.post(f"/needs/{need_a}/resolution", json={"on_behalf_of_resident": False}, headers=as_ouyang))
    await ok(
        client.post(
            f"/needs/{need_a}/feedback", json={"satisfaction": 2, "comment": "送餐时间不固定"}, headers=as_ouyang
        )
    )

    # B: self-reported by the resident, escalated past its deadline, resolved, disputed, mediated
    need_b = (
        await ok(
            client.post("/needs", json=raise_need(SIMA, channel="self_report", urgency="urgent"), headers=as_sima), 201
        )
    )["id"]
    conn = await db("needs")
    await conn.execute("UPDATE needs SET first_response_due = now() - interval '1 minute' WHERE id = $1", need_b)

    async def escalated():
        return (await ok(client.get(f"/needs/{need_b}", headers=worker)))["need"]["escalated_at"]

    await eventually(escalated, "NeedEscalated")
    await ok(
        client.post(
            f"/needs/{need_b}/assessment",
            headers=worker,
            json={
                "category": "legal_aid",
                "urgency": "urgent",
                "service_plan": "转介法律援助中心",
                "route": "government_referral",
            },
        )
    )
    await ok(client.post(f"/needs/{need_b}/resolution", json={"on_behalf_of_resident": True}, headers=worker))
    case_id = (
        await ok(client.post(f"/needs/{need_b}/disputes", json={"reason": "居民认为未解决"}, headers=as_sima), 201)
    )["case_id"]
    await ok(client.post(f"/mediations/{case_id}/escalation", json={"reason": "提交党建联席会议"}, headers=secretary))
    await ok(client.post(f"/mediations/{case_id}/settlement", json={"outcome": "联席会议协调办结"}, headers=secretary))

    # C: imported from the hotline portal; D: found on a household visit
    imported = await ok(client.post("/needs", json=raise_need(ZHUGE, channel="portal_import"), headers=portal), 201)
    need_c = imported["id"]
    survey = await ok(
        client.post(
            "/surveys",
            headers=worker,
            json={
                "area_code": "130102001",
                "title": "入户需求调研",
                "starts_on": "2026-11-01",
                "ends_on": "2026-12-31",
            },
        ),
        201,
    )
    visit = await ok(
        client.post(
            f"/surveys/{survey['id']}/visits",
            headers=worker,
            json={
                "resident_id": ouyang["id"],
                "visited_at": NOW.isoformat(),
                "needs": [{"category": "mobility_aid", "description": "需要轮椅"}],
            },
        ),
        201,
    )
    [need_d] = visit["need_ids"]

    # audited unmasked reads: the replies do carry the data the events must not
    unmasked = await ok(client.get(f"/residents/{ouyang['id']}", params={"purpose": "电话回访核实"}, headers=worker))
    assert (unmasked["name"], unmasked["citizen_id"], unmasked["address"]) == (
        OUYANG["name"],
        OUYANG["citizen_id"],
        OUYANG["address"],
    )
    need_view = await ok(client.get(f"/needs/{need_b}", params={"purpose": "核实身份"}, headers=worker))
    assert need_view["need"]["resident"]["citizen_id"] == SIMA["citizen_id"]
    assert need_view["need"]["resident"]["phone"] == SIMA["phone"]

    ours = {need_a, need_b, need_c, need_d, case_id}
    records = {f"resident/{ouyang['id']}", f"need/{need_b}"}

    async def every_type_published():
        seen = set()
        for stream in ("NEEDS", "AUDIT"):
            for msg in await all_messages(js, stream):
                envelope = orjson.loads(msg.data)
                data = envelope["data"]
                if {str(data.get("need_id")), str(data.get("case_id"))} & ours or data.get("record") in records:
                    seen.add(envelope["type"].split(".")[3])
        return seen if seen >= EXPECTED else None

    await eventually(every_type_published, f"every event type of {sorted(EXPECTED)}")

    forbidden = forbidden_strings()
    scanned = 0
    for stream in ("NEEDS", "AUDIT"):
        for msg in await all_messages(js, stream):
            scanned += 1
            parsed = orjson.loads(msg.data)
            texts = [
                msg.data.decode(),
                json.dumps(parsed, ensure_ascii=False),
                msg.subject,
                json.dumps(dict(msg.headers or {}), ensure_ascii=False),
            ]
            leaked = sorted(s for s in forbidden if any(s in text for text in texts))
            assert not leaked, f"{stream} #{msg.seq} {msg.subject} carries {leaked}: {texts[1]}"
            named = keys_at_any_depth(parsed) & PII_KEYS
            assert not named, f"{stream} #{msg.seq} {msg.subject} has personal-data keys {sorted(named)}"
    assert scanned >= 15
