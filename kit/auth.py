"""Bearer JWTs and the role × jurisdiction rule. Every service verifies tokens itself.

Development: `wushe token` signs with an Ed25519 key generated under $WUSHE_HOME/keys on first
run; services hold only the public key. Production: point WUSHE_JWT_PUBLIC_KEY_FILE at the
province identity provider's key (EdDSA or ES256/RS256 are accepted).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, Request

from contracts.areas import contains, lookup
from kit.problems import Problem, not_found
from kit.settings import Settings, get_settings

ALGORITHMS = ["EdDSA", "ES256", "RS256"]


class Role(StrEnum):
    RESIDENT = "resident"
    GRID_WORKER = "grid_worker"
    SOCIAL_WORKER = "social_worker"
    VOLUNTEER = "volunteer"
    ORG_ADMIN = "org_admin"
    CHARITY_ADMIN = "charity_admin"
    PARTY_SECRETARY = "party_secretary"
    CIVIL_AFFAIRS = "civil_affairs"
    AUDITOR = "auditor"
    PARTNER = "partner"


@dataclass(frozen=True)
class Principal:
    sub: str
    role: Role
    area: str  # the jurisdiction: everything at or below this area code

    def covers(self, area_code: str) -> bool:
        return contains(self.area, area_code)


# --- keys ---------------------------------------------------------------------------------

def ensure_signing_key(settings: Settings) -> Path:
    """Create the development signing key pair on first run (private key mode 0600)."""
    private, public = settings.private_key_file, settings.path("keys", "jwt-ed25519.pub.pem")
    if not private.exists():
        private.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        private.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        private.chmod(0o600)
        public.write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private


def issue_token(settings: Settings, *, role: str, area: str, sub: str, ttl_s: int = 8 * 3600) -> str:
    Role(role)  # refuse unknown roles early, with the list of valid ones in the message
    if lookup(area) is None:
        raise ValueError(f"未知的行政区划代码 / unknown area code: {area}")
    key = serialization.load_pem_private_key(ensure_signing_key(settings).read_bytes(), password=None)
    now = int(time.time())
    claims = {"sub": sub, "role": role, "area": area, "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
              "iat": now, "exp": now + ttl_s}
    return jwt.encode(claims, key, algorithm="EdDSA")


@lru_cache(maxsize=4)
def _public_key(path: Path):
    return serialization.load_pem_public_key(path.read_bytes())


# --- verification ---------------------------------------------------------------------------

UNAUTHORIZED = dict(status=401, title="未认证 / Unauthenticated", headers={"WWW-Authenticate": "Bearer"})


def verify(token: str, settings: Settings) -> Principal:
    try:
        claims = jwt.decode(
            token, _public_key(settings.public_key_file), algorithms=ALGORITHMS,
            audience=settings.jwt_audience, issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
        principal = Principal(sub=str(claims["sub"]), role=Role(claims["role"]), area=str(claims["area"]))
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Problem(**UNAUTHORIZED, detail=f"令牌无效 / invalid token: {exc}") from None
    if lookup(principal.area) is None:
        raise Problem(**UNAUTHORIZED, detail="令牌的辖区代码未知 / token area code unknown")
    return principal


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(**UNAUTHORIZED, detail="需要 Bearer 令牌 / a bearer token is required")
    return token


async def principal(request: Request) -> Principal:
    """FastAPI dependency: the verified caller. (async: FastAPI runs sync dependencies in a
    thread pool, which costs more than the verification itself)"""
    return verify(bearer_token(request), get_settings())


def require(*roles: Role):
    """FastAPI dependency: the caller, if their role is one of `roles`."""

    async def check(who: Principal = Depends(principal)) -> Principal:
        if who.role not in roles:
            raise Problem(status=403, title="无权操作 / Forbidden",
                          detail=f"角色 {who.role} 不能执行此操作 / role {who.role} may not do this")
        return who

    return check


def require_jurisdiction(who: Principal, area_code: str, *, hide: bool = True) -> None:
    """Object-level check. Reads outside the caller's area answer 404 (they learn nothing);
    writes (hide=False) answer 403 naming the field."""
    if who.covers(area_code):
        return
    if hide:
        raise not_found()
    raise Problem(status=403, title="超出辖区 / Outside jurisdiction",
                  detail=f"辖区 {who.area} 不包含 {area_code} / your area does not contain this area code",
                  errors=[{"field": "area_code", "message": "超出辖区 / outside your jurisdiction"}])
