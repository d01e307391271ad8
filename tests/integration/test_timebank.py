"""The time bank against the real PostgreSQL: idempotent crediting, the database's own double-entry
check, the floor, the family limit, inter-bank redemption and clearing, the exchange event."""

from __future__ import annotations

import asyncio
from datetime import date

import asyncpg
import httpx
import pytest
from support.party import citizen_id

from contracts.envelope import Envelope, new_id
from contracts.events.timebank import CreditsExchanged
from kit import db as kit_db
from kit.app import create_app
from kit.auth import Principal, Role
from kit.crypto import load_keyring
from kit.problems import Problem
from kit.settings import Settings, get_settings
from services.volunteers.handlers import pii_context
from services.volunteers.timebank import api, config, handlers

HOME, OTHER = "130102001001", "130102001002"  # two community banks of 长安区
WORKER = Principal(sub="sw-1", role=Role.SOCIAL_WORKER, area="130102")
POLICY = config.TimebankSettings(rate=1.0, floor_units=0, family_limit_units_per_year=300)


@pytest.fixture
async def pool(settings: Settings):
    pool = await kit_db.create_pool(settings, "volunteers", size=4)
    yield pool
    await pool.close()


async def volunteer(pool, bank: str = HOME) -> tuple:
    """A registered volunteer, its personal data sealed as the volunteers service seals it: other
    modules list the volunteers of these communities through the service, which decrypts them."""
    vid = new_id()
    ref = f"v-{vid.hex[-16:]}"
    keyring = load_keyring(get_settings().keyring_file)
    name, cid, phone = (
        keyring.encrypt(value, pii_context(vid, field))
        for field, value in (("name", "时间银行测试"), ("citizen_id", citizen_id()), ("phone", "13800000000"))
    )
    await pool.execute(
        """INSERT INTO volunteers (id, volunteer_ref, area_code, name_enc, citizen_id_enc, phone_enc, birth_date,
                                   registered_by, registered_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'test', now())""",
        vid,
        ref,
        bank,
        name,
        cid,
        phone,
        date(1980, 1, 1),
    )
    return vid, ref


async def credit(pool, vid, minutes: int, log_id=None, bank: str = HOME):
    async with pool.acquire() as conn, conn.transaction():
        return await handlers.credit_verified_hours(
            conn, volunteer_id=vid, bank_area=bank, minutes=minutes, log_id=log_id or new_id(), rate=1.0
        )


async def balance(pool, vid) -> int:
    return (await handlers.account_view(pool, WORKER, vid)).balance_units


def refused(excinfo, status: int, rule: str) -> None:
    problem = excinfo.value
    assert problem.status == status and problem.extensions["rule"] == rule, problem.body("/")


# --- crediting ------------------------------------------------------------------------------


async def test_the_same_hour_log_is_credited_once(pool):
    vid, _ = await volunteer(pool)
    log_id = new_id()
    first = await credit(pool, vid, 90, log_id)
    again = await credit(pool, vid, 90, log_id)
    assert (first.replayed, again.replayed) == (False, True) and again.id == first.id
    assert await balance(pool, vid) == 150
    with pytest.raises(Problem) as excinfo:  # the same log with another amount is not a replay
        await credit(pool, vid, 30, log_id)
    refused(excinfo, 409, "reference_reused")


async def test_crediting_needs_the_callers_transaction(pool):
    vid, _ = await volunteer(pool)
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError):
            await handlers.credit_verified_hours(
                conn, volunteer_id=vid, bank_area=HOME, minutes=60, log_id=new_id(), rate=1.0
            )


async def test_hours_served_at_another_bank_reach_the_home_account(pool):
    vid, _ = await volunteer(pool)
    await credit(pool, vid, 60, bank=OTHER)
    assert await balance(pool, vid) == 100
    view = await handlers.positions(pool, WORKER, "130102001")
    books = {b.bank: b for b in view.banks}
    assert books[OTHER].issuance_units <= -100  # the serving bank issued the credits …
    assert {d.counterparty: d.units for d in books[OTHER].due}[HOME] >= 100  # … and owes HOME, which now carries them


