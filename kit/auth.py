"""Bearer JWTs and the role × jurisdiction rule. Every service verifies tokens itself.

Development: `wushe token` signs with an Ed25519 key generated under $WUSHE_HOME/keys on first
run; services hold only the public key. Production: point WUSHE_JWT_PUBLIC_KEY_FILE at the
province identity provider's key (EdDSA or ES256/RS256 are accepted).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, Query, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from contracts.areas import contains, lookup
from contracts.taxonomy import LabelledEnum
from kit.problems import Problem, invalid, not_found
from kit.settings import Settings, get_settings

if TYPE_CHECKING:
    from collections.abc import Mapping

    import asyncpg
    from jwt.algorithms import AllowedPrivateKeys, AllowedPublicKeys

ALGORITHMS = ["EdDSA", "ES256", "RS256"]


class Role(LabelledEnum):
    RESIDENT = "resident", "居民", "Resident"
    GRID_WORKER = "grid_worker", "网格员", "Grid worker"
    SOCIAL_WORKER = "social_worker", "社会工作者", "Social worker"
    VOLUNTEER = "volunteer", "志愿者", "Volunteer"
    ORG_ADMIN = "org_admin", "社会组织管理员", "Organization administrator"
    CHARITY_ADMIN = "charity_admin", "慈善资源管理员", "Charity administrator"
    PARTY_SECRETARY = "party_secretary", "党组织书记", "Party secretary"
    CIVIL_AFFAIRS = "civil_affairs", "民政部门", "Civil affairs"
    AUDITOR = "auditor", "审计员", "Auditor"
    PARTNER = "partner", "合作方", "Partner"
    MIGRATOR = "migrator", "历史数据迁移员", "Records migrator"


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
        private.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        private.chmod(0o600)
        public.write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
    return private


def issue_token(settings: Settings, *, role: str, area: str, sub: str, ttl_s: int = 8 * 3600) -> str:
    Role(role)  # refuse unknown roles early, with the list of valid ones in the message
    if lookup(area) is None:
        raise ValueError(f"未知的行政区划代码 / unknown area code: {area}")
    key = cast(
        "AllowedPrivateKeys",
        serialization.load_pem_private_key(ensure_signing_key(settings).read_bytes(), password=None),
    )
    now = int(time.time())
    claims = {
        "sub": sub,
        "role": role,
        "area": area,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_s,
    }
    return jwt.encode(claims, key, algorithm="EdDSA")


# --- verification ---------------------------------------------------------------------------

UNAUTHORIZED: dict[str, Any] = dict(
    status=401, title="未认证 / Unauthenticated", headers={"WWW-Authenticate": "Bearer"}
)


class TokenVerifier:
    """Verifies bearer tokens against the identity provider's public key. A token is immutable,
    so a verified one is remembered until it expires: the signature check, the costliest part
    of a request, runs once per token rather than once per request."""

    def __init__(self, settings: Settings, cache_size: int = 10_000) -> None:
        self.settings = settings
        self.key = cast("AllowedPublicKeys", serialization.load_pem_public_key(settings.public_key_file.read_bytes()))
        self.cache_size = cache_size
        self._verified: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        hit = self._verified.get(token)
        if hit is not None and hit[1] > time.time():
            return hit[0]
        principal, expires = self._verify(token)
        if len(self._verified) >= self.cache_size:
            self._verified.clear()  # crude but bounded; tokens are re-verified on the next use
        self._verified[token] = (principal, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=ALGORITHMS,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
            principal = Principal(sub=str(claims["sub"]), role=Role(claims["role"]), area=str(claims["area"]))
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            raise Problem(**UNAUTHORIZED, detail=f"令牌无效 / invalid token: {exc}") from None
        if lookup(principal.area) is None:
            raise Problem(**UNAUTHORIZED, detail="令牌的辖区代码未知 / token area code unknown")
        return principal, float(claims["exp"])


@lru_cache(maxsize=1)
def _verifier() -> TokenVerifier:
    return TokenVerifier(get_settings())


# Declared as FastAPI's HTTP bearer scheme so that the OpenAPI documents name it on every route
# that needs a token; the 401 is ours (problem+json), not FastAPI's.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="省统一身份认证签发的 JWT（开发环境：`wushe token`）/ a JWT from the identity provider",
)


def principal_of(scope: Scope) -> Principal | None:
    """The verified caller of an ASGI request's bearer token, or None (no token, or a bad one)."""
    header = next((v for k, v in scope["headers"] if k == b"authorization"), b"").decode("latin-1")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return _verifier().verify(token)
    except Problem:
        return None


