"""The gateway's REST facade (/api/v1): verify the caller, forward, compose. A write's body is not
parsed here: the owning service validates it (its 422 names the field, passed through unchanged),
and the gateway passes the bytes along (a NeedIn validated twice cost the gateway 8 % of its CPU)."""

from __future__ import annotations

import asyncio
from uuid import UUID

import aiohttp
from fastapi import APIRouter, Path, Query, Request, Response

from contracts.api.needs import MatchingView, NeedComposed, NeedView, WorkOrderAccepted
from kit.auth import BEARER, PURPOSE, Caller, principal
from kit.problems import Problem
from services.gateway.upstream import Upstream, forward_headers, passed_headers, path_of, raise_for_problem, split_path

router = APIRouter(prefix="/api/v1", tags=["需求库 needs"])
UNAVAILABLE = object()


async def raise_need(request: Request) -> Response:
    """Passed through unparsed, like every write, as a plain Starlette route checked before all the
    others: the busiest write skips FastAPI's route matching and dependency solving (together a sixth
    of the gateway's CPU at saturation) and keeps an `http_route` of its own in the request metrics.
    The caller is verified as `Caller` verifies it; the needs service documents the operation (merged
    into the facade's document)."""
    return await pass_through("needs", request, await principal(await BEARER(request)))


intake = APIRouter()
intake.add_route(f"{router.prefix}/needs", raise_need, methods=["POST"], include_in_schema=False)


@router.post(
    "/needs/work-orders/{portal}",
    status_code=201,
    response_model=WorkOrderAccepted,
    summary="门户工单受理（签名的 CloudEvent，无需令牌）/ a portal's signed work order, no token",
)
async def receive_work_order(request: Request, portal: str = Path(max_length=40)) -> Response:
    """The body and its signature pass through untouched: the needs service verifies both itself."""
    signed = ("content-type", "webhook-id", "webhook-timestamp", "webhook-signature")
    headers = {k: v for k, v in request.headers.items() if k in signed or k.startswith("ce-")}
    reply = await _call(
        request, "needs", "POST", path_of("needs", "work-orders", portal), data=await request.body(), headers=headers
    )
    return _as_answered(reply)


# Open311 GeoReport v2, for portals that speak it: no token (the api_key is the portal's credential,
# checked by the needs service), GeoReport's own paths and answers passed through.
open311 = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])


@open311.api_route(
    "/{path:path}", methods=["GET", "POST"], summary="Open311 GeoReport v2（转需求库）/ to the needs service"
)
async def open311_pass_through(request: Request, path: str) -> Response:
    headers = {"content-type": request.headers.get("content-type", "application/x-www-form-urlencoded")}
    reply = await _call(
        request,
        "needs",
        request.method,
        path_of("open311", "v2", *split_path(path)),
        data=await request.body() if request.method == "POST" else None,
        headers=headers,
        params=list(request.query_params.multi_items()),
    )
    return _as_answered(reply)


@router.get(
    "/needs/{need_id:uuid}", response_model=NeedComposed, summary="需求详情（含志愿服务匹配）/ a need, composed"
)
async def get_need(need_id: UUID, request: Request, who: Caller, purpose: str | None = PURPOSE) -> NeedComposed:
    headers = forward_headers(request)
    need_call = _call(
        request, "needs", "GET", f"/needs/{need_id}", headers=headers, params=list(request.query_params.multi_items())
    )  # e.g. ?purpose= for an audited read
    matching_call = _call(request, "volunteers", "GET", f"/demands/{need_id}", headers=headers, optional=True)
    need_reply, matching_reply = await asyncio.gather(need_call, matching_call)
    raise_for_problem(need_reply)
    need = NeedView.model_validate_json(need_reply.body)
    if matching_reply is UNAVAILABLE or matching_reply.status >= 500:
        return NeedComposed(need=need, matching=None, matching_status="unavailable")
    if matching_reply.status == 404:
        return NeedComposed(need=need, matching=None, matching_status="pending")
    raise_for_problem(matching_reply)
    return NeedComposed(
        need=need, matching=MatchingView.model_validate_json(matching_reply.body), matching_status="available"
    )


async def _call(request: Request, service: str, method: str, path: str, *, optional: bool = False, **kwargs):
    upstream: Upstream = request.app.state.upstreams[service]
    try:
        return await upstream.request(method, path, **kwargs)
    except (TimeoutError, aiohttp.ClientError) as exc:
        if optional:
            return UNAVAILABLE
        raise Problem(503, "服务暂不可用 / Service unavailable", f"{service}: {type(exc).__name__}") from None


@router.get("/public/certificates/{code}", summary="核验志愿服务记录证明（无需登录）/ check a certificate, no login")
async def verify_certificate(request: Request, code: str = Path(max_length=64, pattern=r"^[0-9A-Za-z-]+$")) -> Response:
    """Public: anyone holding a certificate can check its code; the answer shows masked data only."""
    return await _public(request, "volunteers", path_of("certificates", "verify", code))


