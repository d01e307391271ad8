"""Session fixtures: a real nats-server (JetStream) and a real PostgreSQL, started on free ports
under a temporary WUSHE_HOME, provisioned like `make run`, and removed afterwards."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from support.stack import Stack, free_port_block

from deploy.launcher import service_env
from deploy.provision import provision
from deploy.servers import free_port, start_nats, start_postgres, stop_postgres, stop_process
from kit.settings import Settings, get_settings

# Property tests check rules, not speed: on a shared 2-core machine running servers beside them,
# drawing examples can be slow, and that must not fail a build.
hypothesis_settings.register_profile("shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("shared-machine")


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
    volunteers, charity, party) and the exchange, so the facade is whole; deadlines are looked for
    every half second."""
    stack.start(
        "needs",
        "volunteers",
        "charity",
        "party",
        "projects",
        "exchange",
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


@pytest.fixture
async def browser():
    """Headless Debian chromium driven by Playwright (tests/support/browser.py); only a test that
    takes this fixture skips when Playwright is not installed."""
    from support.browser import ARGS, CHROMIUM

    playwright_api = pytest.importorskip("playwright.async_api", reason="pip install playwright (the dev extra)")

    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
