"""Use cases of the needs service, each inside a unit of work."""
from __future__ import annotations

from datetime import datetime, timezone

import asyncpg

from contracts.api.needs import NeedCreated, NeedIn, NeedView, TimeWindow
from contracts.areas import lookup
from contracts.envelope import new_id
from contracts.events.needs import NeedRaised
from contracts.taxonomy import NeedCategory
from kit import idempotency
from kit.auth import Principal
from kit.crypto import Keyring
from kit.uow import UnitOfWork
from services.needs import domain, store


def _pii_context(need_id, field: str) -> bytes:
    return f"needs/{need_id}/{field}".encode()


async def raise_need(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, need: NeedIn, idempotency_key: str | None = None
) -> NeedCreated:
    need_id = new_id()
    now = datetime.now(timezone.utc)
    resident = need.resident
    window = need.time_window
    event = NeedRaised(
        need_id=need_id, area_code=need.area_code, category=need.category, urgency=need.urgency,
        channel=need.channel, required_skills=need.required_skills, target_groups=need.target_groups,
        window_start=window.start if window else None, window_end=window.end if window else None,
        resident_ref=keyring.pseudonym(resident.citizen_id, "resident"), raised_by=who.sub, raised_at=now,
    )
    row = {
        **event.model_dump(include={"area_code", "category", "urgency", "channel", "required_skills",
                                    "target_groups", "window_start", "window_end", "resident_ref",
                                    "raised_by", "raised_at"}),
        "id": need_id,
        "status": domain.RAISED,
        "description": need.description,
        "resident_name_enc": keyring.encrypt(resident.name, _pii_context(need_id, "name")),
        "resident_phone_enc": keyring.encrypt(resident.phone, _pii_context(need_id, "phone")),
        "resident_cid_enc": keyring.encrypt(resident.citizen_id, _pii_context(need_id, "citizen_id")),
    }
    created = NeedCreated(id=need_id, status=domain.RAISED)
    async with UnitOfWork(pool) as uow:
        if idempotency_key:
            previous = await idempotency.claim(uow.conn, who.sub, idempotency_key, idempotency.request_hash(need))
            if previous is not None:
                return NeedCreated.model_validate_json(previous)
            await idempotency.record(uow.conn, who.sub, idempotency_key, created)
        await store.insert_need(uow.conn, row)
        uow.emit(event, subject=str(need_id), area_code=need.area_code)
    return created


def need_view(row: asyncpg.Record, keyring: Keyring) -> NeedView:
    """The masked view: PII is decrypted only to be masked."""
    need_id = row["id"]
    window = TimeWindow(start=row["window_start"], end=row["window_end"]) if row["window_start"] else None
    resident = domain.masked_resident(
        keyring.decrypt(row["resident_name_enc"], _pii_context(need_id, "name")),
        keyring.decrypt(row["resident_phone_enc"], _pii_context(need_id, "phone")),
        keyring.decrypt(row["resident_cid_enc"], _pii_context(need_id, "citizen_id")),
    )
    area = lookup(row["area_code"])
    return NeedView(
        id=need_id, area_code=row["area_code"], area_name=area.name if area else "",
        category=row["category"], category_label=NeedCategory(row["category"]).zh, urgency=row["urgency"],
        channel=row["channel"], status=row["status"], description=row["description"],
        required_skills=row["required_skills"], target_groups=row["target_groups"], time_window=window,
        resident=resident, resident_ref=row["resident_ref"], raised_by=row["raised_by"], raised_at=row["raised_at"],
    )

