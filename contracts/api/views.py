"""The gateway's composed views: one answer drawn from several services. Each part says whether
its service answered, so a view still answers with one service down."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from contracts.api import TrendPoint
from contracts.taxonomy import LabelledEnum


class SectionStatus(LabelledEnum):
    AVAILABLE = "available", "可查看", "Available"
    UNAVAILABLE = "unavailable", "服务暂不可用", "Service unavailable"
    NOT_FOUND = "not_found", "暂无", "None yet"
    FORBIDDEN = "forbidden", "无权查看", "Not for your role"


class Section(BaseModel):
    """One service's part of a view: `unavailable` when the service did not answer in time."""

    service: str
    status: SectionStatus
    data: Any = None


class TimelineItem(BaseModel):
    at: AwareDatetime
    actor: str = Field(description="community | volunteers | projects | charity | party")
    actor_label: str
    kind: str
    detail: dict[Any, Any] = Field(default_factory=dict)


class Need360(BaseModel):
    """需求全景: one need's whole chain, from intake to the resident's judgement."""

    need_id: str
    need: Section = Field(description="the need, its assessment, status and resident (masked)")
    timeline: list[TimelineItem] = Field(description="every actor's steps, in order (from the need's timeline)")
    timeline_status: SectionStatus
    volunteers: Section = Field(description="the volunteer task, who serves, verified hours")
    projects: Section = Field(description="projects serving the need, with their organization")
    charity: Section = Field(description="earmarked donations and disbursements")
    party: Section = Field(description="whistles and joint-meeting actions")


class Dashboard(BaseModel):
    """数据看板 of one area (community, street, county, city or province)."""

    area_code: str
    area_name: str
    level: str
    needs: Section
    needs_trend: Section
    volunteers: Section
    organizations: Section
    projects: Section
    funds: Section
    whistles: Section
    linkage: Section


class Kpi(BaseModel):
    """One of the policy's targets for 2025 (GLOSSARY), against the area's current value."""

    code: str
    label_zh: str
    label_en: str
    unit: Literal["ratio", "count"]
    target: float | None = Field(description="null when the service that states it did not answer")
    value: float | None = Field(description="null when the service did not answer or there is nothing to measure")
    met: bool | None
    trend: list[TrendPoint] = Field(default_factory=list, description="month by month, where history allows")
    source: str = Field(description="the service it comes from")
    status: SectionStatus
    note: str = ""


class KpiBoard(BaseModel):
    area_code: str
    area_name: str
    level: str
    kpis: list[Kpi]


class Profile(BaseModel):
    """A volunteer's or an organization's page: its own record and what other services say of it."""

    kind: Literal["volunteer", "organization"]
    id: str
    sections: dict[str, Section]
