"""Settings of the operations endpoints (CANCELFLOW_OPS__*), composed into workers.settings."""

from __future__ import annotations

from pydantic import BaseModel, Field


class OpsSettings(BaseModel):
    """Where each process answers /healthz, /readyz and /metrics.

    The portal and the codec server answer on their own HTTP port; the worker and the mail
    gateway have no HTTP server of their own, so they get a small one on these ports.
    """

    host: str = "127.0.0.1"
    worker_port: int = Field(default=9090, ge=0, le=65535)
    mail_gateway_port: int = Field(default=9091, ge=0, le=65535)
    # The Temporal SDK core's Prometheus exporter (worker only); the ops /metrics includes its
    # text, so one scrape target per process is enough. Empty turns the SDK's metrics off.
    sdk_metrics_address: str = "127.0.0.1:9464"
    # A dependency that has not answered within this long counts as down for readiness.
    check_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    # An outbox email still 'sending' after this long counts as failing, not pending.
    outbox_failing_after_seconds: float = Field(default=600.0, gt=0)
