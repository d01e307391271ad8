"""Benchmark of the need pipeline, run beside the bare anchor in the same run.

Ours:   client --POST /api/v1/needs--> gateway --HTTP--> needs (needs row + outbox, one tx)
        --> outbox relay --> JetStream --> volunteers consumer (inbox + demands, one tx per batch)
Anchor: ../shared/anchors/pipeline.py, consumer=batch: bare FastAPI -> PG (state + outbox) ->
        relay -> JetStream -> consumer with inbox; driven by wrk.

Both run against the same nats-server and PostgreSQL (the anchor in its own database `anchor`),
one after the other, REPS times each; the figures are medians over the repetitions.

  .venv/bin/python bench/pipeline.py               # or: make bench
  BENCH_QUICK=1 .venv/bin/python bench/pipeline.py # smoke run: N=1500/1000, REPS=1

Knobs (environment): REPS (3), BENCH_N (6000, saturation), BENCH_PACED_N (4000),
BENCH_SAT_CONNS (32), BENCH_PACED_CONNS (8), BENCH_PACED_RATE (400), BENCH_QUICK=1,
BENCH_SKIP_ANCHOR=1, WUSHE_ANCHORS_DIR (default <repo>/../shared/anchors).

Latency (ours) = demands.recorded_at (clock_timestamp() at the consumer's insert, inside its
commit) - t_send (time.time() just before the client writes the request); same host clock.
The anchor's latency starts later (at its handler start, after HTTP parsing and validation),
so ours is the stricter measure.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import asyncpg  # noqa: E402
import orjson  # noqa: E402
import psutil  # noqa: E402

from deploy.launcher import service_env, spawn, wait_ready  # noqa: E402
from deploy.provision import provision  # noqa: E402
from deploy.servers import (  # noqa: E402
    free_port,
    port_free,
    start_nats,
    start_postgres,
    stop_postgres,
    stop_process,
)
from kit.auth import issue_token  # noqa: E402
from kit.settings import PORT_OFFSETS, Settings  # noqa: E402

# --- configuration --------------------------------------------------------------------------

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
REPS = int(os.environ.get("REPS", "1" if QUICK else "3"))
SAT_N = int(os.environ.get("BENCH_N", "1500" if QUICK else "6000"))
PACED_N = int(os.environ.get("BENCH_PACED_N", "1000" if QUICK else "4000"))
SAT_CONNS = int(os.environ.get("BENCH_SAT_CONNS", "32"))
PACED_CONNS = int(os.environ.get("BENCH_PACED_CONNS", "8"))
PACED_RATE = float(os.environ.get("BENCH_PACED_RATE", "400"))
WARMUP_N = 300
SAT_MAX_S = 120.0  # a saturation phase never posts for longer than this
DRAIN_MAX_S = 120.0  # wait at most this long for every posted need to reach `demands`
ANCHOR_TIMEOUT_S = 900.0  # one anchor invocation (its own bound is 180 s + 60 s per phase)
ANCHOR_SAT_DELAY_MS, ANCHOR_PACED_DELAY_MS = 0, 14
SKIP_ANCHOR = os.environ.get("BENCH_SKIP_ANCHOR", "") not in ("", "0")
# BENCH_PROFILE=gateway,needs: run those services under cProfile (slows them; for finding hot spots)
KEEP_HOME = os.environ.get("BENCH_KEEP_HOME", "") not in ("", "0")  # keep the temp home (logs) for debugging
PROFILE = tuple(x for x in os.environ.get("BENCH_PROFILE", "").replace(" ", "").split(",") if x)

SERVICES_USED = ("needs", "volunteers", "gateway")
CONSUMER = "volunteers-need-raised"
TARGET_RATIO = 1.0
TARGET_PACED_P99_MS = 25.0

SAT_TAG = f"c{SAT_CONNS} (saturation)"
PACED_TAG = f"c{PACED_CONNS} open-loop {PACED_RATE:g}/s (paced)"
ANCHOR_SAT_TAG = "c32 (saturation)"
ANCHOR_PACED_TAG = "c8 delay14ms (~400/s paced)"

NEED_BODY = orjson.dumps(
    {
        "area_code": "130102001001",
        "category": "meal_aid",
        "urgency": "routine",
        "description": "独居老人，每周一三五需要送午餐上门",
        "required_skills": ["送餐"],
        "resident": {"name": "张三", "phone": "13800138000", "citizen_id": "11010519491231002X"},
    }
)


def log(*parts) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def pct(vals: list[float], p: float) -> float:
    """Same nearest-rank rule as the anchors."""
    if not vals:
        return float("nan")
    s = sorted(vals)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def median(vals: list[float]) -> float | None:
    vals = [v for v in vals if v is not None and v == v]
    return statistics.median(vals) if vals else None


def anchors_dir() -> Path:
    return Path(os.environ.get("WUSHE_ANCHORS_DIR") or (REPO.parent / "shared" / "anchors")).resolve()


# --- the load generator: HTTP/1.1 keep-alive over asyncio streams ---------------------------


class HttpConn:
    """One keep-alive connection; one request at a time (no pipelining)."""

    def __init__(self, host: str, port: int, request: bytes) -> None:
        self.host, self.port, self.request = host, port, request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    async def roundtrip(self) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = None, False, False
        for line in lines[1:]:
            if not line:
                continue
            key, _, value = line.partition(b":")
            key = key.strip().lower()
            if key == b"content-length":
                length = int(value)
            elif key == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif key == b"connection":
                close = b"close" in value.lower()
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        elif length is not None:
            body = await self.reader.readexactly(length)
        else:
            body = await self.reader.read()
            close = True
        if close:
            self.close()
        return status, body


class Load:
    """Per-request records of one phase: (t_send wall clock, response time s, status, need id)."""

    def __init__(self) -> None:
        self.records: list[tuple[float, float, int, str | None]] = []
        self.errors = 0
        self.error_samples: list[str] = []
        self.slips = 0  # paced: times the schedule was moved forward instead of bursting

    def ids(self) -> list[str]:
        return [r[3] for r in self.records if r[3] is not None]


async def _one(conn: HttpConn, load: Load) -> None:
    t_send = time.time()
    t0 = time.perf_counter()
    try:
        status, body = await conn.roundtrip()
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError) as exc:
        conn.close()
        load.errors += 1
        if len(load.error_samples) < 5:
            load.error_samples.append(repr(exc))
        return
    dt = time.perf_counter() - t0
    need_id = None
    if status == 201:
        try:
            need_id = orjson.loads(body)["id"]
        except (ValueError, KeyError, TypeError):
            status = -201  # a 201 without the need id: counted as a failure
    if need_id is None and len(load.error_samples) < 5:
        load.error_samples.append(f"{status}: {body[:300]!r}")
    load.records.append((t_send, dt, status, need_id))


def _request_bytes(port: int, token: str) -> bytes:
    return (
        f"POST /api/v1/needs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(NEED_BODY)}\r\n\r\n"
    ).encode() + NEED_BODY


async def run_closed(port: int, token: str, n: int, conns: int, max_s: float) -> Load:
    """Closed loop: `conns` connections, each sends its next request when the previous answers."""
    load = Load()
    request = _request_bytes(port, token)
    pool = [HttpConn("127.0.0.1", port, request) for _ in range(conns)]
    await asyncio.gather(*(c.open() for c in pool))
    issued = 0
    deadline = time.monotonic() + max_s

    async def worker(conn: HttpConn) -> None:
        nonlocal issued
        while issued < n and time.monotonic() < deadline and load.errors < max(50, n // 10):
            issued += 1
            await _one(conn, load)

    await _bounded_gather([worker(c) for c in pool], max_s + 15)
    for c in pool:
        c.close()
    return load


async def run_paced(port: int, token: str, n: int, conns: int, rate: float, max_s: float) -> Load:
    """Open loop (pace): `n` needs at `rate` a second over `conns` connections."""
    load = Load()
    request = _request_bytes(port, token)
    pool = [HttpConn("127.0.0.1", port, request) for _ in range(conns)]
    await asyncio.gather(*(c.open() for c in pool))
    load.slips = await pace(
        pool, n, rate, max_s, lambda conn: _one(conn, load), give_up=lambda: load.errors >= max(50, n // 10)
    )
    for c in pool:
        c.close()
    return load


async def pace(pool: list[HttpConn], n: int, rate: float, max_s: float, one, give_up=lambda: False) -> int:
    """Open loop: request i is due at start + i/rate, sent (`await one(conn)`) on whichever connection
    is free. If the schedule falls behind by more than 3 requests it is moved forward (counted as a
    slip; their number is returned) rather than burst to catch up: at most ~3 requests go out back to
    back."""
    interval = 1.0 / rate
    max_lag = 3 * interval
    loop = asyncio.get_running_loop()
    state = {"next": 0, "start": loop.time() + 0.05, "slips": 0}
    deadline = time.monotonic() + max_s

    async def worker(conn: HttpConn) -> None:
        while time.monotonic() < deadline and not give_up():
            i = state["next"]
            if i >= n:
                return
            state["next"] = i + 1
            due = state["start"] + i * interval
            lag = loop.time() - due
            if lag > max_lag:
                state["start"] += lag - max_lag
                state["slips"] += 1
            elif lag < 0:
                await asyncio.sleep(-lag)
            await one(conn)

    await _bounded_gather([worker(c) for c in pool], max_s + 15)
    return state["slips"]


async def _bounded_gather(coros: list, timeout: float) -> None:
    tasks = [asyncio.ensure_future(c) for c in coros]
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.wait(pending, timeout=5)
        log(f"!! load phase hit its {timeout:.0f}s bound; {len(pending)} connections cancelled")
    for t in done:
        if t.exception() is not None:
            raise t.exception()


# --- CPU and memory accounting ------------------------------------------------------------------

RSS_TARGET_MB = 150  # issue 18: each service under the write load
RSS_SAMPLE_S = 0.25


class RssProbe:
    """Peak resident memory (RSS) of each service (its process and any it started), sampled while a
    phase runs."""

    def __init__(self, services: dict[str, int]) -> None:
        self.services = services
        self.peak_mb: dict[str, float] = {}

    def sample(self) -> None:
        for name, pid in self.services.items():
            try:
                root = psutil.Process(pid)
                mb = sum(p.memory_info().rss for p in (root, *root.children(recursive=True))) / 2**20
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), mb)

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(RSS_SAMPLE_S)

    def result(self) -> dict[str, float]:
        self.sample()
        return {name: round(mb, 1) for name, mb in sorted(self.peak_mb.items())}


class CpuProbe:
    """CPU seconds per labelled process between start() and stop(), as % of one core."""

    def __init__(self, roots: dict[str, int], postmaster: int | None) -> None:
        self.roots, self.postmaster = roots, postmaster

    def _snap(self) -> dict[int, tuple[str, float]]:
        out: dict[int, tuple[str, float]] = {}

        def add(proc: psutil.Process, label: str) -> None:
            try:
                t = proc.cpu_times()
                out[proc.pid] = (label, t.user + t.system)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                pass

        for label, pid in self.roots.items():
            try:
                proc = psutil.Process(pid)
            except psutil.NoSuchProcess:
                continue
            add(proc, label)
            if pid == os.getpid():
                continue  # our children are the services themselves, labelled on their own
            try:
                for child in proc.children(recursive=True):
                    add(child, label)
            except psutil.NoSuchProcess:
                pass
        if self.postmaster:
            try:
                pm = psutil.Process(self.postmaster)
                add(pm, "postgres[bg]")
                for child in pm.children():
                    try:
                        title = " ".join(child.cmdline())
                    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                        continue
                    # "postgres: <user> <db> [local] <state>" for backends, "postgres: walwriter" etc.
                    words = title.split()
                    label = f"postgres[{words[2]}]" if "[local]" in words and len(words) > 2 else "postgres[bg]"
                    add(child, label)
            except psutil.NoSuchProcess:
                pass
        return out

    def start(self) -> CpuProbe:
        self.t0 = time.perf_counter()
        self.sys0 = psutil.cpu_times()
        self.s0 = self._snap()
        return self

    def stop(self) -> dict[str, float]:
        s1 = self._snap()
        wall = time.perf_counter() - self.t0
        sys1 = psutil.cpu_times()
        totals: dict[str, float] = {}
        for pid, (label, c1) in s1.items():
            c0 = self.s0.get(pid, (label, 0.0))[1]
            totals[label] = totals.get(label, 0.0) + max(0.0, c1 - c0)
        res = {k: round(100.0 * v / wall, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}
        res["postgres(all)"] = round(sum(v for k, v in res.items() if k.startswith("postgres[")), 1)
        d = {f: getattr(sys1, f) - getattr(self.sys0, f) for f in sys1._fields}
        # guest time is already inside user time on Linux
        busy = sum(v for f, v in d.items() if f not in ("idle", "iowait", "guest", "guest_nice"))
        res[f"machine busy (of {100 * (os.cpu_count() or 1)})"] = round(100.0 * busy / wall, 1)
        res["machine user/system/softirq+irq/steal"] = "/".join(
            str(round(100.0 * v / wall))
            for v in (
                d.get("user", 0) + d.get("nice", 0),
                d.get("system", 0),
                d.get("softirq", 0) + d.get("irq", 0),
                d.get("steal", 0),
            )
        )
        return res


# --- our side -------------------------------------------------------------------------------


class Stack:
    def __init__(self, services: tuple[str, ...] = SERVICES_USED, label: str = "pipeline") -> None:
        # other benchmarks (bench/fanout.py) start other services; `label` names their .prof files
        self.services, self.label = services, label
        nats_p = free_port()
        http_p = _free_block(max(6, 1 + max((PORT_OFFSETS[n] for n in services), default=0)), avoid={nats_p})
        self.home = Path(tempfile.mkdtemp(prefix="wb-", dir="/tmp"))
        self.nats = None
        self.pg_started = False
        self.procs: dict[str, subprocess.Popen] = {}
        self.settings = Settings(
            home=self.home, http_port=http_p, nats_url=f"nats://127.0.0.1:{nats_p}", pg_host=None, pg_port=5432
        )
        self.token = ""

    @property
    def pg_kwargs(self) -> dict:
        return {"host": str(self.settings.pg_socket_dir), "port": self.settings.pg_port, "user": "postgres"}

    def anchor_uri(self) -> str:
        return f"postgresql://postgres@/anchor?host={self.settings.pg_socket_dir}&port={self.settings.pg_port}"

    def postmaster_pid(self) -> int | None:
        try:
            return int(self.settings.path("pg", "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def start(self) -> None:
        s = self.settings
        log(f"home {self.home}; gateway :{s.http_port}, services :{s.http_port + 1}..{s.http_port + 5}, {s.nats_url}")
        self.nats = start_nats(s)
        self.pg_started = True
        start_postgres(s)
        asyncio.run(provision(s, log=lambda m: log("provision:", m)))
        asyncio.run(self._create_anchor_db())
        for name in self.services:
            if name in PROFILE:
                self.procs[name] = self._spawn_profiled(name)
            else:
                self.procs[name] = spawn(s, "serve", name, log_name=name)
        wait_ready(s, self.procs)
        self.token = issue_token(s, role="social_worker", area="130102", sub="bench")
        log(
            "stack ready: "
            + ", ".join(f"{n} pid {p.pid}" for n, p in self.procs.items())
            + f", nats pid {self.nats.pid}, postgres pid {self.postmaster_pid()}"
        )

    def _spawn_profiled(self, name: str) -> subprocess.Popen:
        """Like deploy.launcher.spawn, under cProfile (see bench/_profiled_serve.py)."""
        logs = self.settings.path("log")
        logs.mkdir(parents=True, exist_ok=True)
        prof = self.home / f"{name}.prof"
        wrapper = Path(__file__).resolve().parent / "_profiled_serve.py"
        return subprocess.Popen(
            [sys.executable, str(wrapper), str(prof), "serve", name],
            env=service_env(self.settings),
            stdout=open(logs / f"{name}.log", "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def dump_profiles(self, out_dir: Path, stamp: str) -> None:
        import pstats

        for name in PROFILE:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGUSR1)  # the wrapper writes its stats
        time.sleep(2.0)
        for name in PROFILE:
            prof = self.home / f"{name}.prof"
            if not prof.exists():
                log(f"no profile written for {name}")
                continue
            out_dir.mkdir(parents=True, exist_ok=True)
            dest = out_dir / f"{self.label}-{stamp}-{name}.prof"
            shutil.copyfile(prof, dest)
            log(f"== cProfile of {name} (whole process life; {dest.relative_to(REPO)}), top by own time:")
            pstats.Stats(str(prof), stream=sys.stderr).sort_stats("tottime").print_stats(25)
            log(f"== {name}, top by cumulative time:")
            pstats.Stats(str(prof), stream=sys.stderr).sort_stats("cumulative").print_stats(40)

    async def _create_anchor_db(self) -> None:
        conn = await asyncpg.connect(**self.pg_kwargs, database="postgres")
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = 'anchor'"):
                await conn.execute("CREATE DATABASE anchor")
        finally:
            await conn.close()

    def show_logs(self, lines: int = 25) -> None:
        for path in sorted(self.settings.path("log").glob("*.log")):
            try:
                tail = path.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                continue
            if tail:
                log(f"--- last lines of {path.name}:")
                for line in tail:
                    print("    " + line[:400], file=sys.stderr)

    def check_alive(self) -> None:
        for name, p in self.procs.items():
            if p.poll() is not None:
                raise SystemExit(
                    f"{name} exited (code {p.returncode}); its log is shown above (BENCH_KEEP_HOME=1 keeps it)"
                )

    def stop(self, failed: bool = False) -> None:
        # a second Ctrl-C must not cut the cleanup short (it is bounded: about 10 s + pg_ctl stop)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if failed:
            self.show_logs()
        if PROFILE:
            try:
                self.dump_profiles(REPO / "bench" / "results", datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
            except Exception as exc:  # noqa: BLE001 - never block the cleanup
                log(f"profile dump failed: {exc!r}")
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p in self.procs.items():
            t0 = time.monotonic()
            stop_process(p, timeout=10)
            log(f"{name} stopped in {time.monotonic() - t0:.1f}s (exit {p.returncode})")
        if self.nats is not None:
            stop_process(self.nats)
        if self.pg_started:
            try:
                stop_postgres(self.settings)
            except Exception as exc:  # noqa: BLE001 - still remove what we can
                log(f"stop_postgres failed: {exc!r}")
        if KEEP_HOME:
            log(f"kept {self.home} (logs under {self.settings.path('log')})")
        else:
            shutil.rmtree(self.home, ignore_errors=True)


def _free_block(width: int, avoid: set[int]) -> int:
    for _ in range(200):
        base = free_port()
        ports = range(base, base + width)
        if base + width < 65535 and not avoid.intersection(ports) and all(port_free(p) for p in ports):
            return base
    raise SystemExit(f"no block of {width} free ports found")


def arun(coro):
    try:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coro)
    except ImportError:
        return asyncio.run(coro)


async def _wait_consumed(vol: asyncpg.Connection, ids: list[str], stack: Stack, max_s: float) -> int:
    deadline = time.monotonic() + max_s
    seen = 0
    while time.monotonic() < deadline:
        seen = await vol.fetchval("SELECT count(*) FROM demands WHERE need_id = ANY($1::uuid[])", ids)
        if seen >= len(ids):
            return seen
        stack.check_alive()
        await asyncio.sleep(0.1)
    return seen


async def our_warmup(stack: Stack) -> None:
    s = stack.settings
    load = await run_closed(s.http_port, stack.token, WARMUP_N, 8, 60)
    ids = load.ids()
    if len(ids) < WARMUP_N * 0.9:
        raise SystemExit(f"warm-up: only {len(ids)}/{WARMUP_N} POSTs answered 201; samples: {load.error_samples}")
    vol = await asyncpg.connect(**stack.pg_kwargs, database=s.db_name("volunteers"))
    try:
        seen = await _wait_consumed(vol, ids, stack, 60)
    finally:
        await vol.close()
    if seen < len(ids):
        raise SystemExit(f"warm-up: only {seen}/{len(ids)} needs reached volunteers.demands within 60 s")
    log(f"warm-up: {len(ids)} needs posted and consumed")


async def our_phase(stack: Stack, mode: str, n: int) -> dict:
    s = stack.settings
    admin = await asyncpg.connect(**stack.pg_kwargs, database="postgres")
    await admin.execute("CHECKPOINT")
    await admin.close()
    vol = await asyncpg.connect(**stack.pg_kwargs, database=s.db_name("volunteers"))
    needs_db = await asyncpg.connect(**stack.pg_kwargs, database=s.db_name("needs"))
    probe = CpuProbe(
        {
            **{name: p.pid for name, p in stack.procs.items()},
            "nats-server": stack.nats.pid,
            "load-generator": os.getpid(),
        },
        stack.postmaster_pid(),
    )
    memory = RssProbe({name: p.pid for name, p in stack.procs.items()})
    sampling = asyncio.create_task(memory.run())
    try:
        probe.start()
        t_phase = time.perf_counter()
        if mode == "saturation":
            load = await run_closed(s.http_port, stack.token, n, SAT_CONNS, SAT_MAX_S)
        else:
            load = await run_paced(s.http_port, stack.token, n, PACED_CONNS, PACED_RATE, n / PACED_RATE * 1.5 + 30)
        t_post = time.perf_counter() - t_phase
        ids = load.ids()
        seen = await _wait_consumed(vol, ids, stack, DRAIN_MAX_S)
        cpu = probe.stop()
        rows = await vol.fetch("SELECT need_id, recorded_at FROM demands WHERE need_id = ANY($1::uuid[])", ids)
        totals = await vol.fetchrow(
            "SELECT (SELECT count(*) FROM demands) AS demands, "
            "(SELECT count(*) FROM inbox WHERE consumer = $1) AS inbox",
            CONSUMER,
        )
        needs_total = await needs_db.fetchval("SELECT count(*) FROM needs")
        outbox_pending = await needs_db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
    finally:
        sampling.cancel()
        await vol.close()
        await needs_db.close()

    recorded = {str(r["need_id"]): r["recorded_at"].timestamp() for r in rows}
    ok = [r for r in load.records if r[3] is not None]
    lat_ms = [(recorded[r[3]] - r[0]) * 1000 for r in ok if r[3] in recorded]
    post_ms = [r[1] * 1000 for r in ok]
    sends = [r[0] for r in load.records]
    res: dict = {
        "side": "wushe",
        "mode": mode,
        "posted_201": len(ok),
        "requests": len(load.records),
        "non201": sum(1 for r in load.records if r[2] != 201),
        "conn_errors": load.errors,
        "error_samples": load.error_samples,
        "events": len(lat_ms),
        "missing_in_demands": len(ids) - seen,
        "post_phase_s": round(t_post, 2),
        "needs_total": needs_total,
        "demands_total": totals["demands"],
        "inbox_total": totals["inbox"],
        "lost": needs_total - totals["demands"],
        "duplicated": totals["inbox"] - totals["demands"],
        "outbox_pending": outbox_pending,
        "cpu%": cpu,
        "rss_peak_mb": memory.result(),
    }
    if lat_ms:
        span = max(recorded[r[3]] for r in ok if r[3] in recorded) - min(r[0] for r in ok)
        last_answer = max(r[0] + r[1] for r in ok)
        res.update(
            {
                "e2e_eps": len(lat_ms) / span,
                "p50_ms": pct(lat_ms, 50),
                "p90_ms": pct(lat_ms, 90),
                "p99_ms": pct(lat_ms, 99),
                "max_ms": max(lat_ms),
                "post_rps": len(ok) / (last_answer - min(r[0] for r in ok)),
                "post_p50_ms": pct(post_ms, 50),
                "post_p99_ms": pct(post_ms, 99),
            }
        )
    if mode == "paced" and len(sends) > 1:
        res["achieved_rate"] = (len(sends) - 1) / (max(sends) - min(sends))
        res["schedule_slips"] = load.slips
    return res


# --- anchor side ----------------------------------------------------------------------------


def ensure_wrk() -> bool:
    if shutil.which("wrk"):
        return True
    log("wrk is missing: installing it with `apt-get install -y wrk` (Debian package)")
    for cmd in (
        ["apt-get", "install", "-y", "-q", "wrk"],
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "wrk"],
    ):
        if cmd[1] == "update" and shutil.which("wrk"):
            break
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if r.returncode != 0 and cmd[1] == "install":
            log(f"`{' '.join(cmd)}` failed: {r.stderr.strip()[-300:]}")
    return shutil.which("wrk") is not None


def run_anchor(stack: Stack, folder: Path, mode: str, n: int) -> dict:
    conns, delay, tag = (
        (32, ANCHOR_SAT_DELAY_MS, ANCHOR_SAT_TAG)
        if mode == "saturation"
        else (8, ANCHOR_PACED_DELAY_MS, ANCHOR_PACED_TAG)
    )
    bench_dir = stack.home / "anchor"
    bench_dir.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PIPE_MODES": "batch",
        "PIPE_N": str(n),
        "PIPE_CONNS": str(conns),
        "PIPE_DELAY_MS": str(delay),
        "PIPE_TAG": tag,
        "REPS": "1",
        "BENCH_DIR": str(bench_dir),
        "NATS_URL": stack.settings.nats_url,
        "PG_URI": stack.anchor_uri(),
        "PIPE_PORT": str(free_port()),
    }
    out_path, err_path = bench_dir / f"anchor-{mode}.out", bench_dir / f"anchor-{mode}.err"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, str(folder / "pipeline.py")],
            cwd=str(folder),
            env=env,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        try:
            proc.wait(ANCHOR_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log(f"!! anchor {mode} exceeded {ANCHOR_TIMEOUT_S:.0f}s")
        finally:
            _stop_anchor(proc)
    results = {}
    for line in out_path.read_text().splitlines():
        if line.startswith("RESULT "):
            rec = json.loads(line[len("RESULT ") :])
            results[rec["name"]] = rec
    base = f"7 pipeline consumer=batch wrk {tag}"
    if f"{base} e2e" not in results:
        log(f"!! anchor {mode} produced no result (exit {proc.returncode}); tail of its stderr:")
        log(err_path.read_text()[-2000:])
        return {"side": "anchor", "mode": mode, "failed": True}

    def val(suffix: str):
        return results.get(f"{base} {suffix}", {}).get("median")

    res = {
        "side": "anchor",
        "mode": mode,
        "name": base,
        "e2e_eps": val("e2e"),
        "p50_ms": val("e2e p50"),
        "p99_ms": val("e2e p99"),
        "post_rps": val("POST rps"),
        "post_p99_ms": val("POST p99"),
        "cpu%": results[f"{base} e2e"].get("extra", {}).get("cpu%"),
        "dups": results[f"{base} e2e"].get("extra", {}).get("dups"),
    }
    # the anchor's own detail line (stderr) has POST p50 and non-2xx
    for line in err_path.read_text().splitlines():
        if line.startswith("{") and '"mode": "batch"' in line:
            try:
                d = json.loads(line)
                res.update({"post_p50_ms": d.get("post_p50_ms"), "non2xx": d.get("non2xx"), "events": d.get("events")})
            except ValueError:
                pass
    if mode == "paced":
        res["achieved_rate"] = res["post_rps"]
    return res


def _stop_anchor(proc: subprocess.Popen) -> None:
    """SIGINT lets the anchor's `finally` stop its api/relay/consumer/wrk; then its group by its pid."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers in the anchor's own process group, if any
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:
        proc.wait(10)


