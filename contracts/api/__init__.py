"""HTTP API models shared by the services and the gateway."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.values import check_input


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error and not silently dropped, and
    refuse control or invisible characters in any text and integers no client can hold exactly
    (the one place for both: every request body derives from this)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _safe_input(cls, value: Any) -> Any:
        return check_input(value)


# an earlier system's id of a record migrated from it (历史数据迁移): each is imported once
LegacyRef = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
        description="原系统中的编号：同一编号只导入一次 / the earlier system's id, imported once",
    ),
]


def once_per_ref(records: list[Any]) -> list[Any]:
    """A batch of migrated records names each legacy ref once."""
    first: dict[str, int] = {}
    for i, record in enumerate(records):
        if (earlier := first.setdefault(record.legacy_ref, i)) != i:
            raise ValueError(
                f"第 {i} 条与第 {earlier} 条的原系统编号相同 / records {earlier} and {i} share a legacy_ref"
            )
    return records


NOTHING_IMPORTED = "历史记录有误，未导入任何记录 / a record is wrong: nothing was imported"


class HistoryImported(BaseModel):
    """What a batch of migrated records did: how many came in now, and which were in before."""

    imported: int = Field(description="本次导入的条数 / records imported now")
    already: list[str] = Field(description="此前已导入的原系统编号 / legacy refs imported before, skipped")


class TrendPoint(BaseModel):
    """One month of a trend: the figure at (or for) that local calendar month."""

    month: str = Field(description="YYYY-MM (Asia/Shanghai)")
    value: float | None = Field(description="null when there is nothing to measure that month")
