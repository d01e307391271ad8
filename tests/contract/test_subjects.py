"""The NATS subject scheme of contracts/subjects.py."""

from __future__ import annotations

from itertools import permutations

from contracts.events import ALL_EVENTS, NeedRaised
from contracts.subjects import STREAMS, dlq_subject, event_filter, event_subject, stream_of


def matches(subject: str, pattern: str) -> bool:
    """NATS wildcard matching: `*` is one token, a trailing `>` one or more."""
    tokens, parts = subject.split("."), pattern.split(".")
    if parts[-1] == ">":
        return len(tokens) >= len(parts) and matches(".".join(tokens[: len(parts) - 1]), ".".join(parts[:-1]))
    return len(tokens) == len(parts) and all(p in ("*", t) for p, t in zip(parts, tokens, strict=False))


def test_event_subject_carries_the_county_tokens():
    assert event_subject(NeedRaised, "130102001001") == "evt.needs.need_raised.v1.13.01.02"


def test_event_filter_without_area_matches_every_area():
    assert event_filter(NeedRaised) == "evt.needs.need_raised.v1.>"


def test_event_filter_for_a_city_widens_below_it():
    assert event_filter(NeedRaised, "130100").endswith(".13.01.>")
    assert matches(event_subject(NeedRaised, "130102001001"), event_filter(NeedRaised, "130100"))


def test_event_filter_for_a_county_is_exact():
    assert event_filter(NeedRaised, "130102") == "evt.needs.need_raised.v1.13.01.02"


def test_streams_do_not_overlap():
    for (a, a_subjects), (b, b_subjects) in permutations(STREAMS.items(), 2):
        for subject in a_subjects:
            for pattern in b_subjects:
                assert pattern.endswith(".>"), f"{b}: {pattern} is not of the form x.>"
                assert not (subject + ".").startswith(pattern[:-1]), f"{a}'s {subject} overlaps {b}'s {pattern}"


def test_every_event_lands_in_exactly_its_stream():
    for event in ALL_EVENTS:
        subject = event_subject(event, "130102001001")
        owners = [name for name, patterns in STREAMS.items() if any(matches(subject, p) for p in patterns)]
        assert owners == [stream_of(event)], subject


def test_dlq_subject():
    assert dlq_subject("c").startswith("dlq.")
    assert any(matches(dlq_subject("c"), p) for p in STREAMS["DLQ"])


def test_type_name():
    assert NeedRaised.type_name() == "cn.wushe.needs.need_raised.v1"
