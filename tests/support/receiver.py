"""A webhook receiver on 127.0.0.1 for the tests, as a partner or a portal would run one: every
request checked with the `standardwebhooks` library against each secret it is given."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import orjson
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from deploy.servers import free_port


@dataclass
class Received:
    path: str
    webhook_id: str
    body: dict
    headers: dict[str, str]
    answered: int
    verified: dict[str, bool]  # secret → whether it verifies the request
    at: float


@dataclass
class Endpoint:
    secrets: list[str] = field(default_factory=list)
    fail_first: int = 0  # answer 500 to this many requests first
    status: int = 200
    delay_s: float = 0.0


class Receiver:
    """An HTTP receiver on 127.0.0.1: one endpoint per path, each answering as told and checking
    every request with each secret it is given."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}
        self.received: list[Received] = []
        self.port = free_port()
        self.runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        endpoint = self.endpoints.setdefault(path, Endpoint())
        body = await request.text()
        headers = {k.lower(): v for k, v in request.headers.items()}
        verified = {}
        for secret in endpoint.secrets:
            try:
                Webhook(secret).verify(body, headers)
                verified[secret] = True
            except WebhookVerificationError:
                verified[secret] = False
        if endpoint.delay_s:
            await asyncio.sleep(endpoint.delay_s)
        answered = endpoint.status
        if endpoint.fail_first > 0:
            endpoint.fail_first -= 1
            answered = 500
        self.received.append(
            Received(path, headers.get("webhook-id", ""), orjson.loads(body), headers, answered, verified, time.time())
        )
        return web.Response(status=answered, text="ok")

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/{path}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc) -> None:
        assert self.runner is not None
        await self.runner.cleanup()
