"""`wushe rebuild volunteers demands`: the volunteers service's demands rebuilt from NEEDS from the
first sequence while the service and its live consumer run and needs keep being raised — a read
model a bug damaged (rows lost, a column overwritten) comes back exactly as its events say, and
nothing raised meanwhile is lost.

This module's needs are in community 130102001019 of 长安区, which no other module uses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from support.events import publish
from support.waiting import eventually

from contracts.envelope import new_id, wrap
from contracts.events.needs import NeedRaised
from deploy import rebuild

COMMUNITY = "130102001019"
CATEGORIES = ("daily_care", "meal_aid", "tutoring")


@pytest.fixture(scope="module")
def volunteers(stack):
    stack.start("needs", "volunteers", "gateway")  # the live consumer volunteers-need-raised runs


def raised(n: int) -> NeedRaised:
    return NeedRaised(
        need_id=new_id(),
        area_code=COMMUNITY,
        category=CATEGORIES[n % 3],
        urgency="routine",
        channel="social_worker_visit",
        resident_ref=f"rebuild-{n}",
        raised_by="sw-rebuild",
        raised_at=datetime.now(UTC),
        required_skills=["陪诊"] if n % 2 else [],
    )


async def raise_all(js, needs: list[NeedRaised]) -> None:
    for need in needs:
        await publish(js, wrap(need, subject=str(need.need_id), area_code=COMMUNITY))


async def ours(conn) -> dict:
    rows = await conn.fetch("SELECT need_id, category, required_skills FROM demands WHERE area_code = $1", COMMUNITY)
    return {r["need_id"]: (r["category"], list(r["required_skills"])) for r in rows}


def expected(needs: list[NeedRaised]) -> dict:
    return {n.need_id: (n.category, n.required_skills) for n in needs}


async def test_a_damaged_read_model_is_rebuilt_while_the_service_runs(volunteers, settings, js, db):
    conn = await db("volunteers")
    before = [raised(n) for n in range(300)]
    await raise_all(js, before)
    await eventually(lambda: _count_is(conn, 300), "the live consumer's demands")
    # a bug: rows lost, a column overwritten
    await conn.execute("DELETE FROM demands WHERE need_id = ANY($1::uuid[])", [n.need_id for n in before[:100]])
    await conn.execute(
        "UPDATE demands SET category = 'wrong' WHERE need_id = ANY($1::uuid[])", [n.need_id for n in before[100:150]]
    )

    live = await consumers(js)
    meanwhile = [raised(n) for n in range(300, 360)]
    raising = asyncio.create_task(raise_all(js, meanwhile))  # needs keep being raised during the rebuild
    report = await rebuild.rebuild(settings, "volunteers", "demands")
    await raising
    assert report.applied >= 300 and report.skipped == [] and report.rows["demands"] >= 300

    async def whole() -> bool:
        return await ours(conn) == expected(before + meanwhile)

    await eventually(whole, "every need, as its event says, none lost or doubled")
    assert await conn.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = 'rebuild'") == 0
    assert await consumers(js) == live, "the rebuild leaves only the live consumers behind"


async def consumers(js) -> set[str]:
    return {c.name for c in await js.consumers_info("NEEDS")}


async def _count_is(conn, n: int) -> bool:
    return len(await ours(conn)) == n


async def test_an_unknown_projection_is_named_with_the_choices(settings, capsys):
    assert rebuild.run(settings, "volunteers", "tasks") == 2
    assert "demands" in capsys.readouterr().err
