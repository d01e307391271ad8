"""Composed views under load (issue 18, P2): a need's 360 and the 长安区 dashboard on the demo data,
beside the anchor "FastAPI + asyncpg primary-key SELECT" (../shared/anchors/fastapi_hello.py, its
`db` case: its own server, table and wrk script) on the same PostgreSQL in the same run.

    make bench-views                                    # = .venv/bin/python bench/views.py
    BENCH_QUICK=1 .venv/bin/python bench/views.py       # one repetition, 3 s phases

A fresh temporary home with every service and the gateway (bench/pipeline.py's Stack), the demo
loaded through the gateway as `wushe up` loads it. Three targets:
- anchor: GET /item/{random id} (its server pins itself to CPU 0);
- need 360: GET /api/v1/views/needs/{id} as the demo's social worker of 130102001001, over every need of
  her community (a random one per request), so each of them is kept once;
- dashboard: GET /api/v1/views/dashboard as the demo's 长安区 civil-affairs official.
Each is measured by the anchor's own wrk shape (`wrk -t1 -c32 -d10s --latency`, wrk on CPU 1) for
the sustained rate, then paced at 50, 100, 200 and 300 requests/s (an open loop over 16 keep-alive
connections, bench/pipeline.py's client) for p50/p99 and the achieved rate; REPS times, medians.

"changing": the need 360 paced at 200/s while needs are raised in the same community at
BENCH_VIEWS_WRITES (20) a second, each raise moving the needs and volunteers services on, so that
most views are composed again: what a view costs when it cannot be kept.

Targets: need 360 sustains ≥ 0.3× the anchor's rate, with p99 ≤ 50 ms at 200 requests/s.
Output: a table, RESULT lines, bench/results/views-<UTC>.json (git-ignored).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import asyncpg  # noqa: E402
import pipeline as pl  # noqa: E402  (puts the repository on sys.path too)

from deploy.demo import data as D  # noqa: E402
from deploy.demo import load as load_demo  # noqa: E402
from deploy.launcher import APPS  # noqa: E402
from deploy.servers import free_port  # noqa: E402
from kit.auth import issue_token  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
REPS = int(os.environ.get("REPS", "1" if QUICK else "3"))
WRK_DURATION = "3s" if QUICK else "10s"
PACED_S = float(os.environ.get("BENCH_VIEWS_PACED_S", "3" if QUICK else "5"))
RATES = (50, 100, 200, 300)
PACED_CONNS = 16
WRITES_PER_S = float(os.environ.get("BENCH_VIEWS_WRITES", "20"))
TARGET_RATIO, TARGET_RATE, TARGET_P99_MS = 0.3, 200, 50.0
COMMUNITY = D.HOME  # the personas work here
log = pl.log


# --- the anchor --------------------------------------------------------------------------------


class Anchor:
    """fastapi_hello.py's db case: its table filled by its own setup, its server started as its
    bench() starts it, its wrk script (a random id per request)."""

    def __init__(self, stack: pl.Stack) -> None:
        folder = pl.anchors_dir()
        if not (folder / "fastapi_hello.py").exists():
            raise FileNotFoundError(folder / "fastapi_hello.py")
        self.folder, self.port = folder, free_port()
        os.environ["PG_URI"] = stack.anchor_uri()
        sys.path.insert(0, str(folder))
        import fastapi_hello  # the anchor's own module: its setup, wrk driver and wrk parser

        self.module = fastapi_hello
        self.module.setup_items()
        self.script = stack.home / "item_random.lua"
        self.script.write_text(
            f'request = function()\n  return wrk.format("GET", "/item/" .. math.random(1, {self.module.N_ITEMS}))\nend\n'
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "fastapi_hello.py", "--role", "server", "--app", "db", "--port", str(self.port)],
            cwd=self.folder,
            env={**os.environ},
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.module.wait_port(self.port)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def requests(self) -> list[bytes]:
        return [_get(self.port, f"/item/{i}") for i in random.sample(range(1, self.module.N_ITEMS + 1), 2000)]


# --- what is asked -----------------------------------------------------------------------------


def _get(port: int, path: str, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n".encode()


class Target:
    def __init__(self, name: str, port: int, paths: list[str], token: str | None, script_dir: Path) -> None:
        self.name, self.port, self.paths, self.token = name, port, paths, token
        self.url = f"http://127.0.0.1:{port}{paths[0]}"
        self.script = script_dir / f"{name.replace(' ', '_')}.lua"
        listed = ", ".join(json.dumps(p) for p in paths)
        header = f'wrk.headers["Authorization"] = "Bearer {token}"\n' if token else ""
        self.script.write_text(
            f"{header}local paths = {{{listed}}}\n"
            'request = function()\n  return wrk.format("GET", paths[math.random(#paths)])\nend\n'
        )

    def requests(self) -> list[bytes]:
        return [_get(self.port, p, self.token) for p in self.paths]


async def need_ids(stack: pl.Stack) -> list[str]:
    conn = await asyncpg.connect(**stack.pg_kwargs, database=stack.settings.db_name("needs"))
    try:
        rows = await conn.fetch("SELECT id FROM needs WHERE area_code = $1 ORDER BY id", COMMUNITY)
    finally:
        await conn.close()
    return [str(r["id"]) for r in rows]


# --- the paced load ------------------------------------------------------------------------------


async def paced(port: int, requests: list[bytes], rate: float, seconds: float) -> dict:
    """pipeline.py's open loop at `rate` for `seconds`, a random one of `requests` each time."""
    pool = [pl.HttpConn("127.0.0.1", port, requests[0]) for _ in range(PACED_CONNS)]
    await asyncio.gather(*(c.open() for c in pool))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(conn: pl.HttpConn) -> None:
        conn.request = random.choice(requests)
        t0 = time.perf_counter()
        try:
            status, _ = await conn.roundtrip()
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            conn.close()
            status = -1
        latencies.append(time.perf_counter() - t0)
        statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    slips = await pl.pace(pool, int(rate * seconds), rate, seconds + 30, one)
    wall = time.perf_counter() - started
    for c in pool:
        c.close()
    ms = [x * 1000 for x in latencies]
    return {
        "asked_rate": rate,
        "achieved_rate": round(len(ms) / wall, 1),
        "p50_ms": round(pl.pct(ms, 50), 2),
        "p99_ms": round(pl.pct(ms, 99), 2),
        "not_200": sum(v for k, v in statuses.items() if k != 200),
        "slips": slips,
    }


