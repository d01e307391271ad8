"""Pure rules of the need library: no I/O."""
from __future__ import annotations

from contracts.api.needs import ResidentMasked
from contracts.values import mask_citizen_id, mask_phone

RAISED = "raised"


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the surname's first character stays."""
    return name[:1] + "*" * max(len(name) - 1, 1)


def masked_resident(name: str, phone: str, citizen_id: str) -> ResidentMasked:
    return ResidentMasked(name=mask_name(name), phone=mask_phone(phone), citizen_id=mask_citizen_id(citizen_id))
