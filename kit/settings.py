"""Settings from the environment (prefix WUSHE_). Defaults run the whole stack on one machine."""

from __future__ import annotations

from functools import lru_cache
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.subjects import SERVICES

__all__ = ["PII_SERVICES", "PORT_OFFSETS", "SERVICES", "PgSslMode", "Settings", "get_settings"]
PII_SERVICES = ("needs", "volunteers", "party", "charity")  # they keep personal data encrypted (`wushe reencrypt`)
# HTTP port offset of each service from the gateway's port
PORT_OFFSETS = {"gateway": 0, **{name: i + 1 for i, name in enumerate(SERVICES)}}
DEV_JWT_ISSUER = "wushe-dev"  # the local development issuer (`wushe token`, the console's dev sign-in)
# TLS to a PostgreSQL host, as libpq names the modes: disable | require (encrypted, unverified) | verify-ca
# (a certificate the CA signed) | verify-full (and issued to that host name)
PgSslMode = Literal["disable", "require", "verify-ca", "verify-full"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_", extra="ignore")

    home: Path = Path("var")
    http_host: str = "127.0.0.1"
    http_port: int = 8000  # the gateway; services listen on the next five ports

    nats_url: str = "nats://127.0.0.1:4222"
    nats_cluster_size: int = 1  # nodes behind nats_url (comma-joined URLs); streams get min(size, 3) replicas
    # an absolute path: the server's socket directory (default <home>/run, the local server's); else a
    # host name, reached over TCP with TLS as pg_sslmode says (a socket is local: it never takes TLS)
    pg_host: str | None = None
    pg_port: int = 5432
    pg_sslmode: PgSslMode = "verify-full"
    pg_sslrootcert: Path | None = None  # the CA that verify-* trusts; default the system's trusted CAs
    pg_admin_user: str = "postgres"
    pg_pool_size: int = 10

    jwt_issuer: str = DEV_JWT_ISSUER
    jwt_audience: str = "wushe"
    jwt_public_key_file: Path | None = None  # default <home>/keys/jwt-ed25519.pub.pem
    # the console's development sign-in (personas → dev JWTs); only ever with the local dev issuer
    dev_sign_in: bool = True
    pii_keyring_file: Path | None = None  # default <home>/keys/pii-keyring.json

    relay_in_process: bool = True  # run the outbox relay inside the service process
    consumer_max_deliver: int = 5
    outbox_max_attempts: int = 10  # failed publishes of one row (back-off 1 s, 2 s … 5 min) before it is parked
    outbox_retry_base_s: float = 1.0
    # sent outbox rows, inbox rows and idempotency records are kept this long (far beyond
    # JetStream's 2-minute duplicate window), then pruned in batches every retention_interval_s
    retention_days: float = 30.0
    retention_interval_s: float = 3600.0
    max_body_bytes: int = 64 * 1024
    upstream_timeout_s: float = 3.0
    # where the gateway reaches a service instead of http_host:<its port> (url_of), as a JSON object:
    # WUSHE_UPSTREAM_URLS='{"needs": "http://wushe-needs:8001", …}' (Kubernetes: each one's Service)
    upstream_urls: dict[str, str] = Field(default_factory=dict)
    # the gateway keeps composed views until a change is heard (services/gateway/cache.py), at most
    # this long (what changes with the clock alone) and this much; 0 keeps nothing
    view_cache_ttl_s: float = 30.0
    view_cache_mb: float = 32.0

    demo: bool = True  # `wushe up` loads the demo data once (deploy/demo/)

    otel_exporter: str = "none"  # none | console | otlp
    metrics_sample_s: float = 15.0  # how often consumers' lag, DLQ and outbox are sampled
    log_level: str = "INFO"

    @field_validator("pg_host", mode="before")
    @classmethod
    def _socket_dir_or_host(cls, value: Any) -> Any:
        if isinstance(value, PathLike):  # a path given as one is a socket directory
            return str(Path(value).resolve())
        if value == "":
            return None
        if isinstance(value, str) and "/" in value and not value.startswith("/"):
            raise ValueError(f"{value!r}: a socket directory is an absolute path, and a host name has no '/'")
        return value

    @field_validator("upstream_urls")
    @classmethod
    def _known_upstreams(cls, urls: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(urls) - set(PORT_OFFSETS))
        if unknown:
            raise ValueError(f"no such service: {', '.join(unknown)} (one of {', '.join(PORT_OFFSETS)})")
        for name, url in urls.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{name}: {url!r} is not an http:// or https:// URL")
        return {name: url.rstrip("/") for name, url in urls.items()}

    def path(self, *parts: str) -> Path:
        return self.home.resolve().joinpath(*parts)

    @property
    def pg_over_tcp(self) -> bool:
        """pg_host names a host (TCP and TLS), not a socket directory."""
        return self.pg_host is not None and not self.pg_host.startswith("/")

    @property
    def pg_socket_dir(self) -> Path:
        """The server's socket directory; a TCP host has none (the local embedded server is socket-only)."""
        if self.pg_over_tcp:
            raise ValueError(f"WUSHE_PG_HOST={self.pg_host} is a host name, not a socket directory")
        return Path(self.pg_host or self.path("run")).resolve()

    @property
    def pg_address(self) -> str:
        """What asyncpg takes as host: the socket directory, or the host name (kit/db.py server_kwargs)."""
        return self.pg_host if self.pg_host is not None and self.pg_over_tcp else str(self.pg_socket_dir)

    @property
    def public_key_file(self) -> Path:
        return self.jwt_public_key_file or self.path("keys", "jwt-ed25519.pub.pem")

    @property
    def private_key_file(self) -> Path:
        return self.path("keys", "jwt-ed25519.pem")

    @property
    def nats_servers(self) -> list[str]:
        """WUSHE_NATS_URL may list a cluster's nodes, comma-joined; NATS clients take them as a list."""
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]

    @property
    def keyring_file(self) -> Path:
        return self.pii_keyring_file or self.path("keys", "pii-keyring.json")

    @property
    def supervisor_file(self) -> Path:
        """The state `wushe up`'s supervisor keeps of its processes (deploy/supervisor.py)."""
        return self.path("run", "supervisor.json")

    def port_of(self, service: str) -> int:
        return self.http_port + PORT_OFFSETS[service]

    def url_of(self, service: str) -> str:
        return self.upstream_urls.get(service) or f"http://{self.http_host}:{self.port_of(service)}"

    def db_name(self, service: str) -> str:
        return f"wushe_{service}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
