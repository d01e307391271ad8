"""HTTP models of the volunteers service (志愿者 + 社工): registration, tasks, matching, hours."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Field,
    model_validator,
)

from contracts.api import Strict, TrendPoint
from contracts.api.needs import CommunityCode, TimeWindowIn
from contracts.taxonomy import LabelledEnum
from contracts.values import AreaCode, CitizenId, PersonName, PhoneNumber

Skill = Annotated[str, Field(min_length=1, max_length=30)]


class SocialWorkerLevel(LabelledEnum):
    ASSISTANT = "assistant", "助理社会工作师", "Assistant social worker"
    SOCIAL_WORKER = "social_worker", "社会工作师", "Social worker"
    SENIOR = "senior", "高级社会工作师", "Senior social worker"


class WeeklySlot(Strict):
    weekday: int = Field(ge=0, le=6, description="0 = 星期一 … 6 = 星期日")
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> WeeklySlot:
        if self.end <= self.start:
            raise ValueError("结束时间须晚于开始时间 / end must be after start")
        return self


class GuardianConsentIn(Strict):
    guardian_name: PersonName
    guardian_phone: PhoneNumber
    given_at: AwareDatetime


class SocialWorkerIn(Strict):
    level: SocialWorkerLevel
    certificate_no: str = Field(min_length=4, max_length=40)


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class VolunteerIn(Strict):
    name: PersonName
    citizen_id: CitizenId
    phone: PhoneNumber
    area_code: CommunityCode = Field(description="常住村（社区）：也是其时间银行所在的社区银行")
    skills: Annotated[list[Skill], AfterValidator(_distinct)] = Field(default_factory=list, max_length=20)
    service_areas: list[AreaCode] = Field(default_factory=list, max_length=10, description="愿意服务的区域")
    availability: list[WeeklySlot] = Field(default_factory=list, max_length=21)
    party_member: bool = False
    social_worker: SocialWorkerIn | None = None
    guardian_consent: GuardianConsentIn | None = Field(default=None, description="14–18 岁须有监护人同意")


class VolunteerCreated(BaseModel):
    id: UUID
    volunteer_ref: str


class VolunteerView(BaseModel):
    id: UUID
    volunteer_ref: str
    area_code: str
    name: str
    citizen_id: str
    phone: str
    minor: bool
    skills: list[str]
    service_areas: list[str]
    availability: list[dict[Any, Any]]
    party_member: bool
    social_worker_level: str | None
    registered_at: AwareDatetime
    masked: bool


class TaskIn(Strict):
    area_code: AreaCode
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    required_skills: list[Skill] = Field(default_factory=list, max_length=20)
    slots: int = Field(default=1, ge=1, le=100)
    time_window: TimeWindowIn | None = None
    place: str = Field(default="", max_length=200)


class TaskCreated(BaseModel):
    id: UUID


class TaskView(BaseModel):
    id: UUID
    need_id: UUID | None
    area_code: str
    title: str
    description: str
    required_skills: list[str]
    slots: int
    window_start: AwareDatetime | None
    window_end: AwareDatetime | None
    place: str
    status: str
    status_label: str = Field(default="", description="如 招募中 / Recruiting")
    source: str
    source_label: str = Field(default="", description="如 需求分派 / From a routed need")
    accepted: int


class TaskParticipant(BaseModel):
    volunteer_ref: str
    name: str = Field(description="masked")
    status: str = Field(description="invited | accepted | declined | no_show")


class TaskService(BaseModel):
    """Who serves a need's task and how much of their time is verified."""

    task: TaskView
    volunteers: list[TaskParticipant]
    minutes_verified: int
    minutes_pending: int = Field(description="logged, waiting for verification")


class ScorePart(BaseModel):
    name: str
    label: str
    value: float = Field(description="0–1")
    weight: float
    why: str


class CandidateView(BaseModel):
    volunteer_id: UUID
    volunteer_ref: str
    name: str = Field(description="masked")
    score: float
    parts: list[ScorePart]


class InviteIn(Strict):
    volunteer_ids: list[UUID] = Field(min_length=1, max_length=50)


class BatchIn(Strict):
    task_ids: list[UUID] = Field(min_length=1, max_length=200)
    invite: bool = Field(default=True, description="invite the chosen volunteers")


class BatchAssignment(BaseModel):
    task_id: UUID
    volunteer_id: UUID
    score: float


class BatchResult(BaseModel):
    assignments: list[BatchAssignment]
    total_score: float
    greedy_total_score: float = Field(description="what assigning one task after another would have scored")


class ResponseIn(Strict):
    accept: bool


