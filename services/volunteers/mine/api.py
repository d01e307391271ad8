"""HTTP routes of the volunteer's own page (我的志愿服务): for the volunteer role only, always about
the caller (their token names them), so there is no one else's record to ask for."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from contracts.api import volunteers as api
from kit.app import DbPool, Keys
from kit.auth import Principal, Role, require
from services.volunteers import handlers
from services.volunteers.mine import handlers as mine

router = APIRouter(tags=["我的志愿服务 my volunteering"])
Volunteer = Annotated[Principal, Depends(require(Role.VOLUNTEER))]


@router.get(
    "/volunteers/me",
    response_model=api.MyVolunteering,
    summary="我的志愿服务：任务、可报名任务、时长与证明 / my tasks, tasks to sign up for, hours, certificates",
)
async def my_volunteering(who: Volunteer, pool: DbPool, keyring: Keys) -> api.MyVolunteering:
    return await mine.my_volunteering(pool, keyring, who)


@router.patch("/volunteers/me", summary="更新我的技能与服务区域 / update my skills and service areas")
async def update_my_profile(body: api.MyProfileIn, who: Volunteer, pool: DbPool) -> dict:
    return await mine.update_my_profile(pool, who, body)


@router.post("/tasks/{task_id}/sign-up", summary="报名参加任务 / sign up for a task")
async def sign_up(task_id: UUID, who: Volunteer, pool: DbPool) -> dict:
    return {"status": await handlers.sign_up(pool, who, task_id)}
