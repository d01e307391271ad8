"""HTTP models of 社区吹哨、党员报到 (the community blows the whistle, party members report) and
微心愿 (small wishes) of the party service. Party members appear masked, never with a phone."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field

from contracts.api import Strict
from contracts.api.needs import CommunityCode
from contracts.taxonomy import CategoryCode, Urgency

Skill = Annotated[str, Field(min_length=1, max_length=30)]
ResponderKind = Literal["member", "unit"]
WhistleStatus = Literal["open", "responded", "closed"]
WishStatus = Literal["open", "claimed", "fulfilled"]
# six or more digits in a row: an ID or phone number, which a beneficiary description must not carry
_NUMBER = re.compile(r"[0-9０-９]{6,}")


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _no_numbers(text: str) -> str:
    if _NUMBER.search(text):
        raise ValueError(
            "不得包含身份证号、电话等号码，请用脱敏描述 / no ID or phone numbers: describe the person masked"
        )
    return text


# --- whistles -------------------------------------------------------------------------------------


class WhistleIn(Strict):
    area_code: CommunityCode = Field(description="吹哨的村（社区）")
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    urgency: Urgency = Urgency.ROUTINE
    category: CategoryCode | None = Field(default=None, description="需求类别：按类别派给责任单位")
    required_skills: Annotated[list[Skill], AfterValidator(_distinct)] = Field(
        default_factory=list, max_length=20, description="派给具备其一技能的党员；为空则派给全部报到党员"
    )
    need_id: UUID | None = None


class WhistleCreated(BaseModel):
    id: UUID
    respond_by: datetime
    dispatched_members: int
    dispatched_units: int


class ReportIn(Strict):
    responder_kind: ResponderKind
    responder_id: UUID = Field(description="党员（members.id）或责任单位（units.id）")


class ReportRecorded(BaseModel):
    whistle_id: UUID
    responder_kind: ResponderKind
    responder_id: UUID
    reported_at: datetime
    response_seconds: int
    within_deadline: bool


class HandledIn(Strict):
    note: str = Field(default="", max_length=1000, description="办理情况")


class HandledRecorded(BaseModel):
    whistle_id: UUID
    responder_id: UUID
    handled_at: datetime


class CloseIn(Strict):
    satisfaction: int = Field(ge=1, le=5)
    evaluated_by: Literal["community", "resident"]
    comment: str = Field(default="", max_length=1000)


class WhistleClosedView(BaseModel):
    id: UUID
    status: WhistleStatus
    satisfaction: int
    closed_at: datetime


class DispatchView(BaseModel):
    responder_kind: ResponderKind
    responder_id: UUID
    name: str = Field(description="党员姓名（脱敏）或单位名称")
    dispatched_at: datetime
    reported_at: datetime | None = None
    handled_at: datetime | None = None
    note: str | None = None


class WhistleSummary(BaseModel):
    id: UUID
    area_code: str
    source: Literal["need_escalated", "manual"]
    need_id: UUID | None = None
    title: str
    description: str
    category: str | None = None
    urgency: Urgency
    required_skills: list[str]
    blown_by: str
    blown_at: datetime
    respond_by: datetime
    first_response_at: datetime | None = None
    status: WhistleStatus
    overdue: bool = Field(description="超过接单时限仍无人接单")
    escalated_at: datetime | None = None
    escalated_to: str | None = None
    satisfaction: int | None = None
    evaluated_by: str | None = None
    comment: str | None = None
    closed_at: datetime | None = None


class WhistleView(WhistleSummary):
    dispatches: list[DispatchView]


class ResponseStatsView(BaseModel):
    count: int
    answered: int
    answered_in_time: int
    median_response_s: int | None = None
    p90_response_s: int | None = None
    open_overdue: int


class CommunityResponseStats(ResponseStatsView):
    area_code: str
    area_name: str


class WhistleStats(BaseModel):
    area_code: str
    total: ResponseStatsView
    communities: list[CommunityResponseStats]


# --- small wishes ---------------------------------------------------------------------------------


class WishIn(Strict):
    area_code: CommunityCode
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=1000)
    beneficiary: Annotated[str, AfterValidator(_no_numbers)] = Field(
        min_length=1, max_length=50, description="脱敏描述，如“王**（独居老人）”；不得含身份证号、电话"
    )
    need_id: UUID | None = None


class WishCreated(BaseModel):
    id: UUID


class ClaimIn(Strict):
    member_id: UUID


class FulfilIn(Strict):
    note: str = Field(default="", max_length=1000)


class WishView(BaseModel):
    id: UUID
    area_code: str
    title: str
    description: str
    beneficiary: str
    need_id: UUID | None = None
    status: WishStatus
    posted_at: datetime
    member_id: UUID | None = None
    claimer: str | None = Field(default=None, description="认领党员（脱敏）")
    claimed_at: datetime | None = None
    fulfilled_at: datetime | None = None
    note: str | None = None
