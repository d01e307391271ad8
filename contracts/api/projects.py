"""HTTP models of the projects service's library and procurement (项目库 · 政府购买服务). Money is integer fen."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, cast
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from contracts.api import Strict
from contracts.events.projects import FundingSource
from contracts.values import USCC, AreaCode, PositiveMoney

Text = Annotated[str, Field(min_length=1, max_length=200)]
# scoring criteria and their weights, e.g. {"plan": 40, "price": 30, "team": 30}
Criteria = dict[Annotated[str, Field(pattern=r"^[a-z][a-z_]{1,29}$")], Annotated[float, Field(gt=0, le=100)]]


class Created(BaseModel):
    id: UUID


class IndicatorIn(Strict):
    name: Text = Field(description="指标，如“服务老人人次”")
    target: Text = Field(description="目标值，如“不少于 1200 人次”")


class FundingLineIn(Strict):
    source: FundingSource
    fund_id: UUID = Field(description="慈善服务中登记的资金账户")
    amount_fen: PositiveMoney


def _covers_budget(lines: list[FundingLineIn], budget_fen: int) -> None:
    if sum(line.amount_fen for line in lines) != budget_fen:
        raise ValueError("各资金来源合计须等于项目预算 / the funding sources must add up to the budget")


class ProjectIn(Strict):
    area_code: AreaCode = Field(description="项目所在村（社区）或乡镇（街道）、区县")
    title: str = Field(min_length=2, max_length=200)
    service_content: str = Field(min_length=2, max_length=4000)
    indicators: list[IndicatorIn] = Field(min_length=1, max_length=20)
    budget_fen: PositiveMoney
    funding: list[FundingLineIn] = Field(min_length=1, max_length=5)
    need_ids: list[UUID] = Field(
        default_factory=list, max_length=200, description="项目服务的需求（一个项目可服务多条需求）"
    )
    purchase_item: str | None = Field(
        default=None, max_length=40, description="购买社区公共服务项目清单中的服务项目编码"
    )
    year: int | None = Field(default=None, ge=2020, le=2100, description="项目年度，默认今年")
    duration_months: int = Field(ge=1, le=60)
    vital_interests: bool = Field(description="是否涉及居民切身利益（须经社区党组织研究）")
    action_id: UUID | None = Field(default=None, description="党建联席会议决定提出本项目的事项编号")

    @model_validator(mode="after")
    def _funded(self) -> ProjectIn:
        _covers_budget(self.funding, self.budget_fen)
        return self


class FundingIn(Strict):
    """New funding sources after a refusal (they replace the refused ones)."""

    funding: list[FundingLineIn] = Field(min_length=1, max_length=5)


class PublicationIn(Strict):
    bid_deadline: AwareDatetime
    criteria: Criteria = Field(
        default_factory=lambda: cast(Criteria, {"plan": 40, "price": 30, "team": 30}),
        min_length=1,
        max_length=10,
        description="评分标准及权重",
    )


class TeamMemberIn(Strict):
    role: Text
    qualification: str = Field(default="", max_length=100, description="如“中级社会工作师”")
    count: int = Field(default=1, ge=1, le=500)


class MilestonePlanIn(Strict):
    title: Text
    due_on: date
    amount_fen: int = Field(ge=0)


class BidIn(Strict):
    organization_uscc: USCC
    price_fen: PositiveMoney
    plan: str = Field(min_length=10, max_length=8000)
    team: list[TeamMemberIn] = Field(min_length=1, max_length=50)
    milestones: list[MilestonePlanIn] = Field(min_length=1, max_length=24)

    @model_validator(mode="after")
    def _paid_within_price(self) -> BidIn:
        if sum(m.amount_fen for m in self.milestones) != self.price_fen:
            raise ValueError("各里程碑拨付金额合计须等于报价 / the milestones' payments must add up to the price")
        if [m.due_on for m in self.milestones] != sorted(m.due_on for m in self.milestones):
            raise ValueError("里程碑须按时间先后排列 / milestones are listed in date order")
        return self


class ScoreIn(Strict):
    scores: dict[str, Annotated[float, Field(ge=0, le=100)]] = Field(min_length=1, max_length=10)


class EvidenceIn(Strict):
    kind: Literal["photo", "sign_in_sheet", "report", "survey", "other"]
    description: str = Field(min_length=2, max_length=500)
    url: str | None = Field(default=None, max_length=500)


class MilestoneReportIn(Strict):
    summary: str = Field(min_length=2, max_length=4000)
    evidence: list[EvidenceIn] = Field(min_length=1, max_length=50)


class VolunteerTaskIn(Strict):
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    required_skills: list[Annotated[str, Field(min_length=1, max_length=30)]] = Field(
        default_factory=list, max_length=20
    )
    slots: int = Field(default=1, ge=1, le=100)
    need_id: UUID | None = Field(default=None, description="项目服务的某条需求")
    place: str = Field(default="", max_length=200)


class TaskView(BaseModel):
    id: UUID
    title: str
    slots: int
    requested_at: AwareDatetime


class EvaluationIn(Strict):
    indicators_percent: float = Field(ge=0, le=100, description="指标完成率")
    third_party_score: float = Field(ge=0, le=100, description="第三方评估得分")
    third_party_evaluator: str = Field(min_length=2, max_length=100)
    survey: list[Annotated[int, Field(ge=1, le=5)]] = Field(
        default_factory=list, max_length=5000, description="居民满意度调查，每份 1–5"
    )


class NominationIn(Strict):
    kind: Literal["typical_case", "hebei_charity_award"]
    citation: str = Field(min_length=10, max_length=2000)


class DemandView(BaseModel):
    """Something waiting for a project: a need routed to "project", or a joint meeting's resolution."""

    kind: Literal["need", "joint_meeting"]
    ref_id: UUID
    area_code: str
    title: str
    category: str | None
    urgency: str | None
    need_id: UUID | None
    amount_fen: int | None
    received_at: AwareDatetime


