"""The Temporal SDK core's runtime of a process: its metrics on a Prometheus endpoint and its
own log lines forwarded into Python logging, so they come out as our JSON lines instead of
ANSI-coloured text in the middle of the stream."""

from __future__ import annotations

import logging

from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

CORE_LOGGER = "temporalio.core"


def core_log_level(level: str) -> str:
    """The core's filter level for our log level (the core says WARN, not WARNING)."""
    upper = level.upper()
    return {"WARNING": "WARN", "CRITICAL": "ERROR"}.get(upper, upper)


def build_runtime(log_level: str, sdk_metrics_address: str | None) -> Runtime:
    """A runtime whose core logs go to the `temporalio.core` logger (our structlog pipeline)."""
    # Core at our level; its dependencies (tonic, hyper, ...) only when they go wrong.
    level = core_log_level(log_level)
    logging_config = LoggingConfig(
        filter=TelemetryFilter(core_level=level, other_level="ERROR"),
        forwarding=LogForwardingConfig(
            logger=logging.getLogger(CORE_LOGGER), append_target_to_name=False
        ),
    )
    metrics = (
        PrometheusConfig(bind_address=sdk_metrics_address, durations_as_seconds=True)
        if sdk_metrics_address
        else None
    )
    return Runtime(telemetry=TelemetryConfig(logging=logging_config, metrics=metrics))


def sdk_metrics_url(sdk_metrics_address: str | None) -> str | None:
    if not sdk_metrics_address:
        return None
    host, _, port = sdk_metrics_address.rpartition(":")
    if host in ("0.0.0.0", "", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}/metrics"
