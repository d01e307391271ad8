"""The AsyncAPI 3.0 documents of the platform's events, generated from the contracts.

- `public_document()`: what partners read (contracts/public): one channel per public event on
  PUBLIC (its subject, with the jurisdiction as parameters), sent by the exchange service, each
  message's payload the JSON Schema of the public event in its CloudEvents envelope; the same
  events as signed webhooks on one channel of the partner's own endpoint; and how each side
  authenticates (an nkey on NATS, the HMAC signature on webhooks). The gateway serves it at
  /api/v1/asyncapi.json. Every payload is the schema the PUBLIC compatibility gate holds.
- `document()`: the internal events, from the flow map (contracts/flow.py): one `send` operation by
  the service that publishes each event, one `receive` operation per durable consumer that takes
  it. The gateway serves it at /api/v1/asyncapi-internal.json.

    python -m contracts.asyncapi [--internal] > wushe-events.asyncapi.json"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, cast

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from contracts.api.needs import WORK_ORDER_PROGRESS_TYPE, WORK_ORDER_TYPE, WorkOrderIn, WorkOrderProgress
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

NATS_SERVER = "local"
WEBHOOK_SERVER = "partnerEndpoint"
PLATFORM_SERVER = "platform"
WEBHOOK_CHANNEL = "webhooks"
WEBHOOK_CONTENT_TYPE = "application/cloudevents+json"  # structured mode: the body is the whole envelope
# one `v1,<base64 of a 32-byte HMAC-SHA256>` per signing secret: two while a secret rotates
WEBHOOK_SIGNATURE = r"^v1,[A-Za-z0-9+/]{43}=( v1,[A-Za-z0-9+/]{43}=)*$"

# asymmetricEncryption: an nkey is an Ed25519 key pair, the server holds only the public half and the
# client proves the private one by signing a nonce. userPassword and X509 would both mislead a client.
PARTNER_SECURITY = {
    "type": "asymmetricEncryption",
    "description": "NATS nkey（Ed25519 密钥对）：`wushe partner add` 把种子写入 `<home>/partners/NAME.nk`（仅此一份，"
    "服务器只保存公钥）；连接时客户端用种子签名服务器发来的随机数（nats-py：`nkeys_seed_str=`）。该用户只能读取其辖区"
    "与事件类型的 PUBLIC 主题、只能创建以其名称开头的持久消费者；`wushe partner revoke` 即时断开。 / A NATS nkey "
    "(an Ed25519 key pair): `wushe partner add` writes the seed, the only copy, to `<home>/partners/NAME.nk` and "
    "the server keeps only the public key; on connecting the client signs the server's nonce with the seed "
    "(nats-py: `nkeys_seed_str=`). The user reads only PUBLIC subjects of the partner's area and event types and "
    "creates only durable consumers named after the partner; `wushe partner revoke` cuts it off at once.",
}
# symmetricEncryption: sender and receiver share the subscription's secret and the receiver checks an
# HMAC with it. httpApiKey would tell tools to compare the header with a stored key, which never matches.
WEBHOOK_SECURITY = {
    "type": "symmetricEncryption",
    "description": "Standard Webhooks 签名：订阅时（及轮换时）返回的密钥 `whsec_<base64>` 由双方共享；`webhook-signature` 为 "
    "`v1,` 加 base64(HMAC-SHA256(密钥, `{webhook-id}.{webhook-timestamp}.{原始请求体}`))，轮换期内有两个，以空格分隔，"
    "任一匹配即可。接收方须校验签名，并拒收时间戳与当前相差超过 5 分钟的请求。 / Standard Webhooks signatures: the "
    "secret `whsec_<base64>` returned on subscribing (and on rotation) is shared by both sides; "
    "`webhook-signature` is `v1,` and base64(HMAC-SHA256(secret, `{webhook-id}.{webhook-timestamp}.{raw body}`)), "
    "two space-separated while a secret rotates, either one matching. The receiver verifies it and refuses a "
    "timestamp more than 5 minutes off.",
}
WEBHOOK_HEADERS: dict[str, Any] = {
    "type": "object",
    "required": ["webhook-id", "webhook-timestamp", "webhook-signature", "content-type"],
    "properties": {
        "webhook-id": {
            "type": "string",
            "format": "uuid",
            "description": "公开事件的 id（即信封的 `id`），重试与重放时不变：据此去重 / the public event's id (the "
            "envelope's `id`), the same on every retry and replay: dedupe on it",
        },
        "webhook-timestamp": {
            "type": "string",
            "pattern": "^[0-9]+$",
            "description": "本次发送的 Unix 时间（秒），已签名 / this attempt's Unix time in seconds, signed",
        },
        "webhook-signature": {
            "type": "string",
            "pattern": WEBHOOK_SIGNATURE,
            "description": "见安全方案 webhookSignature / see the security scheme webhookSignature",
        },
        "content-type": {"type": "string", "const": WEBHOOK_CONTENT_TYPE},
    },
}


def public_key(event: type[Event]) -> str:
    """`needs.NeedRaised`: a public event's channel and message name."""
    return f"{cast(type[PublicEvent], event).domain()}.{event.__name__}"


