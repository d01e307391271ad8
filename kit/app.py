"""The app factory: every service and the gateway get problem+json errors, a body limit,
tracing, /healthz and /readyz; a service's lifespan also starts and stops its pool, broker,
outbox relay, event consumers, periodic and retention jobs, each supervised (kit.workers)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from contextlib import asynccontextmanager, nullcontext
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.telemetry import TelemetryConfig
from starlette.convertors import StringConvertor, register_url_convertor

from contracts.taxonomy import CodeLists, LabelledEnum, code_lists
from kit import audit, db, idempotency, metrics, problems, telemetry, wiring
from kit import openapi as kit_openapi
from kit.auth import caller_of
from kit.bus import EventConsumer, change_announcer, create_broker
from kit.crypto import Keyring
from kit.failures import describe
from kit.outbox import relay_of
from kit.retention import retention_job
from kit.settings import Settings, get_settings
from kit.workers import Supervised, Worker, not_ready

ReadyCheck = Callable[[FastAPI], Awaitable[None]]


class UsccSegment(StringConvertor):
    """`{uscc:uscc}`: a path segment shaped like a unified social credit code, so a route such as
    /organizations/stats is never taken for one (its check character is validated by contracts.values.USCC).
    Ids are typed the same way with Starlette's `{id:uuid}`."""

    regex = "[0-9A-HJ-NPQRTUWXY]{18}"


register_url_convertor("uscc", UsccSegment())


