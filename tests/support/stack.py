"""Service processes of one test module, on a block of HTTP ports of its own."""

from __future__ import annotations

import random
import signal
import subprocess

from deploy.launcher import service_env, spawn, wait_ready
from deploy.servers import port_free, stop_process
from kit.settings import PORT_OFFSETS, Settings


def free_port_block(size: int = len(PORT_OFFSETS)) -> int:
    for _ in range(200):
        base = random.randrange(20000, 40000)
        if all(port_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no free block of ports")


class Stack:
    """Service processes of one test module, on their own block of HTTP ports."""

    def __init__(self, settings: Settings, **env: str) -> None:
        self.settings = settings.model_copy(update={"http_port": free_port_block()})
        self.env = {**service_env(self.settings), **env}
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, *names: str, **env: str) -> None:
        """Start each service not running yet. One running is kept as it is (to start it with other
        settings, stop it first): a second process beside it could not take its port, and the first
        would be left running without its handle after the module."""
        started = {}
        for name in names:
            if name in self.procs and self.procs[name].poll() is None:
                continue
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
