"""The platform's audit trail (审计日志) for auditors: every service keeps its own (kit.audit); this
merges them, newest first, page by page, and exports them as one CSV. A service that does not answer
is named in `unavailable`, so an auditor never mistakes a partial trail for a whole one."""

from __future__ import annotations

import asyncio
from typing import Annotated

import aiohttp
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from contracts.api.audit import AuditPage
from kit import audit
from services.gateway.upstream import UPSTREAMS, Upstream, forward_headers, raise_for_problem

router = APIRouter(prefix="/api/v1/audit", tags=["审计日志 audit trail"])
FILTERS = ("area", "actor", "record", "action", "since", "until")


async def merged_page(request: Request, filters: list[tuple[str, str]], cursor: str | None, limit: int) -> AuditPage:
    """The newest `limit` entries after `cursor` across the services: each service's own newest
    `limit` are enough to know them."""
    params = [*filters, *([("cursor", cursor)] if cursor else []), ("limit", str(limit))]
    headers = forward_headers(request)
    replies = await asyncio.gather(*(_ask(request.app.state.upstreams[s], params, headers) for s in UPSTREAMS))
    items, unavailable, more = [], [], False
    for service, reply in zip(UPSTREAMS, replies, strict=False):
        if reply is None or reply.status >= 500:
            unavailable.append(service)
            continue
        raise_for_problem(reply)  # a refused area or cursor is refused the same by every service
        part = AuditPage.model_validate_json(reply.body)
        items += part.items
        more = more or part.next_cursor is not None
    items.sort(key=lambda e: (e.at, e.id), reverse=True)
    shown = items[:limit]
    more = more or len(items) > limit
    return AuditPage(
        items=shown, next_cursor=audit.cursor_of(shown[-1]) if more and shown else None, unavailable=unavailable
    )


async def _ask(upstream: Upstream, params: list, headers: dict):
    try:
        return await upstream.request("GET", "/audit", params=params, headers=headers)
    except (TimeoutError, aiohttp.ClientError):
        return None


def _filters(request: Request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k in FILTERS]


@router.get("", response_model=AuditPage, summary="审计日志（全平台）/ the platform's audit trail")
async def audit_trail(
    request: Request,
    query: audit.AuditFilter = Depends(),
    cursor: Annotated[str | None, Query(max_length=100, description="上一页的 next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 100,
) -> AuditPage:
    if cursor:
        audit.parse_cursor(cursor)  # refused here, before any service is asked (as the area is, by AuditFilter)
    return await merged_page(request, _filters(request), cursor, limit)


@router.get("/export.csv", summary="导出审计日志（CSV，全平台）/ export the platform's audit trail")
async def export(request: Request, query: audit.AuditFilter = Depends()) -> StreamingResponse:
    filters = _filters(request)
    first = await merged_page(request, filters, None, audit.MAX_PAGE)

    async def lines():
        yield "\ufeff" + ",".join(audit.CSV_HEADER) + "\r\n"
        page: AuditPage = first
        while True:
            for entry in page.items:
                yield audit.csv_line(entry)
            if page.next_cursor is None:
                break
            page = await merged_page(request, filters, page.next_cursor, audit.MAX_PAGE)

    incomplete = {"X-Audit-Unavailable": ",".join(first.unavailable)} if first.unavailable else {}
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"', **incomplete},
    )
