"""`wushe up`: the whole stack on one machine, stopped cleanly by Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from deploy.provision import provision
from deploy.servers import PortBusy, port_free, start_nats, start_nats_cluster, start_postgres, stop_nats, stop_postgres
from deploy.supervisor import Supervisor
from kit.settings import SERVICES, Settings

APPS = (*SERVICES, "gateway")


def service_env(settings: Settings) -> dict[str, str]:
    """The environment a child needs to find everything `settings` describes."""
    return {
        **os.environ,
        "WUSHE_HOME": str(settings.home.resolve()),
        "WUSHE_HTTP_PORT": str(settings.http_port),
        "WUSHE_HTTP_HOST": settings.http_host,
        "WUSHE_NATS_URL": settings.nats_url,
        "WUSHE_PG_HOST": settings.pg_address,
        "WUSHE_PG_PORT": str(settings.pg_port),
        "WUSHE_PG_SSLMODE": settings.pg_sslmode,
        **({"WUSHE_PG_SSLROOTCERT": str(settings.pg_sslrootcert)} if settings.pg_sslrootcert else {}),
        **({"WUSHE_UPSTREAM_URLS": json.dumps(settings.upstream_urls)} if settings.upstream_urls else {}),
    }


def spawn(settings: Settings, *args: str, log_name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    logs = settings.path("log")
    logs.mkdir(parents=True, exist_ok=True)
    out = open(logs / f"{log_name}.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "deploy.cli", *args],
        env=env or service_env(settings),
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def answers_ready(settings: Settings, name: str) -> bool:
    try:
        with urllib.request.urlopen(f"{settings.url_of(name)}/readyz", timeout=1.0):
            return True  # urlopen raises on anything but 2xx
    except (urllib.error.URLError, OSError):
        return False


def wait_ready(settings: Settings, procs: dict[str, subprocess.Popen], timeout: float = 60.0) -> None:
    """Unsupervised processes (the tests' stacks): one that exits during start-up fails at once."""
    deadline = time.monotonic() + timeout
    pending = set(procs)
    while pending and time.monotonic() < deadline:
        for name in list(pending):
            if procs[name].poll() is not None:
                raise SystemExit(f"{name} exited during start-up; see {settings.path('log', name + '.log')}")
            if answers_ready(settings, name):
                pending.discard(name)
        time.sleep(0.1)
    if pending:
        raise SystemExit(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}")


def wait_supervised(settings: Settings, stop_asked: Callable[[], bool], timeout: float = 90.0) -> None:
    """Until every service's port answers /readyz; a crash meanwhile is the supervisor's to restart
    (and to say so), so a slow or flaky start-up still comes up."""
    deadline = time.monotonic() + timeout
    pending = set(APPS)
    while pending and not stop_asked() and time.monotonic() < deadline:
        pending -= {name for name in pending if answers_ready(settings, name)}
        time.sleep(0.1)
    if pending and not stop_asked():
        raise SystemExit(
            f"未能就绪 / not ready after {timeout:.0f}s: {', '.join(sorted(pending))}; "
            f"see {settings.path('log')} (supervisor.log, <name>.log)"
        )


def supervisor_of(settings: Settings, replicas: dict[str, int]) -> Supervisor:
    """Every service and the gateway, `replicas[name]` processes each (default 1) on its one port."""
    env = service_env(settings)
    supervisor = Supervisor(settings, lambda child: spawn(settings, *child.args, log_name=child.label, env=env))
    for name in APPS:
        count = replicas.get(name, 1)
        supervisor.add(name, ("serve", name, *(("--reuse-port",) if count > 1 else ())), count)
    return supervisor


def check_ports(settings: Settings) -> None:
    for name in APPS:
        port = settings.port_of(name)
        if not port_free(port, settings.http_host):
            raise PortBusy(
                f"端口 {port} 已被占用（{name}）/ port {port} is busy ({name}): "
                f"stop what uses it or set WUSHE_HTTP_PORT (services use the next five ports)"
            )


def catch_stop_signals() -> Callable[[], bool]:
    """SIGINT and SIGTERM ask for a clean stop instead of killing: → "has a stop been asked for?"."""
    asked = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: asked.append(signum))
    return lambda: bool(asked)


def up(settings: Settings, replicas: dict[str, int] | None = None) -> int:
    check_ports(settings)
    settings.home.mkdir(parents=True, exist_ok=True)
    stop_asked = catch_stop_signals()
    if settings.nats_cluster_size > 1:
        nats_proc = start_nats_cluster(settings, settings.nats_cluster_size)
        settings = settings.model_copy(update={"nats_url": nats_proc.url})  # provisioning and children reach every node
    else:
        nats_proc = start_nats(settings)
    supervisor = supervisor_of(settings, replicas or {})
    try:
        start_postgres(settings)
        asyncio.run(provision(settings))
        supervisor.start()
        wait_supervised(settings, stop_asked)
        if settings.demo and not stop_asked():
            from deploy.demo import load_demo

            load_demo(settings, should_stop=stop_asked)
        if stop_asked():
            return 0
        print(
            f"\nwushe 已启动 / is up: {settings.url_of('gateway')}/  (工作台 / console; "
            f"API 文档 / docs: {settings.url_of('gateway')}/api/v1/docs)"
        )
        print(f"数据 / data: {settings.home.resolve()}   日志 / logs: {settings.path('log')}")
        print("按 Ctrl-C 停止 / press Ctrl-C to stop", flush=True)
        while not stop_asked():
            time.sleep(0.2)  # the supervisor's thread restarts what crashes
        return 0
    finally:
        print("正在停止 / stopping …", flush=True)
        for label in supervisor.stop():
            print(f"{label} 未能按时停止，已强制结束 / did not stop in time and was killed", flush=True)
        stop_nats(nats_proc)
        stop_postgres(settings)
        print("已停止 / stopped", flush=True)
