"""Settings of the exchange's webhooks (prefix WUSHE_EXCHANGE_WEBHOOK_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kit.settings import DEV_JWT_ISSUER, Settings
from services.exchange.webhooks import domain


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_EXCHANGE_WEBHOOK_", extra="ignore")

    # Endpoints on loopback, private or link-local addresses, or whose host does not resolve, are
    # refused unless this allows them (SSRF). Unset: allowed only where the platform runs with the
    # local development issuer (`wushe up`, the tests), refused wherever real tokens are verified.
    allow_private: bool | None = None
    retry_s: tuple[float, ...] = Field(default=domain.DEFAULT_RETRY_S, min_length=1)  # the back-off schedule
    disable_after_s: float = Field(default=3 * 86400, gt=0)  # no success that long: the subscription is disabled
    secret_overlap_s: float = Field(default=86400, ge=0)  # a rotated secret keeps signing this long
    timeout_s: float = Field(default=10, gt=0)  # one request's whole time
    lease_s: float = Field(default=60, gt=0)  # a worker's hold on a subscription; more than timeout_s
    poll_interval_s: float = Field(default=1.0, gt=0)  # the worker's sweep for due deliveries; NOTIFY wakes it
    max_endpoints: int = Field(default=50, ge=1)  # subscriptions one replica sends to at once
    max_subscriptions: int = Field(default=20, ge=1)  # a partner's subscriptions, at most
    keep_days: float = Field(default=30, ge=7)  # delivered and dead deliveries kept for the log (≥ the health week)
    key_file: Path | None = None  # the key that encrypts secrets at rest; default <home>/keys/webhook-secrets.key

    def private_allowed(self, settings: Settings) -> bool:
        return self.allow_private if self.allow_private is not None else settings.jwt_issuer == DEV_JWT_ISSUER

    def secrets_key_file(self, settings: Settings) -> Path:
        return self.key_file or settings.path("keys", "webhook-secrets.key")


@lru_cache
def webhook_settings() -> WebhookSettings:
    return WebhookSettings()
