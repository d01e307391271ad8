"""The one clock: timezone-aware UTC (stored UTC, shown Asia/Shanghai by the views)."""
from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)
