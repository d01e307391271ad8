"""Events of the volunteers service (志愿者 + 社工) that other services rely on. Volunteers are
named by pseudonymous id only."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.envelope import DataRead, Event
from contracts.values import AreaCode


class TaskAccepted(Event):
    """A volunteer accepted a task (a need routed to volunteers becomes matched)."""

    service: ClassVar[str] = "volunteers"

    task_id: UUID
    need_id: UUID | None = Field(default=None, description="the need the task serves, if any")
    area_code: AreaCode
    volunteer_ref: str
    accepted_at: AwareDatetime


class HoursVerified(Event):
    """Service hours were verified by the organizer or the supervising social worker."""

    service: ClassVar[str] = "volunteers"

    log_id: UUID
    task_id: UUID
    need_id: UUID | None = None
    area_code: AreaCode
    volunteer_ref: str
    minutes: int = Field(gt=0)
    verified_by: str
    verified_at: AwareDatetime


class VolunteerRegistered(Event):
    """A volunteer (or social worker) registered under their real name (志愿者注册登记)."""

    service: ClassVar[str] = "volunteers"

    volunteer_ref: str
    area_code: AreaCode
    skills: list[str] = Field(default_factory=list)
    party_member: bool = False
    social_worker_level: str | None = None
    registered_at: AwareDatetime


class HoursLogged(Event):
    """Service time was recorded; it counts once verified (HoursVerified)."""

    service: ClassVar[str] = "volunteers"

    log_id: UUID
    task_id: UUID
    need_id: UUID | None = None
    area_code: AreaCode
    volunteer_ref: str
    minutes: int = Field(gt=0)
    provenance: str = Field(description="self_check_in | organizer_entry | backfill")
    flagged: bool = Field(default=False, description="more than 12 hours in one day")
    logged_at: AwareDatetime


class VolunteerDataRead(DataRead):
    """Audit: someone read a volunteer's unmasked personal data (who, when, which record, why)."""

    service: ClassVar[str] = "volunteers"
    audit_label: ClassVar[str] = "查看志愿者个人信息 / read a volunteer's personal data"