# --- reporting ------------------------------------------------------------------------------


def report_line(name: str, values: list, unit: str, extra: dict | None = None) -> dict | None:
    vals = [float(v) for v in values if v is not None and v == v]
    if not vals:
        return None
    rec = {
        "name": name,
        "unit": unit,
        "n": len(vals),
        "median": statistics.median(vals),
        "min": min(vals),
        "max": max(vals),
        "values": [round(v, 2) for v in vals],
    }
    if extra:
        rec["extra"] = extra
    print("RESULT " + json.dumps(rec, ensure_ascii=False), flush=True)
    return rec


def fmt(v, digits: int = 1) -> str:
    if v is None or v != v:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def summarize(ours: dict[str, list[dict]], anchor: dict[str, list[dict]]) -> dict:
    def m(rows: list[dict], key: str):
        return median([r.get(key) for r in rows if not r.get("failed")])

    for rows in (*ours.values(), *anchor.values()):
        for row in rows:
            row["cpu_ms_per_event"] = platform_cpu_ms(row)

    summary: dict = {}
    for mode in ("saturation", "paced"):
        o, a = ours.get(mode, []), anchor.get(mode, [])
        summary[mode] = {
            side: {
                k: m(rows, k)
                for k in (
                    "e2e_eps",
                    "p50_ms",
                    "p99_ms",
                    "post_rps",
                    "post_p50_ms",
                    "post_p99_ms",
                    "achieved_rate",
                    "cpu_ms_per_event",
                )
            }
            for side, rows in (("wushe", o), ("anchor", a))
        }
        ours_eps, anc_eps = summary[mode]["wushe"]["e2e_eps"], summary[mode]["anchor"]["e2e_eps"]
        summary[mode]["ratio_e2e_eps"] = (ours_eps / anc_eps) if ours_eps and anc_eps else None
    return summary


