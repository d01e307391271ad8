"""Use cases of the service levels per area: read what is in force and where each value comes from,
set an area's own (audited), and their history."""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg

from contracts.api import needs as api
from contracts.areas import lookup
from contracts.envelope import new_id
from contracts.events import needs as ev
from kit.auth import Principal
from kit.clock import now
from kit.problems import invalid
from kit.uow import UnitOfWork
from services.needs import domain as needs_domain
from services.needs import store as needs_store
from services.needs.handlers import Defaults, levels_by_area
from services.needs.levels import domain, store

# --- service levels per area ----------------------------------------------------------------------


async def service_levels(pool: asyncpg.Pool, defaults: Defaults, area: str) -> api.ServiceLevelsView:
    return _levels_view(area, await needs_store.service_levels_of(pool, needs_domain.area_chain(area)), defaults)


async def set_service_levels(
    pool: asyncpg.Pool, defaults: Defaults, who: Principal, area: str, body: api.ServiceLevelsIn
) -> api.ServiceLevelsView:
    """Replace the levels an area sets itself (a value left out is inherited); deadlines already
    set stay as they are. The change, its history entry and its audit event commit together."""
    at, new = now(), body.own()
    async with UnitOfWork(pool) as uow:
        await store.lock_area_levels(uow.conn, area)
        rows = await needs_store.service_levels_of(uow.conn, needs_domain.area_chain(area))
        old = ev.AreaServiceLevels(**levels_by_area(rows).get(area, {}))
        touched = [f for f in needs_domain.LEVEL_FIELDS if getattr(new, f) is not None]
        effective = needs_domain.effective_levels(
            needs_domain.area_chain(area), levels_by_area(rows) | {area: new.model_dump()}, defaults
        )
        if bad := domain.misordered(effective.values, touched):
            raise invalid(*bad)
        if new != old:
            await store.save_service_levels(uow.conn, area, new.model_dump(), who.sub, at)
            envelope = uow.emit(
                ev.ServiceLevelsChanged(
                    area_code=area,
                    old=old,
                    new=new,
                    reason=body.reason,
                    changed_by=who.sub,
                    changed_by_role=who.role,
                    changed_at=at,
                ),
                subject=f"area/{area}",
                area_code=area,
            )
            await store.insert_service_level_change(
                uow.conn,
                {
                    "id": new_id(),
                    "area_code": area,
                    "old": old.model_dump(),
                    "new": new.model_dump(),
                    "reason": body.reason,
                    "changed_by": who.sub,
                    "changed_by_role": who.role,
                    "changed_at": at,
                    "event_id": envelope.id,
                },
            )
            rows = await needs_store.service_levels_of(uow.conn, needs_domain.area_chain(area))
    return _levels_view(area, rows, defaults)


def _levels_view(area: str, rows: Mapping[str, asyncpg.Record], defaults: Defaults) -> api.ServiceLevelsView:
    effective = needs_domain.effective_levels(needs_domain.area_chain(area), levels_by_area(rows), defaults)
    levels = {}
    for field in needs_domain.LEVEL_FIELDS:
        source = effective.sources[field]
        if source is None:
            kind, label = "default", "系统默认"
        elif source == area:
            kind, label = "area", "本级设置"
        else:
            kind, label = "ancestor", f"上级设置：{lookup(source).name}"
        levels[field] = api.ServiceLevelValue(
            value=effective.values[field],
            unit="hours" if field.endswith("_hours") else "days",
            label=domain.LEVEL_LABELS[field],
            source=kind,
            source_area_code=source,
            source_label=label,
        )
    own = rows.get(area)
    return api.ServiceLevelsView(
        area_code=area,
        area_name=lookup(area).name,
        levels=levels,
        own=ev.AreaServiceLevels(**levels_by_area(rows).get(area, {})),
        changed_by=own["changed_by"] if own else None,
        changed_at=own["changed_at"] if own else None,
    )


async def service_level_history(pool: asyncpg.Pool, area: str, limit: int) -> list[api.ServiceLevelChange]:
    return [
        api.ServiceLevelChange(
            area_code=r["area_code"],
            area_name=lookup(r["area_code"]).name,
            old=r["old"],
            new=r["new"],
            reason=r["reason"],
            changed_by=r["changed_by"],
            changed_at=r["changed_at"],
        )
        for r in await store.service_level_changes(pool, area, limit)
    ]
