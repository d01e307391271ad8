"""Replay: `wushe rebuild volunteers demands` over a stream of ≥ 100,000 NeedRaised events, beside the
raw nats-py pull consumer (../shared/anchors/js_pull_consume.py, its fetch1000+ack mode) on the same
nats-server in the same run. Target: the rebuild at ≥ 0.6× the raw rate.

    make bench-replay                                   # = .venv/bin/python bench/replay.py
    BENCH_QUICK=1 .venv/bin/python bench/replay.py      # 20,000 events, one repetition

A fresh temporary home with its own nats-server and PostgreSQL (bench/pipeline.py's Stack, no
service running: the rebuild reads the stream and writes the database by itself); NEEDS is filled
once with BENCH_REPLAY_N valid envelopes published as the outbox relay publishes them (subject with
the jurisdiction, Nats-Msg-Id). Each repetition runs the anchor (it fills and reads its own stream of
~320 B messages, acking each), then the rebuild (an ephemeral consumer acknowledging nothing, every
envelope parsed and validated as the live consumer does, the projection's own handler into a copy of
its table, the swap). Our rate counts from the rebuild's start to the swap's commit; the anchor's
from its first fetch to its last ack. It checks that the rebuilt table holds every need once, as its
event says. Output: a table, RESULT lines, bench/results/replay-<UTC>.json (git-ignored)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import asyncpg  # noqa: E402
import nats  # noqa: E402
import pipeline as pl  # noqa: E402  (puts the repository on sys.path too)

from contracts.envelope import new_id, wrap  # noqa: E402
from contracts.events.needs import NeedRaised  # noqa: E402
from contracts.subjects import event_subject  # noqa: E402
from deploy import rebuild  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
N = int(os.environ.get("BENCH_REPLAY_N", "20000" if QUICK else "100000"))
REPS = int(os.environ.get("REPS", "1" if QUICK else "3"))
TARGET = 0.6
ANCHOR_MODE = "3 js pull fetch1000+ack"
AREAS = [f"130102{t:03d}{c:03d}" for t in (1, 2, 7, 14) for c in range(1, 26)]  # communities of 长安区
log = pl.log


async def fill(stack: pl.Stack) -> float:
    """N NeedRaised envelopes on NEEDS, as the needs service's relay publishes them: their rate."""
    nc = await nats.connect(stack.settings.nats_url)
    js = nc.jetstream(publish_async_max_pending=4000)
    started = time.perf_counter()
    try:
        for n in range(N):
            area = AREAS[n % len(AREAS)]
            need = NeedRaised(
                need_id=new_id(),
                area_code=area,
                category=("daily_care", "meal_aid", "tutoring", "health_care")[n % 4],
                urgency="routine",
                channel="social_worker_visit",
                resident_ref=f"replay-{n}",
                raised_by="bench",
                raised_at=datetime.now(UTC),
                required_skills=["陪诊", "送餐"][: n % 3],
            )
            envelope = wrap(need, subject=str(need.need_id), area_code=area)
            await js.publish_async(
                event_subject(NeedRaised, area),
                envelope.model_dump_json().encode(),
                headers={"Nats-Msg-Id": str(envelope.id)},
            )
            if n and n % 20000 == 0:
                log(f"filled {n:,}/{N:,}")
        await asyncio.wait_for(js.publish_async_completed(), 120)
    finally:
        await nc.close()
    return N / (time.perf_counter() - started)


def run_anchor(stack: pl.Stack) -> dict | None:
    folder = pl.anchors_dir()
    script = folder / "js_pull_consume.py"
    if not script.exists():
        log(f"anchor not found at {script}: only our side runs")
        return None
    env = {**os.environ, "NATS_URL": stack.settings.nats_url, "N_JS": str(N), "REPS": "1"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(script)], cwd=folder, env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        log(f"anchor failed ({done.returncode}): {done.stderr[-600:]}")
        return None
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            rec = json.loads(line[len("RESULT ") :])
            if rec["name"] == ANCHOR_MODE:
                rec["wall_s"] = round(time.monotonic() - started, 1)
                return rec
    log(f"anchor printed no {ANCHOR_MODE!r}: {done.stdout[-400:]}")
    return None


