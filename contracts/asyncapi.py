"""The AsyncAPI 3.0 documents of the platform's events, generated from the contracts.

- `public_document()`: what partners read (contracts/public): one channel per public event on
  PUBLIC (its subject, with the jurisdiction as parameters), sent by the exchange service, each
  message's payload the JSON Schema of the public event in its CloudEvents envelope, and how a
  partner authenticates. The gateway serves it at /api/v1/asyncapi.json.
- `document()`: the internal events, from the flow map (contracts/flow.py): one `send` operation by
  the service that publishes each event, one `receive` operation per durable consumer that takes
  it. The gateway serves it at /api/v1/asyncapi-internal.json.

    python -m contracts.asyncapi [--internal] > wushe-events.asyncapi.json"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, cast

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from contracts.envelope import Envelope, Event
from contracts.events import ALL_EVENTS
from contracts.flow import takers_of
from contracts.public import PUBLIC_EVENTS, PublicEvent
from contracts.subjects import event_filter, stream_of

SCHEMAS = "#/components/schemas/{model}"
JURISDICTION = {
    "province": "省级行政区划代码的前两位（河北为 13）/ the province's two digits (Hebei: 13)",
    "city": "地级市两位代码（石家庄为 01）/ the city's two digits (Shijiazhuang: 01)",
    "county": "县级两位代码（长安区为 02）/ the county's two digits (Chang'an: 02)",
}


def address(event: type[Event]) -> str:
    """The subject pattern of contracts.subjects.event_subject, with the jurisdiction as parameters."""
    return event_filter(event).removesuffix(".>") + ".{province}.{city}.{county}"


def _payloads(
    events: Sequence[type[Event]], key: Callable[[type[Event]], str]
) -> tuple[dict[str, str], dict[str, Any]]:
    """Each event's envelope schema (by `key`, a $ref) and every schema they refer to."""
    # Envelope is parametrized by each event class at runtime, which mypy cannot express: cast
    envelopes: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (cast(type[BaseModel], cast(Any, Envelope)[e]), "validation") for e in events
    ]
    refs, top = models_json_schema(envelopes, ref_template=SCHEMAS)
    names = {key(e): refs[k]["$ref"] for e, k in zip(events, envelopes, strict=True)}
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
    payloads, schemas = _payloads(ALL_EVENTS, lambda e: e.__name__)
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


# --- the partners' document ---------------------------------------------------------------------

PARTNER_SECURITY = {
    "type": "userPassword",
    "description": "合作方的 NATS 凭据（`wushe partner add` 写出），只能读取其辖区与事件类型的 PUBLIC 主题、"
    "只能创建以其名称开头的持久消费者 / the partner's NATS credentials (written by `wushe partner add`): they "
    "read only PUBLIC subjects of the partner's area and event types, and create only durable consumers named "
    "after the partner",
}


def public_key(event: type[Event]) -> str:
    """`needs.NeedRaised`: a public event's channel and message name."""
    return f"{cast(type[PublicEvent], event).domain()}.{event.__name__}"


def public_document() -> dict[str, Any]:
    payloads, schemas = _payloads(PUBLIC_EVENTS, public_key)
    channels = {
        public_key(e): {
            "address": address(e),
            "title": e.__name__,
            "description": f"JetStream stream PUBLIC · {(e.__doc__ or '').strip()}",
            "parameters": {name: {"description": text} for name, text in JURISDICTION.items()},
            "messages": {e.__name__: {"$ref": f"#/components/messages/{public_key(e)}"}},
        }
        for e in PUBLIC_EVENTS
    }
    operations = {
        f"exchange.publish.{public_key(e)}": {
            "action": "send",
            "channel": {"$ref": f"#/channels/{public_key(e)}"},
            "messages": [{"$ref": f"#/channels/{public_key(e)}/messages/{e.__name__}"}],
            "summary": f"数据交换服务发布 {e.internal.__name__} 的公开形式 / the exchange publishes the public "
            f"form of {e.internal.__name__}",
        }
        for e in PUBLIC_EVENTS
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "wushe 五社联动 · 公开事件 / public events",
            "version": "1.0.0",
            "description": "合作方可订阅的公开事件：不含任何个人信息，人员仅以化名标识。主题携带行政区划："
            "pub.<领域>.<事件>.v<版本>.<省>.<市>.<县>。不能使用 NATS 的合作方可用 GET /api/v1/events 按游标分页读取"
            "同样的事件。 / The public events partners may subscribe to: no personal data, people only by "
            "pseudonym; subjects carry the jurisdiction. Partners who cannot speak NATS page the same events "
            "with GET /api/v1/events. Every message is a CloudEvents 1.0 envelope; delivery is at least once: "
            "dedupe on the envelope id.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "description": "`make run`（WUSHE_NATS_URL）",
                "security": [{"$ref": "#/components/securitySchemes/partner"}],
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {
                public_key(e): {
                    "name": e.type_name(),
                    "title": e.__name__,
                    "contentType": "application/json",
                    "payload": {"$ref": payloads[public_key(e)]},
                }
                for e in PUBLIC_EVENTS
            },
            "schemas": schemas,
            "securitySchemes": {"partner": PARTNER_SECURITY},
        },
    }


if __name__ == "__main__":
    internal = "--internal" in sys.argv[1:]
    json.dump(document() if internal else public_document(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
