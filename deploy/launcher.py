"""`wushe up`: the whole stack on one machine, stopped cleanly by Ctrl-C."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import urllib.error
import urllib.request
from collections.abc import Callable

from deploy.provision import provision
from deploy.servers import PortBusy, port_free, start_nats, start_postgres, stop_postgres, stop_process
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
        "WUSHE_PG_HOST": str(settings.pg_socket_dir),
        "WUSHE_PG_PORT": str(settings.pg_port),
    }


def spawn(settings: Settings, *args: str, log_name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    logs = settings.path("log")
    logs.mkdir(parents=True, exist_ok=True)
    out = open(logs / f"{log_name}.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "deploy.cli", *args], env=env or service_env(settings),
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(settings: Settings, procs: dict[str, subprocess.Popen], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    pending = set(procs)
    while pending and time.monotonic() < deadline:
        for name in list(pending):
            if procs[name].poll() is not None:
                raise SystemExit(f"{name} exited during start-up; see {settings.path('log', name + '.log')}")
            try:
                with urllib.request.urlopen(f"{settings.url_of(name)}/readyz", timeout=1.0):
                    pending.discard(name)  # urlopen raises on anything but 2xx
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.1)
    if pending:
        raise SystemExit(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}")


def check_ports(settings: Settings) -> None:
    for name in APPS:
        port = settings.port_of(name)
        if not port_free(port, settings.http_host):
            raise PortBusy(f"端口 {port} 已被占用（{name}）/ port {port} is busy ({name}): "
                           f"stop what uses it or set WUSHE_HTTP_PORT (services use the next five ports)")


def catch_stop_signals() -> Callable[[], bool]:
    """SIGINT and SIGTERM ask for a clean stop instead of killing: → "has a stop been asked for?"."""
    asked = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: asked.append(signum))
    return lambda: bool(asked)


def up(settings: Settings) -> int:
    check_ports(settings)
    settings.home.mkdir(parents=True, exist_ok=True)
    stop_asked = catch_stop_signals()
    nats_proc = start_nats(settings)
    procs: dict[str, subprocess.Popen] = {}
    try:
        start_postgres(settings)
        asyncio.run(provision(settings))
        for name in APPS:
            procs[name] = spawn(settings, "serve", name, log_name=name)
        wait_ready(settings, procs)
        if settings.demo and not stop_asked():
            from deploy.demo import load_demo

            load_demo(settings, should_stop=stop_asked)
        if stop_asked():
            return 0
        print(f"\nwushe 已启动 / is up: {settings.url_of('gateway')}/  (工作台 / console; "
              f"API 文档 / docs: {settings.url_of('gateway')}/api/v1/docs)")
        print(f"数据 / data: {settings.home.resolve()}   日志 / logs: {settings.path('log')}")
        print("按 Ctrl-C 停止 / press Ctrl-C to stop", flush=True)
        while not stop_asked():
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(f"{name} stopped unexpectedly (exit {proc.returncode}); see {settings.path('log', name + '.log')}")
                    return 1
            time.sleep(0.2)
        return 0
    finally:
        print("正在停止 / stopping …", flush=True)
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in procs.items():
            if not stop_process(proc):
                print(f"{name} 未能按时停止，已强制结束 / did not stop in time and was killed", flush=True)
        stop_process(nats_proc)
        stop_postgres(settings)
        print("已停止 / stopped", flush=True)
