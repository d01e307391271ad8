"""The gateway's connections to a service (services/gateway/upstream.py) over real loopback HTTP:
a service's 500 leaves the keep-alive connection usable, and a write whose pooled connection the
service closed under it is sent once more, on a fresh connection, with the same Idempotency-Key."""

from __future__ import annotations

import asyncio

import pytest
import uvicorn
from fastapi import APIRouter, Request, Response
from support.waiting import eventually

from deploy.cli import KEEP_ALIVE_S
from deploy.servers import free_port
from kit.app import create_app
from services.gateway.cache import Generations
from services.gateway.upstream import KEEPALIVE_S, Upstream

router = APIRouter()
seen: dict[str, list] = {"clients": [], "keys": []}


@router.get("/boom")
async def boom() -> dict:
    raise RuntimeError("a bug in the service")


@router.post("/echo", status_code=201)
async def echo(request: Request) -> dict:
    seen["clients"].append(request.scope["client"][1])
    seen["keys"].append(request.headers.get("idempotency-key"))
    return {"ok": True}


@router.get("/cookie")
async def cookie(request: Request, response: Response) -> dict:
    response.set_cookie("session", f"of-{request.headers.get('x-caller')}")
    return {"cookie": request.headers.get("cookie")}


@pytest.fixture
async def service():
    """A service app of the kit, served by uvicorn as `wushe serve` serves it."""
    seen["clients"].clear()
    seen["keys"].clear()
    port = free_port()
    config = uvicorn.Config(
        create_app("probe", title="probe", routers=[router]),
        host="127.0.0.1",
        port=port,
        http="httptools",
        log_level="critical",
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def serving() -> bool:
        if task.done():
            task.result()  # it could not start: its error, not a timeout
        return server.started

    await eventually(serving, f"uvicorn serving the probe app on port {port}", 10)
    upstream = Upstream("probe", f"http://127.0.0.1:{port}", 5, Generations(["probe"]))
    yield upstream
    await upstream.close()
    server.should_exit = True
    await task


async def test_a_write_after_a_service_error_goes_through_on_the_same_connection(service):
    for _ in range(20):
        failed = await service.request("GET", "/boom")
        assert failed.status == 500 and failed.json()["status"] == 500
        written = await service.request("POST", "/echo", data=b"{}", headers={"content-type": "application/json"})
        assert written.status == 201
    assert len(set(seen["clients"])) == 1  # the 500s closed no connection


async def test_a_cookie_one_caller_was_given_never_goes_along_with_the_next_callers_request(service):
    """One session serves every caller: a service's Set-Cookie must not be replayed to it later.
    (By a host name, as in a cluster: a cookie jar keeps no cookie of a bare IP address.)"""
    by_name = Upstream("probe", service.base_url.replace("127.0.0.1", "localhost"), 5, Generations(["probe"]))
    try:
        first = await by_name.request("GET", "/cookie", headers={"x-caller": "sw-1"})
        assert first.status == 200 and "set-cookie" in {k.lower() for k in first.headers}
        second = await by_name.request("GET", "/cookie", headers={"x-caller": "sw-2"})
        assert second.json() == {"cookie": None}
    finally:
        await by_name.close()


async def test_the_gateway_drops_idle_connections_before_the_services_do():
    assert KEEPALIVE_S < KEEP_ALIVE_S


class ClosingOnce:
    """A raw HTTP/1.1 server that answers a connection's first request and then, once, closes the
    connection as the next request arrives, unanswered: the keep-alive race, made certain."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.closed_once = False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                self.requests.append(head)
                if len(self.requests) == 2 and not self.closed_once:
                    self.closed_once = True
                    return  # closed, unanswered
                writer.write(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed
        finally:
            writer.close()

    def keys(self) -> list[bytes]:
        return [
            line.split(b":", 1)[1].strip()
            for head in self.requests
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"idempotency-key:")
        ]


async def test_a_write_on_a_connection_closed_under_it_is_sent_again_with_the_same_key():
    peer = ClosingOnce()
    server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    generations = Generations(["needs"])
    upstream = Upstream("needs", f"http://127.0.0.1:{port}", 5, generations)
    try:
        first = await upstream.request("POST", "/needs", data=b"{}", headers={"content-type": "application/json"})
        second = await upstream.request("POST", "/needs", data=b"{}", headers={"content-type": "application/json"})
        assert (first.status, second.status) == (201, 201)
        assert generations.of["needs"] == 2  # each write may have changed what the views keep of the service
        keys = peer.keys()
        assert len(keys) == 3 and keys[1] == keys[2] != keys[0]  # the retry is the same request
        assert all(k.startswith(b"gateway-") for k in keys)
        mine = await upstream.request("POST", "/needs", data=b"{}", headers={"Idempotency-Key": "client-7"})
        assert mine.status == 201 and peer.keys()[-1] == b"client-7"  # the caller's own key goes through
    finally:
        await upstream.close()
        server.close()
        await server.wait_closed()
