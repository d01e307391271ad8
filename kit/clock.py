"""The one clock: timezone-aware, in Beijing time (stored UTC by PostgreSQL, read back in Beijing time
by kit.db), so that every time an answer gives is +08:00."""

from __future__ import annotations

from datetime import datetime

from kit.months import LOCAL


def now() -> datetime:
    return datetime.now(LOCAL)
