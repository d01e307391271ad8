"""Committed JSON Schemas match the code, and no contract changes in a backward-incompatible way:
neither from the committed schema to the code, nor along the git history of contracts/schemas/.
The gate itself (refusals of `--write`, the history walk on a repository of its own) is tested in
test_schema_gate.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from contracts.api.needs import NeedIn
from contracts.envelope import Envelope, wrap
from contracts.events import NeedRaised
from contracts.schema_export import (
    API,
    EVENTS,
    FAMILIES,
    HISTORY_BASELINE,
    SCHEMA_DIR,
    HistoryUnavailable,
    all_schemas,
    breaking_changes,
    check_history,
    committed_schemas,
    family_of,
    load_records,
)
from contracts.taxonomy import Channel, NeedCategory, Urgency

COMMITTED = committed_schemas(SCHEMA_DIR)
GENERATED = all_schemas()


# --- committed schemas -------------------------------------------------------------------


def test_committed_schemas_exist():
    assert COMMITTED, f"no schemas in {SCHEMA_DIR}: run `make schemas`"


@pytest.mark.parametrize("stem", sorted(GENERATED))
def test_generated_schema_matches_committed(stem):
    assert stem in COMMITTED, f"{stem}.json is not committed: run `make schemas` and commit it"
    assert GENERATED[stem] == COMMITTED[stem], (
        f"the schema of {stem} changed. If the change is backward-compatible, run `make schemas` "
        "and commit the result; otherwise publish a new version of the contract instead"
    )


@pytest.mark.parametrize("stem", sorted(COMMITTED))
def test_committed_contract_still_exists_and_is_compatible(stem):
    assert stem in GENERATED, f"contract {stem} was removed: a breaking change for its consumers"
    assert breaking_changes(COMMITTED[stem], GENERATED[stem]) == []


def test_committed_schemas_are_compatible_along_their_git_history():
    """Each version of each committed schema since HISTORY_BASELINE against the one before it, then
    HEAD against the working tree: a break that regenerating or hand-editing let in fails here, and
    so does a checkout without that history (a skip in CI would prove nothing)."""
    try:
        report = check_history(SCHEMA_DIR, HISTORY_BASELINE)
    except HistoryUnavailable as e:
        pytest.fail(str(e))
    assert report.versions >= len(COMMITTED)
    assert report.problems == [], "\n".join(report.problems)


def test_every_committed_schema_belongs_to_a_family_and_every_family_is_committed():
    assert [stem for stem in COMMITTED if family_of(stem) is None] == []
    assert {family_of(stem) for stem in COMMITTED} == set(FAMILIES)


def test_events_take_a_new_version_api_models_a_reviewed_record():
    assert (EVENTS.recordable, API.recordable) == (False, True)
    records = load_records(SCHEMA_DIR)
    assert all(family_of(r["contract"]).recordable for r in records.accepted), records.accepted


def test_every_committed_schema_is_compatible_with_itself():
    for stem, schema in COMMITTED.items():
        assert breaking_changes(schema, schema) == [], stem


# --- breaking_changes on hand-written schemas --------------------------------------------


def obj(properties: dict, required: tuple[str, ...] = (), **extra) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), **extra}


STR = {"type": "string"}
COLOR = {"type": "string", "enum": ["red", "green"]}
BASE = obj({"name": STR, "color": COLOR, "tags": {"type": "array", "items": STR}}, ("name",))


def changed(old: dict, new: dict) -> str:
    changes = breaking_changes(old, new)
    assert changes, "expected a breaking change"
    return "\n".join(changes)


def test_identical_schemas_have_no_breaking_change():
    assert breaking_changes(BASE, json.loads(json.dumps(BASE))) == []


def test_removed_property_is_breaking():
    new = obj({"name": STR, "tags": BASE["properties"]["tags"]}, ("name",))
    assert "$.color: 属性被删除 / property removed" in changed(BASE, new)


def test_newly_required_property_is_breaking():
    new = {**BASE, "required": ["name", "color"]}
    assert "$.color: 属性变为必填 / property is now required" in changed(BASE, new)


def test_new_required_property_is_breaking():
    new = obj({**BASE["properties"], "size": STR}, ("name", "size"))
    assert "$.size" in changed(BASE, new)


def test_type_change_is_breaking():
    new = obj({**BASE["properties"], "name": {"type": "integer"}}, ("name",))
    assert "$.name: 类型改变 / type changed" in changed(BASE, new)


def test_nullable_is_a_type_change():
    new = obj({**BASE["properties"], "name": {"anyOf": [STR, {"type": "null"}]}}, ("name",))
    assert "$.name: 类型改变 / type changed" in changed(BASE, new)


def test_format_change_is_breaking():
    new = obj({**BASE["properties"], "name": {"type": "string", "format": "uuid"}}, ("name",))
    assert "$.name: format 改变 / changed" in changed(BASE, new)


def test_enum_value_removed_is_breaking():
    new = obj({**BASE["properties"], "color": {"type": "string", "enum": ["red"]}}, ("name",))
    assert "$.color: 枚举值被删除 / enum lost: ['green']" in changed(BASE, new)


def test_nested_change_inside_defs_via_ref_is_breaking():
    def schema(address: dict) -> dict:
        return {**obj({"address": {"$ref": "#/$defs/Address"}}), "$defs": {"Address": address}}

    old = schema(obj({"street": STR, "zip": STR}))
    new = schema(obj({"street": STR, "zip": {"type": "integer"}}))
    assert "$.address.zip: 类型改变 / type changed" in changed(old, new)


def test_change_inside_optional_ref_is_breaking():
    def schema(address: dict) -> dict:
        nullable = {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}], "default": None}
        return {**obj({"address": nullable}), "$defs": {"Address": address}}

    assert "$.address.zip: 属性被删除 / property removed" in changed(schema(obj({"zip": STR})), schema(obj({})))


def test_array_item_type_change_is_breaking():
    new = obj({**BASE["properties"], "tags": {"type": "array", "items": {"type": "integer"}}}, ("name",))
    assert "$.tags[]: 类型改变 / type changed" in changed(BASE, new)


def test_max_length_decrease_is_breaking():
    old = obj({"note": {"type": "string", "maxLength": 100}})
    new = obj({"note": {"type": "string", "maxLength": 50}})
    assert "$.note: maxLength 收紧 / tightened: 100 → 50" in changed(old, new)
    assert breaking_changes(new, old) == []  # loosening is fine


def test_forbidding_additional_properties_is_breaking():
    assert "不再允许额外属性 / additional properties" in changed(BASE, {**BASE, "additionalProperties": False})


def test_recursive_schema_terminates():
    node = {**obj({"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}), "title": "Node"}
    schema = {"$ref": "#/$defs/Node", "$defs": {"Node": node}}
    assert breaking_changes(schema, schema) == []


def test_adding_optional_property_is_not_breaking():
    new = obj({**BASE["properties"], "size": {"type": "integer", "maximum": 10}}, ("name",))
    assert breaking_changes(BASE, new) == []


def test_adding_enum_value_is_not_breaking():
    new = obj({**BASE["properties"], "color": {"type": "string", "enum": ["red", "green", "blue"]}}, ("name",))
    assert breaking_changes(BASE, new) == []


# --- producers strict, consumers tolerant ------------------------------------------------


def need_raised() -> NeedRaised:
    return NeedRaised(
        need_id=uuid4(),
        area_code="130102001001",
        category=NeedCategory.MEAL_AID,
        urgency=Urgency.ROUTINE,
        channel=Channel.SOCIAL_WORKER_VISIT,
        resident_ref="r-0123456789abcdef",
        raised_by="worker-1",
        raised_at=datetime.now(UTC),
    )


def test_consumers_ignore_unknown_fields():
    event = need_raised()
    envelope = wrap(event, subject=str(event.need_id), area_code="130102001001")
    payload = json.loads(envelope.model_dump_json())
    payload["added_in_a_later_version"] = {"any": "thing"}
    payload["data"]["new_optional_field"] = 42

    parsed = Envelope[NeedRaised].model_validate_json(json.dumps(payload))

    assert parsed.data == event
    assert parsed.id == envelope.id


VALID_NEED_IN = {
    "area_code": "130102001001",
    "category": "meal_aid",
    "description": "送餐",
    "resident": {"name": "张三", "phone": "13800138000", "citizen_id": "11010519491231002X"},
}


def test_producers_are_strict():
    NeedIn.model_validate(VALID_NEED_IN)
    with pytest.raises(ValidationError) as excinfo:
        NeedIn.model_validate({**VALID_NEED_IN, "unknown": 1})
    assert excinfo.value.errors()[0]["type"] == "extra_forbidden"
