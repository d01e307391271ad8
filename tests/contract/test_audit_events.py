"""Every audit event says what an audit trail keeps of it (who, which record, why), so kit.audit
can record it; a new audit event that forgets would otherwise fail only at its first emit."""

from __future__ import annotations

import pytest

from contracts.envelope import Event
from contracts.events import ALL_EVENTS

AUDIT_EVENTS = [e for e in ALL_EVENTS if e.audit]


def test_there_are_audit_events():
    assert {e.event_name() for e in AUDIT_EVENTS} >= {
        "personal_data_read",
        "volunteer_data_read",
        "party_member_data_read",
        "procurement_audited",
    }


@pytest.mark.parametrize("event", AUDIT_EVENTS, ids=lambda e: e.event_name())
def test_every_audit_event_states_its_audit_facts(event):
    assert event.audit_facts is not Event.audit_facts
    assert " / " in event.audit_label  # what the trail calls it, Chinese first
