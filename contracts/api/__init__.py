"""HTTP API models shared by the services and the gateway."""
from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error and not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TrendPoint(BaseModel):
    """One month of a trend: the figure at (or for) that local calendar month."""

    month: str = Field(description="YYYY-MM (Asia/Shanghai)")
    value: float | None = Field(description="null when there is nothing to measure that month")