class CheckIn(Strict):
    at: AwareDatetime | None = Field(default=None, description="默认为当前时间")
    code: str | None = Field(
        default=None,
        min_length=8,
        max_length=16,
        description="现场二维码中的一次性签到码 / the one-time code from the QR code on site",
    )


class CheckinCode(BaseModel):
    code: str
    expires_at: AwareDatetime


class HoursEntryIn(Strict):
    """An organizer's entry (or a backfill) of a volunteer's time on a task."""

    volunteer_id: UUID
    check_in: AwareDatetime
    check_out: AwareDatetime
    backfill: bool = False


class LogView(BaseModel):
    id: UUID
    task_id: UUID
    volunteer_id: UUID
    check_in: AwareDatetime
    check_out: AwareDatetime | None
    minutes: int | None
    provenance: str
    code_checked: bool = Field(default=False, description="签到时出示了现场一次性签到码")
    status: str
    flagged: bool
    needs_override: bool = Field(
        default=False,
        description=(
            "单次时长超过上限：核实须明确确认并说明理由 / longer than the limit: approving it needs an override"
        ),
    )
    reason: str | None


class VerificationIn(Strict):
    approve: bool
    reason: str = Field(default="", max_length=500)
    override: bool = Field(
        default=False,
        description=(
            "确认超过单次时长上限的记录（须说明理由）/ approve a record longer than the limit (needs a reason)"
        ),
    )

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> VerificationIn:
        if not self.approve and not self.reason:
            raise ValueError("驳回须说明理由 / a rejection needs a reason")
        return self


LogStatus = Literal["open", "logged", "verified", "rejected"]  # 已签到 / 待核实 / 已核实 / 已驳回


class HoursItem(BaseModel):
    """One hours record in a verifier's list: what deciding on it needs."""

    log_id: UUID
    task_id: UUID
    task_title: str
    area_code: str
    volunteer_id: UUID
    volunteer_name: str = Field(description="masked")
    check_in: AwareDatetime
    check_out: AwareDatetime | None
    minutes: int | None
    provenance: str
    provenance_label: str = Field(default="", description="如 本人签到签退 / Checked in and out by the volunteer")
    code_checked: bool
    status: str
    status_label: str = Field(default="", description="如 待核实 / Awaiting verification")
    flagged: bool = Field(description="当日累计超过 12 小时 / more than 12 hours that day")
    needs_override: bool = Field(description="单次时长超过上限 / longer than the single-record limit")


class HoursPage(BaseModel):
    items: list[HoursItem]
    total: int
    limit: int
    offset: int


class VolunteerListItem(BaseModel):
    """A registered volunteer in a worker's list: masked, never the citizen ID."""

    id: UUID
    volunteer_ref: str
    area_code: str
    name: str = Field(description="masked")
    phone: str = Field(description="masked")
    minor: bool
    skills: list[str]
    party_member: bool
    social_worker_level: str | None
    registered_at: AwareDatetime


class VolunteerPage(BaseModel):
    items: list[VolunteerListItem]
    total: int
    limit: int
    offset: int


class FacilityIn(Strict):
    area_code: CommunityCode
    name: str = Field(min_length=1, max_length=100)


class StationIn(Strict):
    facility_id: UUID
    name: str = Field(min_length=1, max_length=100)


class TeamIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    area_code: AreaCode
    station_id: UUID | None = None
    supervisor_id: UUID | None = Field(default=None, description="督导社工（须为已登记社工）")
    member_ids: list[UUID] = Field(default_factory=list, max_length=500)


class TrainingIn(Strict):
    course: str = Field(min_length=1, max_length=200)
    held_on: date
    attendee_ids: list[UUID] = Field(default_factory=list, max_length=500)


class SupervisionIn(Strict):
    held_at: AwareDatetime
    notes: str = Field(default="", max_length=2000)


class Created(BaseModel):
    id: UUID


# --- organization: facilities, stations, teams, statistics ----------------------------------------


class FacilityView(BaseModel):
    id: UUID
    area_code: str
    name: str
    station_id: UUID | None = Field(description="该设施的志愿服务站点（无则为空）")
    created_at: AwareDatetime


class StationView(BaseModel):
    id: UUID
    facility_id: UUID
    facility_name: str
    name: str
    area_code: str
    created_at: AwareDatetime


class MembersIn(Strict):
    member_ids: list[UUID] = Field(min_length=1, max_length=500)


class TeamMemberView(BaseModel):
    volunteer_id: UUID
    name: str = Field(description="masked: first character + *")
    social_worker_level: str | None


class TeamView(BaseModel):
    id: UUID
    name: str
    area_code: str
    station_id: UUID | None
    supervisor: TeamMemberView | None = Field(description="督导社工 / the supervising social worker")
    members: list[TeamMemberView]
    created_at: AwareDatetime


