"""Use cases of the service record certificates (志愿服务记录证明)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from uuid import UUID

import asyncpg

from contracts.areas import lookup
from contracts.envelope import new_id
from contracts.events.volunteers import VolunteerDataRead
from contracts.values import mask_citizen_id, mask_name
from kit.auth import Principal, Role
from kit.clock import now
from kit.crypto import Keyring
from kit.problems import Problem, invalid, not_found
from kit.uow import UnitOfWork
from services.volunteers import store as volunteer_store
from services.volunteers.certificates import store
from services.volunteers.certificates.domain import (
    CODE_ATTEMPTS,
    SNAPSHOT_VERSION,
    VERIFY_PATH,
    CertificateCreated,
    CertificateIn,
    CertificateView,
    MonthHours,
    OrganizationHours,
    PublicCheck,
    _header,
    digest,
    hours_text,
    intact,
    new_code,
    normalize_code,
    summarize,
)
from services.volunteers.domain import LOCAL

# --- use cases ------------------------------------------------------------------------------


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise invalid("period_end", "结束日期不能早于开始日期 / period_end is before period_start")
    if end > now().astimezone(LOCAL).date():
        raise invalid("period_end", "只能证明已经过去的服务 / a certificate covers past service only")


def _may_act(who: Principal, volunteer: Mapping) -> bool:
    """The volunteer themself, or a worker whose area covers the volunteer's home area."""
    if who.role == Role.VOLUNTEER:
        return who.sub == volunteer["volunteer_ref"]
    return who.covers(volunteer["area_code"])


async def issue(pool: asyncpg.Pool, who: Principal, body: CertificateIn) -> CertificateCreated:
    _check_period(body.period_start, body.period_end)
    start = datetime.combine(body.period_start, time(), LOCAL)
    end = datetime.combine(body.period_end + timedelta(days=1), time(), LOCAL)
    async with UnitOfWork(pool) as uow:
        volunteer = await volunteer_store.get_volunteer(uow.conn, body.volunteer_id)
        if volunteer is None or not _may_act(who, volunteer):
            raise not_found()
        summary = summarize(await store.service_logs(uow.conn, volunteer["id"], start, end))
        if summary["certified_minutes"] == 0:
            raise Problem(
                409,
                "没有可证明的服务时长 / Nothing to certify",
                "该期间没有已核实的服务时长 / no verified hours in this period",
                action="issue",
            )
        certificate_id, at = new_id(), now()
        for _ in range(CODE_ATTEMPTS):
            code = new_code()
            snapshot = {
                "version": SNAPSHOT_VERSION,
                "volunteer_ref": volunteer["volunteer_ref"],
                "issued_by_role": str(who.role),
                **summary,
                **_header(code, volunteer["id"], body.period_start, body.period_end, who.sub, at),
            }
            if await store.insert_certificate(
                uow.conn,
                {
                    "id": certificate_id,
                    "code": code,
                    "volunteer_id": volunteer["id"],
                    "period_start": body.period_start,
                    "period_end": body.period_end,
                    "issued_by": who.sub,
                    "issued_at": at,
                    "snapshot": snapshot,
                    "digest": digest(snapshot),
                },
            ):
                return CertificateCreated(id=certificate_id, code=code)
    raise RuntimeError("no free certificate code after several draws")


def _decrypt(keyring: Keyring, row: Mapping, field: str) -> str:
    return keyring.decrypt(row[f"{field}_enc"], f"volunteers/{row['volunteer_id']}/{field}".encode())


def _line(entry: Mapping) -> dict:
    return {
        **entry,
        "verified_hours": hours_text(entry["verified_minutes"]),
        "unverified_hours": hours_text(entry["unverified_minutes"]),
    }


def _area_name(code: str) -> str:
    area = lookup(code)
    return area.name if area else code


def _view(row: Mapping, name: str, name_masked: bool, citizen_id: str) -> CertificateView:
    snapshot = row["snapshot"]
    return CertificateView(
        id=row["id"],
        code=row["code"],
        verify_path=VERIFY_PATH.format(code=row["code"]),
        volunteer_id=row["volunteer_id"],
        volunteer_name=name,
        name_masked=name_masked,
        citizen_id=mask_citizen_id(citizen_id),
        period_start=row["period_start"],
        period_end=row["period_end"],
        by_organization=[
            OrganizationHours(**_line(o), area_name=_area_name(o["area_code"])) for o in snapshot["by_organization"]
        ],
        by_month=[MonthHours(**_line(m)) for m in snapshot["by_month"]],
        certified_minutes=snapshot["certified_minutes"],
        certified_hours=hours_text(snapshot["certified_minutes"]),
        unverified_minutes=snapshot["unverified_minutes"],
        unverified_hours=hours_text(snapshot["unverified_minutes"]),
        issued_by=row["issued_by"],
        issued_by_role=snapshot.get("issued_by_role", ""),
        issued_at=row["issued_at"],
        digest=row["digest"],
        digest_matches=intact(row),
    )


async def read(pool: asyncpg.Pool, keyring: Keyring, who: Principal, certificate_id: UUID) -> CertificateView:
    """The volunteer and the social worker see the real name (the worker's read is audited, as
    any unmasked read); civil affairs and auditors see it masked. The citizen ID is always masked."""
    async with UnitOfWork(pool) as uow:
        row = await store.get_certificate(uow.conn, certificate_id)
        if row is None or not _may_act(who, row):
            raise not_found()
        if who.role == Role.SOCIAL_WORKER:
            record = f"volunteer/{row['volunteer_id']}"
            uow.emit(
                VolunteerDataRead(
                    record=record,
                    area_code=row["area_code"],
                    reader=who.sub,
                    reader_role=who.role,
                    purpose=f"志愿服务记录证明 {certificate_id} / service record certificate",
                    fields=["name"],
                    read_at=now(),
                ),
                subject=record,
                area_code=row["area_code"],
            )
    name = _decrypt(keyring, row, "name")
    masked = who.role not in (Role.VOLUNTEER, Role.SOCIAL_WORKER)
    return _view(
        row, mask_name(name, keep_length=False) if masked else name, masked, _decrypt(keyring, row, "citizen_id")
    )


async def public_check(pool: asyncpg.Pool, keyring: Keyring, text: str) -> PublicCheck:
    """For anyone holding the code: masked identity and the certified total, nothing more."""
    code = normalize_code(text)
    row = await store.certificate_by_code(pool, code) if code else None
    if row is None:
        raise Problem(404, "未找到 / Not found", "没有这份证明，请核对核验码 / no certificate with this code")
    matches = intact(row)
    certified = row["snapshot"].get("certified_minutes", 0)
    return PublicCheck(
        valid=matches,
        volunteer_name=mask_name(_decrypt(keyring, row, "name"), keep_length=False),
        citizen_id=mask_citizen_id(_decrypt(keyring, row, "citizen_id")),
        period_start=row["period_start"],
        period_end=row["period_end"],
        certified_minutes=certified,
        certified_hours=hours_text(certified),
        issued_at=row["issued_at"],
        digest_matches=matches,
    )
