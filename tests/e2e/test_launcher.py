"""`wushe up` (what `make run` calls): starts everything, stops everything on SIGINT, keeps data."""

from __future__ import annotations

import shutil
import socket
import tempfile
from pathlib import Path

import httpx
import pytest
from support.launcher import dev_token, stop, supervised, up_env, wait_up, wushe
from support.stack import free_port_block

from deploy.servers import free_port

NEED = {
    "area_code": "130102001001",
    "category": "recreation",
    "description": "社区重阳节活动",
    "resident": {"name": "王五", "phone": "13700137000", "citizen_id": "11010519491231002X"},
}


@pytest.fixture
def home():
    path = Path(tempfile.mkdtemp(prefix="wushe-up-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


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
    token = dev_token(env, "social_worker", "130102")
    headers = {"Authorization": f"Bearer {token}"}

    first = wushe("up", env=env)
    try:
        banner = wait_up(first)
        assert gateway in banner
        created = httpx.post(f"{gateway}/api/v1/needs", json=NEED, headers=headers, timeout=10)
        assert created.status_code == 201, created.text
        assert sorted(p["name"] for p in supervised(home)) == sorted(
            ["gateway", "needs", "volunteers", "projects", "charity", "party", "exchange"]
        )
        status = httpx.get(f"{gateway}/api/v1/status", headers=headers, timeout=10).json()
        assert status["status"] == "ok" and status["supervised"], status
        assert {s["service"]: s["restarts"] for s in status["services"]}["needs"] == 0
    finally:
        out = stop(first)
    assert "已停止 / stopped" in out and "killed" not in out  # every child stopped by itself
    assert not (home / "run" / "supervisor.json").exists(), "a stopped stack still claims to run"
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


@pytest.mark.parametrize(
    "value, says",
    [("nosuch=2", "unknown service 'nosuch'"), ("needs=0", "positive integer"), ("needs", "positive integer")],
)
def test_replicas_are_checked_before_anything_starts(home, value, says):
    proc = wushe("up", "--replicas", value, env=up_env(home, free_port_block(), free_port()))
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "argument --replicas" in out and says in out, out
    assert not (home / "nats").exists(), "something started before the arguments were checked"
