"""Rules of the service record certificates (志愿服务记录证明), and the HTTP models the use cases,
the routes and the printable page share."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from pydantic import BaseModel

from contracts.api import Strict
from services.volunteers.domain import LOCAL

# No 0/O, 1/I/L: the code is read off paper and typed in by hand. 31**12 ≈ 2**59 codes.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
CODE_ATTEMPTS = 5  # a collision is astronomically rare; retrying beats failing the request
SNAPSHOT_VERSION = 1
VERIFY_PATH = "/verify/{code}"  # the public verification page printed on the certificate


# --- HTTP models ----------------------------------------------------------------------------


class CertificateIn(Strict):
    volunteer_id: UUID
    period_start: date
    period_end: date


class CertificateCreated(BaseModel):
    id: UUID
    code: str


class HoursLine(BaseModel):
    verified_minutes: int
    verified_hours: str
    unverified_minutes: int
    unverified_hours: str


class OrganizationHours(HoursLine):
    organization: str  # the task's creator (worker or organization account)
    area_code: str
    area_name: str


class MonthHours(HoursLine):
    month: str  # YYYY-MM, Beijing time


class CertificateView(BaseModel):
    id: UUID
    code: str
    verify_path: str
    volunteer_id: UUID
    volunteer_name: str
    name_masked: bool
    citizen_id: str  # always masked
    period_start: date
    period_end: date
    by_organization: list[OrganizationHours]
    by_month: list[MonthHours]
    certified_minutes: int  # verified only
    certified_hours: str
    unverified_minutes: int  # awaiting verification: listed, not certified
    unverified_hours: str
    issued_by: str
    issued_by_role: str
    issued_at: datetime
    digest: str
    digest_matches: bool


class PublicCheck(BaseModel):
    valid: bool
    volunteer_name: str  # first character + "*"
    citizen_id: str  # masked
    period_start: date
    period_end: date
    certified_minutes: int
    certified_hours: str
    issued_at: datetime
    digest_matches: bool


# --- pure rules -----------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """What a person typed (lower case, spaces, dashes) as a stored code, or None if it cannot be one."""
    code = re.sub(r"[\s-]", "", text).upper()
    return code if len(code) == CODE_LENGTH and all(c in ALPHABET for c in code) else None


def digest(snapshot: Mapping) -> str:
    """SHA-256 of canonical JSON: independent of key order, so it survives the jsonb round trip."""
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def hours_text(minutes: int) -> str:
    return str((Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _split(minutes: Mapping[str, int]) -> dict:
    return {"verified_minutes": minutes["verified"], "unverified_minutes": minutes["logged"]}


def summarize(logs: Iterable[Mapping]) -> dict:
    """Minutes by organization and by Beijing month, verified apart from awaiting verification."""
    by_org: dict = defaultdict(lambda: {"verified": 0, "logged": 0})
    by_month: dict = defaultdict(lambda: {"verified": 0, "logged": 0})
    totals, ids = {"verified": 0, "logged": 0}, {"verified": [], "logged": []}
    for log in logs:
        status, minutes = log["status"], log["minutes"]
        by_org[(log["organization"], log["area_code"])][status] += minutes
        by_month[log["check_in"].astimezone(LOCAL).strftime("%Y-%m")][status] += minutes
        totals[status] += minutes
        ids[status].append(str(log["id"]))
    return {
        "by_organization": [
            {"organization": org, "area_code": area, **_split(m)} for (org, area), m in sorted(by_org.items())
        ],
        "by_month": [{"month": month, **_split(m)} for month, m in sorted(by_month.items())],
        "certified_minutes": totals["verified"],
        "unverified_minutes": totals["logged"],
        "verified_log_ids": ids["verified"],
        "unverified_log_ids": ids["logged"],
    }


def _header(code: str, volunteer_id, start: date, end: date, issued_by: str, issued_at: datetime) -> dict:
    """The certificate's own columns, repeated in the snapshot so the digest covers them too (the time
    in UTC, however it was read)."""
    return {
        "code": code,
        "volunteer_id": str(volunteer_id),
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "issued_by": issued_by,
        "issued_at": issued_at.astimezone(UTC).isoformat(),
    }


def intact(row: Mapping) -> bool:
    """The snapshot hashes to the stored digest and agrees with the row's columns."""
    snapshot = row["snapshot"]
    header = _header(
        row["code"], row["volunteer_id"], row["period_start"], row["period_end"], row["issued_by"], row["issued_at"]
    )
    return digest(snapshot) == row["digest"] and all(snapshot.get(k) == v for k, v in header.items())
