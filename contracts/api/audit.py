"""HTTP models of the audit trail (审计日志): who read or changed what, when and why (PIPL art. 55)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field


class AuditEntry(BaseModel):
    id: UUID = Field(description="审计事件编号，与 AUDIT 流中的事件相同 / the audit event's id")
    at: datetime
    service: str
    service_label: str = Field(description="如 社区需求 / the service, in Chinese")
    action: str = Field(description="e.g. personal_data_read")
    action_label: str = Field(description="如 查看个人信息 / e.g. read personal data")
    area_code: str
    area_name: str
    actor: str = Field(description="操作人账号 / the account that acted")
    actor_role: str
    actor_role_label: str
    record: str = Field(description="被查看或变更的记录，如 resident/<id> / the record")
    record_label: str = Field(description="记录类别，如 居民 / what kind of record")
    purpose: str = Field(description="说明的用途 / the stated purpose")
    fields: list[str]
    fields_label: str = Field(description="如 姓名、电话 / the fields, in Chinese")


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = Field(description="下一页游标；为空表示已到末尾 / null at the end")
    unavailable: list[str] = Field(
        default_factory=list, description="未应答的服务：结果可能不完整 / services that did not answer"
    )
