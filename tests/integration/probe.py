"""A test-only event on the PROJECTS stream, which no service consumes, so tests own its traffic."""

from __future__ import annotations

from typing import ClassVar

from contracts.envelope import Event


class ProbeHappened(Event):
    service: ClassVar[str] = "projects"

    n: int
    poison: bool = False
