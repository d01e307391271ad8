"""HTTP models of the need library: what a worker submits and what views show (PII masked)."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal, TypeVar, cast
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contracts.api import LegacyRef, Strict, once_per_ref
from contracts.areas import Area, lookup
from contracts.events.needs import AreaServiceLevels, WeeklySlot
from contracts.taxonomy import CategoryCode, Channel, LabelledEnum, Route, TargetGroup, Urgency
from contracts.values import AreaCode, CitizenId, PastTime, PersonName, PhoneNumber

Skill = str


def _community_level(code: str) -> str:
    if cast(Area, lookup(code)).level not in ("community", "village"):
        raise ValueError("须为村（社区）一级的 12 位代码 / must be a village or community (12-digit code)")
    return code


# needs arise, and residents live, in a village or community (村/社区)
CommunityCode = Annotated[AreaCode, AfterValidator(_community_level)]


class ResidentIn(Strict):
    name: PersonName = Field(description="姓名")
    phone: PhoneNumber = Field(description="联系电话")
    citizen_id: CitizenId = Field(description="公民身份号码")


class TimeWindow(BaseModel):
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end <= self.start:
            raise ValueError("结束时间须晚于开始时间 / end must be after start")
        return self


class TimeWindowIn(Strict, TimeWindow):
    """The request form: unknown fields refused."""


class WeeklySlotIn(Strict, WeeklySlot):
    """The request form of a weekly slot: {"weekday": 2, "start": "11:00", "end": "12:00"}."""


MAX_WEEKLY_SLOTS = 14  # e.g. lunch and dinner every day
WEEKDAY_ZH = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "日"}


Slot = TypeVar("Slot", bound=WeeklySlot)


def check_weekly(slots: list[Slot]) -> list[Slot]:
    """Slots of one day must not overlap (touching is fine: 11:00–12:00 then 12:00–13:00)."""
    ordered = sorted(slots, key=lambda s: (s.weekday, s.start))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.weekday == after.weekday and after.start < before.end:
            raise ValueError(
                f"同一天的时段不得重叠 / slots of one day must not overlap: 周{WEEKDAY_ZH[after.weekday]} "
                f"{before.start:%H:%M}–{before.end:%H:%M} 与 {after.start:%H:%M}–{after.end:%H:%M}"
            )
    return ordered


def weekly_label(slots: list[WeeklySlot]) -> str:
    """ "每周二、四、六 11:00–12:00；每天 17:00–18:00": days sharing the same hours go together."""
    days_by_hours: dict[tuple[time, time], list[int]] = {}
    for slot in sorted(slots, key=lambda s: (s.start, s.end, s.weekday)):
        days_by_hours.setdefault((slot.start, slot.end), []).append(slot.weekday)
    parts = []
    for (start, end), days in sorted(days_by_hours.items(), key=lambda kv: (kv[1][0], kv[0])):
        when = "每天" if len(days) == 7 else "每周" + "、".join(WEEKDAY_ZH[d] for d in days)
        parts.append(f"{when} {start:%H:%M}–{end:%H:%M}")
    return "；".join(parts)


class NeedIn(Strict):
    area_code: CommunityCode = Field(description="需求所在村（社区）的 12 位统计用区划代码")
    category: CategoryCode
    urgency: Urgency = Urgency.ROUTINE
    channel: Channel = Channel.SOCIAL_WORKER_VISIT
    description: str = Field(min_length=1, max_length=2000)
    required_skills: list[Skill] = Field(default_factory=list, max_length=20)
    target_groups: list[TargetGroup] = Field(
        default_factory=list,
        max_length=8,
        description="服务对象类别；用 resident_id 且未给出时取居民登记的类别 / with resident_id and left out: the resident's tags",
    )
    time_window: TimeWindowIn | None = Field(default=None, description="一次性的服务时间 / a one-off time window")
    weekly: list[WeeklySlotIn] = Field(
        default_factory=list,
        max_length=MAX_WEEKLY_SLOTS,
        description="每周固定时段（北京时间），如每周二、四、六 11:00–12:00 / weekly recurring slots, local time",
    )
    # exactly one of the two: the resident typed in, or a registered resident (POST /residents).
    # (`resident` keeps its schema type, an object, so that its contract stays compatible)
    resident: ResidentIn = Field(
        default=cast(ResidentIn, None), description="居民身份（与 resident_id 二选一）/ or resident_id"
    )
    resident_id: UUID | None = Field(
        default=None,
        validate_default=True,
        description="已登记居民的编号（与 resident 二选一）/ a registered resident, or resident",
    )

    @field_validator("required_skills")
    @classmethod
    def _skills(cls, skills: list[str]) -> list[str]:
        for skill in skills:
            if not 1 <= len(skill) <= 30:
                raise ValueError("技能名称须为 1–30 个字符 / each skill must be 1–30 characters")
        return skills

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, slots: list[WeeklySlotIn]) -> list[WeeklySlotIn]:
        return check_weekly(slots)

    @field_validator("resident_id")
    @classmethod
    def _one_resident(cls, resident_id: UUID | None, info: ValidationInfo) -> UUID | None:
        if "resident" not in info.data:
            return resident_id  # `resident` itself was refused: that error says enough
        given = info.data["resident"] is not None
        if given and resident_id is not None:
            raise ValueError("resident 与 resident_id 只能二选一 / give either resident or resident_id, not both")
        if not given and resident_id is None:
            raise ValueError("须提供 resident 或 resident_id / give resident or resident_id")
        return resident_id


class HistoryOutcome(LabelledEnum):
    """How a need of an earlier system ended: only ended needs are migrated (an open one is raised)."""

    RETURNED = "returned", "已退回", "Returned"
    RESOLVED = "resolved", "已解决", "Resolved"
    CLOSED = "closed", "已办结", "Closed"


class HistoricalNeedIn(Strict):
    """One need of an earlier system as it ended (历史需求迁移), with when each step happened. Which
    times an outcome needs, and their order, is the needs service's rule (domain.history_problems)."""

    legacy_ref: LegacyRef
    area_code: CommunityCode
    category: CategoryCode
    urgency: Urgency = Urgency.ROUTINE
    channel: Channel = Channel.SOCIAL_WORKER_VISIT
    description: str = Field(min_length=1, max_length=2000)
    target_groups: list[TargetGroup] = Field(default_factory=list, max_length=8)
    resident: ResidentIn
    outcome: HistoryOutcome
    route: Route | None = Field(default=None, description="已解决、已办结的须填 / for resolved and closed")
    raised_at: PastTime = Field(description="登记时间")
    first_response_at: PastTime = Field(description="首次响应（评估分派或退回）时间")
    resolved_at: PastTime | None = Field(default=None, description="解决时间（已解决、已办结）")
    satisfaction: int | None = Field(default=None, ge=3, le=5, description="居民评价 3–5（已办结）")
    feedback_at: PastTime | None = Field(default=None, description="评价时间（已办结）")


