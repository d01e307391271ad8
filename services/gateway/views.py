"""Composed views (综合视图): one answer drawn from several services, asked in parallel. A service
that does not answer in time leaves its section `unavailable`; the rest of the view still answers.
A view, and each service's answer to it, is kept for its caller until that service changes (cache.py)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlencode
from uuid import UUID

import aiohttp
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from contracts.api import views as api
from contracts.areas import children, lookup
from contracts.values import USCC
from kit.auth import Caller, Principal, listing_area
from kit.problems import Problem
from services.gateway.cache import Composed, Kept, ViewCache, key_of
from services.gateway.kpis import kpi_board
from services.gateway.upstream import Reply, Upstream, forward_headers, path_of, raise_for_problem

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/views", tags=["综合视图 composed views"])
AREA = Query(default=None, description="区划代码，默认为本人辖区 / area code, defaults to your jurisdiction")


@dataclass(frozen=True)
class Ask:
    service: str
    path: str
    params: dict | None = None


async def fan_out(request: Request, asks: dict[str, Ask]) -> dict[str, api.Section]:
    """Ask every service at once; each answer becomes a section with its status."""
    headers = forward_headers(request)
    composed: Composed | None = getattr(request.state, "composed", None)  # set by the view cache
    who = composed.who if composed else None
    replies = await asyncio.gather(*(_ask(request, ask, headers, who) for ask in asks.values()))
    sections = {name: _section(ask.service, reply) for (name, ask), reply in zip(asks.items(), replies, strict=True)}
    if composed is not None:
        composed.asked(sections.values())
    return sections


async def _ask(request: Request, ask: Ask, headers: dict, who: Principal | None) -> Reply | None:
    """The service's answer: kept for this caller since the service last changed, or asked now."""
    answers: ViewCache = request.app.state.answers
    key = key_of(ask.service + ask.path, urlencode(sorted((ask.params or {}).items())).encode(), who) if who else None
    if key and (kept := answers.get(key)):
        return Reply(200, kept.content_type.decode(), kept.body, {})
    before = answers.generations.now()
    upstream: Upstream = request.app.state.upstreams[ask.service]
    try:
        reply = await upstream.request("GET", ask.path, params=ask.params or {}, headers=headers)
    except (TimeoutError, aiohttp.ClientError):
        return None  # down or too slow: the section says so
    if key and reply.status == 200:
        answers.put(key, Kept(reply.body, reply.content_type.encode()), before, Composed({ask.service}))
    return reply


def _section(service: str, reply: Reply | None) -> api.Section:
    if reply is None or reply.status >= 500:
        return api.Section(service=service, status="unavailable")
    if reply.status == 401:
        raise_for_problem(reply)  # the token itself is refused: the whole view is
    if reply.status == 403:
        return api.Section(service=service, status="forbidden")
    if reply.status == 404:
        return api.Section(service=service, status="not_found")
    if reply.status >= 300:  # the gateway checked the area already: a service refusing the rest is its fault
        log.warning("view section refused", extra={"service": service, "status": reply.status})
        return api.Section(service=service, status="unavailable")
    return api.Section(service=service, status="available", data=reply.json())


def area_of(who: Principal, area: str | None) -> tuple[str, str, str]:
    """The asked area (the caller's by default): a known code within the caller's jurisdiction."""
    area = listing_area(who, area)
    known = lookup(area)
    return area, known.name, known.level


# --- need 360 ---------------------------------------------------------------------------------------


@router.get("/needs/{need_id}", response_model=api.Need360, summary="需求全景 / a need's whole chain")
async def need_360(need_id: UUID, request: Request, who: Caller) -> api.Need360:
    n = str(need_id)
    s = await fan_out(
        request,
        {
            "need": Ask("needs", f"/needs/{n}"),
            "timeline": Ask("needs", f"/needs/{n}/timeline"),
            "volunteers": Ask("volunteers", f"/tasks/by-need/{n}/service"),
            "projects": Ask("projects", "/projects", {"need_id": n}),
            "charity": Ask("charity", f"/earmarks/by-need/{n}"),
            "whistles": Ask("party", "/whistles", {"need_id": n}),
            "actions": Ask("party", "/meeting-actions", {"need_id": n}),
        },
    )
    _core_or_refuse(s["need"])
    timeline = s["timeline"]
    return api.Need360(
        need_id=n,
        need=s["need"],
        volunteers=s["volunteers"],
        projects=await _in_full(request, s["projects"]),
        charity=s["charity"],
        party=_joined("party", whistles=s["whistles"], actions=s["actions"]),
        timeline=[api.TimelineItem.model_validate(e) for e in timeline.data] if timeline.status == "available" else [],
        timeline_status=timeline.status,
    )


async def _in_full(request: Request, projects: api.Section) -> api.Section:
    """The library lists projects without their funding, bids, milestones and evaluation: ask for
    each one whole (a project that does not answer keeps its summary)."""
    if projects.status != "available" or not projects.data:
        return projects
    details = await fan_out(request, {p["id"]: Ask("projects", path_of("projects", p["id"])) for p in projects.data})
    whole = [details[p["id"]].data if details[p["id"]].status == "available" else p for p in projects.data]
    return api.Section(service="projects", status="available", data=whole)


def _joined(service: str, **parts: api.Section) -> api.Section:
    """Several answers of one service as one section: available only if every part is."""
    statuses = {p.status for p in parts.values()}
    status = (
        "available"
        if statuses == {"available"}
        else next(s for s in ("unavailable", "forbidden", "not_found", "available") if s in statuses)
    )
    return api.Section(service=service, status=status, data={name: p.data for name, p in parts.items()})