async def raising(stack: pl.Stack, token: str, per_s: float, stop: asyncio.Event) -> int:
    """Raise needs in the community (pipeline.py's need) at `per_s` until told to stop; how many."""
    conn = pl.HttpConn("127.0.0.1", stack.settings.http_port, pl._request_bytes(stack.settings.http_port, token))
    raised = 0
    while not stop.is_set():
        status, answer = await conn.roundtrip()
        if status != 201:
            raise SystemExit(f"raising a need answered {status}: {answer[:300]!r}")
        raised += 1
        await asyncio.sleep(1.0 / per_s)
    conn.close()
    return raised


async def changing(stack: pl.Stack, target: Target, writer: str) -> dict:
    stop = asyncio.Event()
    writes = asyncio.create_task(raising(stack, writer, WRITES_PER_S, stop))
    try:
        result = await paced(target.port, target.requests(), TARGET_RATE, PACED_S)
    finally:
        stop.set()
        result_writes = await writes
    return {**result, "needs_raised": result_writes}


async def cache_counts(stack: pl.Stack) -> dict[str, float]:
    """The gateway's own counts (its /metrics) of views and of services' answers, kept or missed."""
    conn = pl.HttpConn("127.0.0.1", stack.settings.http_port, _get(stack.settings.http_port, "/metrics"))
    _, body = await conn.roundtrip()
    conn.close()
    counts = {}
    for line in body.decode().splitlines():
        if line.startswith("wushe_view_cache_answers_total"):
            cache, outcome = (line.split(f'{label}="', 1)[1].split('"', 1)[0] for label in ("cache", "outcome"))
            counts[f"{cache} {outcome}"] = float(line.rsplit(" ", 1)[1])
    return counts


# --- one run -------------------------------------------------------------------------------------


