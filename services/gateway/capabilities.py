"""What each role may do (角色权限表), read from where the rules are written: every route's
`kit.auth.require(...)` names its roles in the route's OpenAPI security requirement, the gateway
passes each service's operations through under /api/v1 (openapi.py), and a console section opens
for a role that may call what the section's main content needs (SECTIONS: the one place that says
which operations those are)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

from fastapi import APIRouter, Request

from contracts.api.capabilities import Capabilities, ConsoleSection, SectionKey
from kit.auth import Caller, Role
from services.gateway.openapi import PREFIX, passed_through, service_specs

router = APIRouter(prefix=PREFIX, tags=["控制台 console"])
Operation = str  # "GET /needs/{need_id}": the method and the path template under /api/v1
Rules = dict[Operation, frozenset[Role]]
Document = dict[str, Any]  # an OpenAPI document or a part of one
EVERY_ROLE = frozenset(Role)
METHODS = {"get", "put", "post", "delete", "patch"}


@dataclass(frozen=True)
class Section:
    key: SectionKey
    zh: str
    en: str
    # any one group of operations, every operation of that group; none: always open
    requires: tuple[tuple[Operation, ...], ...] = ()

    def opens_for(self, allowed: set[Operation]) -> bool:
        return not self.requires or any(allowed.issuperset(group) for group in self.requires)


# The composed views answer any caller, section by section (a section the role may not read comes
# back "forbidden"): the dashboard opens only for a role that may read every section the dashboard
# and KPI views ask for, so that it never shows a section as closed.
DASHBOARD = (
    "GET /views/dashboard",
    "GET /views/kpis",
    "GET /needs/stats",
    "GET /needs/trend",
    "GET /needs/linkage",
    "GET /volunteers/stats",
    "GET /organizations/stats",
    "GET /projects/stats",
    "GET /platforms/coverage",
    "GET /funds/flows",
    "GET /whistles/stats",
)
# In navigation order. A page's main content decides: the volunteers page opens on the area's
# volunteering figures, the charity page on its money flows and the queue of payments to approve,
# the party page on its major matters; the exchange page shows an office its partners and portals,
# a partner its own subscriptions.
SECTIONS = (
    Section("home", "工作台", "Workbench"),
    Section("mine", "我的志愿服务", "My volunteering", (("GET /volunteers/me",),)),
    Section("my-needs", "我的诉求", "My requests", (("GET /needs/mine",),)),
    Section("needs", "需求库", "Needs", (("GET /needs",),)),
    Section("volunteers", "志愿服务", "Volunteering", (("GET /volunteers/stats",),)),
    Section("projects", "项目与社会组织", "Projects & organizations", (("GET /projects",),)),
    Section("charity", "慈善与爱心超市", "Charity & love supermarket", (("GET /funds/flows", "GET /disbursements"),)),
    Section("party", "党建", "Party building", (("GET /matters",),)),
    Section("dashboard", "数据看板", "Dashboard", (DASHBOARD,)),
    Section(
        "exchange",
        "数据交换",
        "Data exchange",
        (("GET /exchange/partners", "GET /exchange/portals"), ("GET /webhooks",)),
    ),
    Section("public", "信息公开", "Public disclosure"),
)


def roles_of(operation: Document) -> frozenset[Role]:
    """The roles an operation admits: those its security requirement names; every role where it
    names none (any signed-in caller, or no token needed at all). A name this gateway does not know
    (a newer service) admits nobody here."""
    named = {name for requirement in operation.get("security", ()) for names in requirement.values() for name in names}
    if not named:
        return EVERY_ROLE
    return frozenset(role for role in Role if role.value in named)


def own_operations(gateway_spec: Document) -> Iterator[tuple[str, str, Document]]:
    for path, operations in gateway_spec.get("paths", {}).items():
        if path.startswith(PREFIX + "/"):
            yield from ((path, method, operation) for method, operation in operations.items())


def derive(gateway_spec: Document, specs: Mapping[str, Document]) -> Rules:
    """Every operation of the facade with the roles it admits. Where the gateway declares an
    operation itself and then asks the owning service (POST /needs), a caller must pass both."""
    found: Rules = {}
    sources: Iterable[tuple[str, str, Document]] = chain(
        own_operations(gateway_spec), *(passed_through(name, spec) for name, spec in specs.items())
    )
    for path, method, operation in sources:
        if method in METHODS:
            key = f"{method.upper()} {path.removeprefix(PREFIX)}"
            found[key] = found.get(key, EVERY_ROLE) & roles_of(operation)
    return found


def table(role: Role, rules: Rules, unavailable: Iterable[str] = ()) -> Capabilities:
    allowed = {operation for operation, roles in rules.items() if role in roles}
    return Capabilities(
        role=role.value,
        sections=[
            ConsoleSection(
                key=s.key,
                label_zh=s.zh,
                label_en=s.en,
                open=s.opens_for(allowed),
                requires=[list(group) for group in s.requires],
            )
            for s in SECTIONS
        ],
        operations=sorted(allowed),
        unavailable=sorted(unavailable),
    )


_derived: list[tuple[tuple[Document, ...], Rules]] = []  # the last derivation and the documents it read


def _rules(gateway_spec: Document, specs: Mapping[str, Document]) -> Rules:
    """Derived again only when a document changed (they are cached, so usually the same objects)."""
    key = (gateway_spec, *specs.values())
    if _derived and len(_derived[0][0]) == len(key) and all(a is b for a, b in zip(_derived[0][0], key, strict=True)):
        return _derived[0][1]
    rules = derive(gateway_spec, specs)
    _derived[:] = [(key, rules)]
    return rules


@router.get(
    "/me/capabilities",
    response_model=Capabilities,
    summary="本角色可打开的页面与可调用的接口 / what your role may open and call",
)
async def my_capabilities(request: Request, who: Caller) -> Capabilities:
    """Read from the services' own route rules (cached with their documents for a minute); a
    service that does not answer is named in `unavailable` and its operations are left out."""
    specs = await service_specs(request.app.state.upstreams)
    known = {name: spec for name, spec in specs.items() if spec is not None}
    rules = _rules(request.app.openapi(), known)
    return table(who.role, rules, unavailable=[name for name, spec in specs.items() if spec is None])
