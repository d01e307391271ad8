"""HTTP routes of the resident's own page (我的诉求): for the resident role only, always about the
caller (their token names them)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from contracts.api import needs as api
from kit.app import DbPool, Keys
from kit.auth import Principal, Role, require
from services.needs import handlers as needs
from services.needs.api import taxonomy_of
from services.needs.mine import handlers

router = APIRouter(tags=["我的诉求 my needs"])
Resident = Annotated[Principal, Depends(require(Role.RESIDENT))]


@router.get("/needs/mine", response_model=api.MyNeeds, summary="我的诉求及其进展 / my needs and how they go")
async def my_needs(request: Request, who: Resident, pool: DbPool, keyring: Keys) -> api.MyNeeds:
    return await handlers.my_needs(pool, keyring, await taxonomy_of(request).labels(), who)


@router.post("/needs/{need_id:uuid}/revisit-request", summary="请求回访 / ask the community to come back")
async def ask_revisit(need_id: UUID, who: Resident, pool: DbPool) -> dict:
    return {"id": need_id, "revisit_due": await needs.ask_revisit(pool, who, need_id)}
