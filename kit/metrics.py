"""OpenTelemetry metrics, exported in Prometheus's text format at /metrics of every service.

- HTTP requests (rate and latency by route and status): FastAPI's own instrumentation
  (`http.server.request.duration`), once a meter provider is set.
- Counted where they happen: events a consumer handled, by outcome (kit.bus); personal-data reads,
  by reader role (kit.uow).
- Sampled every WUSHE_METRICS_SAMPLE_S (15 s) by the service's `metrics-sampler` worker, read where the truth is: each
  consumer's pending and ack-pending from the JetStream API (answered by the consumer's leader),
  its dead letters from the DLQ stream's subject counts, the outbox backlog and the age of its
  oldest pending row from the service's database; whether the service is ready (database, bus and
  every worker well: what /readyz answers), so an alert sees it without probing.

No label carries personal data, an id or free text: only service, consumer, outcome and role names."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import asyncpg
from nats.js import JetStreamContext
from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from contracts.subjects import DLQ_PREFIX, dlq_subject
from kit.failures import describe

log = logging.getLogger(__name__)
SAMPLE_S = 15.0
DLQ_STREAM = "DLQ"
CONTENT_TYPE = CONTENT_TYPE_LATEST
_configured = False

meter = metrics.get_meter("wushe")  # a proxy until setup() installs the provider
consumer_events = meter.create_counter(
    "wushe.consumer.events", unit="{event}", description="events a durable consumer handled, by outcome"
)
pii_reads = meter.create_counter(
    "wushe.pii.reads", unit="{read}", description="reads of personal data (each audited), by the reader's role"
)


def setup(service: str) -> None:
    """The process's meter provider, read by Prometheus through /metrics (once per process)."""
    global _configured
    if _configured:
        return
    _configured = True
    resource = Resource.create({"service.name": f"wushe-{service}"})
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[PrometheusMetricReader()]))


def exposition() -> bytes:
    """Every metric of this process, in Prometheus's text format."""
    return bytes(generate_latest(REGISTRY))


# --- the sampled gauges ------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """The latest sample; a failed round keeps the previous one (and says so in the log)."""

    consumers: dict[str, tuple[int, int]] = field(default_factory=dict)  # durable → (pending, ack pending)
    dead_letters: dict[str, int] = field(default_factory=dict)  # durable → messages in DLQ
    outbox_pending: int = 0
    outbox_oldest_age_s: float = 0.0
    outbox_parked: int = 0
    ready: bool = False  # PostgreSQL and NATS answered this round and every worker runs
    sampled_at: float = 0.0


class Sampler:
    """The `metrics-sampler` worker of a service: samples its consumers, dead letters and outbox,
    and serves them as observable gauges. It never pauses: metrics must not make a service unready."""

    name = "metrics-sampler"
    paused: str | None = None

    def __init__(
        self,
        service: str,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        consumers: Sequence[tuple[str, str]],
        every_s: float = SAMPLE_S,
    ) -> None:
        self.service, self.pool, self.js, self.consumers = service, pool, js, list(consumers)  # (stream, durable)
        self.every_s = every_s
        self.snapshot = Snapshot()
        self.problems: Callable[[], list[str]] = list  # the service's workers that are down or paused
        self._stopping = asyncio.Event()
        _observe(self)

    async def sample(self) -> None:
        consumers = {}
        for stream, durable in self.consumers:
            info = await self.js.consumer_info(stream, durable)
            consumers[durable] = (int(info.num_pending or 0), int(info.num_ack_pending or 0))
        dlq = await self.js.stream_info(DLQ_STREAM, subjects_filter=f"{DLQ_PREFIX}.>")
        subjects = (dlq.state.subjects or {}) if dlq.state else {}
        outbox = await self.pool.fetchrow(
            """SELECT count(*) FILTER (WHERE sent_at IS NULL AND parked_at IS NULL) AS pending,
                      coalesce(extract(epoch FROM now() - min(created_at)
                               FILTER (WHERE sent_at IS NULL AND parked_at IS NULL)), 0) AS oldest_s,
                      count(*) FILTER (WHERE parked_at IS NOT NULL AND sent_at IS NULL) AS parked
               FROM outbox WHERE sent_at IS NULL"""
        )
        assert outbox is not None  # an aggregate answers one row
        self.snapshot = Snapshot(
            consumers=consumers,
            dead_letters={d: int(subjects.get(dlq_subject(d), 0)) for _, d in self.consumers},
            outbox_pending=int(outbox["pending"]),
            outbox_oldest_age_s=float(outbox["oldest_s"]),
            outbox_parked=int(outbox["parked"]),
            ready=not self.problems(),
            sampled_at=time.time(),
        )

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.sample()
            except Exception as exc:  # noqa: BLE001 - NATS or PostgreSQL away: keep the last sample, not ready
                self.snapshot.ready = False
                log.warning("metrics not sampled", extra={"service": self.service, "error": describe(exc)})
            try:
                await asyncio.wait_for(self._stopping.wait(), self.every_s)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stopping.set()
        if self in _samplers:
            _samplers.remove(self)


_samplers: list[Sampler] = []
Callback = Callable[[CallbackOptions], Iterable[Observation]]


def _observe(sampler: Sampler) -> None:
    """Register the gauges once per process; each callback reads every sampler's latest snapshot."""
    _samplers.append(sampler)
    if len(_samplers) > 1:
        return

    def per_consumer(index: int) -> Callback:
        def observe(_: CallbackOptions) -> Iterable[Observation]:
            for s in _samplers:
                for durable, values in s.snapshot.consumers.items():
                    yield Observation(values[index], {"service": s.service, "consumer": durable})

        return observe

    def dead_letters(_: CallbackOptions) -> Iterable[Observation]:
        for s in _samplers:
            for durable, count in s.snapshot.dead_letters.items():
                yield Observation(count, {"service": s.service, "consumer": durable})

    def outbox(attribute: str) -> Callback:
        def observe(_: CallbackOptions) -> Iterable[Observation]:
            for s in _samplers:
                yield Observation(getattr(s.snapshot, attribute), {"service": s.service})

        return observe

    def ready(_: CallbackOptions) -> Iterable[Observation]:
        for s in _samplers:
            yield Observation(int(s.snapshot.ready), {"service": s.service})

    gauge = meter.create_observable_gauge
    gauge("wushe.ready", [ready], description="1 while the service's database, bus and workers are all well")
    gauge("wushe.consumer.pending", [per_consumer(0)], unit="{event}", description="events not yet delivered")
    gauge("wushe.consumer.ack_pending", [per_consumer(1)], unit="{event}", description="delivered, not yet acked")
    gauge("wushe.consumer.dead_letters", [dead_letters], unit="{event}", description="the consumer's events in DLQ")
    gauge("wushe.outbox.pending", [outbox("outbox_pending")], unit="{event}", description="outbox rows to publish")
    gauge(
        "wushe.outbox.oldest_pending_age",
        [outbox("outbox_oldest_age_s")],
        unit="s",
        description="oldest row to publish",
    )
    gauge("wushe.outbox.parked", [outbox("outbox_parked")], unit="{event}", description="rows the relay gave up on")
