"""Fixtures for the ops tests: the codec server, the Temporal UI decoding through one (the rest
is shared, in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.helpers.servers import free_port
from tests.helpers.temporal_ui import TemporalUi, temporal_ui
from workers.codec import EncryptionCodec, EncryptionKey
from workers.codec_server import running_codec_server, ui_origins


@pytest.fixture
async def codec_url(codec_keys: list[EncryptionKey]) -> AsyncIterator[str]:
    """The codec server, allowing the default dev UI origin (http://localhost:8233)."""
    async with running_codec_server(
        EncryptionCodec(codec_keys), "127.0.0.1", free_port(), ui_origins(8233)
    ) as url:
        yield url


@pytest.fixture
async def ui(codec_keys: list[EncryptionKey]) -> AsyncIterator[TemporalUi]:
    """A dev server of the test's own with the Web UI and the codec server, as in `cancelflow dev`."""
    async with temporal_ui(codec_keys) as started:
        yield started
