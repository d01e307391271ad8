"""Events the projects service consumes: the party organization's decisions, the charity service's
funds (to check funding lines against) and answers to funding requests, residents' feedback on the needs its projects serve, and what waits for
a project: needs routed to "project" and joint meetings' resolutions to propose one."""
from __future__ import annotations

from contracts.events.charity import FundingRejected, FundOpened, FundsCommitted
from contracts.events.needs import NeedFeedbackGiven, NeedRouted
from contracts.events.party import ActionDispatched, MatterDecided
from kit.bus import Subscription
from services.projects import handlers


def subscriptions(max_deliver: int) -> list[Subscription]:
    return [
        Subscription(durable="projects-matter-decided", event=MatterDecided, handle=handlers.on_matter_decided,
                     max_deliver=max_deliver),
        Subscription(durable="projects-fund-opened", event=FundOpened, handle=handlers.on_fund_opened,
                     max_deliver=max_deliver),
        Subscription(durable="projects-funds-committed", event=FundsCommitted, handle=handlers.on_funding_answer,
                     max_deliver=max_deliver),
        Subscription(durable="projects-funding-rejected", event=FundingRejected, handle=handlers.on_funding_answer,
                     max_deliver=max_deliver),
        Subscription(durable="projects-need-feedback", event=NeedFeedbackGiven, handle=handlers.on_need_feedback,
                     max_deliver=max_deliver),
        Subscription(durable="projects-need-routed", event=NeedRouted, handle=handlers.on_demand,
                     max_deliver=max_deliver),
        Subscription(durable="projects-action-dispatched", event=ActionDispatched, handle=handlers.on_demand,
                     max_deliver=max_deliver),
    ]
