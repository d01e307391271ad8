"""HTTP models of the charity service (慈善资源). Money is integer fen."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, computed_field, model_validator

from contracts.api import LegacyRef, Strict, once_per_ref
from contracts.values import USCC, AreaCode, Money, PastTime, PositiveMoney

FundKindCode = Literal[
    "community_foundation", "special_fund", "government_purchase", "social_assistance", "lottery", "general"
]


class FundIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    kind: FundKindCode
    area_code: AreaCode = Field(description="社会救助专项经费须登记到区县（2% 规则按区县计）")


class BudgetIn(Strict):
    year: int = Field(ge=2020, le=2100)
    amount_fen: Money


class DonorIn(Strict):
    kind: Literal["person", "anonymous", "enterprise"]
    name: str | None = Field(default=None, max_length=100, description="个人或企业名称（匿名捐赠不填）")
    uscc: USCC | None = Field(default=None, description="企业的统一社会信用代码")
    disclose_name: bool = Field(default=False, description="同意在公开账目中显示名称")

    @model_validator(mode="after")
    def _consistent(self) -> DonorIn:
        if self.kind == "anonymous" and (self.name or self.uscc or self.disclose_name):
            raise ValueError("匿名捐赠不得填写名称 / an anonymous donation names nobody")
        if self.kind == "enterprise" and not self.uscc:
            raise ValueError("企业捐赠须填写统一社会信用代码 / an enterprise donor needs its USCC")
        if self.kind in ("person", "enterprise") and not self.name:
            raise ValueError("须填写捐赠人名称 / the donor's name is required")
        return self


class EarmarkIn(Strict):
    target_kind: Literal["need", "project", "fund"]
    target_id: UUID
    amount_fen: PositiveMoney
    area_code: AreaCode | None = Field(default=None, description="目标所在区域，默认为捐赠所在区域")


class DonationIn(Strict):
    fund_id: UUID
    donor: DonorIn
    amount_fen: PositiveMoney
    earmark: EarmarkIn | None = None

    @model_validator(mode="after")
    def _earmark_within(self) -> DonationIn:
        if self.earmark and self.earmark.amount_fen > self.amount_fen:
            raise ValueError("定向金额不得超过捐赠金额 / the earmark exceeds the donation")
        return self


class HistoricalDonationIn(Strict):
    """A donation an earlier system received (历史数据迁移), with when it was received: the money
    is in the fund now, so it is posted to the fund's ledger as it is imported."""

    legacy_ref: LegacyRef
    fund_id: UUID
    donor: DonorIn
    amount_fen: PositiveMoney
    received_at: PastTime = Field(description="原系统的收款时间 / when the earlier system received it")


class DonationHistoryIn(Strict):
    donations: Annotated[list[HistoricalDonationIn], AfterValidator(once_per_ref)] = Field(
        min_length=1, max_length=100, description="每批至多 100 条"
    )


class DonationCreated(BaseModel):
    id: UUID
    receipt_code: str
    earmark_id: UUID | None = None


class DisbursementIn(Strict):
    milestone: str = Field(min_length=1, max_length=200)
    amount_fen: PositiveMoney


class RejectionIn(Strict):
    """Why a checker refuses a disbursement request: the requester reads it to put the request right."""

    reason: str = Field(min_length=2, max_length=500, description="驳回理由（2–500 字）/ why it is rejected")


class Created(BaseModel):
    id: UUID


class LedgerCheck(BaseModel):
    ok: bool
    entries: int
    broken_at: int | None = None
    reason: str | None = None


class AccountView(BaseModel):
    id: str
    balance_fen: int
    entries: list[dict[Any, Any]]


class FenAmount(BaseModel):
    """Money in answers is named `…_fen`; `amount` stays beside `amount_fen` for the clients
    written against it."""

    amount: int = Field(
        description="已弃用，请用 amount_fen / deprecated: use amount_fen", json_schema_extra={"deprecated": True}
    )

    # mypy does not take decorators over @property; pydantic documents this ignore for computed fields
    @computed_field(description="金额（分）/ amount in fen")  # type: ignore[prop-decorator]
    @property
    def amount_fen(self) -> int:
        return self.amount


class DisbursementView(FenAmount):
    """A disbursement request with what its checker decides on: what it pays (a need, or a project's
    milestone), from which fund, who asked, and how it was decided. People are named by label: the
    account ids (`requested_by`, `rejected_by`) are for audits and scripts, not for showing."""

    id: UUID
    commitment_id: UUID | None
    earmark_id: UUID | None
    area_code: str
    milestone: str
    requested_by: str = Field(description="the maker: whoever asked (for a project milestone, who accepted it)")
    requested_via: Literal["charity", "projects"] = Field(
        default="charity", description="asked here, or by a milestone accepted in the projects service"
    )
    requested_at: AwareDatetime
    status: str = Field(description="requested | disbursed | rejected")
    status_label: str = Field(default="", description="如 待复核 / Awaiting review")
    requested_by_label: str = Field(
        default="", description="申请人（按角色称呼，本人为“本人”）/ the maker, named by role (or “you”)"
    )
    requested_by_you: bool = Field(default=False, description="the caller asked for it: they may not decide it")
    target_kind: Literal["need", "project"] | None = Field(default=None, description="what it pays")
    fund_id: UUID | None = Field(default=None, description="the fund the money came from")
    fund_name: str | None = None
    project_id: UUID | None = Field(default=None, description="the project whose commitment pays it")
    project_title: str | None = Field(
        default=None, description="the project's title, when the charity service knows it"
    )
    milestone_id: UUID | None = Field(default=None, description="the project's milestone (asked by its acceptance)")
    need_ids: list[UUID] = Field(
        default_factory=list, description="the needs it serves (the earmark's need, or the project's)"
    )
    approved_at: AwareDatetime | None = None
    rejected_by: str | None = None
    rejected_by_label: str | None = Field(default=None, description="驳回人（按角色称呼）/ who rejected it, by role")
    rejected_at: AwareDatetime | None = None
    rejection_reason: str | None = None


class CommitmentView(FenAmount):
    id: UUID
    request_id: UUID
    project_id: UUID
    fund_id: UUID = Field(description="the fund the project asked for (rule unknown_fund: there is no such fund)")
    area_code: str
    purpose: str
    status: str
    rule: str | None
    reason: str | None
    decided_at: AwareDatetime


class MonthFlow(BaseModel):
    month: str = Field(description="YYYY-MM (Asia/Shanghai)")
    in_fen: int = Field(description="donations received that month")
    out_fen: int = Field(description="disbursements approved (paid out) that month")


class FundFlows(BaseModel):
    """Money in and out over an area's funds, earmarks and commitments, month by month."""

    area_code: str
    received_fen: int = Field(description="donations received over the months")
    disbursed_fen: int = Field(description="disbursements approved over the months")
    earmarked_fen: int = Field(description="donations earmarked over the months")
    by_month: list[MonthFlow] = Field(description="every month, oldest first")


class NeedEarmark(BaseModel):
    id: UUID
    amount_fen: int
    earmarked_at: AwareDatetime
    area_code: str


class NeedDisbursement(FenAmount):
    id: UUID
    earmark_id: UUID
    status: str = Field(description="requested | disbursed | rejected")
    status_label: str = Field(default="", description="如 已拨付 / Disbursed")
    milestone: str
    approved_at: AwareDatetime | None


class NeedEarmarks(BaseModel):
    """The donations earmarked for a need, and what was paid from them."""

    earmarks: list[NeedEarmark]
    disbursements: list[NeedDisbursement]
