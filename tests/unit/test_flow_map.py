"""The flow map (contracts/flow.py) and the wiring that holds the code to it (kit/wiring.py)."""

from __future__ import annotations

import importlib

import pytest

from contracts.events import ALL_EVENTS
from contracts.events.needs import NeedRaised
from contracts.flow import BY_DURABLE, FLOW, README, consumers_of, takers_of, with_section
from contracts.subjects import SERVICES
from kit.wiring import WholeBatch, WiringError, offer, subscription, subscriptions


async def handler(conn, envelopes) -> None:
    raise AssertionError("never called here")


def test_every_durable_is_named_after_a_service_and_appears_once():
    assert len(BY_DURABLE) == len(FLOW)
    assert {c.service for c in FLOW} <= set(SERVICES)
    assert all(c.durable.startswith(f"{c.service}-") for c in FLOW)
    assert {e for c in FLOW for e in c.events} <= set(ALL_EVENTS)


def test_each_service_offers_exactly_its_consumers_from_the_modules_the_map_names():
    for service in SERVICES:
        modules = {c.module for c in consumers_of(service)}
        offered = [importlib.import_module(m).HANDLERS for m in modules]
        wired = subscriptions(service, offered, max_deliver=5)
        assert [(s.durable, s.events) for s in wired] == [(c.durable, c.events) for c in consumers_of(service)]


def test_a_service_missing_a_handler_does_not_start():
    with pytest.raises(WiringError, match="no handler for \\['volunteers-need-routed'\\]"):
        subscriptions(
            "volunteers",
            [{c.durable: handler for c in consumers_of("volunteers") if c.durable != "volunteers-need-routed"}],
            5,
        )


def test_a_handler_the_map_does_not_list_is_refused():
    with pytest.raises(WiringError, match="volunteers-need-escalated is not in contracts/flow.py"):
        offer("services.volunteers.subscribers", {"volunteers-need-escalated": handler})
    everything = {c.durable: handler for c in consumers_of("party")}
    with pytest.raises(WiringError, match="not its consumers: \\['needs-task-accepted'\\]"):
        subscriptions("party", [everything, {"needs-task-accepted": handler}], 5)


def test_a_handler_offered_from_another_module_than_the_maps_is_refused():
    with pytest.raises(WiringError, match="wires party-need-escalated from services.party.whistles.subscribers"):
        offer("services.party.subscribers", {"party-need-escalated": handler})


def test_a_whole_batch_projection_keeps_its_batching():
    assert subscription("volunteers-need-raised", WholeBatch(handler), 5).whole_batch
    assert not subscription("charity-holders-need-raised", handler, 5).whole_batch
    assert [c.durable for c in takers_of(NeedRaised)] == [
        "volunteers-need-raised",
        "charity-holders-need-raised",
        "exchange-public-needs",
        "exchange-portal-progress",
    ]


def test_the_readme_flow_section_is_generated_from_the_map():
    text = README.read_text(encoding="utf-8")
    assert with_section(text) == text, "README.md's flow section is stale: run python -m contracts.flow --write"
