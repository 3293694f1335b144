from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.conftest import _binary
from workflows.search_attributes import register_search_attributes


@pytest.fixture
async def fresh_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own, so it can move the clock to chosen instants."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client)
    try:
        yield env
    finally:
        await env.shutdown()