class TrainingView(BaseModel):
    id: UUID
    team_id: UUID
    course: str
    held_on: date
    attendee_ids: list[UUID]
    attendance: int
    recorded_by: str


class StationCoverage(BaseModel):
    facilities: int = Field(description="社区综合服务设施数")
    with_station: int = Field(description="设有志愿服务站点的设施数")
    coverage: float | None = Field(description="with_station / facilities; null when there are no facilities")
    target: float = Field(description="政策目标（≥ 80%）/ the policy target")
    met: bool
    trend: list[TrendPoint] = Field(
        default_factory=list,
        description=("近 12 个月每月末的覆盖率（按设施与站点的设立时间）/ coverage at each of the last 12 months' end"),
    )


class VolunteerStats(BaseModel):
    area: str
    registered: int = Field(description="常住本辖区的注册志愿者 / volunteers whose home is in the area")
    active_30d: int = Field(description="近 30 天有已登记或已核实时长的志愿者 / served in the last 30 days")
    party_members: int
    social_workers_by_level: dict[str, int]
    hours_by_month: dict[str, float] = Field(description="近 12 个月在本辖区已核实的服务时长 / YYYY-MM → hours")
    verified_ratio: float | None = Field(description="已核实分钟 / (已核实 + 待核实 + 已驳回) 分钟")
    station_coverage: StationCoverage
    social_workers_trend: list[TrendPoint] = Field(
        default_factory=list,
        description=(
            "近 12 个月每月末常住本辖区的已登记社工人数 / registered social workers at each of the last 12 months' end"
        ),
    )


# --- the volunteer's own page (我的志愿服务) ---------------------------------------------------------------


class MyTask(BaseModel):
    """A task the volunteer was invited to or signed up for, with where they stand on it."""

    task: TaskView
    task_status_label: str = Field(description="如 招募中 / Recruiting")
    my_status: str = Field(description="invited | accepted | declined | no_show")
    my_status_label: str = Field(description="如 待回复 / Invited、已报名 / Signed up")
    checked_in_at: AwareDatetime | None = Field(default=None, description="签到未签退时：签到时间 / an open check-in")
    can_check_in: bool = Field(
        description="已报名、未签到，且在任务时段及其前后允许范围内 / signed up, not in, within the window and its tolerance"
    )


class OpenTask(BaseModel):
    """An open task the volunteer may sign up for: in their home county or an area they serve."""

    task: TaskView
    matching_skills: list[str] = Field(description="任务所需且本人具备的技能 / the task's skills the volunteer has")


class MyHours(BaseModel):
    log: LogView
    task_title: str
    status_label: str = Field(description="如 待核实 / Awaiting verification")


class MyCertificate(BaseModel):
    id: UUID
    code: str = Field(description="公开核验码 / the public verification code")
    period_start: date
    period_end: date
    issued_at: AwareDatetime


class MyProfileIn(Strict):
    """What a volunteer keeps up to date themself: the skills they offer and the areas they serve
    (matching reads both). A field left out stays as it is."""

    skills: Annotated[list[Skill], AfterValidator(_distinct)] | None = Field(default=None, max_length=20)
    service_areas: Annotated[list[AreaCode], AfterValidator(_distinct)] | None = Field(
        default=None, max_length=10, description="愿意服务的区域 / the areas they serve"
    )

    @model_validator(mode="after")
    def _something(self) -> MyProfileIn:
        if self.skills is None and self.service_areas is None:
            raise ValueError("请给出 skills 或 service_areas / give skills or service_areas")
        return self


class MyRelative(BaseModel):
    """A family member the volunteer may give credits to (登记的亲属)."""

    relative_id: UUID
    name: str = Field(description="脱敏姓名 / masked name")
    relation: str
    relation_label: str = Field(description="如 配偶 / Spouse")


class MyVolunteering(BaseModel):
    """Everything a volunteer looks at on their phone, in one answer: who they are (masked, as on
    their card), their tasks, what they may sign up for, their hours and certificates."""

    volunteer_id: UUID
    area_code: str
    name: str = Field(description="脱敏姓名 / masked name")
    skills: list[str]
    service_areas: list[str]
    tasks: list[MyTask]
    open_tasks: list[OpenTask]
    hours: list[MyHours] = Field(description="最近 50 条 / the latest 50")
    minutes_verified: int
    minutes_pending: int = Field(description="已签退待核实 / logged, awaiting verification")
    certificates: list[MyCertificate]
    family: list[MyRelative] = Field(
        default_factory=list, description="可转赠积分的亲属 / whom credits may be given to"
    )