# the platform's own processes, by their names in each side's CPU figures: not the load generator
# (ours, or wrk) nor the anchor's benchmark probe
OUR_PLATFORM = ("needs", "gateway", "volunteers", "nats-server", "postgres(all)")
ANCHOR_PLATFORM = ("nats-server", "pipeline.py:", "postgres")  # its api, relay and consumer processes


def platform_cpu_ms(row: dict) -> float | None:
    """CPU of the platform's processes per event, ms: the inverse of what a CPU-bound stack can carry,
    so it moves less than events/s when the shared machine's other load changes."""
    cpu, eps = row.get("cpu%") or {}, row.get("e2e_eps")
    if not eps or row.get("failed"):
        return None
    if row.get("side") == "wushe":
        used = [cpu.get(name, 0.0) for name in OUR_PLATFORM]
    else:
        used = [v for k, v in cpu.items() if k.startswith(ANCHOR_PLATFORM) and isinstance(v, (int, float))]
    return sum(used) * 10 / eps  # % of one core / (events/s) = ms of CPU per event


def print_table(summary: dict, ours: dict[str, list[dict]], anchor: dict[str, list[dict]], have_anchor: bool) -> None:
    s, p = summary["saturation"], summary["paced"]

    def ratio(a, b):
        return f"{a / b:.2f}x" if a and b else "-"

    rows = [
        (f"saturation c{SAT_CONNS} e2e events/s", s["wushe"]["e2e_eps"], s["anchor"]["e2e_eps"], True),
        ("saturation e2e p50 ms", s["wushe"]["p50_ms"], s["anchor"]["p50_ms"], True),
        ("saturation e2e p99 ms", s["wushe"]["p99_ms"], s["anchor"]["p99_ms"], True),
        ("saturation POST req/s", s["wushe"]["post_rps"], s["anchor"]["post_rps"], True),
        ("saturation POST p50 ms (client)", s["wushe"]["post_p50_ms"], s["anchor"]["post_p50_ms"], True),
        ("saturation POST p99 ms (client)", s["wushe"]["post_p99_ms"], s["anchor"]["post_p99_ms"], True),
        (
            "saturation CPU ms per event (platform)",
            s["wushe"]["cpu_ms_per_event"],
            s["anchor"]["cpu_ms_per_event"],
            True,
        ),
        (
            f"paced achieved rate req/s (target {PACED_RATE:g})",
            p["wushe"]["achieved_rate"],
            p["anchor"]["achieved_rate"],
            True,
        ),
        ("paced e2e events/s", p["wushe"]["e2e_eps"], p["anchor"]["e2e_eps"], False),
        ("paced e2e p50 ms", p["wushe"]["p50_ms"], p["anchor"]["p50_ms"], True),
        ("paced e2e p99 ms", p["wushe"]["p99_ms"], p["anchor"]["p99_ms"], True),
        ("paced POST p50 ms (client)", p["wushe"]["post_p50_ms"], p["anchor"]["post_p50_ms"], True),
        ("paced POST p99 ms (client)", p["wushe"]["post_p99_ms"], p["anchor"]["post_p99_ms"], True),
        ("paced CPU ms per event (platform)", p["wushe"]["cpu_ms_per_event"], p["anchor"]["cpu_ms_per_event"], True),
    ]
    w = max(len(r[0]) for r in rows) + 2
    print()
    print(f"## need pipeline vs bare anchor  (REPS={REPS}, medians; N sat={SAT_N}, paced={PACED_N})")
    print(f"{'':<{w}}{'wushe':>12}{'anchor':>12}{'ours/anchor':>14}")
    for label, a, b, _ in rows:
        print(f"{label:<{w}}{fmt(a):>12}{fmt(b) if have_anchor else 'n/a':>12}{ratio(a, b) if have_anchor else '':>14}")
    print()
    r = s["ratio_e2e_eps"]
    verdict1 = "-" if r is None else ("PASS" if r >= TARGET_RATIO else "FAIL")
    p99 = p["wushe"]["p99_ms"]
    verdict2 = "-" if p99 is None else ("PASS" if p99 <= TARGET_PACED_P99_MS else "FAIL")
    print(
        f"target: saturation e2e throughput >= {TARGET_RATIO:.1f}x anchor   -> "
        f"{'n/a' if r is None else f'{r:.2f}x'}  {verdict1}"
    )
    print(f"target: e2e p99 <= {TARGET_PACED_P99_MS:g} ms at ~{PACED_RATE:g}/s          -> {fmt(p99)} ms  {verdict2}")
    print("note: our e2e latency starts at the client's send; the anchor's at its handler start (stricter for us)")
    for mode in ("saturation", "paced"):
        for i, row in enumerate(ours.get(mode, [])):
            print(
                f"check {mode} rep{i + 1}: 201={row['posted_201']} non201={row['non201']} conn_errors={row['conn_errors']} "
                f"events={row['events']} missing={row['missing_in_demands']} | totals needs={row['needs_total']} "
                f"demands={row['demands_total']} inbox={row['inbox_total']} -> lost={row['lost']} "
                f"duplicated={row['duplicated']} outbox_pending={row['outbox_pending']}"
                + (f" slips={row.get('schedule_slips')}" if mode == "paced" else "")
            )
            if row["error_samples"]:
                print(f"  error samples: {row['error_samples']}")
    for mode in ("saturation", "paced"):
        rows_ = ours.get(mode, [])
        if rows_:
            print(f"cpu% {mode} wushe  (last rep, % of one core, post+drain): {rows_[-1]['cpu%']}")
            print(memory_line(mode, rows_))
        arows = [r for r in anchor.get(mode, []) if not r.get("failed")]
        if arows:
            print(
                f"cpu% {mode} anchor (last rep, its own probe): {arows[-1]['cpu%']}; "
                f"our idle services meanwhile: {arows[-1].get('wushe_services_idle_cpu%')}"
            )


