"""The event envelope: CloudEvents 1.0 attributes plus wushe's jurisdiction and tracing fields.

Every event body is a subclass of `Event`; it names its owning service, its snake_case name and
its version, from which the CloudEvents `type` and the NATS subject are derived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from uuid6 import uuid7

from contracts.values import AreaCode

TYPE_PREFIX = "cn.wushe"


def new_id() -> UUID:
    """A time-ordered (UUIDv7) id, so events and rows sort by creation time."""
    return UUID(int=uuid7().int)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Event(BaseModel):
    """Base of every event body. Consumers ignore unknown fields; producers build typed models."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    service: ClassVar[str]
    version: ClassVar[int] = 1
    audit: ClassVar[bool] = False  # audit events go to the AUDIT stream, not the service's own
    audit_label: ClassVar[str] = ""  # an audit event: what it records, as an audit trail shows it
    audit_field_labels: ClassVar[dict[str, str]] = {}  # …and the fields it names (AuditFacts.fields)

    @classmethod
    def event_name(cls) -> str:
        return _snake(cls.__name__)

    def audit_facts(self) -> AuditFacts:
        """What an audit trail keeps of this event; every audit event says it."""
        raise NotImplementedError(f"{type(self).__name__} is not an audit event")

    @classmethod
    def type_name(cls) -> str:
        return f"{TYPE_PREFIX}.{cls.service}.{cls.event_name()}.v{cls.version}"


@dataclass(frozen=True)
class AuditFacts:
    """Who did it (and in which role), to which record, why, touching which fields."""

    actor: str
    record: str
    actor_role: str = ""
    purpose: str = ""
    fields: tuple[str, ...] = ()


class DataRead(Event):
    """Audit: someone read a person's unmasked personal data (who, when, which record, why).
    Each service that holds personal data publishes its own subclass to the AUDIT stream."""

    audit: ClassVar[bool] = True
    audit_field_labels: ClassVar[dict[str, str]] = {
        "name": "姓名",
        "phone": "电话",
        "citizen_id": "公民身份号码",
        "address": "住址",
    }

    record: str = Field(description="e.g. resident/<id>, need/<id>, volunteer/<id>")
    area_code: AreaCode
    reader: str
    reader_role: str
    purpose: str = Field(max_length=200)
    fields: list[str]
    read_at: AwareDatetime

    def audit_facts(self) -> AuditFacts:
        return AuditFacts(
            actor=self.reader,
            actor_role=self.reader_role,
            record=self.record,
            purpose=self.purpose,
            fields=tuple(self.fields),
        )


class RecordsImported(Event):
    """Audit: a records migrator brought a batch of an earlier system's records in (历史数据迁移).
    Each service that takes migrated records publishes its own subclass to the AUDIT stream."""

    audit: ClassVar[bool] = True
    counted_as: ClassVar[str] = "条"  # the measure word of one record: 条, 笔 …

    area_code: AreaCode = Field(description="the migrator's area")
    count: int = Field(ge=1)
    imported_by: str
    imported_by_role: str = ""
    imported_at: AwareDatetime

    def audit_facts(self) -> AuditFacts:
        return AuditFacts(
            actor=self.imported_by,
            actor_role=self.imported_by_role,
            record=f"history/{self.area_code}",
            purpose=f"历史数据迁移 {self.count} {self.counted_as} / {self.count} migrated",
        )


E = TypeVar("E", bound=Event)


class Envelope(BaseModel, Generic[E]):
    """CloudEvents 1.0 structured-mode envelope (JSON)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: UUID = Field(description="UUIDv7; also the NATS Nats-Msg-Id and the inbox key")
    type: str = Field(description="cn.wushe.<service>.<event>.v<version>")
    source: str = Field(description="/wushe/<service>")
    subject: str = Field(description="id of the aggregate the event is about")
    time: AwareDatetime
    datacontenttype: Literal["application/json"] = "application/json"
    area_code: AreaCode = Field(description="jurisdiction of the event (GB/T 2260 / statistical area code)")
    correlation_id: UUID = Field(description="id shared by every event of one resident request")
    causation_id: UUID | None = Field(default=None, description="id of the event or request that caused this one")
    traceparent: str | None = Field(default=None, description="W3C trace context of the producing request")
    data: E


def wrap(
    event: E,
    *,
    subject: str,
    area_code: str,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
    traceparent: str | None = None,
    time: datetime | None = None,
) -> Envelope[E]:
    event_id = new_id()
    # Envelope is parametrized by the event's own class at runtime, which mypy cannot express
    return cast(
        "Envelope[E]",
        cast(Any, Envelope)[type(event)](
            id=event_id,
            type=event.type_name(),
            source=f"/wushe/{event.service}",
            subject=subject,
            time=time or datetime.now(UTC),
            area_code=area_code,
            correlation_id=correlation_id or event_id,
            causation_id=causation_id,
            traceparent=traceparent,
            data=event,
        ),
    )
