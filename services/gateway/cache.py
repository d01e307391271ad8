"""The composed views' cache (视图缓存): a view's answer kept until a service it asked changes.

A need's 360 asks the five services eight questions or more, and a dashboard eight; most of the
time nothing has changed since the last asking. A composed view's answer is kept, whole, and so
is each service's answer to its questions (a view composed again, because one service changed,
asks only that one again), under three rules:

- **Who asked.** It is given again only to a caller with the same verified claims (sub, role,
  area): the permission it was computed under. Nothing crosses from one caller to another.
- **What changed.** The ChangeFeed hears every event a service publishes (`evt.<service>.>`, sent
  after its commit), every batch its consumers apply and every read model it rebuilds
  (`changed.<service>`, kit.bus); the gateway's own writes to a service count too
  (Upstream.request). Each moves that service's generation on. An answer is kept with the
  generations, taken before the first question, of the services it asked; once one of them has
  moved on it is never given again, however late it came back.
- **What no event tells.** Answers that change with the clock alone (an overdue need) are kept at
  most `view_cache_ttl_s`. While the gateway is not listening (NATS away, a notice dropped) it
  could miss a change: nothing is kept or given until it listens again. An answer with a section
  that did not answer is not kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import nats
import nats.errors
from opentelemetry.metrics import CallbackOptions, Observation
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.api.views import Section
from contracts.subjects import CHANGED_PREFIX, EVENT_PREFIX
from kit import metrics
from kit.auth import Principal, principal_of
from kit.failures import describe

log = logging.getLogger(__name__)

Key = tuple[str, bytes, str, str, str]  # path, query, and who asked: sub, role, area
PREFIX = "/api/v1/views/"
TTL_SPREAD = 0.25
RETRY_S = 1.0  # between attempts to reach NATS the first time (nats-py reconnects by itself after)


class Generations:
    """How many changes of each service the gateway has heard of, and whether it hears them all."""

    def __init__(self, services: Iterable[str]) -> None:
        self.of = dict.fromkeys(services, 0)
        self.listening = False

    def changed(self, service: str) -> None:
        if service in self.of:
            self.of[service] += 1

    def now(self) -> dict[str, int] | None:
        """Every service's generation, or None while a change could go unheard."""
        return dict(self.of) if self.listening else None

    def hear(self, listening: bool) -> None:
        """Listening starts or stops: what was kept is of a time that may have had unheard changes."""
        for service in self.of:
            self.of[service] += 1
        self.listening = listening


def key_of(path: str, query: bytes, who: Principal) -> Key:
    return path, query, who.sub, str(who.role), who.area


@dataclass
class Composed:
    """What composing one view asked (fan_out records it): the services, and whether all answered;
    and for whom, whose answers a service gave may be kept one by one too."""

    services: set[str] = field(default_factory=set)
    complete: bool = True
    who: Principal | None = None

    def asked(self, sections: Iterable[Section]) -> None:
        for section in sections:
            self.services.add(section.service)
            self.complete &= section.status != "unavailable"


@dataclass(frozen=True)
class Kept:
    body: bytes
    content_type: bytes
    expires: float = 0.0  # time.monotonic()
    generations: tuple[tuple[str, int], ...] = ()  # of the services the view asked, before it asked


class ViewCache:
    """Answers kept under the rules above, least recently used first out beyond `max_bytes`: whole
    views ("views"), or one service's answers to a view's questions ("answers"), which spare a view
    composed again the questions to the services that did not change."""

    def __init__(self, name: str, generations: Generations, ttl_s: float, max_bytes: int) -> None:
        self.name, self.generations, self.ttl_s, self.max_bytes = name, generations, ttl_s, max_bytes
        self._kept: OrderedDict[Key, Kept] = OrderedDict()
        self._bytes = 0
        self.composing: dict[Key, asyncio.Event] = {}  # one composition at a time per key
        self.counts = {"kept": 0, "missed": 0}
        _caches.add(self)

    def get(self, key: Key) -> Kept | None:
        kept = self._kept.get(key)
        if kept is not None and not self._fresh(kept):
            self._drop(key)
            kept = None
        self.counts["kept" if kept else "missed"] += 1
        if kept is not None:
            self._kept.move_to_end(key)
        return kept

    def put(self, key: Key, kept: Kept, before: dict[str, int] | None, composed: Composed) -> None:
        """Keep a view composed from the generations `before`, if it is whole and still current."""
        if before is None or not composed.complete or self.ttl_s <= 0:
            return
        kept = replace(
            kept,
            # spread over the last quarter of the time to live: views kept together are not all composed again at once
            expires=time.monotonic() + self.ttl_s * random.uniform(1 - TTL_SPREAD, 1),
            generations=tuple((s, before[s]) for s in sorted(composed.services)),
        )
        if not self._fresh(kept):
            return  # a change came while it was composed
        self._drop(key)
        self._kept[key] = kept
        self._bytes += len(kept.body)
        while self._bytes > self.max_bytes and self._kept:
            self._drop(next(iter(self._kept)))

    def _fresh(self, kept: Kept) -> bool:
        g = self.generations  # read in place: this runs on every kept answer given
        return g.listening and time.monotonic() <= kept.expires and all(g.of[s] == n for s, n in kept.generations)

    def _drop(self, key: Key) -> None:
        if (kept := self._kept.pop(key, None)) is not None:
            self._bytes -= len(kept.body)


