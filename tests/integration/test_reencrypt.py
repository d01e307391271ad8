"""Key rotation: after `wushe reencrypt`, every ciphertext of every service that keeps personal data
(needs, volunteers, party, charity) is under the new key, the old key can be retired, and everything
reads back the same. The walk is resumable and never overwrites a concurrent update.
This module's area: 怀安县 (130728)."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.waiting import eventually

from contracts.api import charity as charity_api
from contracts.api import party as party_api
from contracts.api import volunteers as volunteers_api
from contracts.api.needs import NeedIn
from contracts.values import citizen_id_check_char
from deploy import reencrypt as reencrypt_command
from kit import db as kit_db
from kit.auth import Principal, Role
from kit.crypto import Keyring, load_keyring, rotate_keyring
from kit.reencrypt import Encrypted, Unreadable, reencrypt
from kit.settings import PII_SERVICES, Settings
from services.charity import handlers as charity
from services.needs import handlers as needs
from services.needs.config import NeedsSettings
from services.party import handlers as party
from services.volunteers import handlers as volunteers

COUNTY, COMMUNITY = "130728", "130728100001"
TARGETS = {
    "needs": needs.ENCRYPTED,
    "volunteers": volunteers.ENCRYPTED,
    "party": party.ENCRYPTED,
    "charity": charity.ENCRYPTED,
}


SERIALS = itertools.count(1)


def citizen_id(born: str) -> str:
    first17 = f"{COUNTY}{born}{next(SERIALS):03d}"
    return first17 + citizen_id_check_char(first17)


@pytest.fixture
async def pools(settings: Settings):
    pools = {s: await kit_db.create_pool(settings, s, size=3) for s in PII_SERVICES}
    yield pools
    for pool in pools.values():
        await pool.close()


@pytest.fixture
def ring_file(settings: Settings, tmp_path: Path):
    """A copy of the session's keyring to rotate; afterwards every service's data goes back under
    the session's key, for the tests after this module."""
    path = tmp_path / "ring.json"
    path.write_text(settings.keyring_file.read_text())
    yield path


@pytest.fixture
async def restore(settings: Settings, pools, ring_file):
    yield
    back, rotated = load_keyring(settings.keyring_file), load_keyring(ring_file)
    every_key = Keyring(active=back.active, keys={**rotated.keys, **back.keys}, pseudonym_key=back.pseudonym_key)
    for service, pool in pools.items():
        await reencrypt(pool, every_key, TARGETS[service])


async def create_personal_data(pools, keyring: Keyring) -> dict:
    """One record of each kind, written by the services' own handlers."""
    worker = Principal(sub="sw-keys", role=Role.SOCIAL_WORKER, area=COUNTY)
    need = await needs.raise_need(
        needs.grouped_intake(pools["needs"], NeedsSettings().level_defaults),
        keyring,
        worker,
        NeedIn.model_validate(
            {
                "area_code": COMMUNITY,
                "category": "bath_aid",
                "description": "助浴",
                "resident": {"name": "周十", "phone": "13300133000", "citizen_id": citizen_id("19491231")},
            }
        ),
    )
    minor = await volunteers.register(
        pools["volunteers"],
        keyring,
        worker,
        volunteers_api.VolunteerIn.model_validate(
            {
                "name": "吴小雨",
                "citizen_id": citizen_id("20100601"),
                "phone": "13900139001",
                "area_code": COMMUNITY,
                "social_worker": {"level": "assistant", "certificate_no": "ZS-2024-0001"},
                "guardian_consent": {
                    "guardian_name": "吴大山",
                    "guardian_phone": "13700137001",
                    "given_at": datetime(2026, 1, 5, tzinfo=UTC).isoformat(),
                },
            }
        ),
    )
    secretary = Principal(sub="ps-keys", role=Role.PARTY_SECRETARY, area=COUNTY)
    org = await party.create_organization(
        pools["party"],
        secretary,
        party_api.OrganizationIn(name="柴沟堡镇第一社区党支部", kind="branch", area_code=COMMUNITY),
    )
    member = await party.register_member(
        pools["party"],
        keyring,
        secretary,
        party_api.MemberIn(
            org_id=org,
            name="郑红",
            phone="13600136001",
            citizen_id=citizen_id("19800101"),
            area_code=COMMUNITY,
            in_service=False,
        ),
    )
    fund = await charity.create_fund(
        pools["charity"],
        Principal(sub="mz-keys", role=Role.CIVIL_AFFAIRS, area=COUNTY),
        charity_api.FundIn(name="怀安县社区基金", kind="community_foundation", area_code=COUNTY),
    )
    donation = await charity.receive_donation(
        pools["charity"],
        keyring,
        Principal(sub="cz-keys", role=Role.CHARITY_ADMIN, area=COUNTY),
        charity_api.DonationIn(
            fund_id=fund, donor=charity_api.DonorIn(kind="person", name="冯善人"), amount_fen=10_000
        ),
    )
    return {"need": need.id, "volunteer": minor.id, "member": member.id, "donation": donation.id}