# Public charity disclosure (慈善信息公开): no token; the charity service's /public routes hold
# public data only.
async def _charity_public(request: Request, path: str) -> Response:
    return await _public(request, "charity", path)


def _as_answered(reply) -> Response:
    """The service's answer as it gave it (a 5xx becomes the gateway's own problem)."""
    if reply.status >= 500:
        raise_for_problem(reply)
    extra = passed_headers(reply)
    return Response(reply.body, status_code=reply.status, media_type=reply.content_type or None, headers=extra)


async def _public(request: Request, service: str, path: str) -> Response:
    """A GET that needs no token, passed to a service route that serves public data only."""
    reply = await _call(request, service, "GET", path, params=list(request.query_params.multi_items()))
    return _as_answered(reply)


@router.get("/public/showcase", summary="优秀项目与典型案例（无需登录）/ outstanding projects, no login")
async def public_showcase(request: Request) -> Response:
    return await _public(request, "projects", "/public/showcase")


@router.get("/public/ledger", summary="公开账目（无需登录）/ the public ledger, no login")
async def public_ledger(request: Request) -> Response:
    return await _charity_public(request, "/public/ledger")


@router.get("/public/ledger.csv", summary="下载公开账目（无需登录）/ the public ledger as CSV, no login")
async def public_ledger_csv(request: Request) -> Response:
    return await _charity_public(request, "/public/ledger.csv")


@router.get("/public/ledger/donations/{receipt_code}", summary="追踪捐赠去向（无需登录）/ follow a donation, no login")
async def public_donation(
    request: Request, receipt_code: str = Path(max_length=40, pattern=r"^[0-9A-Za-z -]+$")
) -> Response:
    return await _charity_public(request, path_of("public", "donations", receipt_code))


@router.get("/public/ledger/projects/{project_id}/disclosure", summary="项目信息公开（无需登录）/ a project's report")
async def public_project(project_id: UUID, request: Request) -> Response:
    return await _charity_public(request, f"/public/projects/{project_id}/disclosure")


@router.get("/public/ledger/funds/{fund_id}", summary="资金账户公开（无需登录）/ a fund's totals, no login")
async def public_fund(fund_id: UUID, request: Request) -> Response:
    return await _charity_public(request, f"/public/funds/{fund_id}")


# a community's love supermarket: its stock and its monthly 公示 (holders by masked ref only); the
# parameters are declared for the document, the charity service validates them
SUPERMARKET_AREA = Query(max_length=12, description="村（社区）12 位代码 / community code")
SUPERMARKET_MONTH = Query(max_length=7, description="YYYY-MM（北京时间）/ Beijing time")


@router.get("/public/supermarket/stock", summary="爱心超市库存（无需登录）/ a community's stock, no login")
async def public_supermarket_stock(request: Request, area: str = SUPERMARKET_AREA) -> Response:
    return await _charity_public(request, "/public/supermarket/stock")


@router.get(
    "/public/supermarket/publications", summary="爱心超市月度公示（无需登录）/ the monthly publication, no login"
)
async def public_supermarket_publications(
    request: Request, area: str = SUPERMARKET_AREA, month: str = SUPERMARKET_MONTH
) -> Response:
    return await _charity_public(request, "/public/supermarket/publications")


# Everything else of a service's API passes through: the gateway authenticates the caller and
# the service, which verifies the token again, decides and validates.
ROUTES = {
    **{
        resource: "needs"
        for resource in ("needs", "residents", "surveys", "mediations", "revisits", "proactive-visits", "taxonomy")
    },
    **{
        resource: "volunteers"
        for resource in ("volunteers", "tasks", "hours", "timebank", "teams", "stations", "facilities", "certificates")
    },
    **{
        resource: "charity"
        for resource in ("funds", "donations", "earmarks", "commitments", "disbursements", "ledger", "supermarket")
    },
    **{
        resource: "party"
        for resource in (
            "party-organizations",
            "party-members",
            "responsible-units",
            "matters",
            "whistles",
            "wishes",
            "joint-meetings",
            "agenda-items",
            "meeting-actions",
        )
    },
    **{
        resource: "projects"
        for resource in (
            "organizations",
            "platforms",
            "communities",
            "purchase-list",
            "projects",
            "bids",
            "venture-calls",
        )
    },
    "events": "exchange",
    "webhooks": "exchange",
    "exchange": "exchange",
}


@router.api_route("/{resource}/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
@router.api_route("/{resource}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def pass_through(resource: str, request: Request, who: Caller, rest: str = "") -> Response:
    service = ROUTES.get(resource)
    if service is None:
        raise Problem(404, "未找到 / Not found", f"没有这个接口 / no such resource: {resource}")
    raw = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").removeprefix(router.prefix)
    path = path_of(*split_path(raw))
    headers = forward_headers(request)
    if content_type := request.headers.get("content-type"):
        headers["content-type"] = content_type
    reply = await _call(
        request,
        service,
        request.method,
        path,
        params=list(request.query_params.multi_items()),
        data=await request.body(),
        headers=headers,
    )
    return _as_answered(reply)