class NeedHistoryIn(Strict):
    needs: Annotated[list[HistoricalNeedIn], AfterValidator(once_per_ref)] = Field(
        min_length=1, max_length=100, description="每批至多 100 条，且请求体不超过 64 KiB / at most 100, within 64 KiB"
    )


class NeedCreated(BaseModel):
    id: UUID
    status: str


class ResidentMasked(BaseModel):
    name: str
    phone: str
    citizen_id: str


class NeedView(BaseModel):
    id: UUID
    area_code: str
    area_name: str
    category: CategoryCode
    category_label: str
    urgency: Urgency
    channel: Channel
    status: str
    status_label: str = ""
    description: str
    required_skills: list[str]
    target_groups: list[TargetGroup]
    time_window: TimeWindow | None
    weekly: list[WeeklySlot] = Field(
        default_factory=list, description="每周固定时段（北京时间）/ weekly slots, local time"
    )
    weekly_label: str = Field(default="", description="如 每周二、四、六 11:00–12:00；无则为空")
    resident: ResidentMasked
    resident_ref: str
    raised_by: str
    raised_at: AwareDatetime
    first_response_due: AwareDatetime | None = None
    overdue: bool = False
    escalated_at: AwareDatetime | None = None
    route: Route | None = None
    service_plan: str | None = None
    matched_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    revisit_due: date | None = None
    satisfaction: int | None = None


class MatchingView(BaseModel):
    """The volunteers service's record of a need it will match volunteers to."""

    need_id: UUID
    area_code: str
    category: CategoryCode
    urgency: Urgency
    required_skills: list[str]
    window_start: AwareDatetime | None
    window_end: AwareDatetime | None
    status: str
    recorded_at: AwareDatetime


class NeedComposed(BaseModel):
    """The gateway's composed view: the need plus each other service's section."""

    need: NeedView
    matching: MatchingView | None
    matching_status: Literal["available", "pending", "unavailable"] = Field(
        description="pending: the volunteers service has not yet received the need; unavailable: it did not answer"
    )


