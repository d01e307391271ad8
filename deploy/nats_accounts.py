"""Who may connect to NATS, and to what: two accounts in every node's config.

PLATFORM holds the streams and the services' user. PARTNERS holds one nkey user per partner and
sees nothing of PLATFORM but the consumer side of the PUBLIC stream, imported under
`JSPUB.API` (a partner's own `$JS.API` is an account without JetStream). Each partner's user may
only create, read from, ack and delete its own durable consumers (`<name>-1` … `<name>-4`), and
only with a filter inside its area and event types: the filter is a token of the create subject,
so the server's subject permissions enforce it. Accounts rather than users of one account,
because a user of the streams' account could read any stream through the core subjects
(`evt.>`) or the rest of the JetStream API; an account sees only what is exported to it.

The partners' users are in `<home>/nats/partners.conf`, included by every node; `wushe partner`
rewrites it from the exchange's partners table and makes the nodes reload it (SIGHUP), which
cuts the connections of a user that is gone."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path

import nkeys

from kit.crypto import ensure_secret, write_private
from kit.settings import Settings

PLATFORM_USER = "platform"
PARTNER_API_PREFIX = "JSPUB.API"  # a partner's `nc.jetstream(prefix=…)`
STREAM = "PUBLIC"
# the consumer side of PUBLIC, as PLATFORM exports it; a pull's replies are a stream of messages
_EXPORTS = (
    (f"$JS.API.CONSUMER.CREATE.{STREAM}.>", False),
    (f"$JS.API.CONSUMER.INFO.{STREAM}.*", False),
    (f"$JS.API.CONSUMER.DELETE.{STREAM}.*", False),
    (f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.*", True),
    (f"$JS.ACK.{STREAM}.>", False),
)
RELOAD_TIMEOUT_S = 10.0
# With no nkey user at all, the server stops asking clients to sign its nonce, and a client that
# presents a (revoked) nkey is let in as the no-credentials user, the platform's. This user, whose
# seed nobody keeps (a fresh one at each write) and who may do nothing, keeps an nkey in the list
# so that a revoked partner is refused.


def partners_file(settings: Settings) -> Path:
    return settings.path("nats", "partners.conf")


def accounts_config(settings: Settings, conf: Path) -> list[str]:
    """The accounts of a node whose config file is `conf` (the include is relative to it)."""
    partners = partners_file(settings)
    if not partners.exists():
        write_partner_users(settings, [])
    password = base64.b64encode(ensure_secret(settings.path("keys", "nats-platform.secret"))).decode()
    exports = [
        f"      {{ service: {json.dumps(s)}, accounts: [PARTNERS]{', response_type: stream' if many else ''} }}"
        for s, many in _EXPORTS
    ]
    imports = [
        f"      {{ service: {{ account: PLATFORM, subject: {json.dumps(s)} }}, "
        f"to: {json.dumps(s.replace('$JS.API', PARTNER_API_PREFIX))} }}"
        for s, _ in _EXPORTS
    ]
    # loopback only (servers.nats_config): a client without credentials is the platform's user
    return [
        f"no_auth_user: {PLATFORM_USER}",
        "accounts {",
        "  PLATFORM {",
        "    jetstream: enabled",
        f"    users: [ {{ user: {PLATFORM_USER}, password: {json.dumps(password)} }} ]",
        "    exports: [",
        *exports,
        "    ]",
        "  }",
        "  PARTNERS {",
        f"    include {json.dumps(os.path.relpath(partners, conf.parent))}",
        "    imports: [",
        *imports,
        "    ]",
        "  }",
        "}",
    ]


def partner_permissions(name: str, filters: Iterable[str], consumers: list[str]) -> dict:
    """What one partner's user may publish (the consumer API of its own consumers, with its own
    filters) and subscribe to (its own inbox prefix only)."""
    filters = list(filters)
    api = f"{PARTNER_API_PREFIX}.CONSUMER"
    publish = [f"{api}.CREATE.{STREAM}.{c}.{f}" for c in consumers for f in filters]
    for c in consumers:
        publish += [f"{api}.INFO.{STREAM}.{c}", f"{api}.DELETE.{STREAM}.{c}", f"{api}.MSG.NEXT.{STREAM}.{c}"]
        publish.append(f"$JS.ACK.{STREAM}.{c}.>")
    return {"publish": {"allow": publish}, "subscribe": {"allow": [f"{inbox_prefix(name)}.>"]}}


def inbox_prefix(partner: str) -> str:
    return f"_INBOX_{partner}"


def write_partner_users(settings: Settings, users: list[tuple[str, dict]]) -> None:
    """Replace partners.conf with these (nkey public key, permissions) users, atomically."""
    body = [{"nkey": new_nkey()[1], "permissions": {"publish": {"deny": [">"]}, "subscribe": {"deny": [">"]}}}]
    body += [{"nkey": nkey, "permissions": permissions} for nkey, permissions in users]
    write_private(partners_file(settings), "users: " + json.dumps(body, indent=2) + "\n")


def new_nkey() -> tuple[str, str]:
    """A fresh user nkey: (seed, for the partner alone; public key, for the server)."""
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    return seed.decode(), nkeys.from_seed(bytearray(seed)).public_key.decode()


# --- reloading the running nodes ----------------------------------------------------------------


def node_configs(settings: Settings) -> list[Path]:
    return sorted(p for p in settings.path("nats").rglob("*.conf") if p != partners_file(settings))


def reload_nodes(settings: Settings) -> int:
    """SIGHUP every running nats-server of this home and wait until each has loaded its config
    again; the number of nodes reloaded (0 when NATS is not running: it reads the file on start)."""
    reloaded = 0
    for conf in node_configs(settings):
        pid = _running_pid(conf.with_suffix(".pid"))
        if pid is None:
            continue
        before = _loaded_at(conf)
        os.kill(pid, signal.SIGHUP)
        deadline = time.monotonic() + RELOAD_TIMEOUT_S
        while _loaded_at(conf) == before:
            if time.monotonic() > deadline:
                raise SystemExit(f"nats-server（{conf.stem}）未重新加载配置 / did not reload {conf}: see its log")
            time.sleep(0.05)
        reloaded += 1
    return reloaded


def _running_pid(pid_file: Path) -> int | None:
    """The pid in the file if that process is a nats-server still running (a stale pid may be reused)."""
    try:
        pid = int(pid_file.read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"nats-server" in command else None


def _loaded_at(conf: Path) -> str | None:
    """When the node last loaded its config (its /varz), from the monitoring port in `conf`."""
    found = re.search(r'^http: "([^"]+)"', conf.read_text(), re.MULTILINE)
    if found is None:
        return None
    try:
        with urllib.request.urlopen(f"http://{found[1]}/varz", timeout=2) as reply:
            return json.loads(reply.read()).get("config_load_time")
    except OSError:
        return None
