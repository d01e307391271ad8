"""`wushe up` (what `make run` calls): starts everything, stops everything on SIGINT, keeps data."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from conftest import free_port_block

from deploy.servers import free_port

NEED = {
    "area_code": "130102001001", "category": "recreation", "description": "社区重阳节活动",
    "resident": {"name": "王五", "phone": "13700137000", "citizen_id": "11010519491231002X"},
}


@pytest.fixture
def home():
    path = Path(tempfile.mkdtemp(prefix="wushe-up-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def up_env(home: Path, http_port: int, nats_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUSHE_")}
    return {**env, "WUSHE_HOME": str(home), "WUSHE_HTTP_PORT": str(http_port),
            "WUSHE_NATS_URL": f"nats://127.0.0.1:{nats_port}", "WUSHE_DEMO": "false"}  # the demo: test_demo_data


def wushe(*args: str, env: dict[str, str], **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "deploy.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kw)


def wait_up(proc: subprocess.Popen, timeout: float = 120) -> str:
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Ctrl-C" in line:
            return "".join(lines)
    proc.kill()
    raise AssertionError("wushe up did not come up:\n" + "".join(lines))


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def test_busy_port_gives_a_clear_message(home):
    http_port = free_port_block()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", http_port))
        taken.listen()
        proc = wushe("up", env=up_env(home, http_port, free_port()))
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert f"port {http_port} is busy" in out and "Traceback" not in out


def test_up_serves_stops_cleanly_and_keeps_data(home):
    http_port, nats_port = free_port_block(), free_port()
    env = up_env(home, http_port, nats_port)
    gateway = f"http://127.0.0.1:{http_port}"
    token = subprocess.run([sys.executable, "-m", "deploy.cli", "token", "--role", "social_worker", "--area", "130102"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}

    first = wushe("up", env=env)
    try:
        banner = wait_up(first)
        assert gateway in banner
        created = httpx.post(f"{gateway}/api/v1/needs", json=NEED, headers=headers, timeout=10)
        assert created.status_code == 201, created.text
    finally:
        out = stop(first)
    assert "已停止 / stopped" in out and "killed" not in out  # every child stopped by itself
    for port in range(http_port, http_port + 6):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still served after stop"
    assert not (home / "pg" / "postmaster.pid").exists(), "PostgreSQL still running"

    second = wushe("up", env=env)
    try:
        wait_up(second)
        again = httpx.get(f"{gateway}/api/v1/needs/{created.json()['id']}", headers=headers, timeout=10)
        assert again.status_code == 200 and again.json()["need"]["description"] == NEED["description"]
    finally:
        stop(second)
