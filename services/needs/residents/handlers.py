"""Use cases of the resident registry, its consents, surveys and household visits, each inside one
unit of work: state and events commit together."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from contracts.api import needs as api
from contracts.areas import contains, lookup
from contracts.envelope import new_id
from contracts.events import needs as ev
from contracts.values import birth_date, is_minor, mask_name
from kit.auth import Principal, visible
from kit.clock import now
from kit.crypto import Keyring
from kit.problems import Problem, invalid
from kit.uow import UnitOfWork
from services.needs import domain as needs_domain
from services.needs import store as needs_store
from services.needs.handlers import (
    Defaults,
    audit_read,
    levels_by_area,
    pii_context,
    raised_need,
    resident_identity,
    write_raised_needs_in,
)
from services.needs.residents import store
from services.needs.residents.domain import PROACTIVE_TAGS, RESIDENT_PII

# --- residents ------------------------------------------------------------------------------------


async def register_resident(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, body: api.ResidentRegistrationIn
) -> api.ResidentCreated:
    at, resident_id = now(), new_id()
    born = birth_date(body.citizen_id)
    minor = is_minor(born, at.date())
    async with UnitOfWork(pool) as uow:
        if minor:
            await _check_guardian(uow.conn, who, body)
        elif body.consent.given_by_guardian:
            raise invalid("consent.given_by_guardian", "成年人的同意由本人作出 / an adult consents for themself")
        ref = keyring.pseudonym(body.citizen_id, "resident")
        enc = {f: keyring.encrypt(getattr(body, f), pii_context(resident_id, f)) for f in RESIDENT_PII}
        added = await store.insert_resident(
            uow.conn,
            {
                "id": resident_id,
                "area_code": body.area_code,
                "resident_ref": ref,
                "name_enc": enc["name"],
                "citizen_id_enc": enc["citizen_id"],
                "phone_enc": enc["phone"],
                "address_enc": enc["address"],
                "birth_date": born,
                "tags": [t.value for t in body.tags],
                "disability_grade": body.disability_grade,
                "guardian_id": body.guardian_id,
                "registered_by": who.sub,
                "registered_at": at,
            },
        )
        if not added:
            raise Problem(
                409,
                "居民已登记 / Already registered",
                "该公民身份号码已登记 / this citizen ID is registered",
                errors=[{"field": "citizen_id", "message": "already registered", "type": "duplicate"}],
            )
        given_by = f"guardian:{body.guardian_id}" if minor else "self"
        await store.insert_consent(
            uow.conn, new_id(), resident_id, body.consent.purpose, given_by, body.consent.given_at, who.sub
        )
        uow.emit(
            ev.ResidentRegistered(resident_ref=ref, area_code=body.area_code, registered_at=at),
            subject=str(resident_id),
            area_code=body.area_code,
        )
    return api.ResidentCreated(id=resident_id, resident_ref=ref)


async def _check_guardian(conn: asyncpg.Connection, who: Principal, body: api.ResidentRegistrationIn) -> None:
    """PIPL: a minor's personal information is processed with the guardian's consent."""
    if body.guardian_id is None:
        raise invalid("guardian_id", "未成年人须登记监护人 / a minor needs a registered guardian")
    guardian = await needs_store.get_resident(conn, body.guardian_id)
    if guardian is None or not who.covers(guardian["area_code"]):
        raise invalid("guardian_id", "监护人未登记 / the guardian is not a registered resident")
    if is_minor(guardian["birth_date"], now().date()):
        raise invalid("guardian_id", "监护人须为成年人 / the guardian must be an adult")
    if not body.consent.given_by_guardian:
        raise invalid(
            "consent.given_by_guardian", "未成年人的同意须由监护人作出 / a minor's consent comes from the guardian"
        )


async def add_consent(pool: asyncpg.Pool, who: Principal, resident_id: UUID, body: api.ConsentIn) -> UUID:
    async with UnitOfWork(pool) as uow:
        row = visible(who, await needs_store.get_resident(uow.conn, resident_id))
        minor = is_minor(row["birth_date"], now().date())
        if minor != body.given_by_guardian:
            raise invalid(
                "given_by_guardian", "未成年人由监护人同意，成年人由本人同意 / minors via guardian, adults themselves"
            )
        consent_id = new_id()
        given_by = f"guardian:{row['guardian_id']}" if minor else "self"
        await store.insert_consent(uow.conn, consent_id, resident_id, body.purpose, given_by, body.given_at, who.sub)
    return consent_id


async def read_resident(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, resident_id: UUID, purpose: str | None
) -> api.ResidentView:
    """Masked unless a purpose is given by a role allowed to see it; an unmasked read is audited
    in the same transaction that reads it, so no unaudited read can happen."""
    async with UnitOfWork(pool) as uow:
        row = visible(who, await needs_store.get_resident(uow.conn, resident_id))
        masked = purpose is None
        if not masked:
            audit_read(uow, who, f"resident/{resident_id}", row["area_code"], purpose, list(RESIDENT_PII))
        consents = [dict(c) | {"id": str(c["id"])} for c in await store.consents(uow.conn, resident_id)]
    return resident_view(row, keyring, consents, masked=masked)


def resident_view(
    row: asyncpg.Record, keyring: Keyring, consents: list[dict], *, masked: bool = True
) -> api.ResidentView:
    rid = row["id"]
    plain = {
        f: keyring.decrypt(row[f"{f}_enc"], pii_context(rid, f)) if row[f"{f}_enc"] is not None else ""
        for f in RESIDENT_PII
    }
    if masked:
        shown = needs_domain.masked_resident(plain["name"], plain["phone"], plain["citizen_id"]).model_dump()
        shown["address"] = "***" if plain["address"] else ""
    else:
        shown = plain
    area = lookup(row["area_code"])
    return api.ResidentView(
        id=rid,
        area_code=row["area_code"],
        area_name=area.name if area else "",
        resident_ref=row["resident_ref"],
        **shown,
        minor=is_minor(row["birth_date"], now().date()),
        tags=row["tags"],
        disability_grade=row["disability_grade"],
        guardian_id=row["guardian_id"],
        consents=consents,
        last_visited_at=row["last_visited_at"],
        masked=masked,
    )


# --- surveys and visits ----------------------------------------------------------------------------


async def create_survey(pool: asyncpg.Pool, who: Principal, body: api.SurveyIn) -> UUID:
    survey_id = new_id()
    async with UnitOfWork(pool) as uow:
        await store.insert_survey(
            uow.conn, survey_id, body.area_code, body.title, body.starts_on, body.ends_on, who.sub, now()
        )
    return survey_id


async def record_visit(
    pool: asyncpg.Pool, keyring: Keyring, defaults: Defaults, who: Principal, survey_id: UUID, body: api.VisitIn
) -> api.VisitRecorded:
    async with UnitOfWork(pool) as uow:
        survey = visible(who, await store.get_survey(uow.conn, survey_id))
        resident = await needs_store.get_resident(uow.conn, body.resident_id)
        if resident is None or not who.covers(resident["area_code"]):
            raise invalid("resident_id", "居民未登记或不在辖区内 / no such resident in your area")
        if not contains(survey["area_code"], resident["area_code"]):
            raise invalid("resident_id", "居民不在本次调研范围内 / the resident is outside the survey's area")
        identity = resident_identity(keyring, resident)
        raised = [
            raised_need(
                keyring,
                who,
                new_id(),
                api.NeedIn(
                    area_code=resident["area_code"],
                    channel="grid_survey",
                    target_groups=resident["tags"],
                    resident_id=resident["id"],
                    **found.model_dump(),
                ),
                identity,
            )
            for found in body.needs
        ]
        await write_raised_needs_in(uow, defaults, raised)
        need_ids = [r.row["id"] for r in raised]
        visit_id = new_id()
        await store.insert_visit(
            uow.conn, visit_id, survey_id, resident, who.sub, body.visited_at, body.notes, need_ids
        )
    return api.VisitRecorded(id=visit_id, need_ids=need_ids)


async def proactive_list(
    pool: asyncpg.Pool, keyring: Keyring, defaults: Defaults, area: str, at: datetime | None = None
) -> list[api.ProactiveVisit]:
    """Residents of the groups visited proactively, each not visited within their own community's
    proactive-visit days (communities inside the area may set their own)."""
    at = at or now()
    settings = levels_by_area(await store.service_levels_around(pool, area, needs_domain.area_chain(area)))
    days: dict[str, float] = {}

    def days_in(code: str) -> float:
        if code not in days:
            days[code] = needs_domain.effective_levels(needs_domain.area_chain(code), settings, defaults).values[
                "proactive_visit_days"
            ]
        return days[code]

    fewest = min(days_in(code) for code in [area, *(c for c in settings if contains(area, c))])
    candidates = await store.proactive_visits(
        pool, area, [t.value for t in PROACTIVE_TAGS], at - timedelta(days=fewest)
    )
    rows = [
        r
        for r in candidates
        if r["last_visited_at"] is None or r["last_visited_at"] < at - timedelta(days=days_in(r["area_code"]))
    ]
    return [
        api.ProactiveVisit(
            resident_id=r["id"],
            area_code=r["area_code"],
            name=mask_name(keyring.decrypt(r["name_enc"], pii_context(r["id"], "name"))),
            tags=r["tags"],
            last_visited_at=r["last_visited_at"],
            days_since_visit=(at - r["last_visited_at"]).days if r["last_visited_at"] else None,
        )
        for r in rows
    ]