def caller_of(scope: Scope) -> str | None:
    """The verified subject of an ASGI request's bearer token, or None (no token, or a bad one)."""
    who = principal_of(scope)
    return who.sub if who else None


async def principal(credentials: HTTPAuthorizationCredentials | None = Depends(BEARER)) -> Principal:
    """FastAPI dependency: the verified caller. (async: FastAPI runs sync dependencies in a
    thread pool, which costs more than the verification itself)"""
    if credentials is None or not credentials.credentials:
        raise Problem(**UNAUTHORIZED, detail="需要 Bearer 令牌 / a bearer token is required")
    return _verifier().verify(credentials.credentials)


# a route's typed caller: `who: Caller` is any verified caller; a route limited to some roles declares
# its own alias next to them, e.g. `Reader = Annotated[Principal, Depends(require(*READERS))]`
Caller = Annotated[Principal, Depends(principal)]


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """FastAPI dependency: the caller, if their role is one of `roles`. The roles are also the
    bearer scheme's role names in the route's OpenAPI security requirement (OpenAPI 3.1 lets a
    non-OAuth scheme list the roles an operation needs), so that what a role may call can be read
    from a service's document instead of being written down twice."""

    async def check(who: Principal = Security(principal, scopes=[r.value for r in roles])) -> Principal:
        if who.role not in roles:
            raise Problem(
                status=403,
                title="无权操作 / Forbidden",
                detail=f"角色 {who.role} 不能执行此操作 / role {who.role} may not do this",
            )
        return who

    return check


Row = TypeVar("Row", bound="asyncpg.Record | Mapping[str, Any]")  # a record as a store returns it


def visible(who: Principal, record: Row | None, area_key: str = "area_code") -> Row:
    """The record, if it exists and lies in the caller's area; otherwise the one 404, so that a
    record outside the caller's jurisdiction looks exactly like a missing one."""
    if record is None or not who.covers(record[area_key]):
        raise not_found()
    return record


def require_jurisdiction(who: Principal, area_code: str, *, hide: bool = True) -> None:
    """Object-level check. Reads outside the caller's area answer 404 (they learn nothing);
    writes (hide=False) answer 403 naming the field."""
    if who.covers(area_code):
        return
    if hide:
        raise not_found()
    raise Problem(
        status=403,
        title="超出辖区 / Outside jurisdiction",
        detail=f"辖区 {who.area} 不包含 {area_code} / your area does not contain this area code",
        errors=[{"field": "area_code", "message": "超出辖区 / outside your jurisdiction"}],
    )


def listing_area(who: Principal, area: str | None) -> str:
    """The area a list or statistic covers: the caller's own by default, a known code (422 naming
    `area` otherwise), never outside the caller's jurisdiction (403)."""
    area = area or who.area
    if lookup(area) is None:
        raise invalid("area", f"未知的行政区划代码 / unknown area code: {area}")
    require_jurisdiction(who, area, hide=False)
    return area


# --- unmasked reads of personal data ---------------------------------------------------------------

PURPOSE = Query(
    default=None,
    min_length=2,
    max_length=200,
    description="查看未脱敏个人信息的目的（将被审计）/ purpose of an unmasked read (audited)",
)


def may_unmask(who: Principal, purpose: str | None, roles: tuple[Role, ...]) -> None:
    """A read that states a purpose asks for unmasked personal data: only `roles` may."""
    if purpose is not None and who.role not in roles:
        raise Problem(403, "无权查看未脱敏信息 / Forbidden", "此角色只能查看脱敏信息 / this role sees masked data only")
