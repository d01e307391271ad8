"""A partner on the bus with nothing but nats-py and what `wushe partner add` gave it: it reads the
PUBLIC events of its area and types and nothing else, the server refuses the rest, it replays
from a sequence or a time, and `revoke` cuts it off without a restart of NATS.

Everything happens in 赞皇县 (130129) and 无极县 (130130), which no other test uses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import nats
import orjson
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from deploy import nats_accounts, partners

NAME, AREA, NEIGHBOUR = "zanhuang-hotline", "130129", "130130"
OWN_FILTER = "pub.needs.*.*.13.01.29"
REFUSED_WITHIN_S = 1.0


class Partner:
    """A partner's connection, as the README tells a partner to open it; keeps the server's errors."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.closed = asyncio.Event()

    async def connect(self, settings, seed: str):
        async def error(exc):
            self.errors.append(str(exc).lower())

        async def closed():
            self.closed.set()

        self.nc = await nats.connect(
            settings.nats_url,
            nkeys_seed_str=seed,
            inbox_prefix=nats_accounts.inbox_prefix(NAME),
            error_cb=error,
            closed_cb=closed,
            max_reconnect_attempts=1,
            reconnect_time_wait=0.2,
        )
        self.js = self.nc.jetstream(prefix=nats_accounts.PARTNER_API_PREFIX, timeout=REFUSED_WITHIN_S)
        return self

    async def refused(self, attempt) -> bool:
        """The server drops a request the user may not publish (the client times out) and says why."""
        seen = len(self.errors)
        try:
            await attempt
        except (nats.errors.Error, TimeoutError):
            await asyncio.sleep(0.1)
            return any("permissions violation" in e for e in self.errors[seen:])
        return False


async def publish(js, subject: str, marker: str) -> int:
    return (await js.publish(subject, orjson.dumps({"id": marker, "subject": subject}))).seq


async def read_all(psub, limit: int = 50) -> list[str]:
    """Every marker the consumer has, until 0.5 s of quiet (the first batch may take longer on a
    loaded machine). nats-py raises its own TimeoutError or, when its lingering request has no time
    left, asyncio's: both mean nothing more came."""
    markers = []
    timeout = 3.0
    while True:
        try:
            batch = await psub.fetch(limit, timeout=timeout)
        except TimeoutError:  # nats.errors.TimeoutError is one too
            return markers
        timeout = 0.5
        for msg in batch:
            markers.append(orjson.loads(msg.data)["id"])
            await msg.ack()


@pytest.fixture
async def partner(settings, capsys):
    assert await partners.add(settings, NAME, AREA, ["needs.*"], "赞皇县12345热线") == 0
    printed = capsys.readouterr().out
    seed_file = settings.path("partners", f"{NAME}.nk")
    assert str(seed_file) in printed and seed_file.stat().st_mode & 0o077 == 0  # the partner's alone
    partner = await Partner().connect(settings, seed_file.read_text().strip())
    yield partner
    await partner.nc.close()


async def test_a_partner_reads_its_area_and_types_and_nothing_else(partner, js, settings):
    raised = await publish(js, "pub.needs.need_raised.v1.13.01.29", "raised")
    await publish(js, "pub.volunteers.hours_verified.v1.13.01.29", "hours-not-its-type")
    await publish(js, "pub.needs.need_raised.v1.13.01.30", "next-door")
    await publish(js, "pub.needs.need_closed.v1.13.01.29", "closed")

    own = await partner.js.pull_subscribe(OWN_FILTER, durable=f"{NAME}-1", stream="PUBLIC")
    assert await read_all(own) == ["raised", "closed"]
    narrower = await partner.js.pull_subscribe(
        "pub.needs.need_closed.v1.13.01.29", durable=f"{NAME}-2", stream="PUBLIC"
    )
    assert await read_all(narrower) == ["closed"]

    js_of = partner.js
    assert await partner.refused(js_of.pull_subscribe("pub.needs.*.*.13.01.30", durable=f"{NAME}-3", stream="PUBLIC"))
    assert await partner.refused(js_of.pull_subscribe("pub.>", durable=f"{NAME}-3", stream="PUBLIC"))
    assert await partner.refused(
        js_of.pull_subscribe("pub.volunteers.*.*.13.01.29", durable=f"{NAME}-3", stream="PUBLIC")
    )
    assert await partner.refused(js_of.pull_subscribe(OWN_FILTER, durable="someone-else-1", stream="PUBLIC"))
    assert await partner.refused(js_of.delete_consumer("PUBLIC", "exchange-public-needs"))
    # the platform's own JetStream API and core subjects are not there for it at all
    platform_api = partner.nc.jetstream(timeout=REFUSED_WITHIN_S)
    with pytest.raises((nats.errors.Error, TimeoutError, asyncio.TimeoutError)):
        await platform_api.stream_info("NEEDS")
    seen = len(partner.errors)
    await partner.nc.subscribe("evt.>")
    await partner.nc.flush()
    await asyncio.sleep(0.2)
    assert any("permissions violation" in e for e in partner.errors[seen:])

    # replay: the partner deletes its consumer and creates it again from a sequence, or a time
    await partner.js.delete_consumer("PUBLIC", f"{NAME}-1")
    by_seq = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=raised + 1)
    replay = await partner.js.pull_subscribe(OWN_FILTER, durable=f"{NAME}-1", stream="PUBLIC", config=by_seq)
    assert await read_all(replay) == ["closed"]
    await partner.js.delete_consumer("PUBLIC", f"{NAME}-1")
    since = datetime.now(UTC)
    await publish(js, "pub.needs.need_routed.v1.13.01.29", "routed-later")
    by_time = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since.isoformat())
    replay = await partner.js.pull_subscribe(OWN_FILTER, durable=f"{NAME}-1", stream="PUBLIC", config=by_time)
    assert await read_all(replay) == ["routed-later"]


async def test_revoke_cuts_a_partner_off_without_restarting_nats(partner, js, settings, capsys):
    own = await partner.js.pull_subscribe(OWN_FILTER, durable=f"{NAME}-1", stream="PUBLIC")
    await read_all(own)
    assert await partners.revoke(settings, NAME) == 0

    await asyncio.wait_for(partner.closed.wait(), 10)  # the server cut it and refuses it back
    assert any("authorization" in e for e in partner.errors)
    with pytest.raises(NotFoundError):
        await js.consumer_info("PUBLIC", f"{NAME}-1")  # its consumers went with it
    seed = settings.path("partners", f"{NAME}.nk").read_text().strip()
    with pytest.raises((nats.errors.Error, OSError)):
        await Partner().connect(settings, seed)