# --- dashboards and KPIs --------------------------------------------------------------------------------


@router.get("/dashboard", response_model=api.Dashboard, summary="数据看板 / an area's dashboard")
async def dashboard(request: Request, who: Caller, area: str | None = AREA) -> api.Dashboard:
    code, name, level = area_of(who, area)
    q = {"area": code}
    s = await fan_out(
        request,
        {
            "needs": Ask("needs", "/needs/stats", q),
            "needs_trend": Ask("needs", "/needs/trend", q),
            "linkage": Ask("needs", "/needs/linkage", q),
            "volunteers": Ask("volunteers", "/volunteers/stats", q),
            "organizations": Ask("projects", "/organizations/stats", q),
            "projects": Ask("projects", "/projects/stats", q),
            "funds": Ask("charity", "/funds/flows", q),
            "whistles": Ask("party", "/whistles/stats", q),
        },
    )
    return api.Dashboard(area_code=code, area_name=name, level=level, **s)


class ChildFigures(BaseModel):
    """One area under the one asked: its needs, their monthly trend, its volunteers and linkage index."""

    area_code: str
    area_name: str
    level: str
    needs: api.Section
    needs_trend: api.Section
    volunteers: api.Section
    linkage: api.Section


class DashboardChildren(BaseModel):
    """An area's figures by the areas directly under it (the dashboard's map and rankings)."""

    area_code: str
    area_name: str
    level: str
    months: int
    children: list[ChildFigures]


@router.get(
    "/dashboard/children",
    response_model=DashboardChildren,
    summary="数据看板·下级区域 / an area's figures by the areas under it",
)
async def dashboard_children(
    request: Request,
    who: Caller,
    area: str | None = AREA,
    months: int = Query(default=12, ge=1, le=36, description="趋势的月数 / months of the needs trend"),
) -> DashboardChildren:
    """Province → its cities, city → its counties (functional zones too), county → its townships; a
    township's villages and communities are not in the area table (the linkage view lists them)."""
    code, name, level = area_of(who, area)
    below = children(code)
    asks = {}
    for a in below:
        q = {"area": a.code}
        asks[f"{a.code} needs"] = Ask("needs", "/needs/stats", q)
        asks[f"{a.code} needs_trend"] = Ask("needs", "/needs/trend", {**q, "months": months})
        asks[f"{a.code} volunteers"] = Ask("volunteers", "/volunteers/stats", q)
        asks[f"{a.code} linkage"] = Ask("needs", "/needs/linkage", q)
    s = await fan_out(request, asks) if asks else {}
    return DashboardChildren(
        area_code=code,
        area_name=name,
        level=level,
        months=months,
        children=[
            ChildFigures(
                area_code=a.code,
                area_name=a.name,
                level=a.level,
                needs=s[f"{a.code} needs"],
                needs_trend=s[f"{a.code} needs_trend"],
                volunteers=s[f"{a.code} volunteers"],
                linkage=_figures_only(s[f"{a.code} linkage"]),
            )
            for a in below
        ],
    )


def _figures_only(linkage: api.Section) -> api.Section:
    """The index and shares of the area, without its list of communities (the parent's view has it)."""
    if linkage.status != "available" or not isinstance(linkage.data, dict):
        return linkage
    return linkage.model_copy(update={"data": {k: v for k, v in linkage.data.items() if k != "communities"}})


@router.get("/kpis", response_model=api.KpiBoard, summary="政策目标完成情况 / the policy's targets")
async def kpis(request: Request, who: Caller, area: str | None = AREA) -> api.KpiBoard:
    code, name, level = area_of(who, area)
    q = {"area": code}
    s = await fan_out(
        request,
        {
            "organizations": Ask("projects", "/organizations/stats", q),
            "platforms": Ask("projects", "/platforms/coverage", q),
            "volunteers": Ask("volunteers", "/volunteers/stats", q),
        },
    )
    return api.KpiBoard(area_code=code, area_name=name, level=level, kpis=kpi_board(s, level))


# --- profiles ---------------------------------------------------------------------------------------------


@router.get("/volunteers/{volunteer_id}", response_model=api.Profile, summary="志愿者档案 / a volunteer's profile")
async def volunteer_profile(volunteer_id: UUID, request: Request, who: Caller) -> api.Profile:
    v = str(volunteer_id)
    s = await fan_out(
        request,
        {
            "volunteer": Ask("volunteers", f"/volunteers/{v}"),
            "timebank": Ask("volunteers", f"/timebank/volunteers/{v}"),
        },
    )
    return _profile("volunteer", v, s, core="volunteer")


@router.get("/organizations/{uscc}", response_model=api.Profile, summary="社会组织档案 / an organization's profile")
async def organization_profile(uscc: USCC, request: Request, who: Caller) -> api.Profile:
    s = await fan_out(
        request,
        {
            "organization": Ask("projects", path_of("organizations", uscc)),
            "projects": Ask("projects", "/projects", {"organization_uscc": uscc}),
        },
    )
    return _profile("organization", uscc, s, core="organization")


def _profile(kind: str, ident: str, sections: dict[str, api.Section], core: str) -> api.Profile:
    _core_or_refuse(sections[core])
    return api.Profile(kind=kind, id=ident, sections=sections)


def _core_or_refuse(core: api.Section) -> None:
    """The record a view is about decides who may see the view: unknown (or outside the caller's
    area, which the service answers the same way) → 404; a role that may not read it → 403."""
    if core.status == "not_found":
        raise Problem(404, "未找到 / Not found", "没有这条记录 / no such record")
    if core.status == "forbidden":
        raise Problem(403, "无权访问 / Forbidden", "此角色不能查看该记录 / this role may not read it")
