"""The gateway's 系统状态 rules: what the supervisor's counts say, and the one word for the whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.api.status import ServiceStatus
from services.gateway.status import counts, overall


def ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="seconds")


def processes() -> list[dict]:
    """Made when a test runs: `since` is relative to now (a module-level list goes stale in a long run)."""
    return [
        {
            "name": "volunteers",
            "replica": 1,
            "pid": None,
            "state": "restarting",
            "restarts": 2,
            "last_exit": "signal 9 SIGKILL",
            "since": ago(1),
        },
        {
            "name": "volunteers",
            "replica": 2,
            "pid": 41,
            "state": "running",
            "restarts": 1,
            "last_exit": "exit code 3",
            "since": ago(600),
        },
        {
            "name": "needs",
            "replica": 1,
            "pid": 42,
            "state": "running",
            "restarts": 1,
            "last_exit": "exit code 1",
            "since": ago(5),
        },
    ]


def service(name: str, ready: bool, processes=None) -> ServiceStatus:
    return ServiceStatus(service=name, ready=ready, **counts(processes, name))


def test_counts_add_up_a_services_replicas_and_name_its_latest_crash():
    assert counts(processes(), "volunteers") == {
        "processes": 2,
        "restarting": 1,
        "restarts": 3,
        "last_exit": "signal 9 SIGKILL",
    }
    assert counts(processes(), "party") == {"processes": 0, "restarting": 0, "restarts": 0, "last_exit": None}
    assert counts(None, "needs") == {}  # no supervisor: nothing claimed


def test_the_whole_is_ok_restarting_or_degraded():
    assert overall([service("needs", True), service("party", True)], None) == "ok"
    # a replica is being restarted while the other serves: ready, yet not all well
    assert overall([service("volunteers", True, processes())], processes()) == "restarting"
    # needs was restarted 5 s ago and is still starting: restarting, not degraded
    assert overall([service("needs", False, processes())], processes()) == "restarting"
    # down with no restart to explain it
    assert (
        overall([service("party", False, processes()), service("volunteers", True, processes())], processes())
        == "degraded"
    )
    assert overall([service("needs", False)], None) == "degraded"
