"""A need's timeline in words, from the needs service (domain.TimelineKind): every provider's event
the service puts on a timeline (the flow map's needs-* consumers) has its words, so that no page
shows a step as a raw code (「project proposed」); the service's own steps cannot be written without
(store.add_timeline takes only a TimelineKind)."""

from __future__ import annotations

from contracts.flow import FLOW
from services.needs.domain import TimelineKind, kind_label


def test_every_providers_event_on_a_timeline_has_its_words():
    provided = {e.event_name() for c in FLOW if c.durable.startswith("needs-") for e in c.events}
    assert provided - {k.value for k in TimelineKind} == set()


def test_a_step_reads_in_both_languages_and_an_unknown_one_as_progress():
    assert kind_label("project_proposed") == "提出服务项目 / Project proposed"
    assert kind_label("something_new") == "办理进展 / Progress"
