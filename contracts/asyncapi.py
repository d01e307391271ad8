"""The AsyncAPI 3.0 document of the platform's internal events, generated from the flow map
(contracts/flow.py) and the event contracts: one channel per event (its NATS subject, with the
jurisdiction as parameters), one `send` operation by the service that publishes it, one `receive`
operation per durable consumer that takes it, and each message's payload as the JSON Schema of the
event in its CloudEvents envelope.

    python -m contracts.asyncapi > wushe-events.asyncapi.json

The gateway serves the same document at /api/v1/asyncapi.json."""

from __future__ import annotations

import json
import sys
from typing import Any, cast

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from contracts.envelope import Envelope, Event
from contracts.events import ALL_EVENTS
from contracts.flow import takers_of
from contracts.subjects import AUDIT_PREFIX, EVENT_PREFIX, stream_of

SCHEMAS = "#/components/schemas/{model}"
JURISDICTION = {
    "province": "省级行政区划代码的前两位（河北为 13）/ the province's two digits (Hebei: 13)",
    "city": "地级市两位代码（石家庄为 01）/ the city's two digits (Shijiazhuang: 01)",
    "county": "县级两位代码（长安区为 02）/ the county's two digits (Chang'an: 02)",
}


def address(event: type[Event]) -> str:
    """The subject pattern of contracts.subjects.event_subject, with the jurisdiction as parameters."""
    prefix = AUDIT_PREFIX if event.audit else EVENT_PREFIX
    return f"{prefix}.{event.service}.{event.event_name()}.v{event.version}.{{province}}.{{city}}.{{county}}"


def _payloads() -> tuple[dict[str, str], dict[str, Any]]:
    """Each event's envelope schema (by event name, a $ref) and every schema they refer to."""
    # Envelope is parametrized by each event class at runtime, which mypy cannot express: cast
    envelopes: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (cast(type[BaseModel], cast(Any, Envelope)[e]), "validation") for e in ALL_EVENTS
    ]
    refs, top = models_json_schema(envelopes, ref_template=SCHEMAS)
    names = {e.__name__: refs[key]["$ref"] for e, key in zip(ALL_EVENTS, envelopes, strict=True)}
    return names, top.get("$defs", {})


def _channel(event: type[Event]) -> dict[str, Any]:
    return {
        "address": address(event),
        "title": event.__name__,
        "description": f"JetStream stream {stream_of(event)}",
        "parameters": {name: {"description": text} for name, text in JURISDICTION.items()},
        "messages": {event.__name__: {"$ref": f"#/components/messages/{event.__name__}"}},
    }


def _operations(event: type[Event]) -> dict[str, dict[str, Any]]:
    channel = {"$ref": f"#/channels/{event.__name__}"}
    messages = [{"$ref": f"#/channels/{event.__name__}/messages/{event.__name__}"}]
    operations = {
        f"{event.service}.publish.{event.__name__}": {
            "action": "send",
            "channel": channel,
            "messages": messages,
            "summary": f"{event.service} 通过发件箱发布 / published by {event.service} through its outbox",
        }
    }
    for consumer in takers_of(event):
        # an operation has one channel: a consumer of several events has one operation per event
        name = consumer.durable if len(consumer.events) == 1 else f"{consumer.durable}.{event.__name__}"
        operations[name] = {
            "action": "receive",
            "channel": channel,
            "messages": messages,
            "summary": consumer.does,
            "description": f"JetStream durable consumer `{consumer.durable}` of {consumer.service}, "
            f"handled in `{consumer.module}`",
        }
    return operations


def document() -> dict[str, Any]:
    payloads, schemas = _payloads()
    operations: dict[str, dict[str, Any]] = {}
    for event in ALL_EVENTS:
        operations |= _operations(event)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "wushe 五社联动 · 内部事件 / internal events",
            "version": "1.0.0",
            "description": "Who publishes and who consumes each event (contracts/flow.py). Every message is a "
            "CloudEvents 1.0 envelope whose `data` is the event; delivery is at least once, applied once "
            "(outbox, inbox, Nats-Msg-Id = the envelope id).",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {"host": "127.0.0.1:4222", "protocol": "nats", "description": "`wushe up` (WUSHE_NATS_URL)"}
        },
        "channels": {e.__name__: _channel(e) for e in ALL_EVENTS},
        "operations": operations,
        "components": {
            "messages": {
                e.__name__: {
                    "name": e.type_name(),
                    "title": e.__name__,
                    "contentType": "application/json",
                    "payload": {"$ref": payloads[e.__name__]},
                }
                for e in ALL_EVENTS
            },
            "schemas": schemas,
        },
    }


if __name__ == "__main__":
    json.dump(document(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
