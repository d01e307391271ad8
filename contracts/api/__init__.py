"""HTTP API models shared by the services and the gateway."""
from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error and not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