_caches: weakref.WeakSet[ViewCache] = weakref.WeakSet()


def _observe(options: CallbackOptions) -> Iterable[Observation]:
    for name in ("views", "answers"):
        for outcome in ("kept", "missed"):
            count = sum(c.counts[outcome] for c in _caches if c.name == name)
            yield Observation(count, {"cache": name, "outcome": outcome})


metrics.meter.create_observable_counter(
    "wushe.view_cache.answers",
    callbacks=[_observe],
    unit="{answer}",
    description="views (and services' answers to them) given from the cache (kept) or not (missed)",
)


class KeptViews:
    """ASGI middleware, outermost but for telemetry: a composed view's GET answered from the cache
    when this caller's answer is kept, before routing and the rest; otherwise the view is composed
    (at most one composition at a time per caller and view) and its 200 kept if it may be."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(PREFIX):
            return await self.app(scope, receive, send)
        who = principal_of(scope)
        if who is None:  # no token or a bad one: the route says why
            return await self.app(scope, receive, send)
        views: ViewCache = scope["app"].state.views
        key = key_of(scope["path"], scope["query_string"], who)
        if (kept := await self._kept(views, key)) is not None:
            return await _answer(send, kept)
        views.composing[key] = done = asyncio.Event()
        try:
            await self._compose(views, key, who, scope, receive, send)
        finally:
            views.composing.pop(key, None)
            done.set()

    @staticmethod
    async def _kept(views: ViewCache, key: Key) -> Kept | None:
        if (composing := views.composing.get(key)) is not None:
            await composing.wait()  # the same caller's same view is on its way: wait for it
        return views.get(key)

    async def _compose(
        self, views: ViewCache, key: Key, who: Principal, scope: Scope, receive: Receive, send: Send
    ) -> None:
        before = views.generations.now()
        scope.setdefault("state", {})["composed"] = composed = Composed(who=who)
        start: dict = {}
        parts: list[bytes] = []

        async def keeping(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keeping)
        if start.get("status") == 200:
            content_type = next((v for k, v in start.get("headers", ()) if k == b"content-type"), b"application/json")
            views.put(key, Kept(b"".join(parts), content_type), before, composed)


async def _answer(send: Send, kept: Kept) -> None:
    headers = [(b"content-type", kept.content_type), (b"content-length", str(len(kept.body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": kept.body})


class ChangeFeed:
    """The gateway's ear on NATS: a core subscription to every service's events and change notices.
    A message names its service in the subject's second token."""

    def __init__(self, servers: list[str], generations: Generations) -> None:
        self.servers, self.generations = servers, generations
        self.nc: nats.NATS | None = None
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="gateway:change-feed")

    async def stop(self) -> None:
        self.generations.hear(False)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.nc is not None:
            await self.nc.close()

    async def _connect(self) -> None:
        while self.nc is None:
            try:
                self.nc = await nats.connect(
                    self.servers,
                    name="wushe-gateway-changes",
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=1,
                    disconnected_cb=self._disconnected,
                    reconnected_cb=self._reconnected,
                    error_cb=self._error,
                )
            except (OSError, nats.errors.Error) as exc:
                log.warning("view cache off: NATS unreachable", extra={"error": describe(exc)})
                await asyncio.sleep(RETRY_S)
        for prefix in (EVENT_PREFIX, CHANGED_PREFIX):
            await self.nc.subscribe(f"{prefix}.>", cb=self._heard)
        await self.nc.flush()  # the server has the subscriptions: from here on no change goes unheard
        self.generations.hear(True)

    async def _heard(self, msg) -> None:
        self.generations.changed(msg.subject.split(".", 2)[1])

    async def _disconnected(self) -> None:
        self.generations.hear(False)

    async def _reconnected(self) -> None:
        try:
            await self.nc.flush()  # the subscriptions are back at the server
        except (nats.errors.Error, TimeoutError) as exc:
            log.warning("view cache stays off", extra={"error": describe(exc)})
            return  # away again: the next reconnection tries once more
        self.generations.hear(True)

    async def _error(self, exc: Exception) -> None:
        if isinstance(exc, nats.errors.SlowConsumerError):  # a notice was dropped
            self.generations.hear(self.nc is not None and self.nc.is_connected)
            return
        log.warning("change feed error", extra={"error": describe(exc)})
