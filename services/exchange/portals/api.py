"""HTTP routes of portal callbacks: the civil-affairs office sees each portal's callback and how its
deliveries go (the portals themselves are registered with `wushe portal`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from contracts.api import exchange as api
from kit.app import DbPool
from kit.auth import Principal, Role, require
from services.exchange.portals import handlers

Office = Annotated[Principal, Depends(require(Role.CIVIL_AFFAIRS))]

router = APIRouter(prefix="/exchange", tags=["数据交换 exchange"])


@router.get(
    "/portals",
    response_model=list[api.PortalCallbackView],
    summary="门户回调及投递情况 / the portals' callbacks and their deliveries",
)
async def portal_callbacks(who: Office, pool: DbPool) -> list[api.PortalCallbackView]:
    return await handlers.callbacks(pool, who)
