"""The audit trail of a service (审计日志): every audit event it emits (unmasked reads of personal
data, procurement steps, changed settings) is also kept in its own `audit_log` table, written by
the outbox in the same transaction, so that an auditor can query and export it — no audit event
exists without its entry, nor an entry without its event on the AUDIT stream.

`GET /audit` and `GET /audit/export.csv` serve the entries of the caller's jurisdiction, newest
first, to auditors; the gateway's `/api/v1/audit` merges every service's."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from contracts.api.audit import AuditEntry, AuditPage
from contracts.areas import code_prefix, lookup
from contracts.envelope import Envelope
from contracts.events import ALL_EVENTS
from kit.auth import Principal, Role, listing_area, require
from kit.db import AnyConnection, Conn
from kit.months import LOCAL
from kit.problems import invalid

router = APIRouter(prefix="/audit", tags=["审计日志 audit trail"])
AUDITORS = (Role.AUDITOR,)
Auditor = Annotated[Principal, Depends(require(*AUDITORS))]
MAX_PAGE = 500
EXPORT_BATCH = 1000

AUDIT_EVENTS = {e.event_name(): e for e in ALL_EVENTS if e.audit}  # their labels are the trail's
SERVICE_LABELS = {
    "needs": "社区需求",
    "volunteers": "志愿服务",
    "projects": "社会组织与项目",
    "charity": "慈善资源",
    "party": "党建",
}
RECORD_LABELS = {
    "resident": "居民",
    "need": "需求",
    "volunteer": "志愿者",
    "member": "党员",
    "project": "项目",
    "party_member": "党员",
    "area": "辖区设置",
    "history": "历史数据",
}


# --- writing: from the outbox -----------------------------------------------------------------------


async def record(conn: AnyConnection, envelopes: list[Envelope[Any]]) -> None:
    """Keep the audit events among `envelopes` (called by the outbox, inside the transaction)."""
    audited = [e for e in envelopes if type(e.data).audit]
    if not audited:
        return
    facts = [e.data.audit_facts() for e in audited]
    await conn.execute(
        """INSERT INTO audit_log (id, at, area_code, service, action, actor, actor_role, record, purpose, fields, detail)
           SELECT id, at, area, service, action, actor, role, record, purpose, string_to_array(fields, ','), detail::jsonb
           FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::text[], $10::text[], $11::text[])
                AS t(id, at, area, service, action, actor, role, record, purpose, fields, detail)""",
        [e.id for e in audited],
        [e.time for e in audited],
        [e.area_code for e in audited],
        [type(e.data).service for e in audited],
        [type(e.data).event_name() for e in audited],
        [f.actor for f in facts],
        [str(f.actor_role) for f in facts],
        [f.record for f in facts],
        [f.purpose for f in facts],
        [",".join(f.fields) for f in facts],
        [e.data.model_dump_json() for e in audited],
    )


# --- reading -------------------------------------------------------------------------------------------


def cursor_of(entry: AuditEntry) -> str:
    return f"{entry.at.isoformat()}_{entry.id}"


def parse_cursor(cursor: str) -> tuple[datetime, UUID]:
    """The position after which a page starts: the (time, id) of the previous page's last entry."""
    try:
        at, _, entry_id = cursor.rpartition("_")
        parsed = datetime.fromisoformat(at), UUID(entry_id)
    except ValueError:
        raise invalid("cursor", "游标无效 / invalid cursor") from None
    if parsed[0].tzinfo is None:
        raise invalid("cursor", "游标无效 / invalid cursor")
    return parsed


