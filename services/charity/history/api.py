"""HTTP route of migrating an earlier system's donations (历史数据迁移): for the records-migrator
role only, into the funds of its area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from contracts.api import HistoryImported
from contracts.api import charity as api
from kit.app import DbPool, Keys
from kit.auth import Principal, Role, require
from services.charity.history import handlers

router = APIRouter(tags=["慈善资源 charity"])
Migrator = Annotated[Principal, Depends(require(Role.MIGRATOR))]


@router.post(
    "/donations/history",
    response_model=HistoryImported,
    summary="导入原系统收到的捐赠（历史数据迁移）/ migrate an earlier system's donations",
    description="每笔捐赠记入其基金并按所述时间入账统计；原系统编号只导入一次；一批有误则整批不导入，并写入审计日志。"
    " / Each donation goes into its fund at the time it states; each legacy ref is imported once; a"
    " batch with an error imports nothing; every batch is audited.",
)
async def import_donations(body: api.DonationHistoryIn, who: Migrator, pool: DbPool, keyring: Keys) -> HistoryImported:
    return await handlers.import_donations(pool, keyring, who, body)
