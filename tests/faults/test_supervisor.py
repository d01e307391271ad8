"""`wushe up` supervises its processes: one that crashes (or is killed with SIGKILL) is restarted
with a capped, doubling back-off, said on stdout and in log/supervisor.log, kept in
run/supervisor.json and shown by GET /api/v1/status; requests sent meanwhile either succeed or fail
visibly, and a client retrying with the same Idempotency-Key gets each need applied exactly once.
`--replicas volunteers=2` runs two processes on the one port, sharing the durable consumers: one
killed, the other keeps serving and consuming (the gateway runs two replicas the same way).

The first tests drive the Supervisor class with real short-lived processes (fast); the others run
`wushe up` itself (slow), on 秦皇岛市海港区 (1303…), where no other test works."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from support.launcher import dev_token, stop, supervised, up_env, wait_up, wushe
from support.private_stack import NeedLoad, Stopwatch, report
from support.stack import free_port_block
from support.waiting import eventually

from deploy.servers import free_port
from deploy.supervisor import Supervisor
from kit import db
from kit.settings import Settings

AREA, COMMUNITY = "130302", "130302001001"  # 海港区, 文化路街道 001 社区
NEED = {
    "area_code": COMMUNITY,
    "category": "daily_care",
    "description": "监督测试需求",
    "resident": {"name": "赵六", "phone": "13600136000", "citizen_id": "11010519491231002X"},
}


# --- the Supervisor on its own, with real processes -------------------------------------------------


@pytest.fixture
def home():
    path = Path(tempfile.mkdtemp(prefix="wushe-sup-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def quick_supervisor(home: Path, script: str, **backoff) -> tuple[Supervisor, list[str]]:
    """A supervisor of one "needs" process running `script`, with back-offs of tens of milliseconds."""
    said: list[str] = []
    supervisor = Supervisor(
        Settings(home=home),
        lambda child: subprocess.Popen([sys.executable, "-c", script], start_new_session=True),
        say=said.append,
        **{"first_s": 0.05, "max_s": 0.2, "stable_s": 3600, **backoff},
    )
    supervisor.add("needs", ("serve", "needs"))
    return supervisor, said


async def test_a_process_that_keeps_crashing_is_retried_with_a_capped_doubling_back_off(home):
    supervisor, said = quick_supervisor(home, "import sys; sys.exit(3)")
    supervisor.start(tick_s=0.02)
    try:
        await eventually(lambda: _async(supervised(home)[0]["restarts"] >= 4), "four restarts", 30)
        state = supervised(home)[0]
    finally:
        supervisor.stop()
    crashes = [line for line in said if "意外退出" in line]
    assert crashes[:4] == [
        f"needs 意外退出（退出码 3），{d} 秒后重启 / needs exited unexpectedly (exit code 3), "
        f"restarting in {d} s (log: {home / 'log' / 'needs.log'})"
        for d in ("0.05", "0.1", "0.2", "0.2")
    ]
    assert state["last_exit"] == "exit code 3" and state["name"] == "needs" and state["replica"] == 1
    assert crashes[0] in (home / "log" / "supervisor.log").read_text(encoding="utf-8")
    assert not (home / "run" / "supervisor.json").exists(), "a stopped supervisor still claims to run"


async def test_a_process_that_stayed_up_starts_its_back_off_afresh(home):
    supervisor, said = quick_supervisor(home, "import sys; sys.exit(1)", stable_s=0)
    supervisor.start(tick_s=0.02)
    try:
        await eventually(lambda: _async(supervised(home)[0]["restarts"] >= 3), "three restarts", 30)
    finally:
        supervisor.stop()
    delays = [line.split("，")[1].split(" ")[0] for line in said if "意外退出" in line]
    assert delays[:3] == ["0.05"] * 3


async def test_kill_9_is_restarted_and_stop_ends_the_new_process(home):
    supervisor, said = quick_supervisor(home, "import time; time.sleep(120)")  # a child that just stays up
    supervisor.start(tick_s=0.02)
    try:
        first = supervised(home)[0]["pid"]
        os.kill(first, signal.SIGKILL)
        again = await eventually(lambda: _async(_restarted(home, "needs", 1, first)), "a new needs process", 30)
        assert again["restarts"] == 1 and again["last_exit"] == "signal 9 SIGKILL"
        assert (
            "needs 意外退出（信号 9 SIGKILL），0.05 秒后重启 / needs exited unexpectedly (signal 9 SIGKILL)" in said[0]
        )
        assert (
            said[1] == f"needs 已重启（第 1 次，pid {again['pid']}）/ needs restarted (restart 1, pid {again['pid']})"
        )
    finally:
        killed = supervisor.stop()
    assert killed == [] and not psutil.pid_exists(again["pid"]), "stop left the restarted process running"


async def _async(value):
    return value


def _restarted(home: Path, name: str, replica: int, old_pid: int) -> dict | None:
    for p in supervised(home):
        if p["name"] == name and p["replica"] == replica and p["state"] == "running" and p["pid"] != old_pid:
            return p
    return None


# --- `wushe up` itself --------------------------------------------------------------------------------


@dataclass
class Up:
    home: Path
    settings: Settings
    proc: subprocess.Popen
    token: str

    @property
    def api(self) -> str:
        return self.settings.url_of("gateway") + "/api/v1"

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def pid_of(self, name: str, replica: int = 1) -> int:
        return next(p["pid"] for p in supervised(self.home) if p["name"] == name and p["replica"] == replica)


@pytest.fixture(scope="module")
def up():
    """`wushe up --replicas volunteers=2 --replicas gateway=2` on its own home, ports, NATS and
    PostgreSQL (no demo): the load of the first test goes through both gateways."""
    home = Path(tempfile.mkdtemp(prefix="wushe-sup-up-", dir="/tmp"))
    http_port = free_port_block()
    env = up_env(home, http_port, free_port())
    settings = Settings(home=home, http_port=http_port, pg_host=home / "run", pg_port=5432)
    proc = wushe("up", "--replicas", "volunteers=2", "--replicas", "gateway=2", env=env)
    try:
        wait_up(proc)
        yield Up(home, settings, proc, dev_token(env, "social_worker", AREA))
    finally:
        if proc.poll() is None:
            out = stop(proc)
            assert "已停止 / stopped" in out and "killed" not in out, out
        shutil.rmtree(home, ignore_errors=True)


async def _answers_ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(url + "/readyz")).status_code == 200
    except httpx.TransportError:
        return False


async def _status(up: Up) -> dict:
    async with httpx.AsyncClient(timeout=10) as client:
        reply = await client.get(up.api + "/status", headers=up.headers())
    assert reply.status_code == 200, reply.text
    return reply.json()


def _service(status: dict, name: str) -> dict:
    return next(s for s in status["services"] if s["service"] == name)


async def _needs_total(up: Up) -> int:
    async with httpx.AsyncClient(timeout=10) as client:
        reply = await client.get(up.api + "/needs", params={"page_size": 1}, headers=up.headers())
    assert reply.status_code == 200, reply.text
    return reply.json()["total"]


@pytest.mark.slow
async def test_a_killed_service_comes_back_and_no_write_is_lost_or_applied_twice(up):
    before = await _needs_total(up)
    old = up.pid_of("needs")
    load = NeedLoad(up.api, up.token, concurrency=4, limit=150, body=NEED)
    running = asyncio.create_task(load.run())
    await eventually(lambda: _async(len(load.created) >= 10), "the first needs", 30)
    os.kill(old, signal.SIGKILL)
    outage = Stopwatch()
    await eventually(lambda: _async(_restarted(up.home, "needs", 1, old)), "needs restarted", 30)
    await eventually(lambda: _answers_ready(up.settings.url_of("needs")), "needs ready again", 45)
    down_s = outage.seconds()
    await asyncio.wait_for(running, 60)
    report(
        "supervisor_kill_needs",
        keys=150,
        created=len(load.created),
        applied_unanswered=load.applied_unanswered,
        failed_attempts=load.failures,
        refusals=sorted(load.refusals),
        seconds_until_ready_again=down_s,
    )

    assert load.failures > 0 and load.refusals <= {503}, "the outage was not seen, or was not a clean 503"
    assert len(set(load.created)) == len(load.created), "one need answered twice"
    assert len(load.created) + load.applied_unanswered == 150
    assert await _needs_total(up) - before == 150, "a need lost or applied twice"
    status = await eventually(lambda: _ok(up), "status ok again", 30)
    needs = _service(status, "needs")
    assert needs["ready"] and needs["restarts"] == 1 and needs["last_exit"] == "signal 9 SIGKILL"
    assert status["supervised"] and _service(status, "volunteers")["processes"] == 2
    assert _service(status, "gateway")["processes"] == 2 and _listeners(up.settings.port_of("gateway")) == {
        up.pid_of("gateway", 1),
        up.pid_of("gateway", 2),
    }
    log = (up.home / "log" / "supervisor.log").read_text(encoding="utf-8")
    assert (
        "needs 意外退出（信号 9 SIGKILL），1 秒后重启 / needs exited unexpectedly (signal 9 SIGKILL), restarting in 1 s"
        in log
    )


async def _ok(up: Up) -> dict | None:
    status = await _status(up)
    return status if status["status"] == "ok" else None


def _listeners(port: int) -> set[int]:
    return {
        c.pid
        for c in psutil.net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port and c.pid
    }


@pytest.mark.slow
async def test_one_replica_killed_the_other_keeps_serving_and_consuming(up):
    port = up.settings.port_of("volunteers")
    first, second = up.pid_of("volunteers", 1), up.pid_of("volunteers", 2)
    assert first != second and _listeners(port) == {first, second}, "both replicas listen on the one port"
    # Freeze the supervisor for a moment: replica 1 stays down (not yet restarted) while we look.
    os.kill(up.proc.pid, signal.SIGSTOP)
    try:
        os.kill(first, signal.SIGKILL)
        await eventually(lambda: _async(_listeners(port) == {second}), "replica 1's socket closed", 20)
        for _ in range(10):
            assert await _answers_ready(up.settings.url_of("volunteers")), "replica 2 stopped serving"
        need_id = await _raise_one(up)
        await eventually(lambda: _demand_of(up, need_id), "the need consumed by replica 2", 30)
        assert _listeners(port) == {second}
    finally:
        os.kill(up.proc.pid, signal.SIGCONT)
    back = await eventually(lambda: _async(_restarted(up.home, "volunteers", 1, first)), "replica 1 restarted", 30)
    await eventually(lambda: _async(_listeners(port) == {back["pid"], second}), "replica 1 listening again", 45)
    status = await eventually(lambda: _ok(up), "status ok again", 30)
    volunteers = _service(status, "volunteers")
    assert volunteers["processes"] == 2 and volunteers["restarts"] == 1 and volunteers["restarting"] == 0
    assert (up.home / "log" / "volunteers-2.log").exists() and (up.home / "log" / "volunteers.log").exists()


async def _raise_one(up: Up) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        reply = await client.post(
            up.api + "/needs", json=NEED, headers={**up.headers(), "Idempotency-Key": str(uuid.uuid4())}
        )
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


async def _demand_of(up: Up, need_id: str) -> bool:
    conn = await db.connect(up.settings, "volunteers")
    try:
        return await conn.fetchval("SELECT count(*) FROM demands WHERE need_id = $1", uuid.UUID(need_id)) == 1
    finally:
        await conn.close()