def saturate(anchor_module, target_url: str, script: Path, probe: pl.CpuProbe) -> dict:
    probe.start()
    out = anchor_module.wrk(target_url, WRK_DURATION, str(script))
    cpu = probe.stop()
    result = anchor_module.parse_wrk(out)
    result["cpu%"] = {k: v for k, v in cpu.items() if not k.startswith("machine user")}
    return result


def measure(stack: pl.Stack, anchor: Anchor, targets: list[Target], writer: str) -> dict[str, list[dict]]:
    roots = {**{n: p.pid for n, p in stack.procs.items()}, "nats-server": stack.nats.pid, "anchor": anchor.proc.pid}
    runs: dict[str, list[dict]] = {t: [] for t in ("anchor", *(t.name for t in targets), "need 360 changing")}
    for rep in range(REPS):
        for name, url, script, requests, port in (
            ("anchor", f"http://127.0.0.1:{anchor.port}/item/1", anchor.script, anchor.requests(), anchor.port),
            *((t.name, t.url, t.script, t.requests(), t.port) for t in targets),
        ):
            anchor.module.wrk(url, "2s", str(script))  # warm-up, as the anchor does
            before = pl.arun(cache_counts(stack))
            run = {"saturation": saturate(anchor.module, url, script, pl.CpuProbe(roots, stack.postmaster_pid()))}
            for rate in RATES:
                run[f"paced {rate}"] = pl.arun(paced(port, requests, rate, PACED_S))
            if name != "anchor":
                run.update(_shares(before, pl.arun(cache_counts(stack))))
            runs[name].append(run)
            log(f"rep {rep + 1}/{REPS} {name}: {_brief(run)}")
        before = pl.arun(cache_counts(stack))
        change = pl.arun(changing(stack, targets[0], writer))
        change.update(_shares(before, pl.arun(cache_counts(stack))))
        runs["need 360 changing"].append({f"paced {TARGET_RATE}": change})
        log(f"rep {rep + 1}/{REPS} need 360 while needs are raised: {change}")
    return runs


