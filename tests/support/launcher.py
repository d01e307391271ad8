"""Shared by the tests that run `wushe up` itself in a subprocess (tests/e2e/test_launcher.py,
tests/faults/test_supervisor.py, tests/e2e/test_demo_data.py): its environment, starting it, waiting for its banner, stopping it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def up_env(home: Path, http_port: int, nats_port: int, demo: bool = False) -> dict[str, str]:
    """The caller's environment without its WUSHE_ settings, plus a home and ports of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUSHE_")}
    return {
        **env,
        "WUSHE_HOME": str(home),
        "WUSHE_HTTP_PORT": str(http_port),
        "WUSHE_NATS_URL": f"nats://127.0.0.1:{nats_port}",
        "WUSHE_DEMO": str(demo).lower(),
    }


def wushe(*args: str, env: dict[str, str], **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "deploy.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,
    )


def dev_token(env: dict[str, str], role: str, area: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", "token", "--role", role, "--area", area],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


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


def stop(proc: subprocess.Popen, timeout: float = 60) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out
    return out


def supervised(home: Path) -> list[dict]:
    """The processes `wushe up`'s supervisor keeps, from its state file."""
    return json.loads((home / "run" / "supervisor.json").read_text(encoding="utf-8"))["processes"]
