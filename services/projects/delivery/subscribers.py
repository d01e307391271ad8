"""Events delivery and evaluation consume: a resident's rating counts for the project that served the need;
a milestone's payment rejected by the charity service's checker shows on the milestone."""

from __future__ import annotations

from kit.wiring import offer
from services.projects.delivery import handlers

HANDLERS = offer(
    __name__,
    {
        "projects-need-feedback": handlers.on_need_feedback,
        "projects-disbursement-rejected": handlers.on_disbursement_rejected,
    },
)
