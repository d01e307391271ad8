"""Events of the projects service (社会组织 · 项目库) that other services rely on."""
from __future__ import annotations

from typing import ClassVar
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
