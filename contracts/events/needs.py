"""Events of the needs service (社区 · 需求库). No personal data: residents are pseudonymous refs."""

from __future__ import annotations

from datetime import time
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts.envelope import AuditFacts, DataRead, Event, RecordsImported
from contracts.taxonomy import CategoryCode, Channel, Route, TargetGroup, Urgency
from contracts.values import AreaCode

Skill = str


class WeeklySlot(BaseModel):
    """A weekly recurring time slot in local time (Asia/Shanghai), e.g. every Tuesday 11:00–12:00."""

    model_config = ConfigDict(frozen=True)

    weekday: int = Field(ge=1, le=7, description="ISO weekday: 1 Monday … 7 Sunday")
    start: time = Field(description="local time (Asia/Shanghai), HH:MM")
    end: time = Field(description="local time (Asia/Shanghai), HH:MM, after start on the same day")

    @model_validator(mode="after")
    def _local_minutes_in_order(self) -> WeeklySlot:
        for t in (self.start, self.end):
            if t.tzinfo is not None:
                raise ValueError("时间为北京时间，不带时区 / local times (Asia/Shanghai) without a zone")
            if t.second or t.microsecond:
                raise ValueError("时间精确到分钟 / times are whole minutes (HH:MM)")
        if self.end <= self.start:
            raise ValueError("结束时间须晚于开始时间 / end must be after start")
        return self


class WorkOrderRef(BaseModel):
    """The portal work order (工单) a need came from: the portal's name and its own order number."""

    model_config = ConfigDict(frozen=True)

    portal: str
    order_id: str


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
    weekly: list[WeeklySlot] = Field(
        default_factory=list, description="recurring weekly slots (local time); empty: none"
    )
    resident_ref: str = Field(description="pseudonymous resident id (keyed hash), never the ID number")
    raised_by: str = Field(description="subject of the worker's token")
    raised_at: AwareDatetime
    work_order: WorkOrderRef | None = Field(default=None, description="set when a portal's work order raised it")


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
    weekly: list[WeeklySlot] = Field(
        default_factory=list, description="recurring weekly slots (local time); empty: none"
    )
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


class NeedReturned(Event):
    """The community returned a need it will not take on (退单), with the reason: e.g. a portal's work
    order outside its remit. Only a need not yet routed is returned; nothing else has taken it up."""

    service: ClassVar[str] = "needs"

    need_id: UUID
    area_code: AreaCode
    reason: str = Field(max_length=500)
    returned_by: str
    returned_at: AwareDatetime


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
    audit_label: ClassVar[str] = "查看居民个人信息 / read a resident's personal data"


class AreaServiceLevels(BaseModel):
    """The service levels an area sets itself; None: inherited from the area above it, or from the
    installation default."""

    model_config = ConfigDict(frozen=True)

    urgent_hours: float | None = None
    major_hours: float | None = None
    routine_hours: float | None = None
    revisit_days: float | None = None
    proactive_visit_days: float | None = None


LEVEL_FIELDS = tuple(AreaServiceLevels.model_fields)
LEVEL_LABELS = {
    "urgent_hours": "紧急需求首次响应时限",
    "major_hours": "重要需求首次响应时限",
    "routine_hours": "一般需求首次响应时限",
    "revisit_days": "解决后回访",
    "proactive_visit_days": "主动走访间隔",
}


class ServiceLevelsChanged(Event):
    """Audit: civil affairs changed an area's service levels (first-response hours, revisit and
    proactive-visit days); new deadlines in the area follow them from then on."""

    service: ClassVar[str] = "needs"
    audit: ClassVar[bool] = True
    audit_label: ClassVar[str] = "调整服务时限 / changed an area's service levels"
    audit_field_labels: ClassVar[dict[str, str]] = LEVEL_LABELS

    area_code: AreaCode
    old: AreaServiceLevels
    new: AreaServiceLevels
    reason: str = Field(default="", max_length=200)
    changed_by: str
    changed_by_role: str = ""
    changed_at: AwareDatetime

    def audit_facts(self) -> AuditFacts:
        changed = tuple(f for f in LEVEL_FIELDS if getattr(self.old, f) != getattr(self.new, f))
        return AuditFacts(
            actor=self.changed_by,
            actor_role=self.changed_by_role,
            record=f"area/{self.area_code}",
            purpose=self.reason,
            fields=changed,
        )


class NeedsImported(RecordsImported):
    """Audit: a records migrator brought the ended needs of an earlier system in, each with the times
    it states. Other services learn nothing else: an ended need is no one's work."""

    service: ClassVar[str] = "needs"
    audit_label: ClassVar[str] = "导入历史需求 / imported needs of an earlier system"

    earliest: AwareDatetime = Field(description="the earliest stated raised_at")
    latest: AwareDatetime = Field(description="the latest stated raised_at")


class ResidentRegistered(Event):
    """A resident was registered with their consent (居民登记). Only the pseudonymous ref and the
    community: other services learn that the ref is a real resident, nothing about them."""

    service: ClassVar[str] = "needs"

    resident_ref: str = Field(description="pseudonymous resident id (keyed hash), never the ID number")
    area_code: AreaCode = Field(description="the resident's village or community (12 digits)")
    registered_at: AwareDatetime
