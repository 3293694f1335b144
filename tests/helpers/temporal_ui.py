"""A Temporal dev server with its Web UI, decoding payloads through a real codec server, as
`cancelflow dev` starts it: for the tests that look at cases in the UI (tests/ops)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from temporalio.testing import WorkflowEnvironment

from tests.helpers.servers import binary, free_port
from workers.codec import EncryptionCodec, EncryptionKey, encrypting_converter
from workers.codec_server import running_codec_server, ui_origins
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES


@dataclass(frozen=True)
class TemporalUi:
    env: WorkflowEnvironment
    codec_url: str
    namespace_url: str
    """The UI's pages of the default namespace: http://127.0.0.1:PORT/namespaces/default"""


@asynccontextmanager
async def temporal_ui(codec_keys: list[EncryptionKey]) -> AsyncIterator[TemporalUi]:
    # The UI's port is chosen here, not when the test module is imported: under xdist a
    # module is imported by every worker at collection, long before its test runs.
    ui_port = free_port()
    async with running_codec_server(
        EncryptionCodec(codec_keys), "127.0.0.1", free_port(), ui_origins(ui_port)
    ) as codec_url:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=binary("temporal"),
            data_converter=encrypting_converter(codec_keys),
            search_attributes=ALL_SEARCH_ATTRIBUTES,
            port=free_port(),
            ui=True,
            ui_port=ui_port,
            dev_server_extra_args=[
                "--ui-codec-endpoint", codec_url, "--ui-disable-news-fetch",
                "--http-port", str(free_port()), "--metrics-port", str(free_port()),
            ],
        )  # fmt: skip
        try:
            yield TemporalUi(env, codec_url, f"http://127.0.0.1:{ui_port}/namespaces/default")
        finally:
            await env.shutdown()
