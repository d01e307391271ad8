"""Portal work orders (工单) as CloudEvents: reading one in either mode, and the need it becomes.
Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from contracts.api import needs as api
from contracts.taxonomy import Channel

STRUCTURED = "application/cloudevents+json"
REQUIRED_ATTRIBUTES = ("specversion", "id", "source", "type")


class Unreadable(ValueError):
    """A post that is not a work-order CloudEvent: `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def cloud_event(content_type: str, headers: Mapping[str, str], body: bytes) -> tuple[dict[str, Any], Any]:
    """(attributes, data) of a CloudEvent in structured mode (the whole event as JSON) or binary
    mode (attributes in `ce-` headers, the body is the data)."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Unreadable("body", "请求体不是 JSON / the body is not JSON") from None
    if content_type.split(";")[0].strip().lower() == STRUCTURED:
        if not isinstance(parsed, dict):
            raise Unreadable("body", "结构化模式的请求体应为事件对象 / structured mode: the body is the event object")
        attributes = {k: v for k, v in parsed.items() if k != "data"}
        data = parsed.get("data")
    else:
        attributes = {k[3:]: v for k, v in headers.items() if k.lower().startswith("ce-")}
        data = parsed
    for name in REQUIRED_ATTRIBUTES:
        if not isinstance(attributes.get(name), str) or not attributes[name]:
            raise Unreadable(name, f"缺少 CloudEvents 属性 {name} / missing the CloudEvents attribute {name}")
    if attributes["specversion"] != "1.0":
        raise Unreadable("specversion", "仅支持 CloudEvents 1.0 / CloudEvents 1.0 only")
    if attributes["type"] != api.WORK_ORDER_TYPE:
        raise Unreadable("type", f"事件类型应为 {api.WORK_ORDER_TYPE} / the type is {api.WORK_ORDER_TYPE}")
    return attributes, data


def need_of(order: api.WorkOrderIn) -> api.NeedIn:
    """The need a work order raises: what the caller asked, where, for whom, through portal_import."""
    return api.NeedIn(
        area_code=order.area_code,
        category=order.category,
        urgency=order.urgency,
        channel=Channel.PORTAL_IMPORT,
        description=order.description,
        target_groups=order.target_groups,
        resident=order.resident,
    )
