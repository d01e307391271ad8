"""Pure rules of the kit and the needs domain: no servers."""

from __future__ import annotations

import base64
import json
import os
import time

import jwt
import pytest
from cryptography.exceptions import InvalidTag

from kit.auth import Principal, Role, TokenVerifier, ensure_signing_key, issue_token
from kit.crypto import ensure_keyring, load_keyring
from kit.db import set_clause
from kit.problems import Problem, field_errors
from kit.settings import Settings
from services.charity.handlers import pii_context as charity
from services.needs.handlers import pii_context as needs
from services.party.handlers import pii_context as party
from services.volunteers.handlers import pii_context as volunteers


@pytest.fixture
def settings(tmp_path) -> Settings:
    settings = Settings(home=tmp_path)
    ensure_signing_key(settings)
    return settings


def test_keyring_round_trip_binds_context_and_survives_rotation(tmp_path):
    path = tmp_path / "keys" / "pii.json"
    ring = ensure_keyring(path)
    blob = ring.encrypt("13800138000", b"needs/1/phone")
    assert b"13800138000" not in blob and blob.startswith(b"k1:")
    assert ring.decrypt(blob, b"needs/1/phone") == "13800138000"
    with pytest.raises(InvalidTag):
        ring.decrypt(blob, b"needs/2/phone")  # copied into another record: refused
    data = json.loads(path.read_text())
    data["keys"]["k2"] = base64.b64encode(os.urandom(32)).decode()
    data["active"] = "k2"
    path.write_text(json.dumps(data))
    rotated = load_keyring(path)
    assert rotated.encrypt("x").startswith(b"k2:")
    assert rotated.decrypt(blob, b"needs/1/phone") == "13800138000"


def test_pseudonym_is_stable_and_purpose_bound(tmp_path):
    ring = ensure_keyring(tmp_path / "k.json")
    assert ring.pseudonym("11010519491231002X", "resident") == ring.pseudonym("11010519491231002X", "resident")
    assert ring.pseudonym("11010519491231002X", "resident") != ring.pseudonym("11010519491231002X", "volunteer")
    assert "1101" not in ring.pseudonym("11010519491231002X", "resident")


def test_token_round_trip_and_jurisdiction(settings):
    who = TokenVerifier(settings).verify(issue_token(settings, role="social_worker", area="130102", sub="u1"))
    assert who == Principal(sub="u1", role=Role.SOCIAL_WORKER, area="130102")
    assert who.covers("130102001001") and not who.covers("130104001001")
    assert (
        TokenVerifier(settings)
        .verify(issue_token(settings, role="civil_affairs", area="130000", sub="p"))
        .covers("131102001")
    )


@pytest.mark.parametrize("tamper", ["expired", "audience", "role", "signature"])
def test_bad_tokens_are_401(settings, tamper):
    token = issue_token(settings, role="social_worker", area="130102", sub="u1")
    if tamper == "signature":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    else:
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_private_key(settings.private_key_file.read_bytes(), None)
        claims = jwt.decode(token, options={"verify_signature": False})
        if tamper == "expired":
            claims["exp"] = int(time.time()) - 10
        elif tamper == "audience":
            claims["aud"] = "someone-else"
        else:
            claims["role"] = "emperor"
        token = jwt.encode(claims, key, algorithm="EdDSA")
    with pytest.raises(Problem) as caught:
        TokenVerifier(settings).verify(token)
    assert caught.value.status == 401


def test_a_remembered_token_still_expires(settings):
    verifier = TokenVerifier(settings)
    token = issue_token(settings, role="social_worker", area="130102", sub="u1", ttl_s=1)
    assert verifier.verify(token).sub == "u1"
    assert verifier.verify(token).sub == "u1"  # from the cache
    # the expiry must pass in real time: TokenVerifier reads time.time() and PyJWT its own clock, and
    # neither takes an injected one (kit.clock is not theirs), so no condition can stand in
    time.sleep(1.1)
    with pytest.raises(Problem) as caught:
        verifier.verify(token)
    assert caught.value.status == 401


def test_issue_token_refuses_unknown_role_and_area(settings):
    with pytest.raises(ValueError):
        issue_token(settings, role="emperor", area="130102", sub="x")
    with pytest.raises(ValueError):
        issue_token(settings, role="social_worker", area="999999", sub="x")


def test_field_errors_name_dotted_fields():
    errors = field_errors(
        [
            {"loc": ("body", "resident", "citizen_id"), "msg": "bad", "type": "x"},
            {"loc": ("body",), "msg": "JSON decode error", "type": "json_invalid"},
        ]
    )
    assert [e["field"] for e in errors] == ["resident.citizen_id", "body"]


def test_a_listing_covers_the_callers_area_by_default_a_known_one_and_nothing_outside():
    from kit.auth import Principal, Role, listing_area
    from kit.problems import Problem

    who = Principal(sub="sw", role=Role.SOCIAL_WORKER, area="130102")
    assert listing_area(who, None) == "130102" and listing_area(who, "130102001001") == "130102001001"
    for area, status, field in (("139999", 422, "area"), ("130104", 403, "area_code")):
        with pytest.raises(Problem) as refused:
            listing_area(who, area)
        assert (refused.value.status, refused.value.errors[0]["field"]) == (status, field)


def test_set_clause_numbers_its_values_after_the_earlier_parameters():
    assert set_clause(["status", "decided_by"], 3) == "status = $3, decided_by = $4"
    assert set_clause({"name": "x"}, 2) == "name = $2"


def test_every_service_binds_its_ciphertexts_to_the_context_bytes_they_were_sealed_with():
    # changing these bytes would make every stored ciphertext undecryptable
    rid = "0190c0de-0000-7000-8000-000000000001"
    assert needs(rid, "phone") == f"needs/{rid}/phone".encode()
    assert volunteers(rid, "name") == f"volunteers/{rid}/name".encode()
    assert party(rid, "phone") == f"party/member/{rid}/phone".encode()
    assert charity(rid, "donor") == f"charity/{rid}/donor".encode()
