"""A started app freezes what start-up built and spaces its young collections (kit.app._settle_heap):
the collector otherwise took 12-16 % of a service's CPU at saturation. In a process of its own, as a
service runs, since the collector's state is the whole process's."""

from __future__ import annotations

import json
import subprocess
import sys

from kit.app import YOUNG_COLLECTION_AT

STARTS = """
import asyncio, gc, json
from kit.app import create_app

async def main():
    app = create_app("gateway", title="probe")
    before = (gc.get_freeze_count(), gc.get_threshold()[0])
    async with app.router.lifespan_context(app):
        during = (gc.get_freeze_count(), gc.get_threshold()[0])
    print(json.dumps({"before": before, "during": during}))

asyncio.run(main())
"""


def test_start_up_freezes_the_heap_and_spaces_young_collections():
    out = subprocess.run([sys.executable, "-c", STARTS], capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["before"] == [0, 700]  # CPython's defaults until the app starts
    frozen, young_at = seen["during"]
    assert frozen > 10_000 and young_at == YOUNG_COLLECTION_AT
