"""The rules of portal callbacks, pure (no I/O): which stage of a work order's life an internal
event of its need is, and the CloudEvent the portal is sent for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from contracts.api.needs import WORK_ORDER_PROGRESS_TYPE, WorkOrderProgress, WorkOrderStage
from contracts.envelope import Envelope, Event
from contracts.events.needs import NeedFeedbackGiven, NeedRaised, NeedResolved, NeedReturned, NeedRouted

Stage = WorkOrderStage


def stage_of(event: Event, routed_before: int) -> WorkOrderStage | None:
    """受理 when raised; 派单 the first time it is routed, 改派 each time after (it was reopened and
    routed again); 退单, 办结, 回访. None for an event that is no stage."""
    match event:
        case NeedRaised():
            return Stage.ACCEPTED
        case NeedRouted():
            return Stage.DISPATCHED if routed_before == 0 else Stage.REDISPATCHED
        case NeedReturned():
            return Stage.RETURNED
        case NeedResolved():
            return Stage.COMPLETED
        case NeedFeedbackGiven():
            return Stage.REVISITED
    return None


def progress(event: Event, order_id: str, need_id: UUID, stage: WorkOrderStage, at: datetime) -> WorkOrderProgress:
    """What the portal is told of the stage; nothing about the resident beyond what it sent."""
    facts: dict[str, Any] = {}
    match event:
        case NeedRouted():
            facts = {"route": event.route, "route_label": event.route.zh}
        case NeedReturned():
            facts = {"reason": event.reason}
        case NeedFeedbackGiven():
            facts = {"satisfaction": event.satisfaction, "reopened": event.reopened}
    return WorkOrderProgress(order_id=order_id, need_id=need_id, stage=stage, stage_label=stage.zh, at=at, **facts)


def message(message_id: UUID, source: Envelope[Any], body: WorkOrderProgress) -> dict[str, Any]:
    """The CloudEvent (structured mode) posted to the portal: its id is the webhook-id."""
    return {
        "specversion": "1.0",
        "id": str(message_id),
        "type": WORK_ORDER_PROGRESS_TYPE,
        "source": "/wushe/needs",
        "subject": body.order_id,
        "time": source.time.isoformat(),
        "datacontenttype": "application/json",
        "data": body.model_dump(mode="json"),
    }
