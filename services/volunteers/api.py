"""HTTP routes of the volunteers service."""
from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request

from contracts.api.needs import MatchingView
from kit.auth import Principal, Role, require, require_jurisdiction
from kit.problems import not_found
from services.volunteers import store

router = APIRouter(prefix="/demands", tags=["志愿服务 volunteers"])
READERS = (Role.SOCIAL_WORKER, Role.GRID_WORKER, Role.CIVIL_AFFAIRS, Role.PARTY_SECRETARY, Role.AUDITOR)


@router.get("/{need_id}", response_model=MatchingView)
async def get_demand(need_id: UUID, request: Request, who: Principal = Depends(require(*READERS))) -> MatchingView:
    row = await store.get_demand(request.app.state.pool, need_id)
    if row is None:
        raise not_found()  # not received yet, or outside the caller's area: the gateway says "pending"
    require_jurisdiction(who, row["area_code"])
    return MatchingView.model_validate(dict(row))
