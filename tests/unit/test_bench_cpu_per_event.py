"""bench/pipeline.py's CPU per event: the platform's processes only, on each side, per event."""

from __future__ import annotations

import pytest
from support.bench import load

pipeline = load("pipeline")


def test_ours_counts_the_services_nats_and_postgres_once_and_not_the_load_generator():
    row = {
        "side": "wushe",
        "e2e_eps": 400.0,
        "cpu%": {
            "needs": 60.0,
            "gateway": 40.0,
            "volunteers": 8.0,
            "nats-server": 10.0,
            "postgres[wushe_needs]": 30.0,  # part of postgres(all): not counted twice
            "postgres(all)": 32.0,
            "load-generator": 6.0,
            "machine busy (of 200)": 170.0,
            "machine user/system/softirq+irq/steal": "130/30/5/0",
        },
    }
    assert pipeline.platform_cpu_ms(row) == pytest.approx((60 + 40 + 8 + 10 + 32) * 10 / 400)


def test_the_anchors_counts_its_three_processes_nats_and_postgres_not_wrk_or_the_probe():
    row = {
        "side": "anchor",
        "e2e_eps": 1000.0,
        "cpu%": {
            "bench(self)": 2,
            "nats-server": 27,
            "pipeline.py:api": 54,
            "pipeline.py:consumer": 17,
            "pipeline.py:relay": 13,
            "postgres": 45,
            "wrk(load phase)": 4,
        },
    }
    assert pipeline.platform_cpu_ms(row) == pytest.approx((27 + 54 + 17 + 13 + 45) * 10 / 1000)


def test_a_failed_or_empty_phase_has_no_figure():
    assert pipeline.platform_cpu_ms({"side": "anchor", "mode": "paced", "failed": True}) is None
    assert pipeline.platform_cpu_ms({"side": "wushe", "e2e_eps": 0, "cpu%": {"needs": 1}}) is None
