"""Pure rules of migrating an earlier system's donations (that each names its legacy ref once and
states a past time is the contract's)."""

from __future__ import annotations

from collections.abc import Container, Sequence
from uuid import UUID


def outside_funds(fund_ids: Sequence[UUID], theirs: Container[UUID]) -> list[dict[str, str]]:
    """A problem for each record whose fund is not among the migrator's: it could not have been
    theirs to bring in."""
    return [
        {"field": f"donations.{i}.fund_id", "message": "无此基金或不在辖区内 / no such fund in your area"}
        for i, fund_id in enumerate(fund_ids)
        if fund_id not in theirs
    ]