# --- the database's own checks --------------------------------------------------------------


async def raw_transaction(conn, postings: list[tuple[int, int]]) -> None:
    txn_id = new_id()
    async with conn.transaction():
        await conn.execute(
            """INSERT INTO timebank_transactions (id, kind, reference, created_at, created_by)
                              VALUES ($1, 'earn', $2, now(), 'test')""",
            txn_id,
            str(txn_id),
        )
        for account, units in postings:
            await conn.execute(
                "INSERT INTO timebank_postings (transaction_id, account_id, units) VALUES ($1, $2, $3)",
                txn_id,
                account,
                units,
            )


async def account_ids(pool, vid) -> tuple[int, int, int]:
    """(the volunteer's account, HOME's issuance, OTHER's issuance)"""
    await credit(pool, vid, 60)
    await credit(pool, vid, 60, bank=OTHER)
    rows = await pool.fetch(
        "SELECT id, kind, bank FROM timebank_accounts WHERE volunteer_id = $1 "
        "OR (kind = 'issuance' AND bank IN ($2, $3))",
        vid,
        HOME,
        OTHER,
    )
    by = {(r["kind"], r["bank"]): r["id"] for r in rows}
    return by[("volunteer", HOME)], by[("issuance", HOME)], by[("issuance", OTHER)]


@pytest.mark.parametrize("shape", ["one_posting", "not_zero", "zero_in_total_but_not_per_bank", "no_postings"])
async def test_the_database_refuses_an_unbalanced_transaction(pool, shape):
    vid, _ = await volunteer(pool)
    mine, home_issuance, other_issuance = await account_ids(pool, vid)
    postings = {
        "one_posting": [(mine, 5)],
        "not_zero": [(mine, 5), (home_issuance, -4)],
        "zero_in_total_but_not_per_bank": [(mine, 5), (other_issuance, -5)],
        "no_postings": [],
    }[shape]
    before = await balance(pool, vid)
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError, match="timebank|交易"):
            await raw_transaction(conn, postings)
        await raw_transaction(conn, [(mine, 5), (home_issuance, -5)])  # a balanced one commits
    assert await balance(pool, vid) == before + 5


async def test_postings_are_append_only(pool):
    vid, _ = await volunteer(pool)
    mine, _, _ = await account_ids(pool, vid)
    for statement in (
        "UPDATE timebank_postings SET units = units + 1 WHERE account_id = $1",
        "DELETE FROM timebank_postings WHERE account_id = $1",
    ):
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await pool.execute(statement, mine)


# --- rules ------------------------------------------------------------------------------------


async def test_a_debit_below_the_floor_is_refused(pool):
    vid, _ = await volunteer(pool)
    await credit(pool, vid, 60)
    with pytest.raises(Problem) as excinfo:
        await handlers.exchange(pool, WORKER, vid, 101, settings=POLICY)
    refused(excinfo, 409, "floor")
    with pytest.raises(Problem) as excinfo:
        await handlers.redeem(pool, WORKER, vid, 101, "助餐 meal", OTHER, settings=POLICY)
    refused(excinfo, 409, "floor")
    assert await balance(pool, vid) == 100
    await handlers.redeem(pool, WORKER, vid, 100, "助餐 meal", HOME, settings=POLICY)  # down to the floor is fine
    assert await balance(pool, vid) == 0


