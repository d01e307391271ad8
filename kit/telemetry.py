"""OpenTelemetry tracing and JSON logs. One trace follows a resident request from the gateway
through a service, its outbox row, NATS and every consumer (the traceparent travels with it)."""

from __future__ import annotations

import json
import logging
import sys
import time

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

PROPAGATOR = TraceContextTextMapPropagator()
_configured = False


def setup(service: str, exporter: str = "none", log_level: str = "INFO") -> None:
    """Install the tracer provider and JSON logging once per process. Exporters: none (spans are
    still created and propagated, nothing is sent), console, or otlp (OTEL_EXPORTER_OTLP_* env)."""
    global _configured
    if _configured:
        return
    _configured = True
    provider = TracerProvider(resource=Resource.create({"service.name": f"wushe-{service}"}))
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    # only the W3C traceparent travels (kit.uow, the outbox, NATS headers); the default composite
    # propagator also parsed a baggage header on every request, about 2 % of a service's CPU
    propagate.set_global_textmap(PROPAGATOR)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(service))
    logging.basicConfig(level=log_level, handlers=[handler], force=True)


def tracer(name: str = "wushe") -> trace.Tracer:
    return trace.get_tracer(name)


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_from(traceparent: str | None) -> otel_context.Context:
    return PROPAGATOR.extract({"traceparent": traceparent} if traceparent else {})


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the active trace and span ids."""

    _skip = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            out["trace_id"] = f"{span.trace_id:032x}"
            out["span_id"] = f"{span.span_id:016x}"
        out.update({k: v for k, v in vars(record).items() if k not in self._skip})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)
