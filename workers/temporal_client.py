"""The one way every cancelflow process connects to Temporal.

The connection follows the SDK's envconfig conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TEMPORAL_API_KEY, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE, TLS variables), so the same code
points at `cancelflow dev`, a self-hosted cluster or Temporal Cloud. With nothing configured
it goes to the local dev server on settings.temporal.dev_port.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfig
from temporalio.runtime import Runtime

from workers.settings import Settings

DEFAULT_NAMESPACE = "default"


class TemporalUnreachable(RuntimeError):
    """Temporal could not be reached; the message says where we tried and what to do."""


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic payloads, encrypted with the configured codec keys (see workers/codec.py)."""
    from workers.codec import data_converter as encrypting_data_converter

    return encrypting_data_converter(settings)


def connect_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for Client.connect: envconfig values over the local defaults."""
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    config.setdefault("target_host", f"localhost:{settings.temporal.dev_port}")
    config.setdefault("namespace", DEFAULT_NAMESPACE)
    return config


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """runtime: the worker's own (SDK metrics, core logs); tracing follows OTEL_*."""
    from workers.observability.tracing import temporal_interceptors

    config = connect_config(settings)
    try:
        return await Client.connect(
            **config,
            data_converter=data_converter(settings),
            interceptors=temporal_interceptors(),
            runtime=runtime,
        )
    except RuntimeError as err:
        raise TemporalUnreachable(
            f"cannot connect to Temporal at {config['target_host']} "
            f"(namespace {config['namespace']}): {_first_line(err)}. "
            "Is `cancelflow dev` running? Otherwise set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, "
            "TEMPORAL_API_KEY) or a TEMPORAL_PROFILE."
        ) from err


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    if "ConnectionRefused" in text or "Connection refused" in text:
        return "connection refused"
    return text.splitlines()[0] if text else type(err).__name__