class AuditFilter:
    """The query an auditor asks (the dependency that lets only auditors ask): the area, the caller's
    by default and never outside it, and optionally who, which record, which action, and a period."""

    def __init__(
        self,
        who: Auditor,
        area: str | None = Query(default=None, description="行政区划代码，默认为令牌辖区 / defaults to your area"),
        actor: Annotated[str | None, Query(max_length=200, description="操作人账号 / the acting account")] = None,
        record: Annotated[
            str | None, Query(max_length=200, description="记录（前缀）/ record, e.g. resident/…")
        ] = None,
        action: Annotated[str | None, Query(max_length=60, description="如 personal_data_read")] = None,
        since: Annotated[datetime | None, Query(description="起始时间（含）/ from (inclusive)")] = None,
        until: Annotated[datetime | None, Query(description="截止时间（不含）/ until (exclusive)")] = None,
    ) -> None:
        for name, value in (("since", since), ("until", until)):
            if value is not None and value.tzinfo is None:
                raise invalid(name, "须带时区，如 2026-12-01T00:00:00+08:00 / a time with its offset")
        self.area = listing_area(who, area)
        self.actor, self.record, self.action, self.since, self.until = actor, record, action, since, until

    def where(self, after: tuple[datetime, UUID] | None) -> tuple[str, list[object]]:
        args: list[object]
        conditions, args = ["area_code LIKE $1"], [code_prefix(self.area) + "%"]
        for column, op, value in (
            ("actor", "=", self.actor),
            ("action", "=", self.action),
            ("at", ">=", self.since),
            ("at", "<", self.until),
        ):
            if value is not None:
                args.append(value)
                conditions.append(f"{column} {op} ${len(args)}")
        if self.record is not None:
            args.append(self.record.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
            conditions.append(f"record LIKE ${len(args)}")
        if after is not None:
            args += list(after)
            conditions.append(f"(at, id) < (${len(args) - 1}, ${len(args)})")
        return " AND ".join(conditions), args


async def page(conn: Conn, query: AuditFilter, after: tuple[datetime, UUID] | None, limit: int) -> list[AuditEntry]:
    where, args = query.where(after)
    rows = await conn.fetch(
        f"SELECT * FROM audit_log WHERE {where} ORDER BY at DESC, id DESC LIMIT {int(limit)}", *args
    )
    return [entry_view(r) for r in rows]


def entry_view(row: asyncpg.Record) -> AuditEntry:
    event, area = AUDIT_EVENTS.get(row["action"]), lookup(row["area_code"])
    role, kind = row["actor_role"], row["record"].split("/", 1)[0]
    field_labels = event.audit_field_labels if event else {}
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        service=row["service"],
        service_label=SERVICE_LABELS.get(row["service"], row["service"]),
        action=row["action"],
        action_label=event.audit_label if event else row["action"],
        area_code=row["area_code"],
        area_name=area.name if area else "",
        actor=row["actor"],
        actor_role=role,
        actor_role_label=Role(role).zh if role in Role._value2member_map_ else role,
        record=row["record"],
        record_label=RECORD_LABELS.get(kind, kind),
        purpose=row["purpose"],
        fields=list(row["fields"]),
        fields_label="、".join(field_labels.get(f, f) for f in row["fields"]),
    )


@router.get("", response_model=AuditPage, summary="审计日志 / the audit trail")
async def audit_trail(
    request: Request,
    query: AuditFilter = Depends(),
    cursor: Annotated[str | None, Query(max_length=100, description="上一页的 next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AuditPage:
    after = parse_cursor(cursor) if cursor else None
    items = await page(request.app.state.pool, query, after, limit)
    return AuditPage(items=items, next_cursor=cursor_of(items[-1]) if len(items) == limit else None)


CSV_HEADER = (
    "时间（北京时间）",
    "服务",
    "操作",
    "区划",
    "操作人",
    "角色",
    "记录类别",
    "记录",
    "用途",
    "字段",
    "审计编号",
)


def csv_line(entry: AuditEntry) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(
        (
            entry.at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S"),
            entry.service_label,
            entry.action_label,
            entry.area_name or entry.area_code,
            entry.actor,
            entry.actor_role_label,
            entry.record_label,
            entry.record,
            entry.purpose,
            entry.fields_label,
            entry.id,
        )
    )
    return out.getvalue()


@router.get("/export.csv", summary="导出审计日志（CSV）/ export the audit trail as CSV")
async def export(request: Request, query: AuditFilter = Depends()) -> StreamingResponse:
    pool = request.app.state.pool

    async def lines() -> AsyncIterator[str]:
        yield "\ufeff" + ",".join(CSV_HEADER) + "\r\n"  # BOM: Excel opens UTF-8 Chinese correctly
        after = None
        while batch := await page(pool, query, after, EXPORT_BATCH):
            for entry in batch:
                yield csv_line(entry)
            after = (batch[-1].at, batch[-1].id)

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
