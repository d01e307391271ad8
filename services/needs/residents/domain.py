"""Pure rules of the resident registry: which fields of a resident are personal data (encrypted,
masked), and which target groups are visited proactively. No I/O."""

from __future__ import annotations

from contracts.taxonomy import TargetGroup

RESIDENT_PII = ("name", "citizen_id", "phone", "address")
PROACTIVE_TAGS = (
    TargetGroup.EMPTY_NEST_ELDERLY,
    TargetGroup.CHILD_IN_DIFFICULTY,
    TargetGroup.LEFT_BEHIND_CHILD,
    TargetGroup.LEFT_BEHIND_ELDERLY,
    TargetGroup.EXTREME_POVERTY,
    TargetGroup.DISABLED,
)
