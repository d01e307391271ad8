"""系统状态 / the platform's status, for anyone signed in: is each service ready (its own /readyz,
asked now), and — when `wushe up`'s supervisor runs the stack on this machine — how often its
processes had to be restarted. It names services only: no person, token, address or process id."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from datetime import UTC, datetime, timedelta

import aiohttp
from fastapi import APIRouter, Request

from contracts.api.status import Overall, ServiceStatus, SystemStatus
from kit.auth import Caller
from kit.settings import Settings, get_settings
from services.gateway.upstream import Upstream

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["系统状态 status"])
DETAIL_MAX = 300
# a restarted process is still starting for a while: not ready then is "restarting", not "degraded"
STARTING = timedelta(seconds=60)


@router.get("/status", response_model=SystemStatus, summary="系统状态 / is every service ready")
async def status(request: Request, who: Caller) -> SystemStatus:
    upstreams: dict[str, Upstream] = request.app.state.upstreams
    answers = await asyncio.gather(*(readiness(u) for u in upstreams.values()))
    ready = {
        "gateway": (True, None),
        **dict(zip(upstreams, answers, strict=False)),
    }  # answering this, the gateway is ready
    supervised = supervisor_processes(get_settings())
    services = [
        ServiceStatus(service=name, ready=ok, detail=detail, **counts(supervised, name))
        for name, (ok, detail) in ready.items()
    ]
    return SystemStatus(
        status=overall(services, supervised),
        supervised=supervised is not None,
        checked_at=datetime.now(UTC),
        services=services,
    )


async def readiness(upstream: Upstream) -> tuple[bool, str | None]:
    """(ready, what is down): a 503 of /readyz names the failing parts (PostgreSQL, NATS, workers)."""
    try:
        reply = await upstream.request("GET", "/readyz")
    except (TimeoutError, aiohttp.ClientError):
        return False, "无响应 / not answering"
    if reply.status == 200:
        return True, None
    try:
        detail = reply.json().get("detail")
    except ValueError:
        detail = None
    return False, str(detail or f"未就绪 / not ready (HTTP {reply.status})")[:DETAIL_MAX]


def supervisor_processes(settings: Settings) -> list[dict] | None:
    """The processes the supervisor keeps (deploy/supervisor.py), or None when no supervisor runs
    this stack: no file, or the supervisor that wrote it is gone."""
    try:
        state = json.loads(settings.supervisor_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("supervisor state unreadable", extra={"error": str(exc)})
        return None
    if not _alive(state.get("supervisor_pid")):
        return None
    return [p for p in state.get("processes", []) if isinstance(p, dict)]


def _alive(pid) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, but alive
    return True


def counts(processes: list[dict] | None, name: str) -> dict:
    if processes is None:
        return {}
    mine = [p for p in processes if p.get("name") == name]
    crashed = sorted((p for p in mine if p.get("last_exit")), key=lambda p: str(p.get("since")))
    return {
        "processes": len(mine),
        "restarting": sum(p.get("state") == "restarting" for p in mine),
        "restarts": sum(int(p.get("restarts") or 0) for p in mine),
        "last_exit": crashed[-1]["last_exit"] if crashed else None,
    }


def _just_restarted(processes: list[dict] | None, name: str) -> bool:
    now = datetime.now(UTC)
    for p in processes or ():
        if p.get("name") == name and p.get("restarts"):
            try:
                if now - datetime.fromisoformat(str(p.get("since"))) < STARTING:
                    return True
            except ValueError:
                continue
    return False


def overall(services: list[ServiceStatus], processes: list[dict] | None) -> Overall:
    """degraded: a service is down and no restart explains it; restarting: the supervisor is
    bringing a process back (or one it brought back is still starting); ok otherwise."""
    down = [s for s in services if not s.ready]
    if any(not (s.restarting or _just_restarted(processes, s.service)) for s in down):
        return "degraded"
    if down or any(s.restarting for s in services):
        return "restarting"
    return "ok"
