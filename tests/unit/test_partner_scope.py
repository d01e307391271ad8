"""A partner's scope, as the events API and the NATS server both apply it: event patterns, the
PUBLIC subjects they become, and the consumer API its NATS user may call."""

from __future__ import annotations

from deploy.nats_accounts import partner_permissions
from services.exchange import domain


def test_patterns_cover_public_event_types_by_domain_and_event():
    assert {domain.short_name(p) for p in domain.covered(["needs.need_raised"])} == {"needs.need_raised"}
    needs = {domain.short_name(p) for p in domain.covered(["needs.*"])}
    assert "needs.need_resolved" in needs and all(n.startswith("needs.") for n in needs)
    assert len(domain.covered(["*"])) == len(domain.covered(["*.*"])) > len(needs)
    assert domain.pattern_error("needs") and domain.pattern_error("needs.NeedRaised")
    assert domain.pattern_error("needs.need_eaten") and domain.pattern_error("evt.needs.>")
    assert domain.pattern_error("*.hours_verified") is None


def test_subjects_carry_the_partners_jurisdiction_down_to_the_county():
    assert domain.stream_filters("130126", ["needs.*"]) == ["pub.needs.*.*.13.01.26"]
    assert domain.stream_filters("130100", ["*.hours_verified", "*"]) == [
        "pub.*.hours_verified.*.13.01.>",
        "pub.*.*.*.13.01.>",
    ]
    assert domain.stream_filters("130000", ["charity.*"]) == ["pub.charity.*.*.13.>"]
    assert domain.area_error("130126") is None and domain.area_error("130000") is None
    assert "县级" in domain.area_error("130126100")  # a township: subjects stop at its county
    assert "未知" in domain.area_error("990000")


def test_a_partners_user_may_use_its_own_consumers_with_its_own_filters_only():
    consumers = domain.consumer_names("acme")
    allowed = partner_permissions("acme", ["pub.needs.*.*.13.01.26"], consumers)
    publish = allowed["publish"]["allow"]
    assert consumers == ["acme-1", "acme-2", "acme-3", "acme-4"]
    assert "JSPUB.API.CONSUMER.CREATE.PUBLIC.acme-1.pub.needs.*.*.13.01.26" in publish
    assert "JSPUB.API.CONSUMER.MSG.NEXT.PUBLIC.acme-4" in publish and "$JS.ACK.PUBLIC.acme-2.>" in publish
    assert all(".acme-" in subject for subject in publish)  # nothing of another partner's, nothing else
    assert not any(subject.endswith(">") and "CREATE" in subject for subject in publish)  # no wider filter
    assert allowed["subscribe"]["allow"] == ["_INBOX_acme.>"]
