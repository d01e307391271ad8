"""Events 社区吹哨 consumes: a need that passed its first-response deadline blows the whistle."""

from __future__ import annotations

from kit.wiring import offer
from services.party.whistles import handlers

HANDLERS = offer(__name__, {"party-need-escalated": handlers.on_need_escalated})
