"""Shared by the role × jurisdiction tables: their rows (`Case`), how a module's `Table` expands one
route into its standard rows, the callers' tokens, and which routes of a service a table leaves out.

A caller is "role@area", or "role@area#tag" for a caller whose token sub the module chooses (the
volunteer themself, a stranger, the maker of a disbursement…); None is a request without a token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest


@dataclass(frozen=True)
class Case:
    """One row: `caller` asks `method path` (with `body`) and gets `expect`."""

    method: str
    path: str  # placeholders ({name}) name the module's objects
    caller: str | None  # "role@area", "role@area#tag"; None: no token
    expect: int
    body: Any = None  # a dict, or a function (of nothing, or of the caller's role) making one
    fresh: str | None = None  # on success: a new object of this kind for the placeholder of that name
    shows: str | None = None  # the reply names this object
    hides: str | None = None  # the reply does not name this object
    field: str | None = None  # the field a refusal names
    rule: str | None = None  # the rule a refusal names
    note: str = ""  # tells apart rows of one route and caller
    matching: str | None = None  # the composed need view: its matching_status
    via: str | None = None  # where the request goes, when not through the gateway
    xfail: str | None = None  # a known bug: the row asserts the correct behaviour, strictly expected to fail
    label: str | None = None  # the caller in a short id: method, path, label and status (see Table.names)

    def __str__(self) -> str:
        if self.label:
            return f"{self.method} {self.path} {self.label} -> {self.expect}"
        extra = f" ({self.field or self.rule})" if self.field or self.rule else ""
        note = f" [{self.note}]" if self.note else ""
        where = f" [{self.via}]" if self.via else ""
        return f"{self.method} {self.path} {self.caller or 'no-token'} -> {self.expect}{extra}{note}{where}"

    def param(self):
        marks = [pytest.mark.xfail(strict=True, reason=self.xfail)] if self.xfail else []
        return pytest.param(self, id=str(self), marks=marks)


@dataclass(frozen=True)
class Table:
    """How one module's table expands a route into rows.

    Its objects live in `home`; `other` is an area beside it whose callers see none of them;
    `city` the level above both, whose civil affairs bureau reads its counties. Without `roles`,
    each route names the roles it allows and those it denies at home, and tries its first allowed
    role in the other area; with `roles`, each route tries every one of them at home and in the
    other area — all at home, then all in the other area, or, with `pairs`, each role at home and
    then in the other area. With `names` (area code → name), the ids are short: method, path,
    "role@name of the area" (no token: "no-token@name of home") and the status, and nothing more.
    """

    home: str
    other: str
    city: str | None = None
    roles: Sequence[str] = ()
    pairs: bool = False
    names: Mapping[str, str] | None = None

    def who(self, role: str) -> str:
        """The caller: a role of `home`, or a caller already ("role@area…")."""
        return role if "@" in role else f"{role}@{self.home}"

    def label(self, caller: str | None) -> str | None:
        if self.names is None:
            return None
        role, _, area = (caller or f"no-token@{self.home}").partition("@")
        return f"{role}@{self.names[area]}"

    def route(
        self,
        method: str,
        path: str,
        ok: int,
        *,
        allowed: list[str],
        denied: list[str] | None = None,
        other: int = 404,
        city: int | None = None,
        body: Any = None,
        fresh: str | None = None,
        shows: str | None = None,
        via: str | None = None,
        public: bool = False,
        special: Mapping[str, dict] | None = None,
        denied_field: str | None = None,
        other_denied: int | None = 403,
        other_field: str | None = None,
        other_xfail: str | None = None,
    ) -> list[Case]:
        """The standard rows of one route:
        - each allowed role of `home` → `ok` (on a `fresh` object; the reply `shows` it); each denied
          one → 403 (naming `denied_field`, if any); without `roles`, `denied` lists them;
        - an allowed role of the other area → `other`: a 403 names `other_field`, or else `area_code`;
          a success hides the `shows` object (shows it, if the route is `public`); `other_xfail`
          marks the row; a denied role of the other area (with `roles`) → `other_denied` (None: no row);
        - the city's civil affairs bureau → `city`, when given;
        - no token → 401.
        `special` changes the rows of some callers (Case fields: expect, shows, field…), named "role@area",
        or by their role alone at home — a role so named passes the role check, and in the other area
        gets `other` like an allowed one.
        """
        special = {self.who(caller): changes for caller, changes in (special or {}).items()}

        def case(caller: str | None, **fields) -> Case:
            fields |= special.get(caller, {})
            return Case(method, path, caller, body=body, via=via, label=self.label(caller), **fields)

        def at_home(role: str) -> Case:
            if role in allowed:
                return case(self.who(role), expect=ok, fresh=fresh, shows=shows)
            return case(self.who(role), expect=403, field=denied_field)

        def away(role: str, permitted: bool) -> list[Case]:
            caller = f"{role}@{self.other}"
            if not permitted:
                return [] if other_denied is None else [case(caller, expect=other_denied)]
            success = other < 300
            return [
                case(
                    caller,
                    expect=other,
                    fresh=fresh if success else None,
                    shows=shows if public and success else None,
                    hides=shows if not public and success else None,
                    field=other_field or ("area_code" if other == 403 else None),
                    xfail=other_xfail,
                )
            ]

        if self.roles:
            assert denied is None, "a table of roles tries every role: the ones not allowed are denied"
            # a role with special rows at home passes the role check: the area check decides elsewhere
            elsewhere = {role: away(role, role in allowed or self.who(role) in special) for role in self.roles}
            if self.pairs:
                rows = [row for role in self.roles for row in (at_home(role), *elsewhere[role])]
            else:
                rows = [at_home(role) for role in self.roles] + [row for group in elsewhere.values() for row in group]
        else:
            assert denied is not None, "a route names the roles it denies, or its table names every role"
            rows = [at_home(role) for role in [*allowed, *denied]]
            rows += away(self.who(allowed[0]).partition("@")[0], permitted=True)  # the first allowed role
        if city is not None:
            assert self.city, "a table without a city"
            success = city < 300
            rows.append(
                case(
                    f"civil_affairs@{self.city}",
                    expect=city,
                    fresh=fresh if success else None,
                    shows=shows if success else None,
                )
            )
        rows.append(case(None, expect=401))
        return rows


def bearer(token, caller: str | None, subs: Mapping[str, str] | None = None) -> dict:
    """The Authorization header of a caller "role@area" (token sub "role-area") or "role@area#tag"
    (sub `subs[tag]`); no caller, no header."""
    if caller is None:
        return {}
    who, _, tag = caller.partition("#")
    role, _, area = who.partition("@")
    sub = (subs or {})[tag] if tag else f"{role}-{area}"
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


async def call(client: httpx.AsyncClient, method: str, path: str, headers: dict, body=None, expect: int = 200):
    """A request that builds a table's world: it must get `expect`; its JSON reply."""
    reply = await client.request(method, path, json=body, headers=headers)
    assert reply.status_code == expect, f"setup {method} {path}: {reply.status_code} {reply.text}"
    return reply.json()


def fill(value, ids: Mapping[str, str]):
    """`value` with the placeholders ({name}) of its strings, in dicts and lists too, replaced by ids[name]."""
    if isinstance(value, str):
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


def uncovered_routes(routers: Iterable, calls: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (method, path template) of every route with no row among `calls` (method, concrete path)."""
    calls = [(method, path.partition("?")[0]) for method, path in calls]
    templates = {(method, route.path) for router in routers for route in router.routes for method in route.methods}
    return {
        (method, template)
        for method, template in templates
        if not any(m == method and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), p) for m, p in calls)
    }
