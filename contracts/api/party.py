"""HTTP models of the party service (党建引领): organizations, members, committees, major matters."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from contracts.api import Strict
from contracts.api.needs import CommunityCode
from contracts.values import USCC, AreaCode, CitizenId, Money, PersonName, PhoneNumber

Skill = Annotated[str, Field(min_length=1, max_length=30)]
OrgKind = Literal["committee", "general_branch", "branch"]  # 党委 / 党总支 / 党支部
Position = Literal["secretary", "deputy_secretary", "member"]  # 书记 / 副书记 / 委员
Actor = Literal["social_org", "social_worker", "volunteer", "charity"]
Vote = Literal["for", "against", "abstain"]


class Created(BaseModel):
    id: UUID


class OrganizationIn(Strict):
    name: str = Field(min_length=2, max_length=100)
    kind: OrgKind
    area_code: AreaCode = Field(description="所领导的村（社区）或乡镇（街道）")
    host_kind: Literal["community", "social_org"] = "community"
    host_uscc: USCC | None = Field(default=None, description="社会组织党组织所在社会组织的统一社会信用代码")
    parent_id: UUID | None = None

    @model_validator(mode="after")
    def _host(self) -> OrganizationIn:
        if (self.host_kind == "social_org") != (self.host_uscc is not None):
            raise ValueError(
                "社会组织党组织须填写且仅须填写所在组织的统一社会信用代码 / "
                "host_uscc is required for, and only for, a party organization in a social organization"
            )
        return self


class SeatView(BaseModel):
    id: UUID
    member_id: UUID
    name: str = Field(description="已脱敏 / masked")
    position: Position
    part_time: bool
    from_actor: Actor | None
    since: date


class OrganizationView(BaseModel):
    id: UUID
    name: str
    kind: OrgKind
    area_code: str
    host_kind: str
    host_uscc: str | None
    parent_id: UUID | None
    committee: list[SeatView] = Field(default_factory=list)


class SeatIn(Strict):
    member_id: UUID
    position: Position
    part_time: bool = False
    from_actor: Actor | None = Field(default=None, description="兼职委员来自哪一方")
    since: date

    @model_validator(mode="after")
    def _part_time(self) -> SeatIn:
        if self.part_time != (self.from_actor is not None):
            raise ValueError(
                "兼职委员须注明来自哪一方，专职委员不填 / a part-time member names the actor they come from"
            )
        return self


class MemberIn(Strict):
    org_id: UUID = Field(description="组织关系所在党组织")
    name: PersonName
    phone: PhoneNumber
    citizen_id: CitizenId = Field(
        description="仅用于生成化名编号，不保存 / used for the pseudonymous ref only, not stored"
    )
    area_code: CommunityCode = Field(description="报到的居住地村（社区）")
    in_service: bool = Field(description="在职党员")
    employer: str = Field(default="", max_length=100)
    skills: list[Skill] = Field(default_factory=list, max_length=20)
    preferred_posts: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=10
    )
    volunteer_id: UUID | None = Field(default=None, description="志愿者服务中的志愿者编号")
    account: str | None = Field(default=None, min_length=1, max_length=100, description="本人登录账号（令牌 sub）")

    @model_validator(mode="after")
    def _employer(self) -> MemberIn:
        if self.in_service and not self.employer.strip():
            raise ValueError("在职党员须填写工作单位 / an in-service member names their employer")
        return self


class MemberCreated(BaseModel):
    id: UUID
    member_ref: str


class MemberView(BaseModel):
    id: UUID
    member_ref: str
    name: str = Field(description="脱敏，除非书记说明用途 / masked unless the party secretary states a purpose")
    phone: str
    org_id: UUID
    area_code: str
    in_service: bool
    employer: str
    skills: list[str]
    preferred_posts: list[str]
    volunteer_id: UUID | None
    status: str
    registered_at: AwareDatetime


class UnitIn(Strict):
    area_code: AreaCode
    name: str = Field(min_length=2, max_length=100)
    categories: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]] = Field(
        default_factory=list, max_length=20
    )
    contact: str = Field(default="", max_length=100)
    account: str | None = Field(default=None, min_length=1, max_length=100)


class UnitView(BaseModel):
    id: UUID
    area_code: str
    name: str
    categories: list[str]
    contact: str


class MatterIn(Strict):
    """A matter the community submits by hand (projects arrive as ProjectReviewRequested)."""

    kind: Literal["foundation_use", "other"]
    area_code: AreaCode
    title: str = Field(min_length=2, max_length=200)
    summary: str = Field(default="", max_length=4000)
    amount_fen: Money | None = None
    vital_interests: bool = False
    need_ids: list[UUID] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _amount(self) -> MatterIn:
        if self.kind == "foundation_use" and self.amount_fen is None:
            raise ValueError("使用社区基金须填写金额 / the use of a community foundation names its amount")
        return self


class VoteIn(Strict):
    seat_id: UUID
    vote: Vote


class DecisionIn(Strict):
    meeting_held_at: AwareDatetime
    votes: list[VoteIn] = Field(min_length=1, max_length=50, description="到会委员逐一记录表决")
    outcome: Literal["approved", "rejected", "revise"]
    reasons: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _one_vote_each(self) -> DecisionIn:
        if len({v.seat_id for v in self.votes}) != len(self.votes):
            raise ValueError("每位委员只能表决一次 / one vote per committee member")
        return self


class DecisionView(BaseModel):
    outcome: str
    reasons: str
    org_id: UUID
    meeting_held_at: AwareDatetime
    committee_size: int
    votes_for: int
    votes_against: int
    votes_abstain: int
    votes: list[VoteIn]
    decided_by: str
    decided_at: AwareDatetime


class DecidingCommittee(BaseModel):
    """Who decides a pending matter, and what a decision needs: shown before the vote is recorded."""

    org_id: UUID | None = Field(description="无：该区域未登记社区党组织 / none: no party organization here yet")
    org_name: str | None
    seats: list[SeatView]
    committee_size: int
    quorum: int = Field(description="至少到会人数（超过应到会委员半数）/ the fewest present for a quorum")
    majority: int = Field(description="通过所需最少赞成票（超过应到会委员半数）/ the fewest votes for to pass")
    note: str | None = Field(default=None, description="无法表决的原因 / why no vote can be recorded yet")


class MatterView(BaseModel):
    id: UUID
    source: str
    source_ref: UUID | None
    project_id: UUID | None
    kind: str
    area_code: str
    title: str
    summary: str
    amount_fen: int | None
    vital_interests: bool
    reasons: list[str]
    need_ids: list[UUID]
    submitted_by: str
    submitted_at: AwareDatetime
    due_at: AwareDatetime
    status: str
    overdue: bool
    escalated_at: AwareDatetime | None
    escalated_to: str | None
    decision: DecisionView | None = None
