"""The AsyncAPI 3.0 document (contracts/asyncapi.py): valid against the spec's object model, every
reference resolves, and it says exactly what the flow map and the subject scheme say."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_asyncapi import AsyncAPI

from contracts.asyncapi import document
from contracts.events import ALL_EVENTS
from contracts.flow import FLOW
from contracts.subjects import event_subject


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document()


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_document_is_asyncapi_3(doc):
    assert AsyncAPI.model_validate(doc).root.asyncapi == "3.0.0"


def test_a_broken_document_is_refused_by_the_same_check(doc):
    broken = {**doc, "operations": {"x": {"action": "listen", "channel": {"$ref": "#/channels/NeedRaised"}}}}
    with pytest.raises(ValueError):
        AsyncAPI.model_validate(broken)


def test_every_reference_resolves(doc):
    for ref in refs(doc):
        assert resolve(doc, ref) is not None, ref


def test_each_event_is_sent_by_its_service_and_received_by_exactly_the_maps_consumers(doc):
    operations = doc["operations"].values()
    for event in ALL_EVENTS:
        on_channel = [op for op in operations if op["channel"]["$ref"] == f"#/channels/{event.__name__}"]
        assert [op["action"] for op in on_channel].count("send") == 1
        received = {
            name.split(".")[0]
            for name, op in doc["operations"].items()
            if op in on_channel and op["action"] == "receive"
        }
        assert received == {c.durable for c in FLOW if event in c.events}


def test_a_channel_address_is_the_subject_an_event_is_published_on(doc):
    for event in ALL_EVENTS:
        address = doc["channels"][event.__name__]["address"]
        assert address.format(province="13", city="01", county="02") == event_subject(event, "130102001001")