# --- the need's life after intake ---------------------------------------------------------------


class AssessmentIn(Strict):
    """A social worker's assessment: confirm category and urgency, plan, and route."""

    category: CategoryCode
    urgency: Urgency
    service_plan: str = Field(min_length=1, max_length=4000)
    route: Route


class ResolutionIn(Strict):
    on_behalf_of_resident: bool = Field(
        description="true when a worker confirms for the resident; false when the resident confirms themself"
    )
    note: str = Field(default="", max_length=1000)


class FeedbackIn(Strict):
    satisfaction: int = Field(ge=1, le=5, description="1–5；1–2 表示不满意，需求将重新打开")
    comment: str = Field(default="", max_length=1000)


class DisputeIn(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class MediationDecisionIn(Strict):
    outcome: str = Field(min_length=1, max_length=2000)


class RevisitIn(Strict):
    notes: str = Field(default="", max_length=2000)


class MediationView(BaseModel):
    id: UUID
    need_id: UUID
    area_code: str
    status: str
    reason: str
    opened_by: str
    opened_at: AwareDatetime
    outcome: str | None
    closed_at: AwareDatetime | None


class TimelineEntry(BaseModel):
    at: AwareDatetime
    actor: str
    actor_label: str
    kind: str
    kind_label: str = Field(default="", description="如 登记需求 / Need raised")
    detail: dict[Any, Any]


class NeedPage(BaseModel):
    items: list[NeedView]
    total: int
    page: int
    page_size: int


class Percentiles(BaseModel):
    p50: float | None
    p90: float | None


class NeedStats(BaseModel):
    """Per-area figures for dashboards."""

    area_code: str
    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_target_group: dict[str, int]
    overdue: int
    first_response_hours: Percentiles
    resolution_rate: float | None = Field(
        description="已解决或已办结 / 除退单外的全部需求 — resolved or closed over all needs but the returned (退单)"
    )
    mean_satisfaction: float | None


class NeedTrendPoint(BaseModel):
    """One local calendar month (Asia/Shanghai) of an area's needs."""

    month: str = Field(description="YYYY-MM")
    raised: int = Field(description="needs raised that month")
    resolved: int = Field(description="needs now resolved or closed whose (latest) resolution fell that month")
    median_first_response_hours: float | None = Field(
        description="median hours from raising to the first assessment, of the needs raised that month; null if none"
    )


class LinkageFigures(BaseModel):
    resolved: int = Field(description="resolved or closed needs")
    shares: dict[str, float] | None = Field(
        description=(
            "community | volunteers | projects | charity | party → share of the resolved needs whose timeline has a "
            "step of that actor (community: always 1); null when nothing is resolved"
        )
    )
    index: float | None = Field(description="五社联动指数: the mean of the five shares; null when nothing is resolved")


class CommunityLinkage(LinkageFigures):
    area_code: str
    area_name: str


class NeedLinkage(LinkageFigures):
    """五社联动指数 of an area, and of each of its villages and communities with resolved needs."""

    area_code: str
    communities: list[CommunityLinkage]


# --- residents ------------------------------------------------------------------------------------


class ConsentIn(Strict):
    purpose: str = Field(min_length=1, max_length=200, description="处理目的，如 需求服务、回访")
    given_at: AwareDatetime
    given_by_guardian: bool = Field(default=False, description="未成年人的同意须由监护人作出")


class ResidentRegistrationIn(Strict):
    name: PersonName
    citizen_id: CitizenId
    phone: PhoneNumber
    area_code: CommunityCode = Field(description="住址所在村（社区）的 12 位代码")
    address: str = Field(default="", max_length=200, description="门牌地址（加密存储）")
    tags: list[TargetGroup] = Field(default_factory=list, max_length=8)
    disability_grade: int | None = Field(default=None, ge=1, le=4, description="残疾等级 1–4，仅限残疾人")
    guardian_id: UUID | None = Field(default=None, description="未成年人的监护人（已登记居民）")
    consent: ConsentIn

    @model_validator(mode="after")
    def _grade_needs_disability(self) -> ResidentRegistrationIn:
        if self.disability_grade is not None and TargetGroup.DISABLED not in self.tags:
            raise ValueError("残疾等级仅适用于残疾人 / disability_grade needs the tag 'disabled'")
        return self


class ResidentCreated(BaseModel):
    id: UUID
    resident_ref: str


class ResidentView(BaseModel):
    id: UUID
    area_code: str
    area_name: str
    resident_ref: str
    name: str
    citizen_id: str
    phone: str
    address: str
    minor: bool
    tags: list[TargetGroup]
    disability_grade: int | None
    guardian_id: UUID | None
    consents: list[dict[Any, Any]]
    last_visited_at: AwareDatetime | None
    masked: bool = Field(description="false only for an audited read with a stated purpose")


class SurveyIn(Strict):
    area_code: AreaCode
    title: str = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def _ordered(self) -> SurveyIn:
        if self.ends_on < self.starts_on:
            raise ValueError("结束日期不得早于开始日期 / ends_on must not be before starts_on")
        return self


class SurveyCreated(BaseModel):
    id: UUID


class VisitNeedIn(Strict):
    """A need found during a household visit; the resident is the one visited."""

    category: CategoryCode
    urgency: Urgency = Urgency.ROUTINE
    description: str = Field(min_length=1, max_length=2000)
    required_skills: list[Skill] = Field(default_factory=list, max_length=20)
    time_window: TimeWindowIn | None = None
    weekly: list[WeeklySlotIn] = Field(default_factory=list, max_length=MAX_WEEKLY_SLOTS)

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, slots: list[WeeklySlotIn]) -> list[WeeklySlotIn]:
        return check_weekly(slots)


