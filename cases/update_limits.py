"""Updates to a case within the server's limits: busy and aborted Updates sent again.

Client code, used by cases.client only.
"""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowExecutionStatus, WorkflowHandle


async def describe_or_none(
    handle: WorkflowHandle[Any, Any],
) -> WorkflowExecutionStatus | None:
    from temporalio.service import RPCError

    try:
        return (await handle.describe()).status
    except RPCError:
        return None


def aborted_by_server(err: Exception) -> bool:
    # The server drops a case's in-flight Updates, as UNAVAILABLE, when it reloads the case
    # (a workflow task lost under load, a shard moved); nothing of them was recorded, and
    # the server's own advice is to send them again.
    from temporalio.service import RPCError, RPCStatusCode

    return (
        isinstance(err, RPCError)
        and err.status == RPCStatusCode.UNAVAILABLE
        and "update was aborted" in err.message
    )


# Temporal admits a few in-flight Updates per workflow and refuses the rest with
# RESOURCE_EXHAUSTED; many merchants' clicks on one case wait their turn instead of failing.
UPDATE_BUSY_ATTEMPTS = 8
UPDATE_BUSY_FIRST_DELAY = timedelta(milliseconds=50)
UPDATE_BUSY_MAX_DELAY = timedelta(seconds=1)


async def update_within_limits(handle: WorkflowHandle[Any, Any], update: Any, argument: Any) -> Any:
    from temporalio.service import RPCError, RPCStatusCode

    delay = UPDATE_BUSY_FIRST_DELAY.total_seconds()
    for attempt in range(1, UPDATE_BUSY_ATTEMPTS + 1):
        try:
            return await handle.execute_update(update, argument)
        except RPCError as err:
            retryable = err.status == RPCStatusCode.RESOURCE_EXHAUSTED or aborted_by_server(err)
            if not retryable or attempt == UPDATE_BUSY_ATTEMPTS:
                raise
        await asyncio.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, UPDATE_BUSY_MAX_DELAY.total_seconds())
    raise AssertionError("unreachable")