def memory_line(mode: str, rows: list[dict]) -> str:
    """The peak RSS of each service over the repetitions, against the target."""
    peaks: dict[str, float] = {}
    for row in rows:
        for name, mb in row.get("rss_peak_mb", {}).items():
            peaks[name] = max(peaks.get(name, 0.0), mb)
    over = [name for name, mb in peaks.items() if mb > RSS_TARGET_MB]
    shown = ", ".join(f"{name} {mb:.0f}" for name, mb in peaks.items())
    verdict = f"over {RSS_TARGET_MB} MB: {', '.join(over)}" if over else f"all ≤ {RSS_TARGET_MB} MB"
    return f"memory {mode} (peak RSS over the reps, MB): {shown} — {verdict}"


def emit_results(ours: dict[str, list[dict]], anchor: dict[str, list[dict]], summary: dict) -> None:
    for mode, tag in (("saturation", SAT_TAG), ("paced", PACED_TAG)):
        rows = ours.get(mode, [])
        base = f"wushe pipeline need->demand {tag}"
        report_line(
            f"{base} e2e",
            [r.get("e2e_eps") for r in rows],
            "events/s",
            {
                "cpu%": rows[-1]["cpu%"] if rows else None,
                "events": [r["events"] for r in rows],
                "lost": [r["lost"] for r in rows],
                "duplicated": [r["duplicated"] for r in rows],
            },
        )
        report_line(f"{base} e2e p50", [r.get("p50_ms") for r in rows], "ms")
        report_line(f"{base} e2e p99", [r.get("p99_ms") for r in rows], "ms")
        report_line(f"{base} POST rps", [r.get("post_rps") for r in rows], "req/s")
        report_line(f"{base} POST p50", [r.get("post_p50_ms") for r in rows], "ms")
        report_line(f"{base} POST p99", [r.get("post_p99_ms") for r in rows], "ms")
        if mode == "paced":
            report_line(f"{base} achieved rate", [r.get("achieved_rate") for r in rows], "req/s")
        arows = [r for r in anchor.get(mode, []) if not r.get("failed")]
        if arows:
            abase = arows[0]["name"]
            report_line(f"{abase} e2e", [r["e2e_eps"] for r in arows], "events/s", {"cpu%": arows[-1]["cpu%"]})
            report_line(f"{abase} e2e p50", [r["p50_ms"] for r in arows], "ms")
            report_line(f"{abase} e2e p99", [r["p99_ms"] for r in arows], "ms")
            report_line(f"{abase} POST rps", [r["post_rps"] for r in arows], "req/s")
            report_line(f"{abase} POST p99", [r["post_p99_ms"] for r in arows], "ms")
        ratios = [
            o["e2e_eps"] / a["e2e_eps"]
            for o, a in zip(rows, arows, strict=False)
            if o.get("e2e_eps") and a.get("e2e_eps")
        ]
        report_line(f"wushe/anchor pipeline {mode} e2e throughput ratio", ratios, "x")


