"""The flow map against the running platform: the consumers that the five services create on the
streams are exactly the map's, each on its event's stream with its event's filter, and the AsyncAPI
document the gateway serves receives on exactly those. Durables whose name begins with `probe-` are
tests' own."""

from __future__ import annotations

import httpx

from contracts.flow import FLOW
from contracts.public import PUBLIC_EVENTS
from contracts.subjects import SERVICES, event_filter


async def test_the_running_streams_hold_exactly_the_consumers_of_the_flow_map(stack, js):
    stack.start(*SERVICES, "gateway")
    running = {}
    for stream in sorted({c.stream for c in FLOW} | {s.upper() for s in SERVICES}):
        for info in await js.consumers_info(stream):
            if not info.name.startswith("probe-"):
                filters = info.config.filter_subjects or [info.config.filter_subject]
                running[info.name] = (stream, filters)
    assert running == {c.durable: (c.stream, [event_filter(e) for e in c.events]) for c in FLOW}

    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=10) as client:
        served = (await client.get("/api/v1/asyncapi-internal.json")).json()
    received = {name.split(".")[0] for name, op in served["operations"].items() if op["action"] == "receive"}
    assert served["asyncapi"] == "3.0.0" and received == set(running)


async def test_the_gateway_serves_partners_the_public_channels(stack):
    stack.start("gateway")
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=10) as client:
        served = (await client.get("/api/v1/asyncapi.json")).json()
    on_nats = [c for c in served["channels"].values() if c["servers"] == [{"$ref": "#/servers/local"}]]
    addresses = {channel["address"] for channel in on_nats}
    assert addresses == {event_filter(e).removesuffix(".>") + ".{province}.{city}.{county}" for e in PUBLIC_EVENTS}
    assert all(a.startswith("pub.") for a in addresses) and "partner" in served["components"]["securitySchemes"]
