"""Events of the needs service (社区 · 需求库). No personal data: residents are pseudonymous refs."""
from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.envelope import Event
from contracts.taxonomy import Channel, NeedCategory, Route, TargetGroup, Urgency
from contracts.values import AreaCode

Skill = str


class NeedRaised(Event):
    """A resident's need entered the need library (需求入库)."""

    service: ClassVar[str] = "needs"

    need_id: UUID
    area_code: AreaCode = Field(description="the community (12-digit) where the need arose")
    category: NeedCategory
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
    category: NeedCategory
    urgency: Urgency
    service_plan: str = Field(max_length=4000)
    proposed_route: Route
    assessed_by: str
    assessed_at: AwareDatetime