async def plaintexts(pool, keyring: Keyring, targets: tuple[Encrypted, ...]) -> dict:
    """Every ciphertext of `targets` decrypted with the context the service declares: {(table, id, field): text}."""
    found = {}
    for target in targets:
        for row in await pool.fetch(f"SELECT id, {target.ciphertexts()} FROM {target.table}"):
            for i, f in enumerate(target.fields):
                if row[f"f{i}"] is not None:
                    found[(target.table, row["id"], f.name)] = keyring.decrypt(
                        row[f"f{i}"], f.context(row["id"], f.name)
                    )
    return found


def only(ring_file: Path, kid: str) -> Keyring:
    """The keyring with the older keys retired."""
    ring = load_keyring(ring_file)
    return Keyring(active=kid, keys={kid: ring.keys[kid]}, pseudonym_key=ring.pseudonym_key)


async def stale_counts(pools, kid: str) -> dict[str, dict[str, int]]:
    """{service: {table: rows holding a ciphertext not under `kid`}}."""
    prefix = kid.encode() + b":"
    return {
        s: {
            t.table: await pools[s].fetchval(f"SELECT count(*) FROM {t.table} WHERE {t.stale()}", prefix)
            for t in TARGETS[s]
        }
        for s in PII_SERVICES
    }


async def test_after_reencrypting_every_service_the_old_key_can_be_retired(pools, ring_file, restore, settings, capsys):
    old = load_keyring(ring_file)
    made = await create_personal_data(pools, old)
    before = {s: await plaintexts(pools[s], old, TARGETS[s]) for s in PII_SERVICES}
    new_kid = rotate_keyring(ring_file)
    to_do = await stale_counts(pools, new_kid)

    rotated_settings = settings.model_copy(update={"pii_keyring_file": ring_file})
    assert await reencrypt_command.run(rotated_settings, list(PII_SERVICES), batch=200) == 0
    printed = capsys.readouterr().out
    summary = printed[printed.index("汇总 / summary:") :]
    for service, tables in to_do.items():
        for table, n in tables.items():
            assert f"{service}.{table}: {n}/{n} 行 / rows" in printed  # the progress line
            assert f"{service}.{table}: 完成，重新加密 {n} 行 / done, {n} rows re-encrypted" in printed
        assert f"  {service}: 重新加密 {sum(tables.values())} 行" in summary
    assert await stale_counts(pools, new_kid) == {s: {t: 0 for t in tables} for s, tables in to_do.items()}

    retired = only(ring_file, new_kid)
    after = {
        s: await plaintexts(pools[s], retired, TARGETS[s]) for s in PII_SERVICES
    }  # no old key: raises if one is left
    assert after == before
    shown = after["volunteers"]
    assert shown[("volunteers", made["volunteer"], "guardian_name")] == "吴大山"
    assert shown[("volunteers", made["volunteer"], "guardian_phone")] == "13700137001"
    assert shown[("volunteers", made["volunteer"], "certificate")] == "ZS-2024-0001"
    assert after["party"][("members", made["member"], "phone")] == "13600136001"
    assert after["charity"][("donations", made["donation"], "donor")] == "冯善人"
    await services_read_back(pools, retired, made)


async def services_read_back(pools, keyring: Keyring, made: dict) -> None:
    """The services' own read paths, with only the new key."""
    view = needs.need_view(
        await pools["needs"].fetchrow("SELECT * FROM needs WHERE id = $1", made["need"]), keyring, {}, masked=False
    )
    assert (view.resident.name, view.resident.phone) == ("周十", "13300133000")
    worker = Principal(sub="sw-keys", role=Role.SOCIAL_WORKER, area=COUNTY)
    volunteer = await volunteers.read_volunteer(
        pools["volunteers"], keyring, worker, made["volunteer"], purpose="核对密钥轮换 / key rotation check"
    )
    assert (volunteer.name, volunteer.phone, volunteer.citizen_id[:14]) == (
        "吴小雨",
        "13900139001",
        f"{COUNTY}20100601",
    )
    member = party.member_view(
        keyring, await pools["party"].fetchrow("SELECT * FROM members WHERE id = $1", made["member"]), unmasked=True
    )
    assert (member.name, member.phone) == ("郑红", "13600136001")


async def test_every_ciphertext_column_is_declared(pools):
    """A bytea `*_enc` column a service adds without declaring it would stay under the old key."""
    for service, pool in pools.items():
        columns = {
            (r["table_name"], r["column_name"])
            for r in await pool.fetch(
                """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = 'public' AND data_type = 'bytea' AND column_name LIKE '%\\_enc'"""
            )
        }
        declared = {(t.table, f.column) for t in TARGETS[service] for f in t.fields if f.json_key is None}
        assert columns and columns <= declared, f"{service}: {sorted(columns - declared)} not in ENCRYPTED"