def _shares(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Between two counts: the share of views composed anew (not kept), and of the services' answers
    those compositions asked for anew."""
    shares = {}
    for cache, field in (("views", "composed_share"), ("answers", "asked_share")):
        kept, missed = (after.get(f"{cache} {k}", 0) - before.get(f"{cache} {k}", 0) for k in ("kept", "missed"))
        shares[field] = round(missed / max(1.0, kept + missed), 3)
    return shares


def _brief(run: dict) -> str:
    s = run["saturation"]
    paced_part = ", ".join(f"{k[6:]}/s p99 {v['p99_ms']} ms" for k, v in run.items() if k.startswith("paced"))
    share = f"; composed anew {100 * run['composed_share']:.1f} %" if "composed_share" in run else ""
    return f"saturation {s['rps']:.0f}/s p50 {s['p50_ms']} p99 {s['p99_ms']} ms; {paced_part}{share}"


# --- the report ----------------------------------------------------------------------------------


def med(runs: list[dict], phase: str, field: str) -> float | None:
    return pl.median([r[phase][field] for r in runs if phase in r])


def report(runs: dict[str, list[dict]]) -> dict:
    anchor_rate = med(runs["anchor"], "saturation", "rps")
    summary: dict = {"anchor_rps": anchor_rate, "targets": {}}
    print(f"\n## composed views under load  (demo data; REPS={REPS}; medians)")
    print(
        f"{'':<22}{'sustained/s':>12}{'ratio':>7}{'p50':>8}{'p99':>8}   paced 50 / 100 / 200 / 300 per s: p50, p99 ms"
    )
    for name, rows in runs.items():
        if name == "need 360 changing":
            continue
        rate = med(rows, "saturation", "rps")
        ratio = rate / anchor_rate if rate and anchor_rate else None
        paced_cells = "  ".join(
            f"{pl.fmt(med(rows, f'paced {r}', 'p50_ms'), 1)}, {pl.fmt(med(rows, f'paced {r}', 'p99_ms'), 1)}"
            for r in RATES
        )
        print(
            f"{name:<22}{pl.fmt(rate, 0):>12}{pl.fmt(ratio, 2) + 'x':>7}"
            f"{pl.fmt(med(rows, 'saturation', 'p50_ms'), 1):>8}{pl.fmt(med(rows, 'saturation', 'p99_ms'), 1):>8}   {paced_cells}"
        )
        summary["targets"][name] = {
            "rps": rate,
            "ratio": ratio,
            **{f"p99_ms at {r}/s": med(rows, f"paced {r}", "p99_ms") for r in RATES},
            **{f"achieved at {r}/s": med(rows, f"paced {r}", "achieved_rate") for r in RATES},
        }
        pl.report_line(f"views {name} sustained", [r["saturation"]["rps"] for r in rows], "req/s")
        for r in RATES:
            pl.report_line(f"views {name} paced {r} p99", [x[f"paced {r}"]["p99_ms"] for x in rows], "ms")
    changing = runs["need 360 changing"]
    phase = f"paced {TARGET_RATE}"
    print(
        f"need 360 at {TARGET_RATE}/s while {WRITES_PER_S:.0f} needs/s are raised: achieved "
        f"{pl.fmt(med(changing, phase, 'achieved_rate'), 0)}/s, p50 {pl.fmt(med(changing, phase, 'p50_ms'), 1)} ms, "
        f"p99 {pl.fmt(med(changing, phase, 'p99_ms'), 1)} ms, composed anew {pl.fmt(100 * (med(changing, phase, 'composed_share') or 0), 0)} %, "
        f"their services' answers asked anew {pl.fmt(100 * (med(changing, phase, 'asked_share') or 0), 0)} %"
    )
    need = summary["targets"]["need 360"]
    p99 = need[f"p99_ms at {TARGET_RATE}/s"]
    ok = (need["ratio"] or 0) >= TARGET_RATIO and p99 is not None and p99 <= TARGET_P99_MS
    print(
        f"target: need 360 >= {TARGET_RATIO}x the anchor ({pl.fmt(need['ratio'], 2)}x) and p99 <= {TARGET_P99_MS:.0f} ms "
        f"at {TARGET_RATE}/s ({pl.fmt(p99, 1)} ms): {'PASS' if ok else 'FAIL'}"
    )
    cpu = runs["need 360"][-1]["saturation"]["cpu%"]
    print(f"CPU at saturation, need 360 (last rep, % of one core): {cpu}")
    summary["changing"] = {
        k: med(changing, phase, k) for k in ("achieved_rate", "p50_ms", "p99_ms", "composed_share", "asked_share")
    }
    summary["verdict"] = "PASS" if ok else "FAIL"
    return summary


def main() -> int:
    if not pl.ensure_wrk():
        log("wrk is needed (apt-get install wrk)")
        return 1
    log(f"views benchmark: REPS={REPS}{' (quick)' if QUICK else ''}")
    stack = pl.Stack(services=APPS, label="views")
    anchor = None
    failed = False
    try:
        stack.start()
        started = time.monotonic()
        asyncio.run(load_demo(stack.settings, say=lambda s: log(s)))
        log(f"demo loaded in {time.monotonic() - started:.0f} s")
        s = stack.settings
        personas = {p["id"]: p for p in json.loads(s.path("demo", "personas.json").read_text(encoding="utf-8"))}
        worker, official = (
            issue_token(s, role=p["role"], area=p["area"], sub=p["sub"], ttl_s=4 * 3600)
            for p in (personas["social_worker"], personas["civil_affairs_county"])
        )
        needs = pl.arun(need_ids(stack))
        log(f"{len(needs)} needs in {COMMUNITY}")
        gateway = s.http_port
        targets = [
            Target("need 360", gateway, [f"/api/v1/views/needs/{n}" for n in needs], worker, stack.home),
            Target("dashboard 长安区", gateway, ["/api/v1/views/dashboard"], official, stack.home),
        ]
        anchor = Anchor(stack)
        anchor.start()
        runs = measure(stack, anchor, targets, worker)
        summary = report(runs)
        out = BENCH / "results" / f"views-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps({"reps": REPS, "runs": runs, **summary}, ensure_ascii=False, indent=2, default=str))
        print(f"\nwritten {out.relative_to(BENCH.parent)}")
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
        return 130
    except BaseException:
        failed = True
        raise
    finally:
        if anchor is not None:
            anchor.stop()
        stack.stop(failed=failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
