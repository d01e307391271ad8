"""A poison event on every service's stream: each consumer dead-letters it within 60 s with the
reason, the events behind it keep flowing, and once its cause is fixed `wushe dlq replay` applies
it exactly once."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import orjson
import pytest
from support.waiting import eventually

from contracts.envelope import new_id, wrap
from contracts.events.charity import FundsCommitted
from contracts.events.needs import NeedRaised
from contracts.events.party import MatterDecided
from contracts.events.projects import ProjectProposed
from contracts.events.volunteers import VolunteerRegistered
from contracts.subjects import event_subject, stream_of
from deploy import dlq
from kit import db as kit_db

AREA = "130731100001"  # 张家口 涿鹿县 涿鹿镇: nothing else in the suite lives here
NOW = datetime.now(UTC)


def samples():
    """One event per stream, each of a type another service consumes, naming nothing it knows."""
    return [
        (
            "volunteers",
            "volunteers-need-raised",
            NeedRaised(
                need_id=new_id(),
                area_code=AREA,
                category="meal_aid",
                urgency="routine",
                channel="portal_import",
                resident_ref="poison-test",
                raised_by="portal",
                raised_at=NOW,
            ),
        ),
        (
            "charity",
            "charity-holders-volunteer-registered",
            VolunteerRegistered(volunteer_ref=f"poison-{new_id().hex[:8]}", area_code=AREA, registered_at=NOW),
        ),
        (
            "party",
            "party-project-proposed",
            ProjectProposed(
                project_id=new_id(),
                area_code=AREA,
                title="毒消息测试项目",
                budget_fen=100,
                vital_interests=False,
                proposed_at=NOW,
            ),
        ),
        (
            "projects",
            "projects-funds-committed",
            FundsCommitted(
                commitment_id=new_id(),
                request_id=new_id(),
                project_id=new_id(),
                fund_id=new_id(),
                area_code=AREA,
                amount_fen=100,
                committed_at=NOW,
            ),
        ),
        (
            "projects",
            "projects-matter-decided",
            MatterDecided(
                matter_id=new_id(),
                source="manual",
                area_code=AREA,
                outcome="approved",
                votes_for=3,
                votes_against=0,
                votes_abstain=0,
                committee_size=3,
                decided_by="poison-test",
                decided_at=NOW,
            ),
        ),
    ]


async def publish(js, event, *, drop: str | None = None):
    envelope = wrap(event, subject="poison-test", area_code=AREA)
    body = envelope.model_dump(mode="json")
    if drop:
        del body["data"][drop]  # what a broken producer might send
    await js.publish(event_subject(type(event), AREA), orjson.dumps(body), headers={"Nats-Msg-Id": str(envelope.id)})
    return envelope


async def applied(settings, service: str, consumer: str, event_id) -> bool:
    conn = await kit_db.connect(settings, service)
    try:
        return bool(
            await conn.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2", consumer, event_id)
        )
    finally:
        await conn.close()


async def letters_for(js, since: int) -> dict[tuple[str, str], dict]:
    """Dead letters after sequence `since`, by the event id they carry and the consumer that gave up."""
    found = {}
    for seq in range(since + 1, (await js.stream_info("DLQ")).state.last_seq + 1):
        msg = await js.get_msg("DLQ", seq)
        found[orjson.loads(msg.data)["id"], msg.headers["Wushe-Dlq-Consumer"]] = {"seq": seq, **msg.headers}
    return found


@pytest.fixture(scope="module")
def every_service(stack):
    stack.start("needs", "volunteers", "projects", "charity", "party", WUSHE_CONSUMER_MAX_DELIVER="2")
    return stack


@pytest.mark.slow
async def test_a_poison_event_on_every_stream_is_dead_lettered_and_the_rest_flow(every_service, settings, js):
    since = (await js.stream_info("DLQ")).state.last_seq
    cases = samples()
    assert {stream_of(type(event)) for _, _, event in cases} == {"NEEDS", "VOLUNTEERS", "PROJECTS", "CHARITY", "PARTY"}
    poisons, goods = [], []
    for _, _, event in cases:
        poisons.append(await publish(js, event, drop="area_code"))
        goods.append(await publish(js, event.model_copy(update={})))  # a sound event right behind it
    for (service, consumer, _), good in zip(cases, goods, strict=True):
        await eventually(partial(applied, settings, service, consumer, good.id), f"{consumer} past the poison", 30)

    async def all_dead_lettered():
        letters = await letters_for(js, since)
        wanted = [(str(p.id), consumer) for p, (_, consumer, _) in zip(poisons, cases, strict=True)]
        return letters if all(key in letters for key in wanted) else None

    letters = await eventually(all_dead_lettered, "every poison event in DLQ", 60)
    for (service, consumer, _), poison in zip(cases, poisons, strict=True):
        letter = letters[str(poison.id), consumer]
        assert "data.area_code" in letter["Wushe-Dlq-Reason"] and letter["Wushe-Dlq-Deliveries"] == "2"
        assert not await applied(settings, service, consumer, poison.id)


@pytest.mark.slow
async def test_a_dead_letter_replayed_after_its_cause_is_fixed_is_applied_once(every_service, settings, js):
    """A sound event the consumer's database refuses (here a constraint, as a missing migration or a
    too-narrow column would): dead-lettered, then applied once the cause is fixed and it is replayed."""
    since = (await js.stream_info("DLQ")).state.last_seq
    need = NeedRaised(
        need_id=new_id(),
        area_code=AREA,
        category="meal_aid",
        urgency="routine",
        channel="portal_import",
        resident_ref="poison-fix",
        raised_by="portal",
        raised_at=NOW,
    )
    volunteers = await kit_db.connect(settings, "volunteers")
    try:
        await volunteers.execute(f"ALTER TABLE demands ADD CONSTRAINT poison_probe CHECK (need_id <> '{need.need_id}')")
        envelope = await publish(js, need)
        letters = await eventually(lambda: _letter(js, since, envelope.id), "the refused event in DLQ", 60)
        assert "poison_probe" in letters["Wushe-Dlq-Reason"]
        await volunteers.execute("ALTER TABLE demands DROP CONSTRAINT poison_probe")  # the fix
        assert await dlq.replay(settings, [letters["seq"]]) == 0
        assert await dlq.replay(settings, [letters["seq"]]) == 0  # a second replay finds nothing to send

        async def demand():
            return await volunteers.fetchval("SELECT count(*) FROM demands WHERE need_id = $1", need.need_id)

        await eventually(demand, "the replayed event applied")
        assert (
            await volunteers.fetchval(
                "SELECT count(*) FROM inbox WHERE consumer = 'volunteers-need-raised' AND event_id = $1", envelope.id
            )
            == 1
        )
    finally:
        await volunteers.execute("ALTER TABLE demands DROP CONSTRAINT IF EXISTS poison_probe")
        await volunteers.close()


async def _letter(js, since: int, event_id) -> dict | None:
    return (await letters_for(js, since)).get((str(event_id), "volunteers-need-raised"))