async def test_transfers_go_to_registered_family_within_the_yearly_limit(pool):
    from contracts.api.timebank import FamilyLinkIn, Relation

    (giver, giver_ref), (mother, _) = await volunteer(pool), await volunteer(pool, OTHER)
    await credit(pool, giver, 600)  # 1,000 units
    with pytest.raises(Problem) as excinfo:
        await handlers.transfer(pool, WORKER, giver, mother, 100, settings=POLICY)
    refused(excinfo, 409, "family_link")

    me = Principal(sub=giver_ref, role=Role.VOLUNTEER, area=HOME)
    link = await handlers.declare_family_link(
        pool,
        load_keyring(get_settings().keyring_file),
        me,
        FamilyLinkIn(volunteer_id=giver, relative_id=mother, relation=Relation.PARENT),
    )
    assert (link.relative_name, link.relation_label) == ("时*****", "父母 / Parent")
    first = await handlers.transfer(pool, me, giver, mother, 200, reference="k1", settings=POLICY)
    again = await handlers.transfer(pool, me, giver, mother, 200, reference="k1", settings=POLICY)
    assert again.replayed and again.id == first.id  # a retried request posts nothing
    with pytest.raises(Problem) as excinfo:
        await handlers.transfer(pool, me, giver, mother, 101, settings=POLICY)
    refused(excinfo, 409, "family_transfer_limit")
    await handlers.transfer(pool, me, giver, mother, 100, settings=POLICY)  # exactly up to the limit
    assert (await balance(pool, giver), await balance(pool, mother)) == (700, 300)


async def test_redemption_at_another_bank_and_clearing(pool):
    a, b = "130105001001", "130105001201"  # a community and a village bank of 新华区, used only here
    clerk = Principal(sub="ca-1", role=Role.CIVIL_AFFAIRS, area="130105")
    va, _ = await volunteer(pool, a)
    vb, _ = await volunteer(pool, b)
    await credit(pool, va, 300, bank=a)
    await credit(pool, vb, 300, bank=b)
    await handlers.redeem(pool, clerk, va, 300, "助浴 bath", b, settings=POLICY)  # a owes b 300
    await handlers.redeem(pool, clerk, vb, 100, "助行 walk", a, settings=POLICY)  # b owes a 100

    def dues(view) -> dict:
        return {(bank.bank, d.counterparty): d.units for bank in view.banks for d in bank.due}

    before = await handlers.positions(pool, clerk, "130105")
    assert dues(before) == {(a, b): 200, (b, a): -200}
    assert {bank.bank: bank.redemption_units for bank in before.banks} == {a: 100, b: 300}

    cleared = await handlers.clearing(pool, clerk, "130105001")
    assert [(n.debtor_bank, n.creditor_bank, n.units) for n in cleared.settled] == [(a, b, 200)]
    after = await handlers.positions(pool, clerk, "130105")
    assert set(dues(after).values()) == {0}
    assert {bank.bank: bank.issuance_units for bank in after.banks} == {a: -300, b: -700}
    assert (await handlers.clearing(pool, clerk, "130105001")).settled == []  # nothing left to settle
    assert await pool.fetchval("SELECT sum(units) FROM timebank_postings") == 0

    with pytest.raises(Problem) as excinfo:  # a worker outside the area clears nothing
        await handlers.clearing(pool, Principal(sub="ca-2", role=Role.CIVIL_AFFAIRS, area="130102"), "130105")
    assert excinfo.value.status == 403


async def test_an_exchange_writes_credits_exchanged_to_the_outbox(pool):
    vid, ref = await volunteer(pool)
    await credit(pool, vid, 120)
    posted = await handlers.exchange(pool, WORKER, vid, 150, reference="ex-1", settings=POLICY)
    replay = await handlers.exchange(pool, WORKER, vid, 150, reference="ex-1", settings=POLICY)
    assert replay.replayed and replay.id == posted.id
    rows = await pool.fetch(
        "SELECT subject, payload FROM outbox WHERE subject LIKE 'evt.volunteers.credits_exchanged.%'"
    )
    events = [Envelope[CreditsExchanged].model_validate_json(r["payload"]) for r in rows]
    mine = [e for e in events if e.data.exchange_id == posted.id]
    assert len(mine) == 1  # the replay emitted nothing
    assert (mine[0].data.volunteer_ref, mine[0].data.area_code, mine[0].data.credits) == (ref, HOME, 150)
    assert await balance(pool, vid) == 50


