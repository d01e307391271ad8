"""HTTP routes of 党建联席会议: the agenda pool, meetings and resolutions, the actions' follow-up.
The party secretary convenes and records; the other actors of the area read and report progress."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from contracts.api import meetings as api
from kit.app import DbPool
from kit.auth import Principal, Role, listing_area, require, require_jurisdiction
from services.party.meetings import handlers, store

router = APIRouter(tags=["党建联席会议 joint meetings"])
SECRETARY = Role.PARTY_SECRETARY
# those who answer for actions: the party organization, social workers, social organizations, charities
FOLLOW_UP = (SECRETARY, Role.SOCIAL_WORKER, Role.ORG_ADMIN, Role.CHARITY_ADMIN)
READERS = (*FOLLOW_UP, Role.GRID_WORKER, Role.CIVIL_AFFAIRS, Role.AUDITOR)
Secretary = Annotated[Principal, Depends(require(SECRETARY))]
SecretaryOrSocialWorker = Annotated[Principal, Depends(require(SECRETARY, Role.SOCIAL_WORKER))]
FollowUp = Annotated[Principal, Depends(require(*FOLLOW_UP))]
Reader = Annotated[Principal, Depends(require(*READERS))]
AREA = Query(default=None, description="区划代码，默认为本人辖区 / area code, defaults to your jurisdiction")


# --- the agenda pool ------------------------------------------------------------------------------------


@router.get("/agenda-items", response_model=list[api.AgendaItemView], summary="待上会议题 / open agenda items")
async def open_items(who: Reader, pool: DbPool, area: str | None = AREA):
    return [dict(r) for r in await store.open_items(pool, listing_area(who, area))]


@router.post("/agenda-items", status_code=201, response_model=api.Created, summary="提出议题 / raise an agenda item")
async def add_item(body: api.AgendaItemIn, who: SecretaryOrSocialWorker, pool: DbPool):
    require_jurisdiction(who, body.area_code, hide=False)
    return api.Created(id=await handlers.add_item(pool, body))


# --- meetings -------------------------------------------------------------------------------------------


@router.post(
    "/joint-meetings",
    status_code=201,
    response_model=api.MeetingCreated,
    summary="召开党建联席会议（自动列入待上会议题）/ convene a joint meeting",
)
async def convene(body: api.MeetingIn, who: Secretary, pool: DbPool):
    require_jurisdiction(who, body.area_code, hide=False)
    return await handlers.convene(pool, who, body)


@router.get("/joint-meetings", response_model=list[api.MeetingSummary], summary="联席会议 / joint meetings")
async def list_meetings(who: Reader, pool: DbPool, area: str | None = AREA):
    return [dict(r) for r in await store.list_meetings(pool, listing_area(who, area))]


@router.get(
    "/joint-meetings/{meeting_id}",
    response_model=api.MeetingView,
    summary="会议、议程、决议与督办事项 / a meeting with its agenda, resolutions and actions",
)
async def get_meeting(meeting_id: UUID, who: Reader, pool: DbPool):
    return await handlers.meeting_view(pool, who, meeting_id)


@router.post(
    "/joint-meetings/{meeting_id}/resolutions",
    status_code=201,
    response_model=api.ResolutionCreated,
    summary="形成决议并派发事项 / adopt a resolution and dispatch its actions",
)
async def resolve(meeting_id: UUID, body: api.ResolutionIn, who: Secretary, pool: DbPool):
    return await handlers.resolve(pool, who, meeting_id, body)


# --- follow-up ------------------------------------------------------------------------------------------


@router.get("/meeting-actions", response_model=list[api.ActionView], summary="决议事项督办 / actions to follow up")
async def list_actions(
    who: Reader,
    pool: DbPool,
    area: str | None = AREA,
    status: Literal["dispatched", "in_progress", "done", "overdue"] | None = None,
    need_id: UUID | None = Query(default=None, description="只列出该需求的事项 / actions for this need"),
):
    rows = await store.list_actions(pool, listing_area(who, area), status, need_id)
    return [handlers.action_view(r) for r in rows]


@router.post(
    "/meeting-actions/{action_id}/progress",
    response_model=api.ActionView,
    summary="报告办理进展 / report an action's progress",
)
async def report(action_id: UUID, body: api.ProgressIn, who: FollowUp, pool: DbPool):
    return await handlers.report_progress(pool, who, action_id, body)
