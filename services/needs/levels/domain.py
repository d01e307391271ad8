"""Pure rules of setting an area's service levels: the first-response hours keep the urgencies
in order. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from contracts.events.needs import LEVEL_LABELS

FIRST_RESPONSE_ORDER = ("urgent_hours", "major_hours", "routine_hours")  # the more urgent, the sooner


def misordered(values: Mapping[str, float], touched: Iterable[str]) -> tuple[str, str] | None:
    """(field, why) when a less urgent need would be answered sooner than a more urgent one, for a
    pair of which the area sets (`touched`) at least one: the one to fix is named."""
    touched = set(touched)
    for sooner, later in zip(FIRST_RESPONSE_ORDER, FIRST_RESPONSE_ORDER[1:], strict=False):
        if values[later] < values[sooner] and touched & {sooner, later}:
            field = later if later in touched else sooner
            return field, (
                f"{LEVEL_LABELS[later]}（{values[later]:g} 小时）不得短于{LEVEL_LABELS[sooner]}"
                f"（{values[sooner]:g} 小时）/ {later} must not be shorter than {sooner}"
            )
    return None
