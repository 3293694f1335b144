"""Tracing with OpenTelemetry, configured by the standard OTEL_* variables and off without them.

On: OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, or
OTEL_TRACES_EXPORTER names an exporter (otlp, console); OTEL_SDK_DISABLED=true or
OTEL_TRACES_EXPORTER=none turns it off. The exporter reads the rest (headers, protocol,
OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) itself. One merchant answer is then one trace:
the portal's request, the workflow update, the activities and the customer email.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from structlog.typing import EventDict, WrappedLogger
from temporalio.client import Interceptor as ClientInterceptor

_configured = False


def tracing_enabled(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    return bool(exporter or endpoint)


def configure_tracing(process: str) -> bool:
    """Install the global tracer provider for this process when OTEL_* asks for it."""
    global _configured
    if _configured or not tracing_enabled():
        return _configured
    from opentelemetry import trace
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    resource = Resource.create({"service.name": f"cancelflow-{process}"}).merge(
        OTELResourceDetector().detect()
    )
    provider = TracerProvider(resource=resource)
    exporter: SpanExporter
    if os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _configured = True
    return True


def shutdown_tracing() -> None:
    """Flush the spans still buffered (a stopping process would lose them)."""
    if not _configured:
        return
    from opentelemetry import trace

    provider: Any = trace.get_tracer_provider()
    if hasattr(provider, "shutdown"):
        provider.shutdown()


def temporal_interceptors() -> list[ClientInterceptor]:
    """The SDK's tracing interceptor when tracing is on (a client interceptor that the worker
    built on that client uses too)."""
    if not _configured:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]


def add_trace_context(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """trace_id and span_id of the current span on every log line written inside one."""
    if not _configured:
        return event
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
        event.setdefault("span_id", format(context.span_id, "016x"))
    return event
