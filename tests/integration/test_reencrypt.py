"""Key rotation: after `reencrypt`, every personal-data ciphertext is under the new key and
still reads back the same."""
from __future__ import annotations

import json

import pytest

from contracts.api.needs import NeedIn
from kit import db as kit_db
from kit.auth import Principal, Role
from kit.crypto import load_keyring, rotate_keyring
from kit.settings import Settings
from services.needs import handlers, store
from services.needs.config import NeedsSettings

NEED = {"area_code": "130102001001", "category": "bath_aid", "description": "助浴",
        "resident": {"name": "周十", "phone": "13300133000", "citizen_id": "11010519491231002X"}}


@pytest.fixture
async def pool(settings: Settings):
    pool = await kit_db.create_pool(settings, "needs", size=2)
    yield pool
    await pool.close()


async def test_rotate_then_reencrypt(pool, settings, tmp_path):
    ring_file = tmp_path / "ring.json"
    ring_file.write_text(settings.keyring_file.read_text())
    old = load_keyring(ring_file)
    who = Principal(sub="sw", role=Role.SOCIAL_WORKER, area="130102")
    created = await handlers.raise_need(pool, old, NeedsSettings().level_defaults(), who, NeedIn.model_validate(NEED))

    new_kid = rotate_keyring(ring_file)
    rotated = load_keyring(ring_file)
    try:
        assert await handlers.reencrypt(pool, rotated) >= 1
        row = await store.get_need(pool, created.id)
        assert all(bytes(row[c]).startswith(f"{new_kid}:".encode())
                   for c in ("resident_name_enc", "resident_phone_enc", "resident_cid_enc"))
        only_new = json.loads(ring_file.read_text())
        only_new["keys"] = {new_kid: only_new["keys"][new_kid]}
        ring_file.write_text(json.dumps(only_new))
        view = handlers.need_view(row, load_keyring(ring_file), {}, masked=False)
        assert view.resident.citizen_id == NEED["resident"]["citizen_id"] and view.resident.name == "周十"
        assert await handlers.reencrypt(pool, rotated) == 0  # nothing left under an old key
    finally:  # put the shared database back under the session's key for the tests after this one
        back = load_keyring(settings.keyring_file)
        await handlers.reencrypt(pool, type(back)(active=back.active, keys={**rotated.keys, **back.keys},
                                                  pseudonym_key=back.pseudonym_key))