class VisitIn(Strict):
    resident_id: UUID
    visited_at: AwareDatetime
    notes: str = Field(default="", max_length=2000)
    needs: list[VisitNeedIn] = Field(default_factory=list, max_length=10)


class VisitRecorded(BaseModel):
    id: UUID
    need_ids: list[UUID]


class ProactiveVisit(BaseModel):
    resident_id: UUID
    area_code: str
    name: str
    tags: list[TargetGroup]
    last_visited_at: AwareDatetime | None
    days_since_visit: int | None


class CategoryIn(Strict):
    code: CategoryCode = Field(description="英文小写代码，如 haircut / lowercase code")
    zh: str = Field(min_length=1, max_length=20, description="中文名称")
    en: str = Field(min_length=1, max_length=60, description="English label")


class CategoryView(BaseModel):
    code: str
    zh: str
    en: str
    active: bool


# --- service levels (服务时限), per area ------------------------------------------------------------


class ServiceLevelsIn(Strict):
    """An area's own service levels. A value left out (or null) is inherited from the area above,
    or from the installation default; the most specific area that sets a value wins."""

    urgent_hours: int | None = Field(default=None, ge=1, le=720, description="紧急需求首次响应时限（小时）")
    major_hours: int | None = Field(default=None, ge=1, le=720, description="重要需求首次响应时限（小时）")
    routine_hours: int | None = Field(default=None, ge=1, le=720, description="一般需求首次响应时限（小时）")
    revisit_days: int | None = Field(default=None, ge=1, le=90, description="解决后回访（天）")
    proactive_visit_days: int | None = Field(
        default=None, ge=1, le=365, description="重点人群未走访超过（天）即提示主动走访"
    )
    reason: str = Field(min_length=2, max_length=200, description="调整原因（记入审计）/ why (audited)")

    def own(self) -> AreaServiceLevels:
        return AreaServiceLevels(**self.model_dump(exclude={"reason"}))


class ServiceLevelValue(BaseModel):
    value: float
    unit: Literal["hours", "days"]
    label: str = Field(description="如 紧急需求首次响应时限")
    source: Literal["area", "ancestor", "default"] = Field(
        description="area: set by this area; ancestor: by an area above it; default: the installation default"
    )
    source_area_code: str | None = Field(description="the area that set it; null for the installation default")
    source_label: str = Field(description="如 本级设置、上级设置：长安区、系统默认")


class ServiceLevelsView(BaseModel):
    """The effective service levels of an area, and where each value comes from."""

    area_code: str
    area_name: str
    levels: dict[str, ServiceLevelValue] = Field(
        description="urgent_hours, major_hours, routine_hours, revisit_days, proactive_visit_days"
    )
    own: AreaServiceLevels = Field(description="what this area sets itself (null: inherited)")
    changed_by: str | None = None
    changed_at: AwareDatetime | None = None


class ServiceLevelChange(BaseModel):
    area_code: str
    area_name: str
    old: AreaServiceLevels
    new: AreaServiceLevels
    reason: str
    changed_by: str
    changed_at: AwareDatetime


# --- portal work orders (工单) ----------------------------------------------------------------

