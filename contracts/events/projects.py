"""Events of the projects service (社会组织 · 项目库) that other services rely on."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.envelope import AuditFacts, Event
from contracts.values import USCC, AreaCode, Money

FundingSource = Literal[
    "government_purchase", "social_assistance", "lottery", "charity_cofunding", "venture_philanthropy"
]


class MilestonePlan(BaseModel):
    """A delivery milestone agreed at the award: what is due when, and what it releases."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    milestone_id: UUID
    title: str = Field(max_length=200)
    due_on: date
    amount_fen: Money


class ProjectProcured(Event):
    """A service project was procured from a social organization (one project may serve many needs)."""

    service: ClassVar[str] = "projects"

    project_id: UUID
    need_ids: list[UUID] = Field(default_factory=list)
    area_code: AreaCode
    organization_uscc: USCC
    budget_fen: Money = Field(description="the awarded amount")
    procured_at: AwareDatetime
    title: str = Field(default="", max_length=200)
    bid_id: UUID | None = None
    period_start: date | None = None
    period_end: date | None = None
    milestones: list[MilestonePlan] = Field(default_factory=list)


class FundingRequested(Event):
    """Before publication a project asks the charity service to commit its funding from a fund."""

    service: ClassVar[str] = "projects"

    request_id: UUID
    project_id: UUID
    fund_id: UUID
    area_code: AreaCode
    amount_fen: Money
    purpose: Literal["service_purchase", "other"] = Field(
        description="service_purchase: buying services (the 2 % cap applies to the social-assistance fund)"
    )
    need_ids: list[UUID] = Field(default_factory=list)
    requested_at: AwareDatetime
    project_title: str = Field(
        default="", max_length=200, description="the project's title, so that its payments can be named by it"
    )


class ProjectReviewRequested(Event):
    """A project touching residents' vital interests, or whose budget reaches the threshold, goes to
    the community party organization before it may be published (党建引领: 先议后决)."""

    service: ClassVar[str] = "projects"

    review_id: UUID = Field(description="one per submission; a project sent back for revision asks again with a new id")
    project_id: UUID
    area_code: AreaCode
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=4000)
    budget_fen: Money
    vital_interests: bool
    reasons: list[Literal["vital_interests", "budget_threshold"]] = Field(min_length=1)
    need_ids: list[UUID] = Field(default_factory=list)
    requested_at: AwareDatetime


class OrganizationRegistered(Event):
    """A social organization entered the registry (社会组织登记), or its record changed."""

    service: ClassVar[str] = "projects"

    organization_uscc: USCC
    name: str = Field(max_length=200)
    legal_type: Literal["social_group", "social_service_agency", "foundation"]
    category: str = Field(max_length=40)
    area_code: AreaCode
    hub: bool
    social_work_agency: bool
    charity_certified: bool
    full_time_staff: int = Field(ge=0)
    registered_at: AwareDatetime


class ProjectProposed(Event):
    """A project entered the project library, serving the needs it names (if any)."""

    service: ClassVar[str] = "projects"

    project_id: UUID
    area_code: AreaCode
    title: str = Field(max_length=200)
    need_ids: list[UUID] = Field(default_factory=list)
    budget_fen: Money
    funding_sources: list[FundingSource] = Field(default_factory=list)
    vital_interests: bool
    proposed_at: AwareDatetime
    action_id: UUID | None = Field(default=None, description="the joint-meeting action (ActionDispatched) it answers")


class ProjectPublished(Event):
    """The project's call for bids is open until its deadline (公开招标/遴选)."""

    service: ClassVar[str] = "projects"

    project_id: UUID
    area_code: AreaCode
    title: str = Field(max_length=200)
    need_ids: list[UUID] = Field(default_factory=list)
    budget_fen: Money
    bid_deadline: AwareDatetime
    published_at: AwareDatetime


class ProjectClosed(Event):
    """The project ended without delivery: refused by the party organization, its funding refused,
    no bid by the deadline, or its review timed out."""

    service: ClassVar[str] = "projects"

    project_id: UUID
    area_code: AreaCode
    need_ids: list[UUID] = Field(default_factory=list)
    reason: Literal["party_rejected", "funding_rejected", "no_bids", "review_timed_out", "withdrawn"]
    detail: str = Field(default="", max_length=2000)
    closed_at: AwareDatetime


class ProjectMilestoneReported(Event):
    """The organization reported a milestone with its evidence."""

    service: ClassVar[str] = "projects"

    project_id: UUID
    milestone_id: UUID
    area_code: AreaCode
    need_ids: list[UUID] = Field(default_factory=list)
    title: str = Field(max_length=200)
    evidence_count: int = Field(ge=0)
    reported_at: AwareDatetime


class DisbursementRequested(Event):
    """An accepted milestone asks the charity service to pay it from the project's commitment; a
    charity administrator approves it (the acceptance is the maker, the approval the checker)."""

    service: ClassVar[str] = "projects"

    request_id: UUID
    commitment_id: UUID
    project_id: UUID
    milestone_id: UUID
    area_code: AreaCode
    amount_fen: Money
    milestone: str = Field(max_length=200)
    requested_by: str
    requested_at: AwareDatetime


class ProjectEvaluated(Event):
    """A finished project's 100-point evaluation; 不合格 bars its organization from next year's bids."""

    service: ClassVar[str] = "projects"

    project_id: UUID
    area_code: AreaCode
    organization_uscc: USCC
    need_ids: list[UUID] = Field(default_factory=list)
    year: int
    score: float = Field(ge=0, le=100)
    grade: Literal["excellent", "good", "basic", "unqualified"]
    resident_satisfaction: float = Field(ge=0, le=100)
    evaluated_at: AwareDatetime


class ProcurementAudited(Event):
    """Audit: one step of a procurement (publication, bid, withdrawal, score, award) — who, when, what."""

    service: ClassVar[str] = "projects"
    audit: ClassVar[bool] = True
    audit_label: ClassVar[str] = "政府购买服务采购环节 / a procurement step"

    project_id: UUID
    area_code: AreaCode
    step: Literal["published", "bid_submitted", "bid_withdrawn", "bid_refused", "bid_scored", "awarded", "unsuccessful"]
    actor: str
    bid_id: UUID | None = None
    detail: str = Field(default="", max_length=2000)
    at: AwareDatetime

    def audit_facts(self) -> AuditFacts:
        return AuditFacts(actor=self.actor, record=f"project/{self.project_id}", purpose=f"procurement: {self.step}")


class VolunteerTaskRequested(Event):
    """A project in delivery asks for volunteers (社工引领志愿者): the volunteers service opens a task
    with this id."""

    service: ClassVar[str] = "projects"

    task_id: UUID
    project_id: UUID
    area_code: AreaCode
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    required_skills: list[str] = Field(default_factory=list)
    slots: int = Field(ge=1, le=500)
    need_id: UUID | None = None
    place: str = Field(default="", max_length=200)
    requested_by: str
    requested_at: AwareDatetime
