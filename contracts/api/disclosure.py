"""HTTP models of the public charity disclosure (慈善信息公开, no login). Money is integer fen.

Nothing here carries personal data beyond a donor's name the donor consented to disclose."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

DonorKind = Literal["person", "anonymous", "enterprise"]
TargetKind = Literal["need", "project", "fund"]


class DonorShown(BaseModel):
    kind: DonorKind
    shown_as: str = Field(description="同意公开时为名称，否则为“匿名”“爱心人士”“爱心企业”")
    named: bool = Field(description="捐赠人同意公开名称 / the donor consented to be named")


class FundRef(BaseModel):
    id: UUID
    name: str
    kind: str
    kind_label: str


class Payment(BaseModel):
    """One approved disbursement (拨付)."""

    milestone: str = Field(description="项目里程碑；需求救助不公开摘要 / a need's payment shows no free text")
    amount_fen: int
    paid_on: date


class CommitmentShare(BaseModel):
    """A project commitment that (partly) drew on an earmark, and what it has paid out since."""

    commitment_id: UUID
    project_id: UUID
    commitment_fen: int
    from_earmark_fen: int
    committed_on: date
    payments: list[Payment]


class EarmarkTrail(BaseModel):
    earmark_id: UUID
    target_kind: TargetKind
    target_id: UUID
    area_code: str
    amount_fen: int
    earmarked_on: date
    unspent_fen: int = Field(description="仍在定向账户中的金额 / still restricted, not yet committed or paid")
    commitments: list[CommitmentShare] = Field(description="项目：由此定向资金承诺的项目资金")
    payments: list[Payment] = Field(description="需求：直接拨付 / paid directly to a need")


class DonationTrail(BaseModel):
    """A donor follows their donation: donation → earmark → commitment → disbursement."""

    receipt_code: str
    amount_fen: int
    fund: FundRef
    area_code: str
    received_on: date
    donor: DonorShown
    earmarked_fen: int
    unearmarked_fen: int = Field(description="未定向，留在基金中统筹使用 / left to the fund")
    refunded_fen: int
    earmarks: list[EarmarkTrail]


class FundCommitment(BaseModel):
    fund_id: UUID
    fund_name: str
    committed_fen: int
    from_earmarks_fen: int
    from_fund_fen: int


class QuarterReport(BaseModel):
    quarter: str = Field(description="e.g. 2025Q3")
    start: date
    end: date = Field(description="季度最后一天 / last day of the quarter")
    disclosures: int
    status: Literal["disclosed", "missing", "open"] = Field(
        description="open：本季度尚未结束且尚无公开 / the quarter is not over yet"
    )


class Reporting(BaseModel):
    """《慈善法》: a project running more than six months discloses its progress at least every three months."""

    required: bool = Field(description="实施已超过六个月 / the project has run more than six months")
    rule: str
    since: date | None = Field(description="首次资金承诺日期 / the first commitment")
    quarters: list[QuarterReport]
    missing: int


class ProjectDisclosure(BaseModel):
    project_id: UUID
    area_code: str | None
    committed_fen: int
    by_fund: list[FundCommitment]
    earmarked_fen: int = Field(description="捐赠人定向给本项目的总额 / donations earmarked for the project")
    earmarked_unspent_fen: int = Field(description="定向但尚未承诺的金额 / earmarked, not yet committed")
    from_earmarks_fen: int = Field(description="承诺资金中来自定向捐赠的部分 / committed money that came from earmarks")
    disbursed_fen: int
    payments: list[Payment]
    balance_fen: int = Field(description="已承诺未拨付 / committed, not yet paid")
    reporting: Reporting
    as_of: datetime


class LedgerLine(BaseModel):
    seq: int
    on: date
    at: datetime
    kind: str
    kind_label: str
    memo: str
    donor: str | None = Field(description="捐赠、定向、退款行的捐赠人（按同意公开）/ as consented")
    target_kind: str | None
    target_id: UUID | None
    amounts: dict[str, int] = Field(
        description="按账户类型汇总（分）：world 外部、fund 基金、restricted 定向、committed 承诺"
    )
    hash: str


class LedgerPage(BaseModel):
    items: list[LedgerLine]
    total: int
    page: int
    page_size: int
    area_code: str | None
    date_from: date | None
    date_to: date | None


class TwoPercentCap(BaseModel):
    """社会救助专项经费购买服务不超过年度预算的 2%（冀民〔2021〕79号）."""

    year: int
    budget_fen: int | None
    cap_fen: int | None
    service_purchases_fen: int
    cap_left_fen: int | None
    cap_used_percent: float | None


class FundDisclosure(BaseModel):
    fund: FundRef
    area_code: str
    received_fen: int
    refunded_fen: int
    earmarked_fen: int = Field(description="本基金收到的捐赠中被定向的部分 / earmarked out of this fund's donations")
    restricted_unspent_fen: int = Field(description="其中尚未承诺或拨付 / of which not yet committed or paid")
    committed_fen: int = Field(description="本基金承诺的项目资金（先用项目定向资金）/ project commitments on this fund")
    disbursed_fen: int = Field(description="由本基金承诺及本基金需求定向资金拨付 / paid out")
    balance_fen: int = Field(description="基金账户可统筹余额 / free balance of the fund account")
    two_percent: TwoPercentCap | None
