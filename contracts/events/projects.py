"""Events of the projects service (社会组织 · 项目库) that other services rely on."""
from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.envelope import Event
from contracts.values import USCC, AreaCode, Money


class ProjectProcured(Event):
    """A service project was procured from a social organization (one project may serve many needs)."""

    service: ClassVar[str] = "projects"

    project_id: UUID
    need_ids: list[UUID] = Field(default_factory=list)
    area_code: AreaCode
    organization_uscc: USCC
    budget_fen: Money
    procured_at: AwareDatetime


class FundingRequested(Event):
    """Before publication a project asks the charity service to commit its funding from a fund."""

    service: ClassVar[str] = "projects"

    request_id: UUID
    project_id: UUID
    fund_id: UUID
    area_code: AreaCode
    amount_fen: Money
    purpose: Literal["service_purchase", "other"] = Field(
        description="service_purchase: buying services (the 2 % cap applies to the social-assistance fund)")
    need_ids: list[UUID] = Field(default_factory=list)
    requested_at: AwareDatetime


class ProjectReviewRequested(Event):
    """A project touching residents' vital interests, or whose budget reaches the threshold, goes to
    the community party organization before it may be published (党建引领: 先议后决)."""

    service: ClassVar[str] = "projects"

    review_id: UUID = Field(description="one per submission; a project sent back for revision asks again with a new id")
    project_id: UUID
    area_code: AreaCode
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=4000)
    budget_fen: Money
    vital_interests: bool
    reasons: list[Literal["vital_interests", "budget_threshold"]] = Field(min_length=1)
    need_ids: list[UUID] = Field(default_factory=list)
    requested_at: AwareDatetime
