"""HTTP models of 公益创投 (venture philanthropy) and 项目大赛 (project competitions)."""

from __future__ import annotations

from typing import Literal, cast
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from contracts.api import Strict
from contracts.api.projects import Criteria, IndicatorIn, MilestonePlanIn
from contracts.values import USCC, AreaCode, PositiveMoney


class CallIn(Strict):
    kind: Literal["venture", "competition"] = Field(description="公益创投 / 项目大赛")
    title: str = Field(min_length=2, max_length=200)
    area_code: AreaCode
    fund_id: UUID = Field(description="资助资金所在的慈善资金账户")
    pool_fen: PositiveMoney = Field(description="资助总额")
    max_grant_fen: PositiveMoney = Field(description="单个项目资助上限")
    criteria: Criteria = Field(
        default_factory=lambda: cast(Criteria, {"innovation": 30, "feasibility": 30, "benefit": 40}),
        min_length=1,
        max_length=10,
    )
    apply_deadline: AwareDatetime

    @model_validator(mode="after")
    def _grant_fits_pool(self) -> CallIn:
        if self.max_grant_fen > self.pool_fen:
            raise ValueError("单个项目资助上限不得超过资助总额 / a grant cannot exceed the pool")
        return self


class ApplicationIn(Strict):
    organization_uscc: USCC
    area_code: AreaCode = Field(description="项目服务的区域（须在大赛区域内）")
    title: str = Field(min_length=2, max_length=200)
    summary: str = Field(min_length=10, max_length=8000)
    indicators: list[IndicatorIn] = Field(min_length=1, max_length=20)
    requested_fen: PositiveMoney
    milestones: list[MilestonePlanIn] = Field(min_length=1, max_length=24)
    need_ids: list[UUID] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _paid_as_asked(self) -> ApplicationIn:
        if sum(m.amount_fen for m in self.milestones) != self.requested_fen:
            raise ValueError("各里程碑拨付金额合计须等于申请金额 / the milestones' payments must add up to the request")
        return self


class ApplicationView(BaseModel):
    id: UUID
    organization_uscc: str
    area_code: str
    title: str
    requested_fen: int
    status: str
    submitted_at: AwareDatetime
    score: float | None = Field(default=None, description="评审平均分（评审后可见）")
    scored_by: int = 0
    project_id: UUID | None = None


class CallView(BaseModel):
    id: UUID
    kind: str
    title: str
    area_code: str
    fund_id: UUID
    pool_fen: int
    max_grant_fen: int
    criteria: dict[str, float]
    apply_deadline: AwareDatetime
    status: str
    awarded_at: AwareDatetime | None
    applications: list[ApplicationView] = Field(default_factory=list)


class AwardView(BaseModel):
    winners: list[ApplicationView]
    granted_fen: int
    left_fen: int