async def check(stack: pl.Stack) -> dict:
    conn = await asyncpg.connect(**stack.pg_kwargs, database=stack.settings.db_name("volunteers"))
    try:
        rows = await conn.fetchval("SELECT count(*) FROM demands")
        distinct = await conn.fetchval("SELECT count(DISTINCT need_id) FROM demands")
        skills = await conn.fetchval("SELECT count(*) FROM demands WHERE cardinality(required_skills) > 0")
    finally:
        await conn.close()
    # skills: n % 3 of them for need n, so two in three needs have some
    expected_skills = sum(1 for n in range(N) if n % 3)
    return {"rows": rows, "distinct": distinct, "ok": rows == distinct == N and skills == expected_skills}


def ours(stack: pl.Stack) -> dict:
    probe = pl.CpuProbe({"rebuild": os.getpid(), "nats-server": stack.nats.pid}, stack.postmaster_pid()).start()
    report = pl.arun(rebuild.rebuild(stack.settings, "volunteers", "demands"))
    cpu = {k: v for k, v in probe.stop().items() if not k.startswith("machine user")}
    verdict = pl.arun(check(stack))
    return {
        "rate": report.rate,
        "applied": report.applied,
        "seconds": round(report.seconds, 2),
        "phases": report.phases,
        **verdict,
        "cpu%": cpu,
    }


def main() -> int:
    log(f"replay benchmark: {N:,} NeedRaised events, REPS={REPS}{' (quick)' if QUICK else ''}")
    stack = pl.Stack(services=(), label="replay")
    failed = False
    try:
        stack.start()
        fill_rate = pl.arun(fill(stack))
        log(f"NEEDS filled: {N:,} events at {fill_rate:,.0f}/s")
        anchor, mine = [], []
        for rep in range(REPS):
            a = run_anchor(stack)
            if a:
                anchor.append(a["median"])
                log(f"rep {rep + 1}/{REPS} anchor {ANCHOR_MODE}: {a['median']:,.0f} msg/s")
            r = ours(stack)
            mine.append(r)
            log(
                f"rep {rep + 1}/{REPS} rebuild: {r['applied']:,} events in {r['seconds']} s = {r['rate']:,.0f}/s; "
                f"rows {r['rows']:,}, check {'ok' if r['ok'] else 'FAILED'}; cpu% {r['cpu%']}"
            )
            failed |= not r["ok"]
        summary = report(anchor, mine)
        out = BENCH / "results" / f"replay-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(
            json.dumps(
                {"n": N, "reps": REPS, "fill_rate": fill_rate, "anchor": anchor, "ours": mine, **summary},
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
        print(f"\nwritten {out.relative_to(BENCH.parent)}")
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
        return 130
    except BaseException:
        failed = True
        raise
    finally:
        stack.stop(failed=failed)
    return 1 if failed else 0


def report(anchor: list[float], mine: list[dict]) -> dict:
    rates = [r["rate"] for r in mine]
    ours_median, anchor_median = pl.median(rates), pl.median(anchor)
    ratio = ours_median / anchor_median if ours_median and anchor_median else None
    print(f"\n## replay  ({N:,} events; REPS={REPS}; medians)")
    print(f"{'':<34}{'events/s':>12}")
    print(f"{'raw nats-py pull (fetch1000+ack)':<34}{pl.fmt(anchor_median):>12}")
    print(f"{'wushe rebuild volunteers demands':<34}{pl.fmt(ours_median):>12}")
    verdict = "PASS" if ratio and ratio >= TARGET else "FAIL" if ratio else "no anchor"
    print(
        f"ratio {pl.fmt(ratio, 2)}x (target >= {TARGET}x) {verdict}; every rebuilt table checked: "
        f"{'ok' if all(r['ok'] for r in mine) else 'FAILED'}"
    )
    pl.report_line("wushe rebuild volunteers demands", rates, "events/s")
    pl.report_line(f"anchor {ANCHOR_MODE}", anchor, "msg/s")
    if ratio:
        pl.report_line("wushe rebuild / raw pull ratio", [ratio], "x")
    return {"ours_median": ours_median, "anchor_median": anchor_median, "ratio": ratio}


if __name__ == "__main__":
    sys.exit(main())
