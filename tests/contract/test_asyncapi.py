"""The AsyncAPI 3.0 documents (contracts/asyncapi.py): valid against the spec's object model and the
official JSON Schema (npm @asyncapi/specs, offline), every reference resolves, the internal one says
exactly what the flow map and the subject scheme say, and the partners' one carries each public event
as the compatibility gate holds it, on NATS and as a signed webhook."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import jsonschema_rs
import pytest
from pydantic_asyncapi import AsyncAPI

from contracts.api.needs import WORK_ORDER_PROGRESS_TYPE, WorkOrderProgress, WorkOrderStage
from contracts.asyncapi import (
    NATS_SERVER,
    PLATFORM_SERVER,
    PORTAL_ORDERS,
    PORTAL_PROGRESS,
    WEBHOOK_CHANNEL,
    WEBHOOK_SERVER,
    document,
    public_document,
    public_key,
)
from contracts.events import ALL_EVENTS
from contracts.flow import FLOW
from contracts.public import PUBLIC_EVENTS
from contracts.schema_export import PUBLIC
from contracts.subjects import event_subject
from services.exchange.webhooks import domain as webhook_rules
from services.exchange.webhooks import handlers as webhook_handlers


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document()


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_document_is_asyncapi_3(doc):
    assert AsyncAPI.model_validate(doc).root.asyncapi == "3.0.0"


def test_a_broken_document_is_refused_by_the_same_check(doc):
    broken = {**doc, "operations": {"x": {"action": "listen", "channel": {"$ref": "#/channels/NeedRaised"}}}}
    with pytest.raises(ValueError):
        AsyncAPI.model_validate(broken)


def test_every_reference_resolves(doc):
    for ref in refs(doc):
        assert resolve(doc, ref) is not None, ref


def test_each_event_is_sent_by_its_service_and_received_by_exactly_the_maps_consumers(doc):
    operations = doc["operations"].values()
    for event in ALL_EVENTS:
        on_channel = [op for op in operations if op["channel"]["$ref"] == f"#/channels/{event.__name__}"]
        assert [op["action"] for op in on_channel].count("send") == 1
        received = {
            name.split(".")[0]
            for name, op in doc["operations"].items()
            if op in on_channel and op["action"] == "receive"
        }
        assert received == {c.durable for c in FLOW if event in c.events}


def test_a_channel_address_is_the_subject_an_event_is_published_on(doc):
    for event in ALL_EVENTS:
        address = doc["channels"][event.__name__]["address"]
        assert address.format(province="13", city="01", county="02") == event_subject(event, "130102001001")


# --- the official AsyncAPI 3.0 JSON Schema, and the partners' document -------------------------------

ROOT = Path(__file__).resolve().parents[2]
# installed by the Makefile's $(SPECS) target (npm @asyncapi/specs), which `make test` runs first
OFFICIAL_SCHEMA = ROOT / ".venv" / "asyncapi-specs" / "node_modules" / "@asyncapi" / "specs" / "schemas" / "3.0.0.json"


def no_retrieval(uri: str) -> Any:
    """Every $ref of the official schema names a definition inside the same file: nothing is fetched."""
    raise AssertionError(f"the official schema asked for {uri}: it must resolve within {OFFICIAL_SCHEMA.name}")


@pytest.fixture(scope="module")
def official() -> jsonschema_rs.Validator:
    if not OFFICIAL_SCHEMA.is_file():
        pytest.fail(
            f"缺少 AsyncAPI 3.0 官方 JSON Schema（{OFFICIAL_SCHEMA}）：请运行 `make test`，它先安装 npm 包 "
            "@asyncapi/specs / the official AsyncAPI 3.0 JSON Schema is missing: run `make test`, which installs "
            "the npm package @asyncapi/specs first (the Makefile's $(SPECS) target)",
            pytrace=False,
        )
    schema = json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema_rs.Draft7Validator(schema, retriever=no_retrieval)


def violations(validator: jsonschema_rs.Validator, instance: Any) -> list[str]:
    return ["/".join(map(str, e.instance_path)) + ": " + e.message[:300] for e in validator.iter_errors(instance)]


@pytest.fixture(scope="module")
def public() -> dict[str, Any]:
    return public_document()


@pytest.mark.parametrize("make", [public_document, document], ids=["public", "internal"])
def test_the_documents_are_valid_against_the_official_asyncapi_3_schema(official, make):
    assert violations(official, make()) == []


def first_channel(doc: dict[str, Any]) -> dict[str, Any]:
    return cast(dict[str, Any], next(iter(doc["channels"].values())))


BREAKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "address is a number": lambda d: first_channel(d).update(address=5),
    "action listen": lambda d: next(iter(d["operations"].values())).update(action="listen"),
    "unknown security type": lambda d: d["components"].setdefault("securitySchemes", {}).update(x={"type": "nkey"}),
    "server without protocol": lambda d: d["servers"][NATS_SERVER].pop("protocol"),
    "unknown top-level field": lambda d: d.update(webhooks={}),
}


@pytest.mark.parametrize("name", BREAKS)
def test_a_broken_document_is_refused_by_the_official_schema(official, name):
    for make in (public_document, document):
        broken = copy.deepcopy(make())
        BREAKS[name](broken)
        assert violations(official, broken), f"{name} ({make.__name__}) was accepted"


def test_every_reference_of_the_public_document_resolves(public):
    for ref in refs(public):
        assert resolve(public, ref) is not None, ref


def inline(node: Any, root: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """`node` with every $ref replaced by what it names (keywords beside a $ref kept), `$defs` gone:
    two schemas that mean the same whatever their definitions are called compare equal."""
    if isinstance(node, list):
        return [inline(v, root, seen) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        assert ref not in seen, f"recursive schema through {ref}: compare it another way"
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return inline({**resolve(root, ref), **rest}, root, (*seen, ref))
    return {k: inline(v, root, seen) for k, v in node.items() if k != "$defs"}


def test_each_public_payload_is_the_schema_the_public_gate_holds(public):
    """The PUBLIC family of contracts/schema_export writes, checks and walks the history of each public
    event in its envelope; the document says exactly that schema (its definitions shared between
    messages, hence compared inlined), so a break cannot reach partners around the gate."""
    gated = PUBLIC.schemas()
    messages = [m for k, m in public["components"]["messages"].items() if not k.startswith("portal.")]
    assert {m["name"] for m in messages} == set(gated)
    for message in messages:
        payload = inline(message["payload"], public)
        assert payload == inline(gated[message["name"]], gated[message["name"]]), message["title"]


def test_public_channels_are_on_nats_and_the_webhook_channel_on_the_partners_endpoint(public):
    for event in PUBLIC_EVENTS:
        channel = public["channels"][public_key(event)]
        assert channel["servers"] == [{"$ref": f"#/servers/{NATS_SERVER}"}]
    webhooks = public["channels"][WEBHOOK_CHANNEL]
    assert webhooks["servers"] == [{"$ref": f"#/servers/{WEBHOOK_SERVER}"}]
    assert set(webhooks["messages"]) == {public_key(e) for e in PUBLIC_EVENTS}
    deliver = public["operations"]["exchange.webhook.deliver"]
    assert deliver["action"] == "send" and deliver["bindings"]["http"]["method"] == "POST"
    assert len(deliver["messages"]) == len(PUBLIC_EVENTS)


def test_each_server_names_how_a_partner_authenticates(public):
    kinds = {
        name: [resolve(public, s["$ref"])["type"] for s in server["security"]]
        for name, server in public["servers"].items()
    }
    assert kinds == {
        NATS_SERVER: ["asymmetricEncryption"],
        WEBHOOK_SERVER: ["symmetricEncryption"],
        PLATFORM_SERVER: ["symmetricEncryption"],  # a portal signs its work orders as the platform signs webhooks
    }


def test_a_portal_posts_work_orders_and_hears_their_progress(public):
    """The portals' side: what a portal posts (the WorkOrderIn data) and each stage posted back (the
    WorkOrderProgress data), both CloudEvents signed the Standard Webhooks way."""
    orders, progress = public["channels"][PORTAL_ORDERS], public["channels"][PORTAL_PROGRESS]
    assert orders["address"].format(portal="changan-12345") == "/api/v1/needs/work-orders/changan-12345"
    assert progress["servers"] == [{"$ref": f"#/servers/{WEBHOOK_SERVER}"}]
    actions = {
        public["operations"][k]["action"] for k in ("needs.receive.workOrder", "exchange.send.workOrderProgress")
    }
    assert actions == {"receive", "send"}
    told = inline(public["components"]["messages"]["portal.WorkOrderProgress"]["payload"], public)
    assert told["properties"]["type"] == {"const": WORK_ORDER_PROGRESS_TYPE}
    assert told["properties"]["data"] == inline(
        WorkOrderProgress.model_json_schema(), WorkOrderProgress.model_json_schema()
    )
    stages = inline(told["properties"]["data"]["properties"]["stage"], public)
    assert set(stages["enum"]) == {s.value for s in WorkOrderStage}


def delivery_headers(secrets: list[str]) -> dict[str, str]:
    """The headers DeliveryWorker._deliver sends, made from the same parts."""
    at, msg_id = datetime.now(UTC), str(uuid.uuid4())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": webhook_rules.signature_header(secrets, msg_id, at, '{"id": "x"}'),
        "content-type": webhook_handlers.CONTENT_TYPE,
    }


def test_the_webhook_headers_schema_takes_what_the_worker_sends_and_refuses_a_bad_signature(public):
    headers = jsonschema_rs.Draft7Validator(public["components"]["schemas"]["WebhookHeaders"])
    one, two = (webhook_rules.secret_text(bytes([n]) * 32) for n in (1, 2))
    for secrets in ([one], [one, two]):  # two while a secret rotates
        assert violations(headers, delivery_headers(secrets)) == []
    assert violations(headers, {**delivery_headers([one]), "webhook-signature": "v1,not-base64"})
    for message in public["components"]["messages"].values():
        if "headers" in message:
            assert message["contentType"] == webhook_handlers.CONTENT_TYPE
