"""HTTP routes of the needs service."""
from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request

from contracts.api.needs import NeedCreated, NeedIn, NeedView
from kit import idempotency
from kit.auth import Principal, Role, require, require_jurisdiction
from kit.problems import not_found
from services.needs import handlers, store

router = APIRouter(prefix="/needs", tags=["需求库 needs"])

WRITERS = (Role.SOCIAL_WORKER, Role.GRID_WORKER)
READERS = (Role.SOCIAL_WORKER, Role.GRID_WORKER, Role.CIVIL_AFFAIRS, Role.PARTY_SECRETARY, Role.AUDITOR)


@router.post("", status_code=201, response_model=NeedCreated)
async def raise_need(need: NeedIn, request: Request, who: Principal = Depends(require(*WRITERS))) -> NeedCreated:
    require_jurisdiction(who, need.area_code, hide=False)
    return await handlers.raise_need(request.app.state.pool, request.app.state.keyring, who, need,
                                     request.headers.get(idempotency.HEADER))


@router.get("/{need_id}", response_model=NeedView)
async def get_need(need_id: UUID, request: Request, who: Principal = Depends(require(*READERS))) -> NeedView:
    row = await store.get_need(request.app.state.pool, need_id)
    if row is None:
        raise not_found()
    require_jurisdiction(who, row["area_code"])
    return handlers.need_view(row, request.app.state.keyring)
