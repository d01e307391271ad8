"""Benchmark of the exchange's public-event fan-out, beside the internal pipeline's own figure.

  client --POST /api/v1/needs--> gateway --> needs (row + outbox, one tx) --> NEEDS stream
     --> exchange consumer `exchange-public-needs`: public_events row + PUBLIC outbox row + one
         webhook_deliveries row per matching subscription, one tx --> relay --> PUBLIC stream
     --> webhooks: DeliveryWorker --POST, signed--> N subscriptions on a receiver process
     --> NATS: N partner durable consumers (nkey users of the PARTNERS account) in a sink process

  .venv/bin/python bench/fanout.py                 # or: make bench-fanout
  BENCH_QUICK=1 .venv/bin/python bench/fanout.py   # smoke run, a few minutes

Phases (each bounded in count and time, closed loop through the gateway as bench/pipeline.py):
baseline (no subscriber: the internal pipeline's own figure), webhooks N=1/10/100 subscriptions,
NATS N=1/10/100 partner consumers.

Clocks (one host, wall clock everywhere):
  t_commit  the internal NeedRaised envelope's `time`, stamped by the needs service inside the
            transaction that commits the need, just before its commit; the exchange keeps it as
            public_events.occurred_at (and the public envelope's `time`).
  t_public  exchange outbox.sent_at of the public event: set after the projection's transaction
            committed and JetStream acked its publish to PUBLIC (an upper bound of "projected").
  t_2xx     the receiver's time.time() as it returns its 200 (webhooks), or the sink's as its
            fetch returns the message (NATS).
Rates are events / (last arrival - first t_commit) over the phase's events; "full" counts an event
once every one of the N sinks has it. The target ratio is full events/s at N=10 webhooks over the
baseline's internal events/s. The machine is shared and the stack CPU-bound, so each phase also
reports the CPU of all its processes per event and per delivery; /cpu, the baseline's CPU per
event over the phase's, is that ratio on a machine of its own. Knobs: bench/README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
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
import orjson  # noqa: E402
import pipeline as pl  # noqa: E402  (puts the repository on sys.path too)

from deploy.servers import free_port, stop_process  # noqa: E402

# --- configuration ---------------------------------------------------------------------------


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _env_list(name: str, default: str) -> list[int]:
    return [int(x) for x in os.environ.get(name, default).replace(" ", "").split(",") if x]


QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
EVENTS = _env_int("BENCH_FANOUT_N", 600 if QUICK else 3000)  # needs posted per phase
EVENTS_100 = _env_int("BENCH_FANOUT_N100", 1000)  # needs posted in a phase with N >= 100 sinks
HOOKS = _env_list("BENCH_FANOUT_HOOKS", "1,10" if QUICK else "1,10,100")
NATS_CONSUMERS = _env_list("BENCH_FANOUT_NATS", "1,10" if QUICK else "1,10,100")
CONNS = _env_int("BENCH_FANOUT_CONNS", 32)
REPS = _env_int("BENCH_FANOUT_REPS", 1)
VERIFY_EVERY = _env_int("BENCH_FANOUT_VERIFY_EVERY", 1)  # check the signature of every k-th request
POST_MAX_S = 120.0  # a phase never posts for longer than this
DRAIN_MAX_S = float(os.environ.get("BENCH_FANOUT_DRAIN_S", "120" if QUICK else "300"))  # then it stops waiting
WARMUP_N = 300
RATE_LIMIT = 1000  # per subscription: the most the API allows (its default, 10/s, is a partner's choice)

SERVICES = ("needs", "volunteers", "exchange", "gateway")
AREA = "130102"  # the need's county (长安区); the partners' area
EVENTS_PATTERN = "needs.need_raised"
PUBLIC_TYPE = "cn.wushe.pub.needs.need_raised.v1"
HOOK_PARTNER = "fan-hooks-{:02d}"  # subscription i belongs to partner i // max_subscriptions
NATS_PARTNER = "fan-nats-{:02d}"  # consumer j belongs to partner j // 4, as its slot j % 4 + 1
TARGET_N, TARGET_RATIO = 10, 0.5
STAND_INS = ("load-generator", "receiver", "nats-sink")  # clients and partners, not the platform

log, pct, fmt = pl.log, pl.pct, pl.fmt


# --- the webhook receiver (a process of its own: `fanout.py receiver PORT`) -------------------


def receiver_main(port: int) -> None:
    """aiohttp's low-level server (no application, router or middlewares): the receiver stands in
    for partners' servers that run elsewhere, so it should take as little of this machine as it can."""
    from aiohttp import web
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    state: dict = {}
    signed = ("webhook-id", "webhook-timestamp", "webhook-signature")

    def reset(secrets: dict[str, str]) -> None:
        state.update(
            hooks={path: Webhook(s) for path, s in secrets.items()},
            records={path: [] for path in secrets},
            distinct=set(),
            total=0,
            verified=0,
            bad_signature=0,
        )

    async def hook(path: str, request: web.BaseRequest) -> web.Response:
        body = await request.read()
        msg_id = request.headers.get("webhook-id", "")
        signer = state["hooks"].get(path)
        if signer is not None and state["total"] % VERIFY_EVERY == 0:
            try:
                signer.verify(body, {k: request.headers.get(k, "") for k in signed}, json_parse=False)
                state["verified"] += 1
            except WebhookVerificationError:
                state["bad_signature"] += 1
        state["total"] += 1
        state["distinct"].add((path, msg_id))
        state["records"].setdefault(path, []).append((msg_id, time.time()))
        return web.Response(status=200)

    async def handle(request: web.BaseRequest) -> web.Response:
        path = request.path
        if path.startswith("/hook/"):
            return await hook(path[len("/hook/") :], request)
        if path == "/_reset":
            reset(orjson.loads(await request.read())["secrets"])
            return web.Response(status=200, text="ok")
        if path == "/_count":
            return web.json_response({"total": state["total"], "distinct": len(state["distinct"])})
        if path == "/_collect":
            out = {k: state[k] for k in ("records", "total", "verified", "bad_signature")}
            return web.Response(body=orjson.dumps(out), content_type="application/json")
        return web.Response(status=404)

    async def serve() -> None:
        reset({})
        loop = asyncio.get_running_loop()
        server = await loop.create_server(web.Server(handle, access_log=None), "127.0.0.1", port, backlog=1024)
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        server.close()

    pl.arun(serve())


