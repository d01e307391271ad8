"""Session fixtures: a real nats-server (JetStream) and a real PostgreSQL, started on free ports
under a temporary WUSHE_HOME, provisioned like `make run`, and removed afterwards."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from deploy.launcher import service_env, spawn, wait_ready
from deploy.provision import provision
from deploy.servers import free_port, port_free, start_nats, start_postgres, stop_postgres, stop_process
from kit.settings import PORT_OFFSETS, Settings, get_settings

# Property tests check rules, not speed: on a shared 2-core machine running servers beside them,
# drawing examples can be slow, and that must not fail a build.
hypothesis_settings.register_profile("shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("shared-machine")


def free_port_block(size: int = len(PORT_OFFSETS)) -> int:
    for _ in range(200):
        base = random.randrange(20000, 40000)
        if all(port_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no free block of ports")


@pytest.fixture(scope="session")
def settings() -> Settings:
    # a short path: the PostgreSQL Unix socket lives under it
    home = Path(tempfile.mkdtemp(prefix="wushe-test-", dir="/tmp"))
    settings = Settings(
        home=home, http_port=free_port_block(), nats_url=f"nats://127.0.0.1:{free_port()}", relay_in_process=True
    )
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in service_env(settings).items() if k.startswith("WUSHE_")})
    get_settings.cache_clear()
    nats_proc = start_nats(settings)
    try:
        start_postgres(settings)
        asyncio.run(provision(settings, log=lambda *_: None))
        yield settings
    finally:
        stop_process(nats_proc)
        stop_postgres(settings)
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        shutil.rmtree(home, ignore_errors=True)


class Stack:
    """Service processes of one test module, on their own block of HTTP ports."""

    def __init__(self, settings: Settings, **env: str) -> None:
        self.settings = settings.model_copy(update={"http_port": free_port_block()})
        self.env = {**service_env(self.settings), **env}
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, *names: str, **env: str) -> None:
        started = {}
        for name in names:
            started[name] = spawn(
                self.settings, "serve", name, log_name=f"{name}-{self.settings.http_port}", env={**self.env, **env}
            )
        self.procs.update(started)
        wait_ready(self.settings, started)

    def spawn(self, *args: str, log_name: str, **env: str) -> subprocess.Popen:
        return spawn(self.settings, *args, log_name=log_name, env={**self.env, **env})

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name)
        if sig == signal.SIGKILL:
            proc.kill()
            proc.wait()
        else:
            stop_process(proc)

    def url(self, name: str) -> str:
        return self.settings.url_of(name)

    def stop_all(self) -> None:
        names = list(self.procs)
        for name in names:
            self.stop(name)
        self.check_writes_claimed(names)

    def check_writes_claimed(self, names) -> None:
        """Every write goes through the gateway with an Idempotency-Key: a service that answered one
        without committing it in a unit of work has a route a retry would apply twice."""
        from kit.idempotency import UNCLAIMED_WRITE

        for name in names:
            log = self.settings.path("log", f"{name}-{self.settings.http_port}.log")
            if log.exists():
                unclaimed = [line for line in log.read_text(errors="replace").splitlines() if UNCLAIMED_WRITE in line]
                assert not unclaimed, f"{name}: writes outside a unit of work:\n" + "\n".join(unclaimed[:10])


@pytest.fixture(scope="module")
def stack(settings: Settings):
    s = Stack(settings)
    try:
        yield s
    finally:
        s.stop_all()


@pytest.fixture(scope="session")
def token(settings: Settings):
    """token(role, area, sub=...) → a signed development JWT."""
    from kit.auth import issue_token

    def make(role: str = "social_worker", area: str = "130102", sub: str = "test-worker") -> str:
        return issue_token(settings, role=role, area=area, sub=sub)

    return make


@pytest.fixture
async def db(settings: Settings):
    """db(service) → an asyncpg connection to that service's database (closed after the test)."""
    from kit import db as kit_db

    conns = []

    async def connect(service: str):
        conn = await kit_db.connect(settings, service)
        conns.append(conn)
        return conn

    yield connect
    for conn in conns:
        await conn.close()


@pytest.fixture
async def js(settings: Settings):
    import nats

    nc = await nats.connect(settings.nats_url)
    yield nc.jetstream()
    await nc.close()


async def eventually(check, what: str, timeout: float = 20.0):
    """Poll an async check until it returns something truthy; fail naming `what` after `timeout`."""
    for _ in range(int(timeout / 0.1)):
        if result := await check():
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def needs_api(stack) -> str:
    """The needs service behind the gateway (with volunteers), SLA checked every half second."""
    stack.start("needs", "volunteers", "gateway", WUSHE_NEEDS_SLA_CHECK_INTERVAL_S="0.5")
    return stack.url("gateway") + "/api/v1"


@pytest.fixture(scope="module")
def charity_api(stack) -> str:
    """The charity service behind the gateway, with needs and volunteers (whose events it meets)."""
    stack.start("needs", "volunteers", "charity", "gateway")
    return stack.url("gateway") + "/api/v1"


@pytest.fixture(scope="module")
def party_api(stack) -> str:
    """The party service behind the gateway, with needs and volunteers (whose events it meets and
    moves); deadlines are looked for every half second."""
    stack.start(
        "needs",
        "volunteers",
        "party",
        "gateway",
        WUSHE_PARTY_CHECK_INTERVAL_S="0.5",
        WUSHE_NEEDS_SLA_CHECK_INTERVAL_S="0.5",
    )
    return stack.url("gateway") + "/api/v1"


@pytest.fixture
async def party(party_api):
    import httpx

    async with httpx.AsyncClient(base_url=party_api, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def projects_api(stack) -> str:
    """The projects service behind the gateway, with every service whose events it meets (needs,
    volunteers, charity, party); deadlines are looked for every half second."""
    stack.start(
        "needs",
        "volunteers",
        "charity",
        "party",
        "projects",
        "gateway",
        WUSHE_PARTY_CHECK_INTERVAL_S="0.5",
        WUSHE_PROJECTS_CHECK_INTERVAL_S="0.5",
    )
    return stack.url("gateway") + "/api/v1"


@pytest.fixture
async def projects(projects_api):
    import httpx

    async with httpx.AsyncClient(base_url=projects_api, timeout=10) as c:
        yield c


@pytest.fixture
async def api(charity_api):
    import httpx

    async with httpx.AsyncClient(base_url=charity_api, timeout=10) as c:
        yield c


@pytest.fixture
async def client(needs_api):
    import httpx

    async with httpx.AsyncClient(base_url=needs_api, timeout=10) as c:
        yield c


def run_in_thread(coro):
    """asyncio.run in a thread of its own: for a module fixture, away from the tests' event loops."""
    import threading

    result: dict = {}

    def target():
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def without_instance(reply) -> dict:
    """A problem+json body without its `instance` (the request's own path)."""
    body = reply.json()
    body.pop("instance", None)
    return body


def anonymous(reply, names: dict[str, str]) -> str:
    """The problem without its `instance`, each id it names (a key of `names`) replaced by its name:
    what an outsider learns, to compare with the answer for an unknown id."""
    import json

    text = json.dumps(without_instance(reply), ensure_ascii=False, sort_keys=True)
    for value, name in names.items():
        text = text.replace(value, name)
    return text


@pytest.fixture
async def browser():
    """Headless Debian chromium driven by Playwright (tests/browser_kit.py: skip when absent)."""
    from browser_kit import ARGS, CHROMIUM, playwright_api

    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