def versions() -> dict:
    out = {"python": platform.python_version(), "cpus": os.cpu_count(), "kernel": platform.release()}
    try:
        out["git"] = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        out["git_dirty"] = bool(
            subprocess.run(
                ["git", "-C", str(REPO), "status", "--porcelain"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
        )
    except (OSError, subprocess.SubprocessError):
        pass
    return out


# --- main -----------------------------------------------------------------------------------


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    folder = anchors_dir()
    have_anchor = not SKIP_ANCHOR
    if have_anchor and not (folder / "pipeline.py").exists():
        log(f"anchors folder not found at {folder} (set WUSHE_ANCHORS_DIR): running only our side")
        have_anchor = False
    if have_anchor and not ensure_wrk():
        log("wrk is not available: running only our side")
        have_anchor = False
    log(
        f"need-pipeline benchmark: REPS={REPS} N={SAT_N} paced N={PACED_N} at {PACED_RATE:g}/s"
        + (f"; anchor {folder}/pipeline.py (batch)" if have_anchor else "; no anchor")
    )
    t_start = time.time()
    stack = Stack()
    ours: dict[str, list[dict]] = {"saturation": [], "paced": []}
    anchor: dict[str, list[dict]] = {"saturation": [], "paced": []}
    failed = False
    try:
        stack.start()
        arun(our_warmup(stack))
        for rep in range(REPS):
            for mode, n in (("saturation", SAT_N), ("paced", PACED_N)):
                log(f"rep {rep + 1}/{REPS} wushe {mode} N={n} …")
                r = arun(our_phase(stack, mode, n))
                ours[mode].append(r)
                log(
                    f"  wushe {mode}: "
                    + json.dumps(
                        {
                            k: (round(v, 2) if isinstance(v, float) else v)
                            for k, v in r.items()
                            if k not in ("cpu%", "error_samples")
                        }
                    )
                )
                log(f"  cpu% {r['cpu%']}")
                if have_anchor:
                    log(f"rep {rep + 1}/{REPS} anchor {mode} N={n} …")
                    idle = CpuProbe({name: p.pid for name, p in stack.procs.items()}, None).start()
                    a = run_anchor(stack, folder, mode, n)
                    a["wushe_services_idle_cpu%"] = {
                        k: v for k, v in idle.stop().items() if not k.startswith("machine") and k != "postgres(all)"
                    }
                    anchor[mode].append(a)
                    log(
                        f"  anchor {mode}: "
                        + json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in a.items()})
                    )
                stack.check_alive()
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
        return 130
    except BaseException:
        failed = True
        raise
    finally:
        log("stopping services, nats-server and PostgreSQL …")
        stack.stop(failed)

    summary = summarize(ours, anchor)
    print_table(summary, ours, anchor, have_anchor)
    print()
    emit_results(ours, anchor, summary)
    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"pipeline-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "benchmark": "need pipeline vs anchor pipeline.py (consumer=batch)",
                "utc": stamp,
                "duration_s": round(time.time() - t_start, 1),
                "versions": versions(),
                "config": {
                    "REPS": REPS,
                    "BENCH_N": SAT_N,
                    "BENCH_PACED_N": PACED_N,
                    "sat_conns": SAT_CONNS,
                    "paced_conns": PACED_CONNS,
                    "paced_rate": PACED_RATE,
                    "quick": QUICK,
                    "anchor": str(folder) if have_anchor else None,
                    "anchor_saturation": "PIPE_CONNS=32 PIPE_DELAY_MS=0",
                    "anchor_paced": "PIPE_CONNS=8 PIPE_DELAY_MS=14",
                },
                "targets": {"ratio_e2e_eps_min": TARGET_RATIO, "paced_p99_ms_max": TARGET_PACED_P99_MS},
                "summary": summary,
                "ours": ours,
                "anchor": anchor,
            },
            indent=2,
            ensure_ascii=False,
            default=str,
        )
    )
    print(f"\nwritten {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
