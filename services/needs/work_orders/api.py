"""HTTP routes of portal work orders: the signed CloudEvent, and Open311 GeoReport v2 for portals that
speak it. No bearer token: the signature, or the Open311 api_key, is the portal's credential."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from contracts.api import needs as api
from kit.app import DbPool, Keys
from kit.problems import Problem
from services.needs.api import level_defaults, taxonomy_of
from services.needs.work_orders import domain, handlers

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


# --- Open311 GeoReport v2 (served at /open311/v2 by the gateway) --------------------------------------
# Errors in GeoReport's own shape, a list of {code, description}, with the field named as well.

open311 = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])


def _georeport_error(status: int, field: str, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": f"{field}: {description}", "field": field}], status)


def _as_georeport(problem: Problem) -> JSONResponse:
    """A refusal of the shared intake, with the field as GeoReport names it."""
    field = (problem.errors or [{}])[0].get("field", "body").removeprefix("data.")
    return _georeport_error(problem.status, _GEOREPORT_FIELD.get(field, field), problem.detail)


_GEOREPORT_FIELD = {"area_code": "address_id", "category": "service_code"}


@open311.get("/services.json", summary="服务（需求类别）/ services: the need categories")
async def open311_services(request: Request) -> list[dict]:
    categories = (await taxonomy_of(request).all()).values()
    return [domain.open311_service(c.code, c.zh, c.en) for c in categories if c.active]


@open311.get("/services/{service_code}.json", summary="服务的属性 / a service's attributes")
async def open311_service_definition(request: Request, service_code: str) -> Response:
    if service_code not in await taxonomy_of(request).all():
        return _georeport_error(404, "service_code", "没有这项服务 / no such service")
    return JSONResponse(domain.open311_definition(service_code))


@open311.post("/requests.json", summary="提交服务请求（表单）/ post a service request, form-encoded")
async def open311_post_request(request: Request, pool: DbPool, keyring: Keys) -> Response:
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    try:
        name, portal = handlers.portal_by_key(form.get("api_key"))
        order = domain.open311_order(form)
        accepted = await handlers.accept(
            pool, keyring, level_defaults(), taxonomy_of(request), name, portal, f"open311:{order.order_id}", order
        )
    except domain.Unreadable as exc:
        return _georeport_error(400, exc.field, str(exc))
    except Problem as exc:
        return _as_georeport(exc)
    notice = f"{accepted.status}（需求编号 {accepted.need_id}）"
    return JSONResponse([{"service_request_id": accepted.order_id, "service_notice": notice, "account_id": None}])


@open311.get("/requests.json", summary="服务请求的进展 / how the portal's requests stand")
async def open311_get_requests(
    pool: DbPool, api_key: str = "", service_request_id: str = "", limit: int = Query(default=100, ge=1, le=1000)
) -> Response:
    try:
        name, _ = handlers.portal_by_key(api_key)
    except Problem as exc:
        return _as_georeport(exc)
    ids = [i.strip() for i in service_request_id.split(",") if i.strip()]
    return JSONResponse(await handlers.open311_requests(pool, name, ids, limit))


@open311.get("/requests/{service_request_id}.json", summary="一个服务请求 / one service request")
async def open311_get_request(pool: DbPool, service_request_id: str, api_key: str = "") -> Response:
    try:
        name, _ = handlers.portal_by_key(api_key)
    except Problem as exc:
        return _as_georeport(exc)
    found = await handlers.open311_requests(pool, name, [service_request_id], 1)
    return (
        JSONResponse(found) if found else _georeport_error(404, "service_request_id", "没有这个请求 / no such request")
    )
