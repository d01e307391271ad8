"""Events delivery and evaluation consume: a resident's rating counts for the project that served the need."""

from __future__ import annotations

from kit.wiring import offer
from services.projects.delivery import handlers

HANDLERS = offer(__name__, {"projects-need-feedback": handlers.on_need_feedback})