def create_app(
    name: str,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    lifespan: Callable[[FastAPI, Settings], AsyncIterator[None]] | None = None,
    ready_checks: Sequence[ReadyCheck] = (),
    idempotent_writes: bool = False,
) -> FastAPI:
    settings = get_settings()

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        telemetry.setup(name, settings.otel_exporter, settings.log_level)
        metrics.setup(name)
        async with asynccontextmanager(lifespan)(app, settings) if lifespan else nullcontext():
            _settle_heap()
            yield

    # FastAPI's native telemetry continues the caller's trace (W3C traceparent) in a server
    # span; per-operation spans would cost more than they tell at this size.
    native: TelemetryConfig = {"operation_spans": False, "logs": False, "exclude": _probe}
    app = FastAPI(title=title, version="1.0.0", lifespan=_lifespan, telemetry=native)
    problems.install(app)
    if idempotent_writes:  # innermost: it reads a body the outer layers have bounded and checked
        app.add_middleware(idempotency.IdempotentWrites, caller_of=caller_of)
    app.add_middleware(problems.BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(problems.InputGuard)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": name}

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> dict[str, str]:
        failing = []
        for check in ready_checks:
            try:
                await asyncio.wait_for(check(request.app), 2.0)
            except Exception as exc:  # noqa: BLE001 - each failing check is named in the answer
                failing.append(describe(exc))
        if failing:
            raise problems.Problem(503, "未就绪 / Not ready", "; ".join(failing))
        return {"status": "ready", "service": name}

    for router in routers:
        app.include_router(router)
    kit_openapi.install(app)
    return app


# A young collection once this many more container objects live than at the last one (CPython's
# default is 700). A request allocates and frees many; what it leaves behind in cycles is small.
YOUNG_COLLECTION_AT = 20_000


def _settle_heap() -> None:
    """What start-up built (modules, schemas, the area tables, the app) lives as long as the process:
    frozen out of the collector's sight, so that a full collection walks only what requests made; and
    young collections far apart. Measured at saturation (bench/pipeline.py, a gc callback): the
    collector took 12 % of the needs service's CPU and 16 % of the gateway's, with full collections
    of up to 154 ms (a p99 of their own); frozen, 5 % and 8 %, at most 15 ms; with young collections
    this far apart, about one a run."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_AT, 10, 10)


def create_service_app(
    name: str,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    consumers: Sequence[Mapping[str, wiring.Offered]] = (),
    on_start: Callable[[FastAPI, Settings], Awaitable[None]] | None = None,
    periodic: Sequence[Callable[[FastAPI], Worker]] = (),
    code_lists: Mapping[str, Iterable[LabelledEnum]] | None = None,
) -> FastAPI:
    """A bounded service: its own database pool, its own outbox relay, its own consumers and
    periodic jobs (each built from the app once its pool exists). `consumers` are the handlers its
    subscribers modules offer, wired from the flow map (kit.wiring). `code_lists` are the codes its
    answers carry, served with their labels at GET /code-lists for the console."""
    subscriptions = wiring.subscriptions(name, consumers, get_settings().consumer_max_deliver)

    async def lifespan(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
        pool = await db.create_pool(settings, name)
        broker = create_broker(settings.nats_servers, name)
        await broker.connect()
        js = broker.connection.jetstream()
        app.state.pool, app.state.broker, app.state.settings = pool, broker, settings
        if on_start:
            await on_start(app, settings)
        announce = change_announcer(broker.connection, name)
        workers: list[Worker] = [EventConsumer(sub, pool, js, announce) for sub in subscriptions]
        workers += [make(app) for make in periodic]
        sampler = metrics.Sampler(
            name, pool, js, [(s.stream, s.durable) for s in subscriptions], settings.metrics_sample_s
        )
        workers.append(sampler)
        workers.append(retention_job(pool, settings))
        if settings.relay_in_process:
            workers.append(relay_of(name, settings, pool, js))
        app.state.workers = supervised = [Supervised(w) for w in workers]
        sampler.problems = lambda: not_ready(supervised)
        tasks = [asyncio.create_task(w.run(), name=f"{name}:{w.name}") for w in supervised]
        try:
            yield
        finally:
            for worker in supervised:
                worker.stop()
            if tasks:
                await asyncio.wait(tasks, timeout=5)
            for task in tasks:
                task.cancel()
            await broker.stop()
            await pool.close()

    async def database_ready(app: FastAPI) -> None:
        try:
            await app.state.pool.fetchval("SELECT 1")
        except Exception as exc:
            raise ConnectionError(f"PostgreSQL {describe(exc)}") from exc

    async def bus_ready(app: FastAPI) -> None:
        if not app.state.broker.connection.is_connected:
            raise ConnectionError("NATS disconnected")

    async def workers_ready(app: FastAPI) -> None:
        if problems_ := not_ready(app.state.workers):
            raise RuntimeError("后台任务未运行 / background workers not running: " + "; ".join(problems_))

    return create_app(
        name,
        title=title,
        routers=[*routers, audit.router, _code_lists_router(code_lists or {})],
        lifespan=lifespan,
        ready_checks=(database_ready, bus_ready, workers_ready),
        idempotent_writes=True,
    )


def _code_lists_router(lists: Mapping[str, Iterable[LabelledEnum]]) -> APIRouter:
    served = code_lists(lists)
    router = APIRouter(tags=["代码表 code lists"])

    @router.get("/code-lists", summary="代码表（公开）/ the service's code lists and their labels, public")
    async def service_code_lists() -> CodeLists:
        return served

    return router


# async, like every dependency on a hot path: FastAPI runs a sync one in its thread pool (a thread
# hand-off and back per request, about 6 % of the needs service's CPU at saturation)
async def pool_of(request: Request) -> asyncpg.Pool:
    """The service's database pool (opened by its lifespan)."""
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def keyring_of(request: Request) -> Keyring:
    """The service's personal-data keyring (loaded at start-up)."""
    keyring: Keyring = request.app.state.keyring
    return keyring


# a route's typed dependencies: `async def route(..., pool: DbPool, keyring: Keys)`
DbPool = Annotated[asyncpg.Pool, Depends(pool_of)]
Keys = Annotated[Keyring, Depends(keyring_of)]


def _probe(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in ("/healthz", "/readyz", "/metrics")
