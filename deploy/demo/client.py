"""The demo's half that talks HTTP: the journal of what was created, who is acting (a development token
for each persona kind), and the requests — call/get/put, create once, step once, poll until, run
together — that every stage in deploy/demo/stages/ is made of."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from deploy.demo import data as D
from deploy.demo.plan import LOCAL, Plan
from kit.auth import issue_token
from kit.settings import Settings

CONCURRENCY = 8  # requests in flight: enough to keep two cores busy, not enough to crowd the services
POLL_TIMEOUT_S = 60.0
Who = tuple[str, str, str]  # role, area, sub


class Interrupted(Exception):
    """Ctrl-C while loading: stop sending, keep what was done."""


class DemoError(Exception):
    """An answer the demo did not expect."""


class Unknown(DemoError):
    """The object is there already (a run before this one made it), but its id cannot be found."""


def loaded_marker(settings: Settings) -> Path:
    return settings.path("demo", "loaded")


class AlreadyThere(Exception):
    """The demo's data is in the database, but the journal that knows it is gone."""


class Journal:
    """What the demo created, by key: written at most once a second while loading, and at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except (OSError, ValueError):
            self.data = {}
        self.fresh = not set(self.data) - {"anchor"}  # nothing created yet (as far as it knows)
        self.dirty, self.saved_at = False, time.monotonic()

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def put(self, key: str, value: Any) -> Any:
        self.data[key] = value
        self.dirty = True
        self.save()
        return value

    def keys(self, prefix: str) -> list[str]:
        return [k for k in self.data if k.startswith(prefix)]

    def save(self, force: bool = False) -> None:
        if not self.dirty or (not force and time.monotonic() - self.saved_at < 1.0):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)
        self.dirty, self.saved_at = False, time.monotonic()


def iso(at: datetime) -> str:
    return at.isoformat()


class Client:
    def __init__(
        self,
        settings: Settings,
        session: aiohttp.ClientSession,
        journal: Journal,
        should_stop: Callable[[], bool],
        say: Callable[[str], None],
    ) -> None:
        self.settings, self.session, self.j, self.should_stop, self.say = settings, session, journal, should_stop, say
        self.base = f"http://{settings.http_host}:{settings.http_port}/api/v1"
        self.sem = asyncio.Semaphore(CONCURRENCY)
        self.tokens: dict[Who, str] = {}
        self.on_duty: dict[
            int, asyncio.Lock
        ] = {}  # a volunteer is at one place at a time: an open log overlaps any other
        self.warnings: list[str] = []
        self.requests = 0
        anchor = journal.get("anchor") or journal.put("anchor", datetime.now(UTC).replace(microsecond=0).isoformat())
        self.anchor = datetime.fromisoformat(anchor)  # the first run's start: dates are counted from it
        self.today = self.anchor.astimezone(LOCAL).date()
        self.year = self.today.year
        self.plan = Plan(self.today)

    # --- who is acting ----------------------------------------------------------------------------------
    def mz(self, area: str) -> Who:
        county = area[:6] if area[:6] in D.MZ else area
        return ("civil_affairs", county, D.MZ[county])

    def sw(self, area: str) -> Who:
        if len(area) == 12:
            return ("social_worker", area, D.social_worker(area))
        return ("social_worker", area[:6], D.COUNTY_SOCIAL_WORKER[area[:6]])

    def grid(self, area: str) -> Who:
        return ("grid_worker", area, D.grid_worker(area))

    def sj(self, area: str) -> Who:
        return ("party_secretary", area, D.party_secretary(area))

    def maker(self, area: str) -> Who:
        return ("charity_admin", area[:6], D.CHARITY_MAKER[area[:6]])

    def checker(self, area: str) -> Who:
        return ("charity_admin", area[:6], D.CHARITY_CHECKER[area[:6]])

    def org_admin(self, key: str) -> Who:
        org = self.org(key)
        return ("org_admin", org[4][:6], org[7][0])

    def org(self, key: str) -> tuple:
        return next(o for o in D.ORGANIZATIONS if o[0] == key)

    def uscc(self, key: str) -> str:
        org = self.org(key)
        return D.org_uscc(org[2], org[4], D.ORGANIZATIONS.index(org) + 1)

    def volunteer_token(self, index: int) -> Who:
        return ("volunteer", self.plan.volunteers[index].area, self.need_field(f"volunteer:{index}", "volunteer_ref"))

    def resident_token(self, index: int) -> Who | None:
        known = self.j.get(f"resident:{index}")
        return ("resident", self.plan.residents[index].area_code, known["resident_ref"]) if known else None

    def token(self, who: Who) -> str:
        if who not in self.tokens:
            role, area, sub = who
            self.tokens[who] = issue_token(self.settings, role=role, area=area, sub=sub, ttl_s=3600)
        return self.tokens[who]

    # --- requests ----------------------------------------------------------------------------------------
    def check_stop(self) -> None:
        if self.should_stop():
            raise Interrupted()

    async def call(
        self,
        method: str,
        path: str,
        who: Who | None,
        body: Any = None,
        *,
        params: dict | None = None,
        key: str | None = None,
        lane: bool = True,
    ) -> tuple[int, Any]:
        """One request through the gateway. GET, PUT and keyed writes are retried on a connection error
        or a 5xx; other writes are not (they might have been applied)."""
        headers = {"Authorization": f"Bearer {self.token(who)}"} if who else {}
        if key:
            headers["Idempotency-Key"] = key
        attempts = 3 if method in ("GET", "PUT") or key else 1
        for attempt in range(attempts):
            async with self.sem if lane else nullcontext():
                self.check_stop()
                try:
                    async with self.session.request(
                        method, self.base + path, json=body, params=params, headers=headers
                    ) as reply:
                        raw, status = await reply.read(), reply.status
                        data = json.loads(raw) if raw and "json" in (reply.content_type or "") else raw
                except (aiohttp.ClientError, TimeoutError) as exc:
                    if attempt + 1 < attempts:
                        await asyncio.sleep(0.5 * (attempt + 1))
                        continue
                    raise DemoError(f"{method} {path}: {exc!r}") from None
            self.requests += 1
            if status >= 500 and attempt + 1 < attempts:
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            return status, data
        raise AssertionError("unreachable")

    async def get(self, path: str, who: Who | None, params: dict | None = None, *, missing_ok: bool = False) -> Any:
        status, data = await self.call("GET", path, who, params=params)
        if status == 200:
            return data
        if status == 404 and missing_ok:
            return None
        raise DemoError(f"GET {path} → {status}: {_detail(data)}")

    async def put(self, path: str, who: Who, body: Any) -> Any:
        status, data = await self.call("PUT", path, who, body)
        if status != 200:
            raise DemoError(f"PUT {path} → {status}: {_detail(data)}")
        return data

    async def create(
        self,
        key: str,
        path: str,
        who: Who,
        body: Any,
        *,
        idem: bool = False,
        lookup: Callable[[], Awaitable[Any]] | None = None,
        lane: bool = True,
    ) -> dict:
        """Create once: the journal's answer if it has one; a 409 (or an Idempotency-Key used before)
        means a run before this one made it: look it up, or say it is unknown."""
        if (known := self.j.get(key)) is not None:
            return known
        status, data = await self.call("POST", path, who, body, key=key if idem else None, lane=lane)
        if status in (200, 201):
            return self.j.put(key, data)
        if status == 409 or (idem and status == 422 and _is_key_reuse(data)):
            found = await lookup() if lookup else None
            if found:
                return self.j.put(key, found)
            raise Unknown(f"{key}: 已存在，编号未知 / already there, its id unknown")
        raise DemoError(f"POST {path} → {status}: {_detail(data)}")

    async def step(
        self, key: str, path: str, who: Who, body: Any = None, *, done: tuple[int, ...] = (409,), lane: bool = True
    ) -> dict:
        """A transition (assess, accept, verify …): a 409 means it happened already."""
        if (known := self.j.get(key)) is not None:
            return known
        status, data = await self.call("POST", path, who, {} if body is None else body, lane=lane)
        if 200 <= status < 300:
            return self.j.put(key, data if isinstance(data, dict) else {"ok": True})
        if status in done:
            return self.j.put(key, {"already": True})
        raise DemoError(f"POST {path} → {status}: {_detail(data)}")

    def need_field(self, key: str, name: str = "id") -> str:
        known = self.j.get(key)
        if not known or name not in known:
            raise Unknown(f"{key}: 编号未知 / id unknown")
        return known[name]

    async def until(self, what: str, check: Callable[[], Awaitable[Any]], timeout: float = POLL_TIMEOUT_S) -> Any:
        """Poll until `check` answers something (events take their time to flow)."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_stop()
            if result := await check():
                return result
            if time.monotonic() > deadline:
                raise DemoError(f"等待超时 / timed out waiting for {what}")
            await asyncio.sleep(0.25)

    async def sleep_until(self, at: datetime) -> None:
        while (left := (at - datetime.now(UTC)).total_seconds()) > 0:
            self.check_stop()
            await asyncio.sleep(min(left, 0.2))

    async def gather(self, *coros: Awaitable) -> list:
        """Run together; every one finishes what it is sending before an interruption is raised."""
        results = await asyncio.gather(*coros, return_exceptions=True)
        for result in results:
            if isinstance(result, Interrupted):
                raise result
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results

    async def flow(self, label: str, coro: Awaitable) -> Any:
        """One independent story (a need, a project …): if it cannot go on, say so and let the others go on."""
        try:
            return await coro
        except Interrupted:
            raise
        except DemoError as exc:
            self.warnings.append(f"{label}: {exc}")
            self.say(f"  ! 跳过 / skipped — {label}: {exc}")


def _detail(data: Any) -> str:
    if isinstance(data, dict):
        errors = data.get("errors") or []
        return f"{data.get('detail') or data.get('title')}" + (f" {errors[:2]}" if errors else "")
    return str(data)[:300]


def _is_key_reuse(data: Any) -> bool:
    return isinstance(data, dict) and any(e.get("type") == "idempotency_key" for e in data.get("errors") or [])
