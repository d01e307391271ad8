"""HTTP routes of the service record certificates (志愿服务记录证明). Issue and read check role ×
jurisdiction (or that the caller is the volunteer); the code check is public, masked data only."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from kit.app import DbPool, Keys
from kit.auth import Principal, Role, require
from services.volunteers.certificates import page, service

router = APIRouter(prefix="/certificates", tags=["志愿服务记录证明 certificates"])
ISSUERS = (Role.SOCIAL_WORKER, Role.VOLUNTEER)  # the volunteer only for themself
READERS = (*ISSUERS, Role.CIVIL_AFFAIRS, Role.AUDITOR)
Issuer = Annotated[Principal, Depends(require(*ISSUERS))]
Reader = Annotated[Principal, Depends(require(*READERS))]


@router.post(
    "", status_code=201, response_model=service.CertificateCreated, summary="出具志愿服务记录证明 / issue a certificate"
)
async def issue(body: service.CertificateIn, who: Issuer, pool: DbPool) -> service.CertificateCreated:
    return await service.issue(pool, who, body)


# before /{certificate_id}/print, so that "verify" is never taken for an id
@router.get(
    "/verify/{code}",
    response_model=service.PublicCheck,
    summary="核验证明（公开，无需登录）/ check a certificate's code, public",
)
async def verify(code: str, pool: DbPool, keyring: Keys) -> service.PublicCheck:
    return await service.public_check(pool, keyring, code)


@router.get("/{certificate_id}", response_model=service.CertificateView, summary="证明详情 / a certificate")
async def get_certificate(certificate_id: UUID, who: Reader, pool: DbPool, keyring: Keys) -> service.CertificateView:
    return await service.read(pool, keyring, who, certificate_id)


@router.get("/{certificate_id}/print", response_class=HTMLResponse, summary="打印证明（A4 网页）/ printable page")
async def print_certificate(certificate_id: UUID, who: Reader, pool: DbPool, keyring: Keys) -> HTMLResponse:
    view = await service.read(pool, keyring, who, certificate_id)
    return HTMLResponse(page.render(view))