async def test_retiring_the_old_key_too_early_is_refused_and_changes_nothing(
    pools, ring_file, restore, settings, capsys
):
    old = load_keyring(ring_file)
    await create_personal_data(pools, old)
    before = {s: await plaintexts(pools[s], old, TARGETS[s]) for s in PII_SERVICES}
    new_kid = rotate_keyring(ring_file)
    early = ring_file.with_name("early.json")  # the older key already removed: nothing can be decrypted
    data = json.loads(ring_file.read_text())
    early.write_text(json.dumps({**data, "keys": {new_kid: data["keys"][new_kid]}}))

    code = await reencrypt_command.run(settings.model_copy(update={"pii_keyring_file": early}), ["needs"], batch=200)
    assert code == 1
    err = capsys.readouterr().err
    assert "needs.needs" in err and f"所用密钥 {old.active} 已不在密钥环中" in err and f"under key {old.active}" in err
    assert {s: await plaintexts(pools[s], old, TARGETS[s]) for s in PII_SERVICES} == before  # rolled back
    with pytest.raises(Unreadable):
        await reencrypt(pools["party"], only(early, new_kid), party.ENCRYPTED)


def wushe(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "WUSHE_HOME": str(home), "WUSHE_PG_PORT": "1"}  # nothing listens there
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_command_says_clearly_when_postgres_is_away_or_a_service_is_unknown(tmp_path):
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "pii-keyring.json").write_text(
        json.dumps(
            {
                "active": "k1",
                "keys": {"k1": base64.b64encode(os.urandom(32)).decode()},
                "pseudonym_key": base64.b64encode(os.urandom(32)).decode(),
            }
        )
    )
    away = wushe(tmp_path, "reencrypt", "party")
    assert away.returncode == 2
    assert "无法连接 party 的数据库" in away.stderr and "cannot reach the party database" in away.stderr
    assert "Traceback" not in away.stderr + away.stdout
    unknown = wushe(tmp_path, "reencrypt", "needs", "projects")
    assert unknown.returncode == 2
    assert "usage: wushe reencrypt" in unknown.stderr and "未知服务 / unknown service projects" in unknown.stderr


async def test_a_stopped_run_goes_on_where_it_stopped(pools, ring_file, restore):
    old = load_keyring(ring_file)
    made = [await create_personal_data(pools, old) for _ in range(3)]
    before = await plaintexts(pools["volunteers"], old, volunteers.ENCRYPTED)
    new_kid = rotate_keyring(ring_file)
    rotated = load_keyring(ring_file)
    first = await reencrypt(pools["volunteers"], rotated, volunteers.ENCRYPTED, batch=1, max_batches=2)
    assert first[0].done == 2 and first[0].remaining >= 1  # stopped after two rows
    second = await reencrypt(pools["volunteers"], rotated, volunteers.ENCRYPTED, batch=1)
    assert second[0].remaining == 0 and second[0].done == first[0].remaining
    assert await plaintexts(pools["volunteers"], only(ring_file, new_kid), volunteers.ENCRYPTED) == before
    assert before[("volunteers", made[2]["volunteer"], "guardian_phone")] == "13700137001"


async def test_a_row_updated_while_the_walk_runs_keeps_its_new_value(pools, ring_file, restore):
    """A member's phone changes (under the new key, by a service already restarted) between two
    batches, and a row locked by a running transaction is waited for, not skipped or overwritten."""
    old = load_keyring(ring_file)
    made = [await create_personal_data(pools, old) for _ in range(2)]
    new_kid = rotate_keyring(ring_file)
    rotated = load_keyring(ring_file)
    changed = made[1]["member"]
    pool = pools["party"]

    async with pool.acquire() as conn, conn.transaction():  # a service's update, holding the row's lock
        await conn.execute("SELECT 1 FROM members WHERE id = $1 FOR UPDATE", changed)
        walking = asyncio.create_task(reencrypt(pool, rotated, party.ENCRYPTED, batch=1))
        await eventually(lambda: _only_locked_left(pool, rotated), "the walk past the locked row", 30)
        await conn.execute(
            "UPDATE members SET phone_enc = $2 WHERE id = $1",
            changed,
            rotated.encrypt("13600136999", party.pii_context(changed, "phone")),
        )
    outcome = await walking
    assert outcome[0].remaining == 0
    phones = await plaintexts(pool, only(ring_file, new_kid), party.ENCRYPTED)
    assert phones[("members", changed, "phone")] == "13600136999"
    assert phones[("members", made[0]["member"], "phone")] == "13600136001"


async def _only_locked_left(pool, rotated: Keyring) -> bool:
    stale = await pool.fetchval(
        f"SELECT count(*) FROM members WHERE {party.ENCRYPTED[0].stale()}", rotated.active.encode() + b":"
    )
    return stale == 1
