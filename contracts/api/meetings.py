"""HTTP models of 党建联席会议 (party-building joint meetings): the agenda pool, meetings, their
resolutions and the actions those dispatch to other services, and the actions' follow-up."""

from __future__ import annotations

from typing import Annotated, Literal, cast
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from contracts.api import Strict
from contracts.areas import Area, lookup
from contracts.values import AreaCode, Money, PersonName

Actor = Literal["community", "party", "social_org", "social_worker", "volunteer", "charity"]
ActionKind = Literal["volunteer_task", "propose_project", "earmark_funds", "other"]
ActionStatus = Literal["dispatched", "in_progress", "done"]
AgendaKind = Literal["escalated_need", "dispute", "overdue_whistle", "escalated_matter", "manual"]
Skill = Annotated[str, Field(min_length=1, max_length=30)]


def _meeting_level(code: str) -> str:
    if cast(Area, lookup(code)).level not in ("township", "community", "village"):
        raise ValueError("须为街道（乡镇）或村（社区）代码 / must be a street (township) or community (village) code")
    return code


# joint meetings are held by a street (9 digits) or a community/village (12 digits)
MeetingArea = Annotated[AreaCode, AfterValidator(_meeting_level)]


# --- the agenda pool ------------------------------------------------------------------------------------


class AgendaItemIn(Strict):
    area_code: MeetingArea
    summary: str = Field(min_length=1, max_length=1000, description="议题 / what the meeting should take up")


class AgendaItemView(BaseModel):
    id: UUID
    area_code: str
    kind: AgendaKind
    ref_id: UUID = Field(description="the source: a need, mediation case, whistle or matter (itself when manual)")
    summary: str
    raised_at: AwareDatetime
    meeting_id: UUID | None = None


# --- meetings -------------------------------------------------------------------------------------------


class ParticipantIn(Strict):
    actor: Actor
    name: PersonName
    unit: str = Field(default="", max_length=100, description="所在单位 / the organization they speak for")


class MeetingIn(Strict):
    area_code: MeetingArea
    title: str = Field(min_length=1, max_length=200)
    scheduled_at: AwareDatetime = Field(description="会议时间，不得早于现在 / not in the past")
    place: str = Field(min_length=1, max_length=200)
    participants: list[ParticipantIn] = Field(
        min_length=1,
        max_length=60,
        description=(
            "社会组织、社会工作者、志愿者、慈善资源四方须各有代表 / social_org, social_worker, volunteer and charity "
            "must each be represented"
        ),
    )
    agenda_item_ids: list[UUID] = Field(
        default_factory=list,
        max_length=100,
        description=(
            "另行列入的议题；本区域（含下辖）未上会的议题自动列入 / items to add; the area's open items are drawn anyway"
        ),
    )


class MeetingCreated(BaseModel):
    id: UUID
    agenda_item_ids: list[UUID]


class ParticipantView(BaseModel):
    actor: Actor
    name: str
    unit: str = ""


class ResolutionView(BaseModel):
    id: UUID
    agenda_item_id: UUID | None = None
    text: str
    resolved_by: str
    resolved_at: AwareDatetime


class ProgressView(BaseModel):
    status: ActionStatus
    note: str
    reported_by: str
    reported_at: AwareDatetime


class ActionView(BaseModel):
    id: UUID
    meeting_id: UUID
    resolution_id: UUID
    area_code: str
    kind: ActionKind
    target_service: str
    title: str
    details: str
    need_id: UUID | None = None
    amount_fen: int | None = None
    required_skills: list[str]
    owner: str
    due_at: AwareDatetime
    status: ActionStatus
    overdue: bool = Field(description="逾期未办结 / flagged past its deadline and not done")
    overdue_at: AwareDatetime | None = Field(default=None, description="when it was flagged overdue (kept once done)")
    dispatched_at: AwareDatetime
    updated_at: AwareDatetime
    progress: list[ProgressView] = Field(default_factory=list)


class MeetingSummary(BaseModel):
    id: UUID
    area_code: str
    title: str
    scheduled_at: AwareDatetime
    place: str
    status: Literal["scheduled", "held"]
    held_at: AwareDatetime | None = None
    convened_by: str
    created_at: AwareDatetime


class MeetingView(MeetingSummary):
    participants: list[ParticipantView]
    agenda: list[AgendaItemView]
    resolutions: list[ResolutionView]
    actions: list[ActionView]


# --- resolutions and follow-up ----------------------------------------------------------------------------


class ActionIn(Strict):
    kind: ActionKind
    title: str = Field(min_length=1, max_length=200)
    details: str = Field(default="", max_length=4000)
    need_id: UUID | None = None
    amount_fen: Money | None = Field(default=None, description="earmark_funds: required; volunteer_task: none")
    required_skills: list[Skill] = Field(default_factory=list, max_length=20)
    owner: str = Field(
        min_length=1, max_length=100, description="责任方，如 志愿者:长安区志愿者协会 / who answers for it"
    )
    due_at: AwareDatetime = Field(description="完成时限 / the deadline, in the future")


class ResolutionIn(Strict):
    agenda_item_id: UUID | None = Field(default=None, description="须为本次会议的议题 / on this meeting's agenda")
    text: str = Field(min_length=1, max_length=4000, description="决议内容 / what was resolved")
    actions: list[ActionIn] = Field(default_factory=list, max_length=30)


class ResolutionCreated(BaseModel):
    id: UUID
    meeting_id: UUID
    action_ids: list[UUID]


class ProgressIn(Strict):
    status: Literal["in_progress", "done"]
    note: str = Field(default="", max_length=2000, description="办理情况 / what was done")


class Created(BaseModel):
    id: UUID
