"""The love supermarket's own settings (prefix WUSHE_SUPERMARKET_): the points one time-bank credit
is worth."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SupermarketSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUSHE_SUPERMARKET_", extra="ignore")

    points_per_credit: Decimal = Field(default=Decimal(10), gt=0, description="points for one time-bank credit")


@lru_cache
def supermarket_settings() -> SupermarketSettings:
    return SupermarketSettings()
