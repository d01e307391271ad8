"""The cost of `sync_interval: always` (fsync before every PubAck) against the default (fsync every
2 minutes): PUBLISHES sequential JetStream publishes, each awaiting its PubAck, median of RUNS runs
on a fresh node of each kind, on loopback.

    .venv/bin/python bench/nats_sync.py [publishes] [runs]
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nats
from nats.js.api import StorageType, StreamConfig

from deploy.servers import NatsNode, free_port, nats_config

PUBLISHES, RUNS = 2_000, 3
PAYLOAD = b"x" * 512  # about one envelope


async def publish_seconds(url: str, count: int) -> float:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name="BENCH", subjects=["bench.>"], storage=StorageType.FILE))
        started = time.perf_counter()
        for i in range(count):
            await js.publish("bench.sync", PAYLOAD, headers={"Nats-Msg-Id": str(i)})
        return time.perf_counter() - started
    finally:
        await nc.close()


def one_run(sync_interval: str, count: int) -> float:
    home = Path(tempfile.mkdtemp(prefix="wushe-bench-nats-", dir="/tmp"))
    port, http_port, conf = free_port(), free_port(), home / "nats.conf"
    conf.write_text(
        nats_config(name="bench", client_port=port, http_port=http_port, store=home, sync_interval=sync_interval)
    )
    node = NatsNode("bench", port, http_port, conf, home / "nats.log")
    node.start()
    try:
        return asyncio.run(publish_seconds(node.url, count))
    finally:
        node.stop()
        shutil.rmtree(home, ignore_errors=True)


def main(count: int = PUBLISHES, runs: int = RUNS) -> None:
    for mode in ("2m", "always"):
        seconds = statistics.median(one_run(mode, count) for _ in range(runs))
        print(
            f"sync_interval {mode:>6}: {count} publishes in {seconds:.2f} s (median of {runs}) = "
            f"{count / seconds:,.0f}/s, {seconds / count * 1e3:.2f} ms each"
        )


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
