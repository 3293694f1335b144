"""The outbox claim: a second attempt waits for the first one's lock only as long as the
lock timeout allows, then fails (retryably) instead of holding a worker slot."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from storage.outbox import Outbox, OutboxEntry

ENTRY = OutboxEntry(
    case_id="case-lock",
    round=1,
    kind="request",
    message_id="<case-lock.r1.request@cancelflow.test>",
    recipient="cancel@merchant.test",
    subject="Cancellation request",
)


@pytest.mark.timeout(60)  # without the lock timeout, the second claim waits forever
async def test_a_second_claim_gives_up_after_the_lock_timeout(pool: asyncpg.Pool) -> None:
    outbox = Outbox(pool, lock_timeout=timedelta(milliseconds=200))
    async with outbox.claim(ENTRY) as first:
        assert not first.already_sent
        # The row was committed as 'sending' before the lock: others see it.
        assert await pool.fetchval("SELECT status FROM email_outbox") == "sending"
        with pytest.raises(asyncpg.LockNotAvailableError):
            async with outbox.claim(ENTRY):
                pass
        await first.mark_sent()
    async with outbox.claim(ENTRY) as again:
        assert again.already_sent