def webhook_key(event: type[Event]) -> str:
    """`webhook.needs.NeedRaised`: the message of a public event posted as a webhook."""
    return f"webhook.{public_key(event)}"


def _public_channel(event: type[Event]) -> dict[str, Any]:
    return {
        "address": address(event),
        "title": event.__name__,
        "description": f"JetStream stream PUBLIC · {(event.__doc__ or '').strip()}",
        "servers": [{"$ref": f"#/servers/{NATS_SERVER}"}],
        "parameters": {name: {"description": text} for name, text in JURISDICTION.items()},
        "messages": {event.__name__: {"$ref": f"#/components/messages/{public_key(event)}"}},
    }


def _webhook_channel() -> dict[str, Any]:
    """One channel for all public events: a subscription has one URL, which takes every type it asked for."""
    return {
        "address": "{path}",
        "title": "Webhook",
        "description": "合作方订阅的网址：交换服务把订阅的每个公开事件 POST 到这里，按公开事件顺序逐个发送，至少一次；"
        "据信封的 `type` 区分事件。2xx 即送达；429/503 带 Retry-After 时按其重试；410 停用订阅；其余或 10 秒无应答按退避"
        "重试约 3 天。订阅在 /api/v1/webhooks 管理（事件接口令牌，见 /api/v1/openapi.json）。 / The partner's "
        "subscribed URL: the exchange POSTs every public event of the subscription to it, one at a time in "
        "public-event order, at least once; tell events apart by the envelope's `type`. A 2xx delivers; 429/503 "
        "with Retry-After is retried then; 410 disables the subscription; anything else, or no answer in 10 s, is "
        "retried with back-off for about 3 days. Subscriptions are managed at /api/v1/webhooks (with the events-API "
        "token, see /api/v1/openapi.json).",
        "servers": [{"$ref": f"#/servers/{WEBHOOK_SERVER}"}],
        "parameters": {
            "path": {"description": "订阅网址的路径与查询串 / the path and query of the subscription's URL"}
        },
        "messages": {public_key(e): {"$ref": f"#/components/messages/{webhook_key(e)}"} for e in PUBLIC_EVENTS},
    }


def _public_operations() -> dict[str, dict[str, Any]]:
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
    operations["exchange.webhook.deliver"] = {
        "action": "send",
        "channel": {"$ref": f"#/channels/{WEBHOOK_CHANNEL}"},
        "messages": [{"$ref": f"#/channels/{WEBHOOK_CHANNEL}/messages/{public_key(e)}"} for e in PUBLIC_EVENTS],
        "summary": "数据交换服务以签名的 Webhook 投递公开事件 / the exchange posts the public events as signed webhooks",
        "bindings": {"http": {"method": "POST", "bindingVersion": "0.3.0"}},
    }
    return operations