class FundingView(BaseModel):
    request_id: UUID
    source: str
    source_label: str = Field(default="", description="如 政府购买服务 / Government purchase")
    fund_id: UUID
    amount_fen: int
    status: str
    status_label: str = Field(default="", description="如 已承诺 / Committed")
    commitment_id: UUID | None
    rule: str | None
    reason: str | None


class BidView(BaseModel):
    id: UUID
    organization_uscc: str
    organization_name: str | None = Field(default=None, description="投标组织登记名称 / the bidder's registered name")
    price_fen: int
    status: str
    status_label: str = Field(default="", description="如 有效 / Active、已撤回 / Withdrawn")
    submitted_at: AwareDatetime
    score: float | None = Field(default=None, description="评审平均分（截止后可见）")
    scored_by: int = 0


class MilestoneView(BaseModel):
    id: UUID
    seq: int
    title: str
    due_on: date
    amount_fen: int
    status: str
    evidence: list[dict[Any, Any]]
    reported_at: AwareDatetime | None
    accepted_at: AwareDatetime | None
    payment_rejected_at: AwareDatetime | None = Field(
        default=None, description="慈善资金复核驳回了本里程碑的拨付申请；再次验收即重新申请 / its payment was rejected"
    )
    payment_rejection_reason: str | None = Field(default=None, description="驳回理由 / why the payment was rejected")


class EvaluationView(BaseModel):
    year: int
    resident_satisfaction: float
    indicators: float
    third_party: float
    third_party_evaluator: str
    feedback_count: int
    feedback_pending: list[UUID] = Field(
        default_factory=list,
        description=(
            "服务的需求中评估时尚无居民评价的 / the needs whose residents had not given feedback when it was made"
        ),
    )
    score: float
    grade: str
    grade_zh: str
    weights: dict[str, float]


class ProjectView(BaseModel):
    id: UUID
    area_code: str
    title: str
    service_content: str
    indicators: list[dict[Any, Any]]
    budget_fen: int
    need_ids: list[UUID]
    purchase_item: str | None
    year: int
    duration_months: int
    vital_interests: bool
    status: str
    review_reasons: list[str]
    review_note: str
    review_due: AwareDatetime | None
    bid_deadline: AwareDatetime | None
    criteria: dict[str, float] | None
    organization_uscc: str | None
    organization_name: str | None = Field(
        default=None, description="承接组织登记名称 / the awarded organization's registered name"
    )
    awarded_fen: int | None
    closed_reason: str | None
    funding: list[FundingView] = Field(default_factory=list)
    bids: list[BidView] = Field(default_factory=list)
    milestones: list[MilestoneView] = Field(default_factory=list)
    volunteer_tasks: list[TaskView] = Field(default_factory=list)
    awaiting_feedback: list[UUID] = Field(
        default_factory=list,
        description=(
            "交付后：服务的需求中居民尚未评价的（评估前可等待）/ once in delivery: the needs whose residents have not "
            "given feedback yet — what an evaluation would wait for"
        ),
    )
    evaluation: EvaluationView | None = None


class ShowcaseItem(BaseModel):
    """A public case: no personal data."""

    project_id: UUID
    title: str
    area_code: str
    area_name: str
    organization_uscc: str
    year: int
    score: float
    grade_zh: str
    resident_satisfaction: float
    nominations: list[str]
    citation: str


class ProjectStats(BaseModel):
    """The project library of an area, for dashboards. Money is integer fen."""

    area_code: str
    by_status: dict[str, int] = Field(description="every status, 0 when none")
    budget_fen: int = Field(description="budgets of the projects not closed")
    awarded_fen: int = Field(description="the awarded prices, all projects")
    by_grade: dict[str, int] = Field(description="evaluated projects by grade (excellent | good | basic | unqualified)")
    mean_score: float | None = Field(description="mean evaluation score (0–100); null when none is evaluated")
    organizations_delivering: int = Field(description="distinct organizations awarded a project of the area")
