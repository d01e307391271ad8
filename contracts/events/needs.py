"""Events of the needs service (社区 · 需求库). No personal data: residents are pseudonymous refs."""
from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.envelope import DataRead, Event
from contracts.taxonomy import CategoryCode, Channel, Route, TargetGroup, Urgency
from contracts.values import AreaCode

Skill = str


class NeedRaised(Event):
    """A resident's need entered the need library (需求入库)."""

    service: ClassVar[str] = "needs"

    need_id: UUID
    area_code: AreaCode = Field(description="the community (12-digit) where the need arose")
    category: CategoryCode
    urgency: Urgency
    channel: Channel
    required_skills: list[Skill] = Field(default_factory=list)
    target_groups: list[TargetGroup] = Field(default_factory=list)
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    resident_ref: str = Field(description="pseudonymous resident id (keyed hash), never the ID number")
    raised_by: str = Field(description="subject of the worker's token")
    raised_at: AwareDatetime


class NeedAssessed(Event):
    """A social worker confirmed a need's category and urgency and wrote a service plan."""

    service: ClassVar[str] = "needs"

    need_id: UUID
    area_code: AreaCode
    category: CategoryCode
    urgency: Urgency
    service_plan: str = Field(max_length=4000)
    proposed_route: Route
    assessed_by: str
    assessed_at: AwareDatetime


class NeedRouted(Event):
    """The assessment chose how the need will be met; the owning service picks it up."""

    service: ClassVar[str] = "needs"

    need_id: UUID
    area_code: AreaCode
    route: Route
    category: CategoryCode
    urgency: Urgency
    required_skills: list[Skill] = Field(default_factory=list)
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    routed_by: str
    routed_at: AwareDatetime


class NeedEscalated(Event):
    """No first response within the SLA: the community blows the whistle (the party service listens)."""

    service: ClassVar[str] = "needs"

    need_id: UUID
    area_code: AreaCode
    category: CategoryCode
    urgency: Urgency
    raised_at: AwareDatetime
    due_at: AwareDatetime
    escalated_at: AwareDatetime


class NeedMatched(Event):
    """A provider took the need on: a volunteer, a project or an earmarked donation."""

    service: ClassVar[str] = "needs"

    need_id: UUID
    area_code: AreaCode
    matched_by: str = Field(description="service whose event matched it: volunteers, projects or charity")
    source_event_id: UUID
    matched_at: AwareDatetime


class NeedResolved(Event):
    service: ClassVar[str] = "needs"

    need_id: UUID
    area_code: AreaCode
    confirmed_by: str = Field(description="resident (by pseudonymous ref) or the worker's subject")
    on_behalf_of_resident: bool
    resolved_at: AwareDatetime


class NeedFeedbackGiven(Event):
    """The resident judged the service (群众评判): 1–5; 1–2 reopens the need."""

    service: ClassVar[str] = "needs"

    need_id: UUID
    area_code: AreaCode
    satisfaction: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)
    reopened: bool
    given_at: AwareDatetime


class MediationOpened(Event):
    """A dispute about a need became a mediation case (调处)."""

    service: ClassVar[str] = "needs"

    case_id: UUID
    need_id: UUID
    area_code: AreaCode
    opened_by: str
    opened_at: AwareDatetime


class MediationEscalated(Event):
    """A mediation case goes to the party-building joint meeting (党建联席会议)."""

    service: ClassVar[str] = "needs"

    case_id: UUID
    need_id: UUID
    area_code: AreaCode
    reason: str = Field(max_length=1000)
    escalated_by: str
    escalated_at: AwareDatetime


class PersonalDataRead(DataRead):
    """Audit: someone read a resident's unmasked personal data (who, when, which record, why)."""

    service: ClassVar[str] = "needs"
