"""The exchange service's own settings (prefix WUSHE_EXCHANGE_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from kit.settings import Settings


class ExchangeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_EXCHANGE_", extra="ignore")

    # the key of the partner-facing pseudonyms: its own, so that neither the PII keyring nor the
    # internal refs let anyone outside join a public pseudonym with a person
    pseudonym_key_file: Path | None = None  # default <home>/keys/public-pseudonym.key
    retention_days: float = 180  # public events stay this long for the events API (/api/v1/events)
    prune_interval_s: float = 3600

    def key_file(self, settings: Settings) -> Path:
        return self.pseudonym_key_file or settings.path("keys", "public-pseudonym.key")


@lru_cache
def exchange_settings() -> ExchangeSettings:
    return ExchangeSettings()
