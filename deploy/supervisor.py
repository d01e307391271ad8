"""Keeps `wushe up`'s processes running: one that exits without being asked to (a crash, an
uncaught error, `kill -9`) is started again after a back-off that doubles per crash in a row
(1 s, 2 s, 4 s … at most 30 s) and starts afresh once the process has stayed up a minute. It is
retried for as long as the supervisor runs: one service that keeps failing never takes the others
down.

What it does is said on stdout and in $WUSHE_HOME/log/supervisor.log; the state of every process
is kept in $WUSHE_HOME/run/supervisor.json (written aside, then renamed into place), which the
gateway's GET /api/v1/status and operators read."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from deploy.servers import stop_process
from kit.settings import Settings

FIRST_DELAY_S, MAX_DELAY_S = 1.0, 30.0
STABLE_S = 60.0  # up this long, a process's next crash is waited for as a first one again


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def exit_reason(returncode: int) -> tuple[str, str]:
    """(中文, English) for how a process ended: Popen gives -N for a signal N."""
    if returncode < 0:
        try:
            name = " " + signal.Signals(-returncode).name
        except ValueError:
            name = ""
        return f"信号 {-returncode}{name}", f"signal {-returncode}{name}"
    return f"退出码 {returncode}", f"exit code {returncode}"


@dataclass
class Child:
    """One process of a service: `replica` counts from 1; `args` follow `python -m deploy.cli`."""

    name: str
    replica: int
    args: tuple[str, ...]
    label: str  # how messages and logs name it: "needs", "volunteers-2" for a second replica
    proc: subprocess.Popen | None = None
    state: str = "running"  # running ⇄ restarting (whether it is ready, its /readyz says)
    restarts: int = 0
    last_exit: str | None = None
    since: str = field(default_factory=now_iso)  # when it entered its state
    streak: int = 0  # crashes in a row, each before the process had stayed up STABLE_S
    started_at: float = 0.0  # time.monotonic() of its last start
    restart_at: float = 0.0

    def view(self) -> dict:
        return {
            "name": self.name,
            "replica": self.replica,
            "pid": self.proc.pid if self.state == "running" else None,
            "state": self.state,
            "restarts": self.restarts,
            "last_exit": self.last_exit,
            "since": self.since,
        }


class Supervisor:
    """`spawn(child)` starts a child's process; `start()` starts them all and watches them from a
    thread of its own (so a crash while the launcher is busy, e.g. loading the demo, is restarted
    all the same); `stop()` ends the watch, then every process."""

    def __init__(
        self,
        settings: Settings,
        spawn: Callable[[Child], subprocess.Popen],
        *,
        first_s: float = FIRST_DELAY_S,
        max_s: float = MAX_DELAY_S,
        stable_s: float = STABLE_S,
        say: Callable[[str], None] = lambda line: print(line, flush=True),
    ) -> None:
        self.spawn, self.first_s, self.max_s, self.stable_s, self.say = spawn, first_s, max_s, stable_s, say
        self.state_file, self.log_file = settings.supervisor_file, settings.path("log", "supervisor.log")
        self.children: list[Child] = []
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def add(self, name: str, args: tuple[str, ...], replicas: int = 1) -> None:
        for i in range(1, replicas + 1):
            self.children.append(Child(name, i, args, label=name if i == 1 else f"{name}-{i}"))

    def start(self, tick_s: float = 0.2) -> None:
        for child in self.children:
            self._launch(child)
        self.write_state()
        self._watcher = threading.Thread(target=self._watch, args=(tick_s,), name="supervisor", daemon=True)
        self._watcher.start()

    def tick(self) -> None:
        """Notice exits and start what is due."""
        changed = False
        for child in self.children:
            if child.state == "running" and child.proc.poll() is not None:
                self._exited(child)
                changed = True
            elif child.state == "restarting" and time.monotonic() >= child.restart_at:
                self._launch(child)
                child.restarts += 1
                self._log(
                    f"{child.label} 已重启（第 {child.restarts} 次，pid {child.proc.pid}）/ "
                    f"{child.label} restarted (restart {child.restarts}, pid {child.proc.pid})"
                )
                changed = True
        if changed:
            self.write_state()

    def stop(self) -> list[str]:
        """SIGTERM every process, then wait for each: → the labels of those killed after the wait."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join()
        live = [c for c in self.children if c.proc is not None and c.proc.poll() is None]
        for child in live:
            child.proc.send_signal(signal.SIGTERM)
        killed = [child.label for child in live if not stop_process(child.proc)]
        self.state_file.unlink(missing_ok=True)  # nothing runs any more: no state to show
        return killed

    def delay_after_crash(self, child: Child) -> float:
        if time.monotonic() - child.started_at >= self.stable_s:
            child.streak = 0
        child.streak += 1
        return min(self.max_s, self.first_s * 2 ** (child.streak - 1))

    def _watch(self, tick_s: float) -> None:
        while not self._stopping.wait(tick_s):
            try:
                self.tick()
            except OSError as exc:  # e.g. no process could be started just now: the next tick tries again
                self._log(f"监督出错，稍后重试 / supervisor error, trying again: {exc}")

    def _launch(self, child: Child) -> None:
        child.proc = self.spawn(child)
        child.state, child.since, child.started_at = "running", now_iso(), time.monotonic()

    def _exited(self, child: Child) -> None:
        delay = self.delay_after_crash(child)
        zh, en = exit_reason(child.proc.returncode)
        child.state, child.since, child.last_exit = "restarting", now_iso(), en
        child.restart_at = time.monotonic() + delay
        self._log(
            f"{child.label} 意外退出（{zh}），{delay:g} 秒后重启 / "
            f"{child.label} exited unexpectedly ({en}), restarting in {delay:g} s "
            f"(log: {self.log_file.with_name(child.label + '.log')})"
        )

    def _log(self, line: str) -> None:
        self.say(line)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("a", encoding="utf-8") as log:
            log.write(f"{now_iso()} {line}\n")

    def write_state(self) -> None:
        write_atomically(
            self.state_file,
            {"supervisor_pid": os.getpid(), "updated_at": now_iso(), "processes": [c.view() for c in self.children]},
        )


def write_atomically(path: Path, data: dict) -> None:
    """A reader sees the old file or the new one, never half of one (a rename is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}")
    part.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(part, path)
