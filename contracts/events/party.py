"""Events of the party service (党建引领). Party members appear only by pseudonymous ref."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.envelope import DataRead, Event
from contracts.taxonomy import CategoryCode, Urgency
from contracts.values import AreaCode, Money

MatterSource = Literal["project_review", "manual"]
Outcome = Literal["approved", "rejected", "revise"]


class MatterDecided(Event):
    """The community party organization decided a major matter at a committee meeting (final)."""

    service: ClassVar[str] = "party"

    matter_id: UUID
    source: MatterSource
    source_ref: UUID | None = Field(default=None, description="the review_id of a ProjectReviewRequested")
    project_id: UUID | None = None
    area_code: AreaCode
    outcome: Outcome
    reasons: str = Field(default="", max_length=2000)
    votes_for: int = Field(ge=0)
    votes_against: int = Field(ge=0)
    votes_abstain: int = Field(ge=0)
    committee_size: int = Field(gt=0)
    decided_by: str
    decided_at: AwareDatetime
    need_ids: list[UUID] = Field(default_factory=list, description="the needs the matter concerns (a project's)")


class MatterEscalated(Event):
    """A matter passed its review deadline undecided: it goes up to the township (street) level."""

    service: ClassVar[str] = "party"

    matter_id: UUID
    area_code: AreaCode
    escalated_to: AreaCode
    due_at: AwareDatetime
    escalated_at: AwareDatetime


class WhistleBlown(Event):
    """社区吹哨: the community raised an alarm; party members and responsible units are dispatched."""

    service: ClassVar[str] = "party"

    whistle_id: UUID
    area_code: AreaCode
    source: Literal["need_escalated", "manual"]
    need_id: UUID | None = None
    category: CategoryCode | None = None
    urgency: Urgency
    required_skills: list[str] = Field(default_factory=list)
    dispatched_members: int = Field(ge=0)
    dispatched_units: int = Field(ge=0)
    respond_by: AwareDatetime
    blown_at: AwareDatetime


class MemberReported(Event):
    """党员报到: a dispatched party member (or unit) took the whistle on (接单)."""

    service: ClassVar[str] = "party"

    whistle_id: UUID
    area_code: AreaCode
    need_id: UUID | None = None
    responder_kind: Literal["member", "unit"]
    responder_ref: str = Field(description="a member's pseudonymous ref, or a unit's id")
    response_seconds: int = Field(ge=0)
    within_deadline: bool
    reported_at: AwareDatetime


class WhistleEscalated(Event):
    """Nobody answered a whistle in time: it goes up to the township (street) level."""

    service: ClassVar[str] = "party"

    whistle_id: UUID
    area_code: AreaCode
    need_id: UUID | None = None
    escalated_to: AreaCode
    respond_by: AwareDatetime
    escalated_at: AwareDatetime


class WhistleClosed(Event):
    """The whistle's work was done and evaluated by the community or the resident."""

    service: ClassVar[str] = "party"

    whistle_id: UUID
    area_code: AreaCode
    need_id: UUID | None = None
    first_response_seconds: int | None = Field(default=None, ge=0)
    satisfaction: int = Field(ge=1, le=5)
    evaluated_by: Literal["community", "resident"]
    closed_at: AwareDatetime


class WishFulfilled(Event):
    """微心愿: a party member fulfilled a resident's small wish."""

    service: ClassVar[str] = "party"

    wish_id: UUID
    area_code: AreaCode
    member_ref: str
    fulfilled_at: AwareDatetime


class ActionDispatched(Event):
    """A joint meeting's resolution asks another service to act; its owner follows it up."""

    service: ClassVar[str] = "party"

    action_id: UUID
    meeting_id: UUID
    area_code: AreaCode
    kind: Literal["volunteer_task", "propose_project", "earmark_funds", "other"]
    target_service: Literal["volunteers", "projects", "charity", "needs", "party"]
    title: str = Field(max_length=200)
    details: str = Field(default="", max_length=4000)
    need_id: UUID | None = None
    amount_fen: Money | None = None
    required_skills: list[str] = Field(default_factory=list)
    owner: str = Field(description="who answers for it: an actor and a unit, e.g. 志愿者:长安区志愿者协会")
    due_at: AwareDatetime
    dispatched_at: AwareDatetime


class PartyMemberRegistered(Event):
    """在职党员到社区报到: a party member registered with their home community."""

    service: ClassVar[str] = "party"

    member_ref: str
    area_code: AreaCode
    in_service: bool
    skills: list[str] = Field(default_factory=list)
    registered_at: AwareDatetime


class PartyMemberDataRead(DataRead):
    """Audit: someone read a party member's unmasked identity."""

    service: ClassVar[str] = "party"
    audit_label: ClassVar[str] = "查看党员个人信息 / read a party member's personal data"
