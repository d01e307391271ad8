"""HTTP API models shared by the services and the gateway."""

from typing import Any

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


class TrendPoint(BaseModel):
    """One month of a trend: the figure at (or for) that local calendar month."""

    month: str = Field(description="YYYY-MM (Asia/Shanghai)")
    value: float | None = Field(description="null when there is nothing to measure that month")