async def test_concurrent_requests_keep_the_rules(pool):
    vid, ref = await volunteer(pool)
    other, _ = await volunteer(pool, OTHER)
    log_id = new_id()
    credited = await asyncio.gather(*(credit(pool, vid, 60, log_id) for _ in range(4)))
    assert sorted(c.replayed for c in credited) == [False, True, True, True]

    async def spend():
        try:
            return await handlers.exchange(pool, WORKER, vid, 60, settings=POLICY)
        except Problem as exc:
            return exc.extensions["rule"]

    outcomes = await asyncio.gather(*(spend() for _ in range(5)))
    assert sorted(map(str, outcomes)).count("floor") == 4  # 100 units: one exchange of 60 fits

    # transfers in opposite directions between two accounts, all at once: no deadlock
    from contracts.api.timebank import FamilyLinkIn, Relation

    await credit(pool, other, 60, bank=OTHER)
    for giver, relative in ((vid, other), (other, vid)):
        await handlers.declare_family_link(
            pool,
            load_keyring(get_settings().keyring_file),
            WORKER,
            FamilyLinkIn(volunteer_id=giver, relative_id=relative, relation=Relation.SIBLING),
        )
    await asyncio.gather(
        *(
            handlers.transfer(pool, WORKER, g, r, 10, settings=POLICY)
            for _ in range(3)
            for g, r in ((vid, other), (other, vid))
        )
    )
    assert (await balance(pool, vid), await balance(pool, other)) == (40, 100)


# --- reads and the HTTP routes -----------------------------------------------------------------


async def test_statement_runs_its_balance_and_readers_are_scoped(pool):
    vid, ref = await volunteer(pool)
    await credit(pool, vid, 60)
    await handlers.exchange(pool, WORKER, vid, 40, settings=POLICY)
    me = Principal(sub=ref, role=Role.VOLUNTEER, area=HOME)
    view = await handlers.account_view(pool, me, vid)
    assert (view.balance_units, view.balance_credits) == (60, "0.60")
    assert [(e.kind, e.units, e.balance_units) for e in view.statement] == [("exchange", -40, 60), ("earn", 100, 100)]
    for stranger in (
        Principal(sub="someone-else", role=Role.VOLUNTEER, area=HOME),
        Principal(sub="sw-2", role=Role.SOCIAL_WORKER, area="130104"),
    ):
        with pytest.raises(Problem) as excinfo:
            await handlers.account_view(pool, stranger, vid)
        assert excinfo.value.status == 404


@pytest.fixture
async def client(pool):
    app = create_app("volunteers", title="时间银行", routers=[api.router], idempotent_writes=True)
    app.state.pool, app.state.timebank_settings = pool, POLICY
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tb") as c:
        yield c


async def test_http_routes(client, pool, token):
    vid, ref = await volunteer(pool)
    await credit(pool, vid, 60)
    me = {"Authorization": f"Bearer {token('volunteer', HOME, ref)}"}

    r = await client.get(f"/timebank/volunteers/{vid}", headers=me)
    assert r.status_code == 200 and r.json()["balance_units"] == 100

    r = await client.post("/timebank/exchanges", json={"volunteer_id": str(vid), "units": 500}, headers=me)
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["rule"] == "floor" and r.json()["errors"][0]["field"] == "units"

    r = await client.post("/timebank/exchanges", json={"volunteer_id": str(vid), "units": "5"}, headers=me)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "units"

    body = {"volunteer_id": str(vid), "units": 30}
    first = await client.post("/timebank/exchanges", json=body, headers={**me, "Idempotency-Key": "abc"})
    again = await client.post("/timebank/exchanges", json=body, headers={**me, "Idempotency-Key": "abc"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert await balance(pool, vid) == 100 - 30

    r = await client.post("/timebank/clearing", json={}, headers=me)
    assert r.status_code == 403
    clerk = {"Authorization": f"Bearer {token('civil_affairs', '130104', 'ca-3')}"}
    r = await client.get("/timebank/positions", params={"area": "130104"}, headers=clerk)
    assert r.status_code == 200 and r.json()["area"] == "130104"
    r = await client.get("/timebank/positions", params={"area": "130102"}, headers=clerk)
    assert r.status_code == 403
