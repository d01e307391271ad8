"""The stages a portal is told of (services/exchange/portals/domain.py), and the names partners and
officials see for public events (services/exchange/domain.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from contracts.api.needs import WORK_ORDER_PROGRESS_TYPE
from contracts.api.needs import WorkOrderStage as Stage
from contracts.envelope import wrap
from contracts.events.needs import NeedFeedbackGiven, NeedMatched, NeedRaised, NeedReturned, NeedRouted
from contracts.public import PUBLIC_EVENTS
from contracts.taxonomy import Channel, Route, Urgency
from services.exchange import domain as exchange
from services.exchange.portals import domain

AT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
NEED, AREA = uuid4(), "130132100001"


def routed() -> NeedRouted:
    return NeedRouted(
        need_id=NEED,
        area_code=AREA,
        route=Route.VOLUNTEER_TASK,
        category="daily_care",
        urgency=Urgency.ROUTINE,
        routed_by="sw",
        routed_at=AT,
    )


def test_the_first_routing_is_a_dispatch_and_every_later_one_a_redispatch():
    assert domain.stage_of(routed(), 0) is Stage.DISPATCHED
    assert domain.stage_of(routed(), 1) is Stage.REDISPATCHED
    assert domain.stage_of(routed(), 3) is Stage.REDISPATCHED


def test_each_lifecycle_event_is_its_stage_and_others_are_none():
    raised = NeedRaised(
        need_id=NEED,
        area_code=AREA,
        category="daily_care",
        urgency=Urgency.ROUTINE,
        channel=Channel.PORTAL_IMPORT,
        resident_ref="r",
        raised_by="portal",
        raised_at=AT,
    )
    returned = NeedReturned(need_id=NEED, area_code=AREA, reason="不属本社区", returned_by="sw", returned_at=AT)
    matched = NeedMatched(need_id=NEED, area_code=AREA, matched_by="volunteers", source_event_id=uuid4(), matched_at=AT)
    assert domain.stage_of(raised, 0) is Stage.ACCEPTED
    assert domain.stage_of(returned, 0) is Stage.RETURNED
    assert domain.stage_of(matched, 1) is None


def test_what_a_stage_tells_the_portal():
    dispatch = domain.progress(routed(), "YS-1", NEED, Stage.DISPATCHED, AT)
    assert (dispatch.stage_label, dispatch.route_label, dispatch.reason) == ("派单", "志愿服务任务", None)
    feedback = NeedFeedbackGiven(
        need_id=NEED, area_code=AREA, satisfaction=2, comment="家里人的电话 13912345678", reopened=True, given_at=AT
    )
    revisit = domain.progress(feedback, "YS-1", NEED, Stage.REVISITED, AT)
    assert (revisit.satisfaction, revisit.reopened) == (2, True)
    assert "13912345678" not in revisit.model_dump_json()  # the resident's comment stays inside
    message_id = uuid4()
    message = domain.message(message_id, wrap(feedback, subject=str(NEED), area_code=AREA), revisit)
    assert (message["id"], message["type"], message["subject"]) == (str(message_id), WORK_ORDER_PROGRESS_TYPE, "YS-1")
    assert message["data"]["stage"] == "revisited" and message["data"]["need_id"] == str(NEED)


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=lambda e: exchange.short_name(e))
def test_every_public_event_has_a_chinese_name(event):
    label = exchange.event_label(event.type_name())
    assert label and label != exchange.short_name(event) and not label.isascii()
