"""Servers of one fault test's own (PostgreSQL and NATS it may stop, kill and restart without
disturbing any other test), a load that keeps raising needs, and the scenario's figures written to
test-artifacts/faults/ (events sent, effects observed, lost, duplicated, time to recover)."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.provision import provision
from deploy.servers import free_port, start_nats, start_postgres, stop_postgres, stop_process
from kit.settings import Settings
from support.faults import NEED

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "faults"


@dataclass
class PrivateServers:
    settings: Settings
    nats: object = None

    @classmethod
    def start(cls, shared: Settings, **overrides) -> PrivateServers:
        """A PostgreSQL and a nats-server under a new WUSHE_HOME, provisioned like `make run`; the
        session's signing key and keyring are copied in, so the `token` fixture's tokens are valid."""
        home = Path(tempfile.mkdtemp(prefix="wushe-fault-", dir="/tmp"))
        shutil.copytree(shared.path("keys"), home / "keys")
        settings = Settings(
            home=home,
            http_port=shared.http_port,
            nats_url=f"nats://127.0.0.1:{free_port()}",
            pg_port=free_port(),
            **overrides,
        )
        servers = cls(settings, start_nats(settings))
        start_postgres(settings)
        asyncio.run(provision(settings, log=lambda *_: None))
        return servers

    def stop_postgres(self) -> None:
        stop_postgres(self.settings)

    def start_postgres(self) -> None:
        start_postgres(self.settings)

    def close(self) -> None:
        stop_process(self.nats)
        stop_postgres(self.settings)
        shutil.rmtree(self.settings.home, ignore_errors=True)


@dataclass
class NeedLoad:
    """Raises needs without pause from `concurrency` clients, each POST with an Idempotency-Key of
    its own and retried with the same key until it gets an answer that is not 5xx or a dropped
    connection (as a portal would). `created` holds the ids that were answered 201; a request whose
    service died between its commit and storing its answer is told so (409) and counted apart."""

    url: str
    token: str
    concurrency: int = 4
    limit: int = 100_000
    body: dict = field(default_factory=lambda: NEED)
    created: list[str] = field(default_factory=list)
    failures: int = 0
    applied_unanswered: int = 0  # told "applied, answer not kept" (the service died in between)
    refusals: set[int] = field(default_factory=set)  # the statuses of refused attempts
    _claimed: int = 0
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            await asyncio.gather(*(self._client(client) for _ in range(self.concurrency)))

    async def _client(self, client: httpx.AsyncClient) -> None:
        while not self._stop.is_set() and self._claimed < self.limit:
            self._claimed += 1  # no await since the check: the clients together send exactly `limit`
            key = str(uuid.uuid4())
            while not self._stop.is_set():
                try:
                    reply = await client.post(
                        "/needs",
                        json=self.body,
                        headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": key},
                    )
                except httpx.TransportError:
                    reply = None
                if reply is not None and reply.status_code == 201:
                    self.created.append(reply.json()["id"])
                    break
                if reply is not None and reply.status_code == 409 and reply.json().get("rule") == "idempotency_applied":
                    self.applied_unanswered += 1  # killed between its commit and storing its answer: applied
                    break
                assert reply is None or reply.status_code >= 500, reply.text  # never a 4xx for a good body
                self.failures += 1
                if reply is not None:
                    self.refusals.add(reply.status_code)
                await asyncio.sleep(0.2)  # the client's own back-off before a retry, as a portal's: part of the load

    def stop(self) -> None:
        self._stop.set()


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 1)


def report(scenario: str, **figures) -> dict:
    """Keep the scenario's figures for the record (and print them for `pytest -s`)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{scenario}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    print(f"\n{scenario}: {figures}")
    return figures