WORK_ORDER_TYPE = "cn.wushe.portal.work_order.v1"  # the CloudEvents `type` a portal posts


class WorkOrderIn(Strict):
    """A portal's work order (e.g. a 12345 hotline's 工单): the `data` of the CloudEvent it posts to
    /api/v1/needs/work-orders/{portal}. It becomes a need raised through the portal_import channel."""

    order_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[0-9A-Za-z][0-9A-Za-z_.:-]*$",
        description="门户的工单编号 / the portal's order number",
    )
    area_code: CommunityCode = Field(description="诉求所在村（社区）的 12 位区划代码")
    category: CategoryCode
    urgency: Urgency = Urgency.ROUTINE
    description: str = Field(min_length=1, max_length=2000, description="诉求内容 / what the caller asked")
    resident: ResidentIn = Field(description="来电人 / the resident who called")
    target_groups: list[TargetGroup] = Field(default_factory=list, max_length=8)


class WorkOrderAccepted(BaseModel):
    order_id: str
    need_id: UUID
    status: str = Field(description="受理状态 / e.g. 已受理 accepted")
    duplicate: bool = Field(description="此工单此前已受理，未重复登记 / already accepted: no second need")


WORK_ORDER_PROGRESS_TYPE = "cn.wushe.portal.work_order.progress.v1"  # what the platform posts back


class WorkOrderStage(LabelledEnum):
    """The stages of a work order's life a portal is told of, as 12345 systems name them."""

    ACCEPTED = "accepted", "受理", "Accepted"
    DISPATCHED = "dispatched", "派单", "Dispatched"
    REDISPATCHED = "redispatched", "改派", "Re-dispatched"
    RETURNED = "returned", "退单", "Returned"
    COMPLETED = "completed", "办结", "Completed"
    REVISITED = "revisited", "回访", "Revisited"


class WorkOrderProgress(BaseModel):
    """The `data` of what the platform posts to a portal's callback (CloudEvents type
    WORK_ORDER_PROGRESS_TYPE, signed with the portal's secret, Standard Webhooks) as the need its work
    order became moves on. What a stage has no use for is null."""

    order_id: str = Field(description="门户的工单编号 / the portal's order number")
    need_id: UUID
    stage: WorkOrderStage
    stage_label: str = Field(description="环节名称 / the stage, in Chinese")
    at: AwareDatetime = Field(description="该环节发生的时间 / when the stage happened")
    route: Route | None = Field(default=None, description="派单、改派：服务方式 / how it will be met")
    route_label: str | None = None
    reason: str | None = Field(default=None, description="退单：原因 / why it was returned")
    satisfaction: int | None = Field(default=None, ge=1, le=5, description="回访：满意度 1–5")
    reopened: bool | None = Field(default=None, description="回访：不满意而重新办理 / reopened as not met")


class ReturnIn(Strict):
    """退单: why the community will not take the need on (the portal that sent it is told)."""

    reason: str = Field(min_length=2, max_length=500, description="退回原因 / why it is returned")


# --- the resident's own page (我的诉求) -------------------------------------------------------------------


class MyNeed(BaseModel):
    """One of the resident's needs, its progress, and what the resident may do with it now."""

    need: NeedView
    timeline: list[TimelineEntry]
    may_confirm: bool = Field(description="可确认已解决（已分派或已对接）/ may confirm it is met")
    may_rate: bool = Field(description="可评价（已解决待评价）/ may rate the service")
    may_dispute: bool = Field(description="可提出异议（已解决或已办结）/ may dispute the outcome")
    may_ask_revisit: bool = Field(
        default=False, description="可请求社区回访（已解决或已办结）/ may ask the community to come back"
    )
    ward: str | None = Field(default=None, description="为所监护的人登记时，其姓名（脱敏）/ the ward it is for, masked")


class MyWard(BaseModel):
    """A resident the caller is the registered guardian of (监护人), to raise and follow needs for."""

    resident_id: UUID
    name: str = Field(description="姓名（脱敏）/ masked")


class MyNeeds(BaseModel):
    resident_id: UUID | None = Field(
        description="本人的居民登记编号，已登记时登记需求可直接引用 / the caller's registration, if any, to raise with"
    )
    wards: list[MyWard] = Field(default_factory=list, description="本人监护的居民 / the caller's wards")
    items: list[MyNeed] = Field(
        description="本人及所监护者最近 50 条，新的在前 / theirs and their wards', newest first"
    )
