"""HTTP route of portal work orders: no bearer token, the post's signature is the credential."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request, Response

from contracts.api import needs as api
from kit.app import DbPool, Keys
from services.needs.api import level_defaults, taxonomy_of
from services.needs.work_orders import handlers

router = APIRouter(tags=["需求库 needs"])

PORTAL = Path(pattern=r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$", description="门户的登记名 / the portal's registered name")


@router.post(
    "/needs/work-orders/{portal}",
    status_code=201,
    response_model=api.WorkOrderAccepted,
    summary="门户工单受理（签名的 CloudEvent）/ a portal's work order, as a signed CloudEvent",
    description="结构化模式（application/cloudevents+json）或二进制模式（ce-* 头），类型 "
    f"{api.WORK_ORDER_TYPE}，Standard Webhooks 签名（webhook-id、webhook-timestamp、webhook-signature，"
    "时间窗 5 分钟）。同一工单只受理一次：再次提交答 200 与同一需求。"
    " / Structured or binary mode; signed per Standard Webhooks; one need per order: a repeat answers 200.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/cloudevents+json": {"schema": {"type": "object"}}},
        }
    },
)
async def receive_work_order(
    request: Request, response: Response, pool: DbPool, keyring: Keys, portal: str = PORTAL
) -> api.WorkOrderAccepted:
    accepted = await handlers.receive_work_order(
        pool, keyring, level_defaults(), taxonomy_of(request), portal, request.headers, await request.body()
    )
    if accepted.duplicate:
        response.status_code = 200
    return accepted