def _public_messages(payloads: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each public event twice, with one payload: on NATS, and as the body of a webhook."""
    messages: dict[str, dict[str, Any]] = {}
    for e in PUBLIC_EVENTS:
        payload = {"$ref": payloads[public_key(e)]}
        messages[public_key(e)] = {
            "name": e.type_name(),
            "title": e.__name__,
            "contentType": "application/json",
            "payload": payload,
        }
        messages[webhook_key(e)] = {
            "name": e.type_name(),
            "title": f"{e.__name__} (webhook)",
            "contentType": WEBHOOK_CONTENT_TYPE,
            "headers": {"$ref": SCHEMAS.format(model="WebhookHeaders")},
            "payload": payload,
            "bindings": {
                "http": {"headers": {"$ref": SCHEMAS.format(model="WebhookHeaders")}, "bindingVersion": "0.3.0"}
            },
        }
    return messages


SERVERS = {
    NATS_SERVER: {
        "host": "127.0.0.1:4222",
        "protocol": "nats",
        "description": "`make run`（WUSHE_NATS_URL）；JetStream API 前缀 `JSPUB.API`，收件箱前缀 `_INBOX_<合作方>` / "
        "`make run` (WUSHE_NATS_URL); JetStream API prefix `JSPUB.API`, inbox prefix `_INBOX_<partner>`",
        "security": [{"$ref": "#/components/securitySchemes/partner"}],
    },
    WEBHOOK_SERVER: {
        "host": "{host}",
        "protocol": "https",
        "title": "合作方的接收端 / the partner's endpoint",
        "description": "合作方自己的 Webhook 接收端，由交换服务调用；也接受 http 网址（如内网）。 / The partner's own "
        "webhook receiver, called by the exchange; http URLs are taken too (e.g. inside a private network).",
        "variables": {
            "host": {"description": "订阅网址的主机（及端口）/ the host (and port) of the subscription's URL"}
        },
        "security": [{"$ref": "#/components/securitySchemes/webhookSignature"}],
    },
    PLATFORM_SERVER: {
        "host": "127.0.0.1:8000",
        "protocol": "http",
        "title": "平台网关 / the platform's gateway",
        "description": "`make run`（WUSHE_HTTP_PORT）/ `make run` (WUSHE_HTTP_PORT)",
        "security": [{"$ref": "#/components/securitySchemes/webhookSignature"}],
    },
}


# --- portals: work orders in, their progress back (门户工单与进展回调) ----------------------------------

PORTAL_ORDERS, PORTAL_PROGRESS = "portalWorkOrders", "portalProgress"


def _cloud_event(event_type: str, data_ref: str, subject: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "description": "消息 id，即 webhook-id / the message id, the webhook-id"},
            "source": {"type": "string"},
            "type": {"const": event_type},
            "subject": {"type": "string", "description": subject},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "data": {"$ref": data_ref},
        },
    }


def _portal_parts() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(channels, operations, messages, schemas) of the portals' side: the work order a portal posts
    (structured or binary CloudEvents, Standard Webhooks signed) and each stage posted back to it."""
    refs, top = models_json_schema(
        [(WorkOrderIn, "validation"), (WorkOrderProgress, "validation")], ref_template=SCHEMAS
    )
    schemas = top.get("$defs", {}) | {
        "PortalWorkOrder": _cloud_event(
            WORK_ORDER_TYPE, refs[(WorkOrderIn, "validation")]["$ref"], "可省略 / optional"
        ),
        "PortalProgress": _cloud_event(
            WORK_ORDER_PROGRESS_TYPE,
            refs[(WorkOrderProgress, "validation")]["$ref"],
            "门户的工单编号 / the order number",
        ),
    }
    signed = {"$ref": SCHEMAS.format(model="WebhookHeaders")}
    messages = {
        "portal.WorkOrder": {
            "name": WORK_ORDER_TYPE,
            "title": "工单 / work order",
            "contentType": WEBHOOK_CONTENT_TYPE,
            "headers": signed,
            "payload": {"$ref": SCHEMAS.format(model="PortalWorkOrder")},
        },
        "portal.WorkOrderProgress": {
            "name": WORK_ORDER_PROGRESS_TYPE,
            "title": "工单进展 / work-order progress",
            "contentType": WEBHOOK_CONTENT_TYPE,
            "headers": signed,
            "payload": {"$ref": SCHEMAS.format(model="PortalProgress")},
        },
    }
    channels = {
        PORTAL_ORDERS: {
            "address": "/api/v1/needs/work-orders/{portal}",
            "title": "门户工单 / portal work orders",
            "description": "门户以其密钥签名（Standard Webhooks）提交工单；每个门户与工单编号只登记一条需求。 / A portal "
            "posts a work order signed with its secret (Standard Webhooks); one need per portal and order number.",
            "servers": [{"$ref": f"#/servers/{PLATFORM_SERVER}"}],
            "parameters": {"portal": {"description": "`wushe portal add` 登记的门户名 / the portal's name"}},
            "messages": {"WorkOrder": {"$ref": "#/components/messages/portal.WorkOrder"}},
        },
        PORTAL_PROGRESS: {
            "address": "{path}",
            "title": "工单进展回调 / progress back to the portal",
            "description": "受理、派单、改派、退单、办结、回访，按发生顺序，以门户自己的密钥签名，至少一次（据 webhook-id 去重）。"
            " / 受理, 派单, 改派, 退单, 办结, 回访 in the order they happened, signed with the portal's own secret, "
            "at least once (dedupe on webhook-id).",
            "servers": [{"$ref": f"#/servers/{WEBHOOK_SERVER}"}],
            "parameters": {"path": {"description": "门户回调网址的路径 / the path of the portal's callback URL"}},
            "messages": {"WorkOrderProgress": {"$ref": "#/components/messages/portal.WorkOrderProgress"}},
        },
    }
    operations = {
        "needs.receive.workOrder": {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{PORTAL_ORDERS}"},
            "messages": [{"$ref": f"#/channels/{PORTAL_ORDERS}/messages/WorkOrder"}],
            "summary": "需求库受理门户工单 / the needs service takes a portal's work order",
            "bindings": {"http": {"method": "POST", "bindingVersion": "0.3.0"}},
        },
        "exchange.send.workOrderProgress": {
            "action": "send",
            "channel": {"$ref": f"#/channels/{PORTAL_PROGRESS}"},
            "messages": [{"$ref": f"#/channels/{PORTAL_PROGRESS}/messages/WorkOrderProgress"}],
            "summary": "数据交换服务把工单进展推送给门户 / the exchange posts a work order's progress to its portal",
            "bindings": {"http": {"method": "POST", "bindingVersion": "0.3.0"}},
        },
    }
    return channels, operations, messages, schemas


def public_document() -> dict[str, Any]:
    payloads, schemas = _payloads(PUBLIC_EVENTS, public_key)
    portal_channels, portal_operations, portal_messages, portal_schemas = _portal_parts()
    doc = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "wushe 五社联动 · 公开事件 / public events",
            "version": "1.0.0",
            "description": "合作方可订阅的公开事件：不含任何个人信息，人员仅以化名标识。主题携带行政区划："
            "pub.<领域>.<事件>.v<版本>.<省>.<市>.<县>。不能使用 NATS 的合作方可用 GET /api/v1/events 按游标分页读取"
            "同样的事件，或订阅 Webhook（通道 webhooks）。 / The public events partners may subscribe to: no personal "
            "data, people only by pseudonym; subjects carry the jurisdiction. Partners who cannot speak NATS page the "
            "same events with GET /api/v1/events, or subscribe a webhook (channel webhooks). Every message is a "
            "CloudEvents 1.0 envelope; delivery is at least once: dedupe on the envelope id.",
        },
        "defaultContentType": "application/json",
        "servers": SERVERS,
        "channels": {public_key(e): _public_channel(e) for e in PUBLIC_EVENTS}
        | {WEBHOOK_CHANNEL: _webhook_channel()}
        | portal_channels,
        "operations": _public_operations() | portal_operations,
        "components": {
            "messages": _public_messages(payloads) | portal_messages,
            "schemas": schemas | portal_schemas | {"WebhookHeaders": WEBHOOK_HEADERS},
            "securitySchemes": {"partner": PARTNER_SECURITY, "webhookSignature": WEBHOOK_SECURITY},
        },
    }
    return copy.deepcopy(doc)  # a caller may change its document, never these constants


if __name__ == "__main__":
    internal = "--internal" in sys.argv[1:]
    json.dump(document() if internal else public_document(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
