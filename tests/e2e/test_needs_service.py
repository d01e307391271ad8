"""The needs service's flows through the gateway with dev tokens, with its events checked on NATS."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from support.events import publish
from support.waiting import eventually

from contracts.envelope import new_id, wrap
from contracts.events.charity import DonationEarmarked, FundsDisbursed
from contracts.events.projects import ProjectProcured
from contracts.events.volunteers import HoursVerified, TaskAccepted
from contracts.subjects import event_subject

COMMUNITY = "130102001001"
ADULT_ID, CHILD_ID = "11010519491231002X", "130102201501011233"  # the child was born 2015-01-01
ELDER_ID = "130102195001011239"
NOW = datetime.now(UTC)


def need(**changes) -> dict:
    body = {
        "area_code": COMMUNITY,
        "category": "daily_care",
        "urgency": "major",
        "description": "帮助独居老人买菜做饭",
        "required_skills": ["做饭"],
        "target_groups": ["empty_nest_elderly"],
        "resident": {"name": "赵六", "phone": "13600136000", "citizen_id": ADULT_ID},
    }
    return body | changes


@pytest.fixture
def worker(token):
    return {"Authorization": f"Bearer {token('social_worker', '130102', 'sw-1')}"}


async def events_of(js, subject_filter: str, since_seq: int, stream: str = "NEEDS") -> list[dict]:
    info = await js.stream_info(stream)
    out = []
    for seq in range(since_seq + 1, info.state.last_seq + 1):
        msg = await js.get_msg(stream, seq)
        if msg.subject.startswith(subject_filter):
            out.append(orjson.loads(msg.data))
    return out


async def raise_one(client, worker, **changes) -> str:
    created = await client.post("/needs", json=need(**changes), headers=worker)
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_assess_match_resolve_feedback_and_timeline(client, worker, js, token):
    start = (await js.stream_info("NEEDS")).state.last_seq
    need_id = await raise_one(client, worker)

    refused = await client.post(f"/needs/{need_id}/resolution", json={"on_behalf_of_resident": True}, headers=worker)
    assert refused.status_code == 409
    assert refused.json()["state"] == "raised" and refused.json()["action"] == "resolve"

    assessment = {
        "category": "meal_aid",
        "urgency": "urgent",
        "service_plan": "每日午餐送餐上门，持续一个月",
        "route": "volunteer_task",
    }
    grid = {"Authorization": f"Bearer {token('grid_worker', '130102')}"}
    assert (await client.post(f"/needs/{need_id}/assessment", json=assessment, headers=grid)).status_code == 403
    assessed = await client.post(f"/needs/{need_id}/assessment", json=assessment, headers=worker)
    assert assessed.status_code == 200 and assessed.json()["status"] == "routed"

    # the volunteers service (its issue comes later) accepts the task: published here as it will be
    accepted = wrap(
        TaskAccepted(task_id=new_id(), need_id=need_id, area_code=COMMUNITY, volunteer_ref="v-1", accepted_at=NOW),
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
            volunteer_ref="v-1",
            minutes=90,
            verified_by="sw-1",
            verified_at=NOW,
        ),
        subject="log",
        area_code=COMMUNITY,
    )
    await js.publish(event_subject(HoursVerified, COMMUNITY), hours.model_dump_json().encode())

    async def matched():
        body = (await client.get(f"/needs/{need_id}", headers=worker)).json()
        return body if body["need"]["status"] == "matched" else None

    view = (await eventually(matched, "NeedMatched"))["need"]
    assert view["route"] == "volunteer_task" and view["category"] == "meal_aid" and view["urgency"] == "urgent"

    resolved = await client.post(f"/needs/{need_id}/resolution", json={"on_behalf_of_resident": True}, headers=worker)
    assert resolved.json()["status"] == "resolved"
    unhappy = await client.post(
        f"/needs/{need_id}/feedback", json={"satisfaction": 2, "comment": "送餐不准时"}, headers=worker
    )
    assert unhappy.json()["status"] == "reopened"

    async def timeline_complete():
        entries = (await client.get(f"/needs/{need_id}/timeline", headers=worker)).json()
        return entries if "hours_verified" in [e["kind"] for e in entries] else None

    kinds = [e["kind"] for e in await eventually(timeline_complete, "the timeline")]
    assert kinds[:5] == ["need_raised", "need_assessed", "need_routed", "task_accepted", "hours_verified"]
    assert kinds[-2:] == ["need_resolved", "feedback_given"]

    async def published():
        found = await events_of(js, "evt.needs.", start)
        types = [e["type"].split(".")[3] for e in found if e["data"].get("need_id") == need_id]
        return types if "need_feedback_given" in types else None

    assert await eventually(published, "the needs service's events") == [
        "need_raised",
        "need_assessed",
        "need_routed",
        "need_matched",
        "need_resolved",
        "need_feedback_given",
    ]


async def test_project_and_earmark_match_and_a_second_match_only_adds_to_the_timeline(client, worker, js):
    first, second = await raise_one(client, worker), await raise_one(client, worker)
    for need_id in (first, second):
        await client.post(
            f"/needs/{need_id}/assessment",
            headers=worker,
            json={"category": "daily_care", "urgency": "major", "service_plan": "购买居家照料服务", "route": "project"},
        )
    procured = wrap(
        ProjectProcured(
            project_id=new_id(),
            need_ids=[first, second],
            area_code=COMMUNITY,
            organization_uscc="91350100M000100Y43",
            budget_fen=5_000_000,
            procured_at=NOW,
        ),
        subject="p",
        area_code=COMMUNITY,
    )
    earmark = wrap(
        DonationEarmarked(
            earmark_id=new_id(),
            donation_id=new_id(),
            target_kind="need",
            target_id=first,
            area_code=COMMUNITY,
            amount_fen=20_000,
            earmarked_at=NOW,
        ),
        subject="e",
        area_code=COMMUNITY,
    )
    elsewhere = "130104002001"  # 桥西区: a provider there cannot act on 长安区's needs, whatever ids it names
    foreign = wrap(
        ProjectProcured(
            project_id=new_id(),
            need_ids=[second],
            area_code=elsewhere,
            organization_uscc="91350100M000100Y43",
            budget_fen=1,
            procured_at=NOW,
        ),
        subject="f",
        area_code=elsewhere,
    )
    await js.publish(event_subject(ProjectProcured, elsewhere), foreign.model_dump_json().encode())
    for envelope in (procured, earmark, earmark):  # the earmark arrives twice: one timeline entry
        await js.publish(event_subject(type(envelope.data), COMMUNITY), envelope.model_dump_json().encode())

    async def both_matched():
        statuses = [(await client.get(f"/needs/{n}", headers=worker)).json()["need"]["status"] for n in (first, second)]
        return statuses == ["matched", "matched"]

    await eventually(both_matched, "both needs matched by the project")

    async def earmark_on_timeline():
        entries = (await client.get(f"/needs/{first}/timeline", headers=worker)).json()
        return entries if "donation_earmarked" in [e["kind"] for e in entries] else None

    kinds = [e["kind"] for e in await eventually(earmark_on_timeline, "the earmark")]
    assert kinds.count("donation_earmarked") == 1 and kinds.count("project_procured") == 1
    second_timeline = (await client.get(f"/needs/{second}/timeline", headers=worker)).json()
    assert [e["detail"]["project_id"] for e in second_timeline if e["kind"] == "project_procured"] == [
        str(procured.data.project_id)
    ]

    paid = wrap(
        FundsDisbursed(
            disbursement_id=new_id(),
            target_kind="project",
            target_id=procured.data.project_id,
            need_ids=[first],
            area_code=COMMUNITY,
            amount_fen=1_000_000,
            disbursed_at=NOW,
        ),
        subject="d",
        area_code=COMMUNITY,
    )
    await js.publish(event_subject(FundsDisbursed, COMMUNITY), paid.model_dump_json().encode())

    async def paid_on_timeline():
        entries = (await client.get(f"/needs/{first}/timeline", headers=worker)).json()
        return [e for e in entries if e["kind"] == "funds_disbursed"]

    [entry] = await eventually(paid_on_timeline, "the disbursement")
    assert entry["actor_label"] == "慈善资源" and entry["detail"]["amount_fen"] == 1_000_000


async def test_dispute_mediation_and_escalation_to_the_joint_meeting(client, worker, js, token):
    need_id = await raise_one(client, worker)
    await client.post(
        f"/needs/{need_id}/assessment",
        headers=worker,
        json={
            "category": "legal_aid",
            "urgency": "routine",
            "service_plan": "法律咨询",
            "route": "government_referral",
        },
    )
    await client.post(f"/needs/{need_id}/resolution", json={"on_behalf_of_resident": True}, headers=worker)
    opened = await client.post(f"/needs/{need_id}/disputes", json={"reason": "居民认为问题未解决"}, headers=worker)
    assert opened.status_code == 201
    case_id = opened.json()["case_id"]
    start = (await js.stream_info("NEEDS")).state.last_seq
    secretary = {"Authorization": f"Bearer {token('party_secretary', '130102')}"}
    escalated = await client.post(
        f"/mediations/{case_id}/escalation", json={"reason": "涉及多方，提交联席会议"}, headers=secretary
    )
    assert escalated.json()["status"] == "escalated"
    assert (
        await client.post(f"/mediations/{case_id}/escalation", json={"reason": "again"}, headers=secretary)
    ).status_code == 409
    settled = await client.post(
        f"/mediations/{case_id}/settlement", json={"outcome": "联席会议协调后办结"}, headers=secretary
    )
    assert settled.status_code == 200
    assert (await client.get(f"/needs/{need_id}", headers=worker)).json()["need"]["status"] == "closed"
    sent = await eventually(lambda: events_of(js, "evt.needs.mediation_escalated", start), "MediationEscalated")
    assert sent[0]["data"]["case_id"] == case_id


async def a_later_sla_check(client, worker, conn) -> None:
    """Returns once the SLA check has run again and what it emitted is on NATS: a need made overdue
    now has been escalated, and no NeedEscalated is left unsent in the needs outbox."""
    later = await raise_one(client, worker, urgency="urgent")
    await conn.execute("UPDATE needs SET first_response_due = now() - interval '1 minute' WHERE id = $1", later)

    async def escalated_and_sent() -> bool:
        return await conn.fetchval(
            """SELECT (SELECT escalated_at IS NOT NULL FROM needs WHERE id = $1)
                      AND NOT EXISTS (SELECT FROM outbox WHERE sent_at IS NULL
                                                         AND subject LIKE 'evt.needs.need_escalated.%')""",
            later,
        )

    await eventually(escalated_and_sent, f"a later SLA check escalating need {later} and its event sent")


async def test_overdue_need_is_escalated_once(client, worker, js, db):
    need_id = await raise_one(client, worker, urgency="urgent")
    conn = await db("needs")
    await conn.execute("UPDATE needs SET first_response_due = now() - interval '1 minute' WHERE id = $1", need_id)

    async def escalated():
        body = (await client.get(f"/needs/{need_id}", headers=worker)).json()["need"]
        return body if body["escalated_at"] else None

    view = await eventually(escalated, "the SLA escalation")
    assert view["overdue"] is True
    for _ in range(2):  # two more SLA checks, each of which met this need again: still one escalation
        await a_later_sla_check(client, worker, conn)
    found = await events_of(js, "evt.needs.need_escalated", 0)
    assert [e["data"]["need_id"] for e in found].count(need_id) == 1
    library = (await client.get("/needs", params={"overdue": "true", "page_size": 200}, headers=worker)).json()
    assert need_id in [n["id"] for n in library["items"]]


async def test_library_search_csv_and_stats(client, worker, token):
    ids = [
        await raise_one(client, worker, category="tutoring", target_groups=["child_in_difficulty"]) for _ in range(3)
    ]
    page = (await client.get("/needs", params={"category": "tutoring", "page_size": 2}, headers=worker)).json()
    assert page["total"] >= 3 and len(page["items"]) == 2 and page["page_size"] == 2
    other_county = {"Authorization": f"Bearer {token('social_worker', '130104')}"}
    assert (await client.get("/needs", params={"category": "tutoring"}, headers=other_county)).json()["total"] == 0
    wider = await client.get("/needs", params={"area": "130100"}, headers=worker)
    assert wider.status_code == 403  # a county worker cannot search the whole city

    export = await client.get("/needs/export.csv", params={"category": "tutoring"}, headers=worker)
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][0] == "需求编号" and {r[0] for r in rows[1:]} >= set(ids)
    assert ADULT_ID not in export.text and "13600136000" not in export.text

    city = {"Authorization": f"Bearer {token('civil_affairs', '130100')}"}
    stats = (await client.get("/needs/stats", params={"area": "130100"}, headers=city)).json()
    assert stats["total"] >= 3 and stats["by_category"]["tutoring"] >= 3
    assert stats["by_target_group"]["child_in_difficulty"] >= 3


async def test_residents_consent_guardian_and_audited_unmasked_read(client, worker, js, token):
    adult = await client.post(
        "/residents",
        headers=worker,
        json={
            "name": "钱七",
            "citizen_id": ADULT_ID,
            "phone": "13500135000",
            "area_code": COMMUNITY,
            "address": "建北街道1号",
            "tags": ["empty_nest_elderly"],
            "consent": {"purpose": "需求服务与回访", "given_at": NOW.isoformat()},
        },
    )
    assert adult.status_code == 201, adult.text
    again = await client.post(
        "/residents",
        headers=worker,
        json={
            "name": "钱七",
            "citizen_id": ADULT_ID,
            "phone": "13500135000",
            "area_code": COMMUNITY,
            "consent": {"purpose": "需求服务", "given_at": NOW.isoformat()},
        },
    )
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "citizen_id"
    guardian_id = adult.json()["id"]
    child = {
        "name": "钱小八",
        "citizen_id": CHILD_ID,
        "phone": "13500135001",
        "area_code": COMMUNITY,
        "tags": ["child_in_difficulty"],
        "consent": {"purpose": "困境儿童关爱", "given_at": NOW.isoformat()},
    }
    no_guardian = await client.post("/residents", json=child, headers=worker)
    assert no_guardian.status_code == 422 and no_guardian.json()["errors"][0]["field"] == "guardian_id"
    own_consent = await client.post("/residents", json=child | {"guardian_id": guardian_id}, headers=worker)
    assert own_consent.json()["errors"][0]["field"] == "consent.given_by_guardian"
    registered = await client.post(
        "/residents",
        headers=worker,
        json=child | {"guardian_id": guardian_id, "consent": child["consent"] | {"given_by_guardian": True}},
    )
    assert registered.status_code == 201
    child_id = registered.json()["id"]

    masked = (await client.get(f"/residents/{child_id}", headers=worker)).json()
    assert masked["masked"] and masked["minor"] and masked["name"] == "钱**" and CHILD_ID not in str(masked)
    assert masked["consents"][0]["given_by"] == f"guardian:{guardian_id}"

    start = (await js.stream_info("AUDIT")).state.last_seq
    auditor = {"Authorization": f"Bearer {token('auditor', '130102')}"}
    assert (
        await client.get(f"/residents/{child_id}", params={"purpose": "核对监护信息"}, headers=auditor)
    ).status_code == 403
    unmasked = (await client.get(f"/residents/{child_id}", params={"purpose": "核对监护信息"}, headers=worker)).json()
    assert unmasked["citizen_id"] == CHILD_ID and not unmasked["masked"]
    audit = await eventually(
        lambda: events_of(js, "audit.needs.personal_data_read", start, stream="AUDIT"), "the audit event"
    )
    assert audit[0]["data"]["record"] == f"resident/{child_id}"
    assert audit[0]["data"]["reader"] == "sw-1" and audit[0]["data"]["purpose"] == "核对监护信息"
    assert CHILD_ID not in str(audit)


async def test_survey_visit_raises_needs_and_feeds_the_proactive_list(client, worker, token):
    resident = await client.post(
        "/residents",
        headers=worker,
        json={
            "name": "孙九",
            "citizen_id": ELDER_ID,
            "phone": "13400134000",
            "area_code": COMMUNITY,
            "tags": ["empty_nest_elderly"],
            "consent": {"purpose": "需求调研", "given_at": NOW.isoformat()},
        },
    )
    assert resident.status_code == 201, resident.text
    resident_id = resident.json()["id"]
    listed = (await client.get("/proactive-visits", headers=worker)).json()
    assert resident_id in [r["resident_id"] for r in listed]  # empty-nest elderly, never visited
    survey = await client.post(
        "/surveys",
        headers=worker,
        json={
            "area_code": "130102001",
            "title": "2026年冬季入户需求调研",
            "starts_on": "2026-11-01",
            "ends_on": "2026-12-31",
        },
    )
    assert survey.status_code == 201
    grid = {"Authorization": f"Bearer {token('grid_worker', '130102', 'grid-7')}"}
    visit = await client.post(
        f"/surveys/{survey.json()['id']}/visits",
        headers=grid,
        json={
            "resident_id": resident_id,
            "visited_at": NOW.isoformat(),
            "notes": "老人行动不便",
            "needs": [{"category": "mobility_aid", "description": "需要轮椅和陪同就医"}],
        },
    )
    assert visit.status_code == 201, visit.text
    [need_id] = visit.json()["need_ids"]
    raised = (await client.get(f"/needs/{need_id}", headers=worker)).json()["need"]
    assert raised["channel"] == "grid_survey" and raised["target_groups"] == ["empty_nest_elderly"]
    assert raised["resident"]["name"] == "孙*"
    listed = (await client.get("/proactive-visits", headers=worker)).json()
    assert resident_id not in [r["resident_id"] for r in listed]  # just visited


async def test_revisit_list_after_resolution(client, worker, db):
    need_id = await raise_one(client, worker)
    await client.post(
        f"/needs/{need_id}/assessment",
        headers=worker,
        json={"category": "daily_care", "urgency": "major", "service_plan": "上门照料", "route": "charity_aid"},
    )
    await client.post(f"/needs/{need_id}/resolution", json={"on_behalf_of_resident": True}, headers=worker)
    later = (datetime.now(UTC) + timedelta(days=8)).date().isoformat()
    due = (await client.get("/revisits/due", params={"on": later}, headers=worker)).json()
    assert need_id in [n["id"] for n in due]
    assert (
        await client.post(f"/needs/{need_id}/revisits", json={"notes": "老人表示满意"}, headers=worker)
    ).status_code == 201
    due = (await client.get("/revisits/due", params={"on": later}, headers=worker)).json()
    assert need_id not in [n["id"] for n in due]


async def test_the_taxonomy_is_configurable(client, worker, token):
    unknown = await client.post("/needs", json=need(category="haircut"), headers=worker)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "category"
    official = {"Authorization": f"Bearer {token('civil_affairs', '130000')}"}
    body = {"code": "haircut", "zh": "助理发", "en": "Haircut at home"}
    assert (await client.post("/taxonomy/categories", json=body, headers=worker)).status_code == 403
    assert (await client.post("/taxonomy/categories", json=body, headers=official)).status_code == 201
    assert (await client.post("/taxonomy/categories", json=body, headers=official)).status_code == 409
    codes = [c["code"] for c in (await client.get("/taxonomy/categories", headers=worker)).json()]
    assert "meal_aid" in codes and "haircut" in codes
    need_id = await raise_one(client, worker, category="haircut")
    assert (await client.get(f"/needs/{need_id}", headers=worker)).json()["need"]["category_label"] == "助理发"


async def test_unmasked_need_read_through_the_gateway_is_audited(client, worker, js):
    need_id = await raise_one(client, worker)
    start = (await js.stream_info("AUDIT")).state.last_seq
    view = (await client.get(f"/needs/{need_id}", params={"purpose": "电话回访"}, headers=worker)).json()["need"]
    assert view["resident"]["citizen_id"] == ADULT_ID
    audit = await eventually(lambda: events_of(js, "audit.needs.", start, stream="AUDIT"), "the audit event")
    assert audit[0]["data"]["record"] == f"need/{need_id}" and audit[0]["data"]["purpose"] == "电话回访"


async def test_resident_self_report_and_portal_import_channels(client, worker, token):
    ref = (await client.get(f"/needs/{await raise_one(client, worker)}", headers=worker)).json()["need"]["resident_ref"]
    resident = {"Authorization": f"Bearer {token('resident', COMMUNITY, ref)}"}
    own = await client.post("/needs", json=need(channel="self_report"), headers=resident)
    assert own.status_code == 201, own.text
    wrong_channel = await client.post("/needs", json=need(channel="social_worker_visit"), headers=resident)
    assert wrong_channel.status_code == 403 and wrong_channel.json()["errors"][0]["field"] == "channel"
    someone_else = need(
        channel="self_report", resident={"name": "吴一", "phone": "13200132000", "citizen_id": ELDER_ID}
    )
    assert (await client.post("/needs", json=someone_else, headers=resident)).status_code == 403
    portal = {"Authorization": f"Bearer {token('partner', '130102', 'hotline-12345')}"}
    assert (await client.post("/needs", json=need(channel="portal_import"), headers=portal)).status_code == 201
    # the resident confirms and judges their own need; a worker cannot pretend to be the resident
    need_id = own.json()["id"]
    await client.post(
        f"/needs/{need_id}/assessment",
        headers=worker,
        json={"category": "daily_care", "urgency": "major", "service_plan": "上门照料", "route": "charity_aid"},
    )
    assert (
        await client.post(f"/needs/{need_id}/resolution", json={"on_behalf_of_resident": False}, headers=worker)
    ).status_code == 422
    confirmed = await client.post(
        f"/needs/{need_id}/resolution", json={"on_behalf_of_resident": False}, headers=resident
    )
    assert confirmed.json()["status"] == "resolved"
    judged = await client.post(f"/needs/{need_id}/feedback", json={"satisfaction": 4}, headers=resident)
    assert judged.json()["status"] == "closed"
