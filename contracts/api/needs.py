"""HTTP models of the need library: what a worker submits and what views show (PII masked)."""
from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.areas import lookup
from contracts.taxonomy import Channel, NeedCategory, TargetGroup, Urgency
from contracts.values import AreaCode, CitizenId, PhoneNumber

Skill = str


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error and not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResidentIn(Strict):
    name: str = Field(min_length=1, max_length=50, description="姓名")
    phone: PhoneNumber = Field(description="联系电话")
    citizen_id: CitizenId = Field(description="公民身份号码")


class TimeWindow(BaseModel):
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> "TimeWindow":
        if self.end <= self.start:
            raise ValueError("结束时间须晚于开始时间 / end must be after start")
        return self


class TimeWindowIn(Strict, TimeWindow):
    """The request form: unknown fields refused."""


class NeedIn(Strict):
    area_code: AreaCode = Field(description="需求所在村（社区）的 12 位统计用区划代码")
    category: NeedCategory
    urgency: Urgency = Urgency.ROUTINE
    channel: Channel = Channel.SOCIAL_WORKER_VISIT
    description: str = Field(min_length=1, max_length=2000)
    required_skills: list[Skill] = Field(default_factory=list, max_length=20)
    target_groups: list[TargetGroup] = Field(default_factory=list, max_length=8)
    time_window: TimeWindowIn | None = None
    resident: ResidentIn

    @field_validator("area_code")
    @classmethod
    def _community_level(cls, code: str) -> str:
        if lookup(code).level not in ("community", "village"):
            raise ValueError("需求须登记到村（社区）一级（12 位代码）/ a need belongs to a village or community (12-digit code)")
        return code

    @field_validator("required_skills")
    @classmethod
    def _skills(cls, skills: list[str]) -> list[str]:
        for skill in skills:
            if not 1 <= len(skill) <= 30:
                raise ValueError("技能名称须为 1–30 个字符 / each skill must be 1–30 characters")
        return skills


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
    category: NeedCategory
    category_label: str
    urgency: Urgency
    channel: Channel
    status: str
    description: str
    required_skills: list[str]
    target_groups: list[TargetGroup]
    time_window: TimeWindow | None
    resident: ResidentMasked
    resident_ref: str
    raised_by: str
    raised_at: AwareDatetime


class MatchingView(BaseModel):
    """The volunteers service's record of a need it will match volunteers to."""

    need_id: UUID
    area_code: str
    category: NeedCategory
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
