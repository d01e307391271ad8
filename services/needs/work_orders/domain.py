"""Portal work orders (工单) as CloudEvents: reading one in either mode, and the need it becomes.
Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import ValidationError

from contracts.api import needs as api
from contracts.envelope import new_id
from contracts.taxonomy import Channel, Route, Urgency
from services.needs.domain import Status

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


# --- Open311 GeoReport v2 ----------------------------------------------------------------------------
# A service is a need category; a request is a work order. What GeoReport has no field for (the
# caller's citizen id, the urgency, the portal's own order number) comes as service attributes.

OPEN311_ATTRIBUTES = (
    ("citizen_id", "string", True, "来电人公民身份号码 / the caller's citizen id", []),
    ("urgency", "singlevaluelist", False, "紧急程度 / urgency", [(u.value, u.zh) for u in Urgency]),
    (
        "order_id",
        "string",
        False,
        "门户工单编号，重复提交只受理一次 / the portal's order number: one need per order",
        [],
    ),
)
CLOSED = {Status.RESOLVED, Status.CLOSED, Status.RETURNED}  # GeoReport: no more to do here


def open311_service(code: str, zh: str, en: str) -> dict[str, Any]:
    return {
        "service_code": code,
        "service_name": zh,
        "description": f"{zh} / {en}",
        "metadata": True,
        "type": "realtime",
        "keywords": en,
        "group": "社区服务需求 / community needs",
    }


def open311_definition(code: str) -> dict[str, Any]:
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": name,
                "datatype": kind,
                "required": required,
                "datatype_description": label,
                "order": order,
                "description": label,
                "values": [{"key": key, "name": value} for key, value in values],
            }
            for order, (name, kind, required, label, values) in enumerate(OPEN311_ATTRIBUTES, 1)
        ],
    }


def open311_order(form: Mapping[str, str]) -> api.WorkOrderIn:
    """The work order of a GeoReport POST /requests: Unreadable naming the GeoReport field."""
    attribute = {
        k[len("attribute[") : -1]: v for k, v in form.items() if k.startswith("attribute[") and k.endswith("]")
    }
    fields = {
        "order_id": attribute.get("order_id") or f"open311-{new_id().hex}",
        "area_code": form.get("address_id"),
        "category": form.get("service_code"),
        "urgency": attribute.get("urgency") or Urgency.ROUTINE.value,
        "description": form.get("description"),
        "resident": {
            "name": (form.get("last_name") or "") + (form.get("first_name") or ""),
            "phone": form.get("phone"),
            "citizen_id": attribute.get("citizen_id"),
        },
    }
    try:
        return api.WorkOrderIn.model_validate(fields)
    except ValidationError as exc:
        where = [str(p) for p in exc.errors()[0]["loc"]]
        raise Unreadable(_GEOREPORT_NAMES.get(".".join(where), ".".join(where)), exc.errors()[0]["msg"]) from None


_GEOREPORT_NAMES = {
    "area_code": "address_id",
    "category": "service_code",
    "urgency": "attribute[urgency]",
    "order_id": "attribute[order_id]",
    "resident.name": "last_name",
    "resident.citizen_id": "attribute[citizen_id]",
    "resident.phone": "phone",
}


def open311_request(row: Mapping[str, Any]) -> dict[str, Any]:
    """A work order as a GeoReport service request: open until its need is resolved."""
    status = Status(row["status"])
    notes = status.zh + (f"（{Route(row['route']).zh}）" if row["route"] else "")
    return {
        "service_request_id": row["order_id"],
        "status": "closed" if status in CLOSED else "open",
        "status_notes": notes,
        "service_code": row["category"],
        "service_notice": "",
        "agency_responsible": "社区（五社联动）/ the community",
        "requested_datetime": row["received_at"].isoformat(),
        "updated_datetime": (row["updated_at"] or row["received_at"]).isoformat(),
        "address_id": row["area_code"],
        "need_id": str(row["need_id"]),
    }
