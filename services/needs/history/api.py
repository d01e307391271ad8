"""HTTP route of migrating an earlier system's ended needs (历史数据迁移): for the records-migrator
role only, within its area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from contracts.api import HistoryImported
from contracts.api import needs as api
from kit.app import DbPool, Keys
from kit.auth import Principal, Role, require
from services.needs.api import level_defaults
from services.needs.history import handlers

router = APIRouter(tags=["需求库 needs"])
Migrator = Annotated[Principal, Depends(require(Role.MIGRATOR))]


@router.post(
    "/needs/history",
    response_model=HistoryImported,
    summary="导入原系统已结束的需求（历史数据迁移）/ migrate an earlier system's ended needs",
    description="每条记录说明各步发生的时间；原系统编号只导入一次；一批有误则整批不导入，并写入审计日志。"
    " / Each record states when each step happened; each legacy ref is imported once; a batch with"
    " an error imports nothing; every batch is audited.",
)
async def import_needs(body: api.NeedHistoryIn, who: Migrator, pool: DbPool, keyring: Keys) -> HistoryImported:
    return await handlers.import_needs(pool, keyring, level_defaults(), who, body)
