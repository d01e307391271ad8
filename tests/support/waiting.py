"""Waiting on conditions, never on the clock, and running a coroutine away from the tests' loops."""

from __future__ import annotations

import asyncio


async def eventually(check, what: str, timeout: float = 20.0, interval: float = 0.1):
    """Poll an async check every `interval` seconds until it returns something truthy; fail naming
    `what` after `timeout`. (A shorter interval only for a check that samples a brief state.)"""
    for _ in range(int(timeout / interval)):
        if result := await check():
            return result
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def run_in_thread(coro):
    """asyncio.run in a thread of its own: for a module fixture, away from the tests' event loops."""
    import threading

    result: dict = {}

    def target():
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]
