"""Migrating the ended needs of an earlier system (历史数据迁移), for the records-migrator role: each
need as it ended, with the times its record states, once per the earlier system's id. A batch is
checked whole before anything is stored, and leaves one audit entry.

An ended need is no other service's work, so the others hear nothing of it but the audit event; its
revisit, if any was due, belonged to the earlier system and is not scheduled here."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.api import NOTHING_IMPORTED, HistoryImported
from contracts.api import needs as api
from contracts.envelope import new_id
from contracts.events import needs as ev
from contracts.taxonomy import Route
from kit.auth import Principal
from kit.clock import now
from kit.crypto import Keyring
from kit.problems import invalid_fields
from kit.uow import UnitOfWork
from services.needs import store
from services.needs.domain import COMMUNITY, ServiceLevels, Status
from services.needs.handlers import Defaults, area_levels, encrypted_resident
from services.needs.history import domain
from services.needs.history import store as history

# the actor (services.needs.domain.LINKAGE_ACTORS) that serves a need of each route
ROUTED_TO = {Route.VOLUNTEER_TASK: "volunteers", Route.PROJECT: "projects", Route.CHARITY_AID: "charity"}


async def import_needs(
    pool: asyncpg.Pool, keyring: Keyring, defaults: Defaults, who: Principal, batch: api.NeedHistoryIn
) -> HistoryImported:
    at = now()
    check(who, batch)
    imported, already = 0, []
    async with UnitOfWork(pool) as uow:
        levels: dict[str, ServiceLevels] = {}
        for record in batch.needs:
            need_id = new_id()
            if not await history.claim(uow.conn, record.legacy_ref, need_id, who.sub):
                already.append(record.legacy_ref)
                continue
            if record.area_code not in levels:
                levels[record.area_code] = (await area_levels(uow.conn, defaults, record.area_code)).levels
            await _write(uow.conn, keyring, levels[record.area_code], who, need_id, record)
            imported += 1
        if imported:
            raised = [r.raised_at for r in batch.needs if r.legacy_ref not in already]
            uow.emit(
                ev.NeedsImported(
                    area_code=who.area,
                    count=imported,
                    earliest=min(raised),
                    latest=max(raised),
                    imported_by=who.sub,
                    imported_by_role=who.role,
                    imported_at=at,
                ),
                subject=f"history/{who.area}",
                area_code=who.area,
            )
    return HistoryImported(imported=imported, already=already)


def check(who: Principal, batch: api.NeedHistoryIn) -> None:
    """Every record's problems at once, each naming its field (`needs.3.resolved_at`): nothing of a
    batch with one is stored."""
    errors = []
    for i, record in enumerate(batch.needs):
        found = domain.problems({**record.model_dump(), "outcome": record.outcome.value})
        if not who.covers(record.area_code):
            found.append(("area_code", "不在辖区内 / outside your area"))
        errors += [{"field": f"needs.{i}.{field}", "message": message} for field, message in found]
    if errors:
        raise invalid_fields(NOTHING_IMPORTED, errors)


async def _write(
    conn: asyncpg.Connection,
    keyring: Keyring,
    levels: ServiceLevels,
    who: Principal,
    need_id: UUID,
    record: api.HistoricalNeedIn,
) -> None:
    await store.insert_ended_need(
        conn,
        {
            **record.model_dump(include={"area_code", "category", "urgency", "channel", "description"}),
            "id": need_id,
            "status": Status(record.outcome.value),
            "required_skills": [],
            "target_groups": list(record.target_groups),
            "window_start": None,
            "window_end": None,
            "weekly": [],
            "resident_ref": keyring.pseudonym(record.resident.citizen_id, "resident"),
            "raised_by": who.sub,
            "raised_at": record.raised_at,
            "first_response_due": levels.first_response_due(record.raised_at, record.urgency),
            **encrypted_resident(keyring, need_id, record.resident),
            "first_response_at": record.first_response_at,
            "route": record.route,
            "assessed_by": who.sub if record.route else None,
            "resolved_at": record.resolved_at,
            "satisfaction": record.satisfaction,
        },
    )
    for actor, kind, at, detail in _steps(record):
        await store.add_timeline(conn, need_id, at, actor, kind, detail)


def _steps(record: api.HistoricalNeedIn) -> list[tuple[str, str, datetime, dict]]:
    """The timeline of a migrated need, (actor, kind, at, detail): each stated step at its time,
    saying where it came from; the resolution is the step of the actor the need was routed to, as
    the linkage index (五社联动指数) counts it."""
    note = {"note": f"历史数据迁移（原系统编号 {record.legacy_ref}）/ migrated"}
    route = record.route
    kind, detail = (
        ("need_returned", {}) if route is None else ("need_routed", {"route": route.value, "route_label": route.zh})
    )
    steps = [(COMMUNITY, "need_raised", record.raised_at, {}), (COMMUNITY, kind, record.first_response_at, detail)]
    if record.resolved_at:
        steps.append((ROUTED_TO.get(record.route, COMMUNITY), "need_resolved", record.resolved_at, {}))
    if record.feedback_at:
        steps.append((COMMUNITY, "feedback_given", record.feedback_at, {"satisfaction": record.satisfaction}))
    return [(actor, kind, at, {**detail, **note}) for actor, kind, at, detail in steps]