class ReceiverProc:
    def __init__(self, home: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "receiver", str(self.port)],
            stdout=open(home / "receiver.log", "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def url(self, path: str) -> str:
        return f"{self.base}/hook/{path}"

    async def ready(self, client) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the webhook receiver exited (code {self.proc.returncode})")
            with contextlib.suppress(Exception):
                await client.get(f"{self.base}/_count")
                return
            await asyncio.sleep(0.1)
        raise SystemExit("the webhook receiver did not start within 30 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        stop_process(self.proc, timeout=10)


# --- the NATS partner consumers (a process of its own: `fanout.py nats-sink CONFIG`) -----------


def nats_sink_main(config_path: str) -> None:
    import nats
    from nats.js.api import ConsumerConfig, DeliverPolicy

    from deploy import nats_accounts

    cfg = json.loads(Path(config_path).read_text())

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stop, leave = asyncio.Event(), asyncio.Event()  # stop pulling; end (after the records are written)

        def end() -> None:
            stop.set()
            leave.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, end)
        jss: dict[str, object] = {}
        conns = []
        pulls = []
        for c in cfg["consumers"]:
            if c["partner"] not in jss:
                nc = await nats.connect(
                    cfg["url"],
                    nkeys_seed_str=c["seed"],
                    inbox_prefix=nats_accounts.inbox_prefix(c["partner"]),
                    max_reconnect_attempts=3,
                )
                conns.append(nc)
                jss[c["partner"]] = nc.jetstream(prefix=nats_accounts.PARTNER_API_PREFIX, timeout=10)
            js = jss[c["partner"]]
            psub = await js.pull_subscribe(  # type: ignore[attr-defined]
                c["filter"],
                durable=c["durable"],
                stream="PUBLIC",
                config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
            )
            pulls.append((c["durable"], js, psub))
        print("ready", flush=True)
        expect: list[int | None] = [None]

        async def read_commands() -> None:
            # stdin as a stream of the loop: a reader thread would keep the process from ending
            commands = asyncio.StreamReader()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
            while not leave.is_set():
                line = (await commands.readline()).decode()
                if not line or line.startswith("exit"):
                    end()
                elif line.startswith("stop"):
                    stop.set()
                elif line.startswith("expect "):
                    expect[0] = int(line.split()[1])

        records: dict[str, list[tuple[str, float]]] = {}

        async def pull(name: str, psub) -> None:
            got = records[name] = []
            ids: set[str] = set()
            while not stop.is_set() and not (expect[0] is not None and len(ids) >= expect[0]):
                try:
                    msgs = await psub.fetch(256, timeout=0.5)
                except (TimeoutError, nats.errors.TimeoutError):
                    continue
                at = time.time()
                for m in msgs:
                    msg_id = (m.headers or {}).get("Nats-Msg-Id", "")
                    got.append((msg_id, at))
                    ids.add(msg_id)
                    await m.ack()

        commands = asyncio.create_task(read_commands())
        tasks = [asyncio.create_task(pull(name, psub)) for name, _, psub in pulls]
        await asyncio.wait(tasks, timeout=cfg["max_s"])
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        out = Path(cfg["out"])
        out.with_suffix(".tmp").write_bytes(orjson.dumps(records))
        out.with_suffix(".tmp").replace(out)  # its appearing says: complete
        counts = {name: len(got) for name, got in records.items()}
        print(f"nats-sink: expected {expect[0]}, received {counts}", file=sys.stderr, flush=True)
        # stay until told (the benchmark reads this process's CPU time when the phase ends)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(leave.wait(), cfg["max_s"])
        commands.cancel()
        for name, js, psub in pulls:
            with contextlib.suppress(Exception):
                await psub.unsubscribe()
                await js.delete_consumer("PUBLIC", name)  # type: ignore[attr-defined]
        for nc in conns:
            await nc.close()

    pl.arun(run())


# --- set-up through the platform's own doors ---------------------------------------------------


async def add_partner(stack: pl.Stack, name: str) -> None:
    """`wushe partner add NAME --area AREA --events needs.need_raised`; what it prints is not ours."""
    from deploy import partners

    with contextlib.redirect_stdout(io.StringIO()) as said:
        code = await partners.add(stack.settings, name, AREA, [EVENTS_PATTERN], f"bench {name}")
    if code != 0:
        raise SystemExit(f"wushe partner add {name} failed: {said.getvalue()[-500:]}")


def partner_token(stack: pl.Stack, name: str) -> str:
    from kit.auth import issue_token

    return issue_token(stack.settings, role="partner", area=AREA, sub=name)


def hook_partner(i: int) -> str:
    """Subscription i's partner: as many per partner as the exchange allows one (20 by default)."""
    from services.exchange.webhooks.config import WebhookSettings

    return HOOK_PARTNER.format(i // WebhookSettings().max_subscriptions + 1)


async def subscribe_hooks(client, stack: pl.Stack, receiver: ReceiverProc, n: int) -> list[dict]:
    subs = []
    for i in range(n):
        partner = hook_partner(i)
        if partner not in _registered:
            await add_partner(stack, partner)
            _registered.add(partner)
        headers = {"Authorization": f"Bearer {partner_token(stack, partner)}"}
        body = {"url": receiver.url(f"s{i:03d}"), "types": [EVENTS_PATTERN], "rate_limit_per_s": RATE_LIMIT}
        reply = await client.post(f"{gateway(stack)}/webhooks", headers=headers, json=body)
        if reply.status_code != 201:
            raise SystemExit(f"POST /api/v1/webhooks answered {reply.status_code}: {reply.text[:300]}")
        subs.append({"path": f"s{i:03d}", "partner": partner, **reply.json()})
    return subs


async def unsubscribe_hooks(client, stack: pl.Stack, subs: list[dict]) -> None:
    for sub in subs:
        headers = {"Authorization": f"Bearer {partner_token(stack, sub['partner'])}"}
        await client.delete(f"{gateway(stack)}/webhooks/{sub['id']}", headers=headers)


def gateway(stack: pl.Stack) -> str:
    return f"http://127.0.0.1:{stack.settings.http_port}/api/v1"


# --- one phase -------------------------------------------------------------------------------------


class Dbs:
    def __init__(self, stack: pl.Stack) -> None:
        self.stack = stack

    async def __aenter__(self) -> Dbs:
        kw, s = self.stack.pg_kwargs, self.stack.settings
        self.exchange = await asyncpg.connect(**kw, database=s.db_name("exchange"))
        self.vol = await asyncpg.connect(**kw, database=s.db_name("volunteers"))
        self.needs = await asyncpg.connect(**kw, database=s.db_name("needs"))
        return self

    async def __aexit__(self, *exc) -> None:
        for c in (self.exchange, self.vol, self.needs):
            await c.close()

    async def last_seq(self) -> int:
        return await self.exchange.fetchval("SELECT coalesce(max(seq), 0) FROM public_events")

    async def published(self, after_seq: int, count: int) -> bool:
        """Are `count` public NeedRaised events past `after_seq` committed, and all on PUBLIC? Two
        index-only counts (a join over the phase's rows, polled, would cost the exchange's database
        more than the phase measures)."""
        projected = await self.exchange.fetchval(
            "SELECT count(*) FROM public_events WHERE seq > $1 AND type = $2", after_seq, PUBLIC_TYPE
        )
        if projected < count:
            return False
        return not await self.exchange.fetchval(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL"
        )

    async def public_of(self, after_seq: int, need_ids: list[str]) -> dict[str, tuple[float, float | None]]:
        """{public event id: (t_commit, t_public)} of these needs' NeedRaised."""
        rows = await self.exchange.fetch(
            """SELECT e.event_id, e.occurred_at, o.sent_at FROM public_events e
               LEFT JOIN outbox o ON o.event_id = e.event_id
               WHERE e.seq > $1 AND e.type = $2 AND e.envelope->'data'->>'need_id' = ANY($3::text[])""",
            after_seq,
            PUBLIC_TYPE,
            need_ids,
        )
        return {
            str(r["event_id"]): (r["occurred_at"].timestamp(), r["sent_at"].timestamp() if r["sent_at"] else None)
            for r in rows
        }


async def wait_for(check, max_s: float, stack: pl.Stack, every: float = 0.2) -> bool:
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
        if await check():
            return True
        stack.check_alive()
        await asyncio.sleep(every)
    return False


def internal_figures(load: pl.Load, public: dict[str, tuple[float, float | None]], demands: dict[str, float]) -> dict:
    ok = [r for r in load.records if r[3] is not None]
    res: dict = {
        "posted_201": len(ok),
        "non201": sum(1 for r in load.records if r[2] != 201),
        "conn_errors": load.errors,
    }
    if ok:
        first, last = min(r[0] for r in ok), max(r[0] + r[1] for r in ok)
        res["post_rps"] = len(ok) / (last - first) if last > first else None
        res["post_p99_ms"] = pct([r[1] * 1000 for r in ok], 99)
    sent = {i: (t0, t1) for i, (t0, t1) in public.items() if t1 is not None}
    res["projected"] = len(sent)
    if sent:
        start = min(t0 for t0, _ in public.values())
        lat = [(t1 - t0) * 1000 for t0, t1 in sent.values()]
        res.update(
            internal_eps=len(sent) / (max(t1 for _, t1 in sent.values()) - start),
            internal_p50_ms=pct(lat, 50),
            internal_p99_ms=pct(lat, 99),
        )
    # bench/pipeline.py's figure: client send -> volunteers.demands.recorded_at
    e2e = [(demands[r[3]] - r[0]) * 1000 for r in ok if r[3] in demands]
    if e2e:
        span = max(demands[r[3]] for r in ok if r[3] in demands) - min(r[0] for r in ok)
        res.update(pipeline_eps=len(e2e) / span, pipeline_p50_ms=pct(e2e, 50), pipeline_p99_ms=pct(e2e, 99))
    return res


def fanout_figures(records: dict[str, list], sinks: list[str], public: dict[str, tuple[float, float | None]]) -> dict:
    """Per sink: the first arrival of each expected event; duplicates, missing and strays counted."""
    t0 = {i: v[0] for i, v in public.items()}
    start = min(t0.values()) if t0 else 0.0
    firsts: dict[str, dict[str, float]] = {}
    dups = strays = 0
    for sink in sinks:
        got = records.get(sink, [])
        first: dict[str, float] = {}
        for msg_id, at in got:
            if msg_id not in t0:
                strays += 1
            elif msg_id in first:
                dups += 1
                first[msg_id] = min(first[msg_id], at)
            else:
                first[msg_id] = at
        firsts[sink] = first
    for sink, got in records.items():
        if sink not in firsts:
            strays += len(got)
    delivered = sum(len(f) for f in firsts.values())
    full = {i: max(f[i] for f in firsts.values()) for i in t0 if all(i in f for f in firsts.values())}
    lat = [(at - t0[i]) * 1000 for f in firsts.values() for i, at in f.items()]
    full_lat = [(at - t0[i]) * 1000 for i, at in full.items()]
    per_sink = [len(f) / (max(f.values()) - start) for f in firsts.values() if f]
    res = {
        "sinks": len(sinks),
        "expected": len(t0) * len(sinks),
        "delivered": delivered,
        "missing": len(t0) * len(sinks) - delivered,
        "duplicates": dups,
        "strays": strays,
        "fully_fanned_out": len(full),
    }
    if full:
        res["full_eps"] = len(full) / (max(full.values()) - start)
        res["full_p50_ms"], res["full_p99_ms"] = pct(full_lat, 50), pct(full_lat, 99)
    if lat:
        last = max(max(f.values()) for f in firsts.values() if f)
        res["deliveries_per_s"] = delivered / (last - start)
        res["per_sink_eps"] = pl.median(per_sink)
        res["p50_ms"], res["p90_ms"], res["p99_ms"] = pct(lat, 50), pct(lat, 90), pct(lat, 99)
        res["max_ms"] = max(lat)
    return res


async def run_phase(stack: pl.Stack, client, kind: str, n: int, events: int, receiver: ReceiverProc) -> dict:
    """kind: baseline | webhooks | nats. Set up the N sinks, post `events` needs, wait until every
    sink has every event (or DRAIN_MAX_S), and measure."""
    s = stack.settings
    admin = await asyncpg.connect(**stack.pg_kwargs, database="postgres")
    await admin.execute("CHECKPOINT")
    await admin.close()
    subs: list[dict] = []
    sink_proc: subprocess.Popen | None = None
    extra: dict = {}
    async with Dbs(stack) as dbs:
        after_seq = await dbs.last_seq()
        roots = {name: p.pid for name, p in stack.procs.items()}
        roots |= {"nats-server": stack.nats.pid, "load-generator": os.getpid()}
        if kind == "webhooks":
            subs = await subscribe_hooks(client, stack, receiver, n)
            await client.post(f"{receiver.base}/_reset", json={"secrets": {x["path"]: x["secret"] for x in subs}})
            roots["receiver"] = receiver.proc.pid
        elif kind == "nats":
            sink_proc, out_file = await start_nats_sink(stack, n)
            roots["nats-sink"] = sink_proc.pid
        probe = pl.CpuProbe(roots, stack.postmaster_pid())
        try:
            probe.start()
            load = await pl.run_closed(s.http_port, stack.token, events, CONNS, POST_MAX_S)
            ids = load.ids()
            posted = len(ids)
            if kind == "nats":
                assert sink_proc is not None and sink_proc.stdin is not None
                sink_proc.stdin.write(f"expect {posted}\n".encode())
                sink_proc.stdin.flush()

            async def all_arrived() -> bool:
                # the sinks first: they cannot be complete before the projection is
                if kind == "webhooks":
                    count = (await client.get(f"{receiver.base}/_count")).json()
                    if count["distinct"] < posted * n:
                        return False
                elif kind == "nats" and not out_file.exists():
                    return False  # written once each consumer has `posted`
                return await dbs.published(after_seq, posted)

            t_posted = time.monotonic()
            complete = await wait_for(all_arrived, DRAIN_MAX_S, stack)
            if not complete:
                log(f"!! {kind} N={n}: not everything arrived within {DRAIN_MAX_S:.0f}s; figures are partial")
            extra["drain_s"] = round(time.monotonic() - t_posted, 2)  # last POST answered -> all arrived
            await pl._wait_consumed(dbs.vol, ids, stack, 30)
            cpu = probe.stop()
            extra["phase_s"] = round(time.perf_counter() - probe.t0, 2)
            # the machine is shared (CI, other tests): what it spent outside this benchmark's processes
            ours = sum(
                v for k, v in cpu.items() if isinstance(v, float) and k != "postgres(all)" and "machine" not in k
            )
            busy = next((v for k, v in cpu.items() if k.startswith("machine busy")), None)
            if isinstance(busy, float):
                cpu["others on the machine"] = round(busy - ours, 1)
            extra["cpu_s"] = round(ours * extra["phase_s"] / 100, 3)  # all of this benchmark's processes
            # the platform's alone: the load generator, receiver and sink stand in for clients and partners
            platform = ours - sum(cpu.get(k, 0.0) for k in STAND_INS)
            extra["platform_cpu_s"] = round(platform * extra["phase_s"] / 100, 3)
            public = await dbs.public_of(after_seq, ids)
            rows = await dbs.vol.fetch("SELECT need_id, recorded_at FROM demands WHERE need_id = ANY($1::uuid[])", ids)
            demands = {str(r["need_id"]): r["recorded_at"].timestamp() for r in rows}
            if kind == "webhooks":
                got = orjson.loads((await client.get(f"{receiver.base}/_collect")).content)
                records = got["records"]
                extra |= {"verified": got["verified"], "bad_signature": got["bad_signature"]}
                extra["deliveries_log"] = dict(
                    await dbs.exchange.fetchrow(
                        """SELECT count(*) FILTER (WHERE status = 'delivered') AS delivered,
                                  count(*) FILTER (WHERE status <> 'delivered') AS not_delivered,
                                  coalesce(sum(attempts), 0) AS attempts,
                                  count(*) FILTER (WHERE attempts > 1) AS retried
                           FROM webhook_deliveries WHERE subscription_id = ANY($1::uuid[])""",
                        [x["id"] for x in subs],
                    )
                )
                sinks = [x["path"] for x in subs]
            elif kind == "nats":
                records = await finish_nats_sink(sink_proc, out_file)
                sinks = [c for c, _, _ in nats_layout(n)]
            else:
                records, sinks = {}, []
        finally:
            if sink_proc is not None and sink_proc.poll() is None:
                sink_proc.send_signal(signal.SIGTERM)
                stop_process(sink_proc, timeout=10)
            if subs:
                await unsubscribe_hooks(client, stack, subs)
    res = {
        "kind": kind,
        "n": n,
        "events_asked": events,
        "complete": complete,
        **internal_figures(load, public, demands),
    }
    if sinks:
        res |= fanout_figures(records, sinks, public)
    res |= extra
    res["cpu%"] = cpu
    # where the CPU went: ms of CPU per delivery (per event in the baseline), by process
    if res.get("projected"):
        res["cpu_ms_per_event"] = round(res["platform_cpu_s"] * 1000 / res["projected"], 3)
    work = res.get("delivered") or res.get("projected")
    if work:
        res["cpu_ms_per_item"] = {
            k: round(v * res["phase_s"] * 10 / work, 3)
            for k, v in cpu.items()
            if isinstance(v, float) and not k.startswith(("machine", "others")) and v >= 1.0
        }
    return res


def nats_layout(n: int) -> list[tuple[str, str, int]]:
    """(durable name, partner, slot) of N consumers: four per partner, the most its user may have."""
    from services.exchange.domain import CONSUMER_SLOTS, consumer_names

    out = []
    for j in range(n):
        partner = NATS_PARTNER.format(j // CONSUMER_SLOTS + 1)
        out.append((consumer_names(partner)[j % CONSUMER_SLOTS], partner, j % CONSUMER_SLOTS))
    return out


_registered: set[str] = set()


async def start_nats_sink(stack: pl.Stack, n: int) -> tuple[subprocess.Popen, Path]:
    from services.exchange.domain import stream_filters

    layout = nats_layout(n)
    for partner in sorted({p for _, p, _ in layout} - _registered):
        await add_partner(stack, partner)
        _registered.add(partner)
    (flt,) = stream_filters(AREA, [EVENTS_PATTERN])
    out = stack.home / f"nats-sink-{n}-{time.time_ns()}.json"
    cfg = {
        "url": stack.settings.nats_url,
        "out": str(out),
        "max_s": POST_MAX_S + DRAIN_MAX_S + 30,
        "consumers": [
            {
                "durable": durable,
                "partner": partner,
                "filter": flt,
                "seed": stack.settings.path("partners", f"{partner}.nk").read_text().strip(),
            }
            for durable, partner, _ in layout
        ],
    }
    cfg_path = out.with_suffix(".cfg.json")
    cfg_path.write_text(json.dumps(cfg))
    cfg_path.chmod(0o600)
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "nats-sink", str(cfg_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=open(stack.home / "nats-sink.log", "ab"),
        start_new_session=True,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, proc.stdout.readline), 120)
    if line.strip() != b"ready":
        stop_process(proc, timeout=5)
        raise SystemExit(f"the NATS sink did not start (said {line!r}); see {stack.home / 'nats-sink.log'}")
    return proc, out


async def finish_nats_sink(proc: subprocess.Popen, out: Path) -> dict:
    """Its records (what it has, when it did not get everything), then it deletes its consumers and ends."""
    assert proc.stdin is not None
    loop = asyncio.get_running_loop()
    if not out.exists() and proc.poll() is None:
        proc.stdin.write(b"stop\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        while not out.exists() and proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    records = orjson.loads(out.read_bytes()) if out.exists() else {}
    with contextlib.suppress(OSError):
        proc.stdin.write(b"exit\n")
        proc.stdin.close()
    try:
        await asyncio.wait_for(loop.run_in_executor(None, proc.wait), 60)
    except TimeoutError:
        proc.send_signal(signal.SIGTERM)
        await loop.run_in_executor(None, proc.wait, 30)
    return records


async def warm_up(stack: pl.Stack) -> None:
    async with Dbs(stack) as dbs:
        after = await dbs.last_seq()
        load = await pl.run_closed(stack.settings.http_port, stack.token, WARMUP_N, 8, 60)
        ids = load.ids()
        if len(ids) < WARMUP_N * 0.9:
            raise SystemExit(f"warm-up: only {len(ids)}/{WARMUP_N} POSTs answered 201; samples: {load.error_samples}")

        async def projected() -> bool:
            return await dbs.published(after, len(ids))

        if not await wait_for(projected, 60, stack):
            raise SystemExit("warm-up: the needs did not reach the exchange's public projection within 60 s")
        await pl._wait_consumed(dbs.vol, ids, stack, 60)
    log(f"warm-up: {len(ids)} needs posted, projected and consumed")


async def run_all(stack: pl.Stack, receiver: ReceiverProc) -> list[dict]:
    import httpx

    plan = [("baseline", 0, EVENTS)]
    plan += [("webhooks", n, EVENTS if n < 100 else EVENTS_100) for n in HOOKS]
    plan += [("nats", n, EVENTS if n < 100 else EVENTS_100) for n in NATS_CONSUMERS]
    results = []
    async with httpx.AsyncClient(timeout=30) as client:
        await receiver.ready(client)
        await warm_up(stack)
        for rep in range(REPS):
            for kind, n, events in plan:
                log(f"rep {rep + 1}/{REPS} {kind} N={n}: {events} needs …")
                r = await run_phase(stack, client, kind, n, events, receiver)
                r["rep"] = rep + 1
                results.append(r)
                shown = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items() if k != "cpu%"}
                log("  " + json.dumps(shown, ensure_ascii=False, default=str))
                log(f"  cpu% {r['cpu%']}")
    return results


# --- reporting -------------------------------------------------------------------------------------


def summarize(results: list[dict]) -> list[dict]:
    """Medians over the repetitions of each phase; ratios against the baseline's internal rate."""
    keys = [
        "internal_eps",
        "internal_p50_ms",
        "internal_p99_ms",
        "pipeline_eps",
        "pipeline_p99_ms",
        "post_rps",
        "full_eps",
        "per_sink_eps",
        "deliveries_per_s",
        "p50_ms",
        "p99_ms",
        "full_p99_ms",
        "cpu_ms_per_event",
        "duplicates",
        "missing",
        "strays",
    ]
    phases: dict[tuple[str, int], list[dict]] = {}
    for r in results:
        phases.setdefault((r["kind"], r["n"]), []).append(r)
    baseline = pl.median([r.get("internal_eps") for r in phases.get(("baseline", 0), [])])
    baseline_cpu = pl.median([r.get("cpu_ms_per_event") for r in phases.get(("baseline", 0), [])])
    out = []
    for (kind, n), rows in phases.items():
        row = {"kind": kind, "n": n, "events": rows[0]["posted_201"]}
        row |= {k: pl.median([r.get(k) for r in rows]) for k in keys}
        row["duplicates"] = sum(r.get("duplicates", 0) for r in rows)
        row["missing"] = sum(r.get("missing", 0) for r in rows)
        row["bad_signature"] = sum(r.get("bad_signature", 0) for r in rows)
        row["verified"] = sum(r.get("verified", 0) for r in rows)
        full = row["full_eps"]
        row["ratio_vs_baseline"] = full / baseline if full and baseline else None
        same = [r["full_eps"] / r["internal_eps"] for r in rows if r.get("full_eps") and r.get("internal_eps")]
        row["ratio_vs_same_phase"] = pl.median(same)
        # what the platform on a machine of its own would show, every phase being CPU-bound (clients
        # and partners elsewhere): the baseline's platform CPU per event over this phase's
        base_cpu, cpu = baseline_cpu, row["cpu_ms_per_event"]
        row["ratio_cpu_bound"] = base_cpu / cpu if base_cpu and cpu and kind != "baseline" else None
        out.append(row)
    return out


def print_table(summary: list[dict], results: list[dict]) -> None:
    cols = [
        ("phase", 15, None),
        ("events", 7, "events"),
        ("int ev/s", 9, "internal_eps"),
        ("int p50", 8, "internal_p50_ms"),
        ("int p99", 8, "internal_p99_ms"),
        ("full ev/s", 10, "full_eps"),
        ("/base", 6, "ratio_vs_baseline"),
        ("/same", 6, "ratio_vs_same_phase"),
        ("/cpu", 6, "ratio_cpu_bound"),
        ("cpu/ev", 7, "cpu_ms_per_event"),
        ("ev/s/sink", 10, "per_sink_eps"),
        ("deliv/s", 9, "deliveries_per_s"),
        ("p50 ms", 8, "p50_ms"),
        ("p99 ms", 8, "p99_ms"),
        ("full p99", 9, "full_p99_ms"),
        ("dup", 5, "duplicates"),
        ("miss", 6, "missing"),
        ("POST/s", 8, "post_rps"),
        ("e2e ev/s", 9, "pipeline_eps"),
    ]
    print()
    print(
        f"## exchange fan-out  (needs per phase {EVENTS}, {EVENTS_100} when N>=100; closed loop c{CONNS}; "
        f"REPS={REPS}, medians)"
    )
    print("".join(f"{h:>{w}}" if i else f"{h:<{w}}" for i, (h, w, _) in enumerate(cols)))
    for row in summary:
        cells = []
        for _, w, key in cols:
            if key is None:
                label = row["kind"] + (f" N={row['n']}" if row["n"] else "")
                cells.append(f"{label:<{w}}")
            elif key.startswith("ratio"):
                v = row.get(key)
                cells.append(f"{(f'{v:.2f}x' if v else '-'):>{w}}")
            elif key in ("duplicates", "missing", "events"):
                v = row.get(key)
                cells.append(f"{('-' if v is None or (row['kind'] == 'baseline' and key != 'events') else v):>{w}}")
            else:
                cells.append(f"{fmt(row.get(key)):>{w}}")
        print("".join(cells))
    print()
    print(
        "int = the internal pipeline: internal commit -> public event committed and on PUBLIC (exchange outbox "
        "sent_at); full = an event at every one of the N sinks; /base = full ev/s over the baseline's int ev/s; "
        "/same = over the same phase's int ev/s; cpu/ev = ms of the platform's CPU per event (services, PostgreSQL, "
        "nats-server; not the load generator, receiver or sink, which stand in for clients and partners); /cpu = "
        "the baseline's cpu/ev over the phase's: the ratio the platform would show on a machine of its own, "
        "CPU-bound; e2e = bench/pipeline.py's figure (client send -> volunteers demand); latencies in ms"
    )
    target = next((r for r in summary if r["kind"] == "webhooks" and r["n"] == TARGET_N), None)
    if target is not None:
        ratio = target["ratio_vs_baseline"]
        verdict = "-" if ratio is None else ("PASS" if ratio >= TARGET_RATIO else "FAIL")
        print(
            f"target: fan-out to {TARGET_N} webhook subscriptions >= {TARGET_RATIO}x the internal event rate -> "
            f"{'n/a' if ratio is None else f'{ratio:.2f}x'}  {verdict}"
        )
        cpu_ratio = target["ratio_cpu_bound"]
        if cpu_ratio is not None:
            print(f"        the same, CPU-bound on a machine of its own (/cpu)                  -> {cpu_ratio:.2f}x")
    for row in summary:
        if row["kind"] == "webhooks":
            log_ = [r for r in results if r["kind"] == "webhooks" and r["n"] == row["n"]][-1].get("deliveries_log", {})
            print(
                f"check webhooks N={row['n']}: duplicates={row['duplicates']} missing={row['missing']} "
                f"strays={row['strays']} signatures verified={row['verified']} bad={row['bad_signature']} | "
                f"deliveries log (last rep): delivered={log_.get('delivered')} open={log_.get('not_delivered')} "
                f"attempts={log_.get('attempts')} retried={log_.get('retried')}"
            )
        elif row["kind"] == "nats":
            print(
                f"check nats N={row['n']}: duplicates={row['duplicates']} missing={row['missing']} strays={row['strays']}"
            )
    print("where the CPU went (last rep), ms per delivery (per event in the baseline); the machine's other load:")
    for row in summary:
        last = [r for r in results if r["kind"] == row["kind"] and r["n"] == row["n"]][-1]
        label = row["kind"] + (f" N={row['n']}" if row["n"] else "")
        top = sorted(last.get("cpu_ms_per_item", {}).items(), key=lambda kv: -kv[1])
        shown = ", ".join(f"{k} {v:.2f}" for k, v in top if k != "postgres(all)")
        print(f"  {label:<14} {shown}; others {last['cpu%'].get('others on the machine', '-')}% of a core")


def emit_results(summary: list[dict], results: list[dict]) -> None:
    for row in summary:
        tag = "baseline" if row["kind"] == "baseline" else f"{row['kind']} N={row['n']}"
        rows = [r for r in results if r["kind"] == row["kind"] and r["n"] == row["n"]]
        base = f"wushe exchange fan-out {tag}"
        pl.report_line(
            f"{base} internal", [r.get("internal_eps") for r in rows], "events/s", {"cpu%": rows[-1]["cpu%"]}
        )
        pl.report_line(f"{base} internal p99", [r.get("internal_p99_ms") for r in rows], "ms")
        if row["kind"] == "baseline":
            continue
        pl.report_line(
            f"{base} full",
            [r.get("full_eps") for r in rows],
            "events/s",
            {"duplicates": row["duplicates"], "missing": row["missing"]},
        )
        pl.report_line(f"{base} deliveries", [r.get("deliveries_per_s") for r in rows], "deliveries/s")
        pl.report_line(f"{base} p50", [r.get("p50_ms") for r in rows], "ms")
        pl.report_line(f"{base} p99", [r.get("p99_ms") for r in rows], "ms")
        if row["ratio_vs_baseline"] is not None:
            pl.report_line(f"{base} / internal ratio", [row["ratio_vs_baseline"]], "x")
        if row["ratio_cpu_bound"] is not None:
            pl.report_line(f"{base} / internal ratio, CPU-bound", [row["ratio_cpu_bound"]], "x")


def main() -> int:
    signal.signal(signal.SIGTERM, pl._sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    log(
        f"fan-out benchmark: {EVENTS} needs a phase ({EVENTS_100} for N>=100), webhooks N={HOOKS}, "
        f"NATS consumers N={NATS_CONSUMERS}, REPS={REPS}{' (quick)' if QUICK else ''}"
    )
    t_start = time.time()
    stack = pl.Stack(services=SERVICES, label="fanout")
    receiver: ReceiverProc | None = None
    failed = False
    try:
        stack.start()
        receiver = ReceiverProc(stack.home)
        results = pl.arun(run_all(stack, receiver))
    except KeyboardInterrupt:
        log("interrupted: stopping everything")
        return 130
    except BaseException:
        failed = True
        raise
    finally:
        log("stopping the receiver, services, nats-server and PostgreSQL …")
        if receiver is not None:
            receiver.stop()
        stack.stop(failed)

    summary = summarize(results)
    print_table(summary, results)
    print()
    emit_results(summary, results)
    out_dir = pl.REPO / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"fanout-{stamp}.json"
    config = {
        "events": EVENTS,
        "events_n100": EVENTS_100,
        "hooks": HOOKS,
        "nats": NATS_CONSUMERS,
        "conns": CONNS,
        "reps": REPS,
        "quick": QUICK,
        "rate_limit_per_s": RATE_LIMIT,
        "verify_every": VERIFY_EVERY,
        "drain_max_s": DRAIN_MAX_S,
        "webhook_env": {k: v for k, v in os.environ.items() if k.startswith("WUSHE_EXCHANGE_WEBHOOK_")},
    }
    path.write_text(
        json.dumps(
            {
                "benchmark": "exchange fan-out: webhooks and NATS partner consumers vs the internal pipeline",
                "utc": stamp,
                "duration_s": round(time.time() - t_start, 1),
                "versions": pl.versions(),
                "config": config,
                "targets": {"webhooks_n": TARGET_N, "ratio_min": TARGET_RATIO},
                "summary": summary,
                "phases": results,
            },
            indent=2,
            ensure_ascii=False,
            default=str,
        )
    )
    print(f"\nwritten {path.relative_to(pl.REPO)}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "receiver":
        receiver_main(int(sys.argv[2]))
    elif len(sys.argv) > 2 and sys.argv[1] == "nats-sink":
        nats_sink_main(sys.argv[2])
    else:
        sys.exit(main())
