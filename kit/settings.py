"""Settings from the environment (prefix WUSHE_). Defaults run the whole stack on one machine."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.subjects import SERVICES

__all__ = ["PII_SERVICES", "PORT_OFFSETS", "SERVICES", "Settings", "get_settings"]
PII_SERVICES = ("needs", "volunteers", "party", "charity")  # they keep personal data encrypted (`wushe reencrypt`)
# HTTP port offset of each service from the gateway's port
PORT_OFFSETS = {"gateway": 0, **{name: i + 1 for i, name in enumerate(SERVICES)}}
DEV_JWT_ISSUER = "wushe-dev"  # the local development issuer (`wushe token`, the console's dev sign-in)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_", extra="ignore")

    home: Path = Path("var")
    http_host: str = "127.0.0.1"
    http_port: int = 8000  # the gateway; services listen on the next five ports

    nats_url: str = "nats://127.0.0.1:4222"
    nats_cluster_size: int = 1  # nodes behind nats_url (comma-joined URLs); streams get min(size, 3) replicas
    pg_host: Path | None = None  # socket directory; default <home>/run
    pg_port: int = 5432
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

    demo: bool = True  # `wushe up` loads the demo data once (deploy/demo/)

    otel_exporter: str = "none"  # none | console | otlp
    metrics_sample_s: float = 15.0  # how often consumers' lag, DLQ and outbox are sampled
    log_level: str = "INFO"

    def path(self, *parts: str) -> Path:
        return self.home.resolve().joinpath(*parts)

    @property
    def pg_socket_dir(self) -> Path:
        return (self.pg_host or self.path("run")).resolve()

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
        return f"http://{self.http_host}:{self.port_of(service)}"

    def db_name(self, service: str) -> str:
        return f"wushe_{service}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
