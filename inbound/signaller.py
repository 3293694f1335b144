"""Tells case workflows that a stored email reply arrived, until each one has been told.

The gateway stores first and signals after, so a Temporal or worker outage only delays the
signal: stored-but-unsignalled replies are retried with backoff. A reply to a case that has
already closed stays stored (ops see it in `cancelflow cases show`) and is not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import structlog
from pydantic import ValidationError
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from cases.client import AnswerRejected, signal_email_reply, submit_answer
from domain.actions import EmailReplyNotice
from domain.answers import MerchantAnswer, Outcome, parse_answer
from domain.common import Channel
from inbound.store import InboundMailStore, StoredReply

log = structlog.get_logger("mail_gateway")


def notice_for(reply: StoredReply) -> EmailReplyNotice:
    return EmailReplyNotice(
        message_id=reply.message_id,
        sender=reply.sender,
        subject=reply.subject,
        received_at=reply.received_at,
        sender_verified=reply.sender_verified,
        suggestion=reply.suggestion,
    )


def retry_delay(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... at most 5 minutes between attempts."""
    return timedelta(seconds=min(300, 5 * 2 ** min(attempts, 10)))


class ReplySignaller:
    def __init__(
        self,
        store: InboundMailStore,
        client: Client,
        poll_interval: float = 5.0,
        rpc_timeout: timedelta = timedelta(seconds=10),
        backoff: Callable[[int], timedelta] = retry_delay,
    ) -> None:
        self._store = store
        self._client = client
        self._poll = poll_interval
        self._rpc_timeout = rpc_timeout
        self._backoff = backoff
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        """Deliver pending replies now and whenever woken or every poll interval, forever."""
        while True:
            self._wakeup.clear()
            try:
                await self.deliver_due()
            except Exception as err:  # noqa: BLE001 - the database may be down; try again later
                log.warning("mail_gateway.signal_sweep_failed", error=type(err).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._poll)

    async def deliver_due(self) -> int:
        """Signal every reply that is due; returns how many were delivered."""
        delivered = 0
        for reply in await self._store.due_for_signal():
            try:
                await signal_email_reply(
                    self._client, reply.case_id, notice_for(reply), rpc_timeout=self._rpc_timeout
                )
                await self._record_if_allowed(reply)
            except RPCError as err:
                if err.status == RPCStatusCode.NOT_FOUND:
                    # Closed (or never started): nothing to tell; the message stays stored.
                    await self._store.mark_signalled(reply.id, status="case_closed")
                    log.info(
                        "mail_gateway.reply_to_closed_case",
                        case_id=reply.case_id,
                        reply_id=reply.id,
                    )
                    continue
                await self._failed(reply, f"{err.status.name if err.status else '?'}: {err}")
                continue
            except Exception as err:  # noqa: BLE001 - connection trouble of any kind
                await self._failed(reply, f"{type(err).__name__}: {err}")
                continue
            await self._store.mark_signalled(reply.id)
            delivered += 1
            log.info("mail_gateway.reply_signalled", case_id=reply.case_id, reply_id=reply.id)
        return delivered

    async def _record_if_allowed(self, reply: StoredReply) -> None:
        """Record the suggested answer when the merchant lets verified replies record themselves.

        Only a verified sender, a suggestion above the merchant's threshold and never "other
        reason" (ops always read those); the same Update and validator as every answer.
        """
        answer = await self._recordable(reply)
        if answer is None:
            return
        try:
            receipt = await submit_answer(self._client, reply.case_id, answer)
        except AnswerRejected as err:
            # Already answered otherwise, withdrawn, closed: the reply stays with the case.
            log.info("mail_gateway.auto_record_refused", case_id=reply.case_id, reason=str(err))
            return
        log.info(
            "mail_gateway.auto_recorded",
            case_id=reply.case_id,
            reply_id=reply.id,
            outcome=answer.outcome.value,
            recorded=receipt.recorded,
        )

    async def _recordable(self, reply: StoredReply) -> MerchantAnswer | None:
        note = reply.suggestion
        if not reply.sender_verified or note is None or note.outcome is None:
            return None
        if note.outcome is Outcome.OTHER_REASON or note.confidence is None:
            return None
        policy = await self._store.reply_policy(reply.case_id)
        if policy is None or not policy.auto_record or note.confidence <= policy.threshold:
            return None
        try:
            return parse_answer(
                {
                    "outcome": note.outcome.value,
                    # On the merchant's calendar, the day the reader read the reply as.
                    "answered_at": reply.received_at.astimezone(ZoneInfo(policy.timezone)),
                    "channel": Channel.EMAIL.value,
                    "responded_by": note.reader,
                    "reference": reply.message_id,
                    **note.answer_fields(),
                }
            )
        except ValidationError as err:
            # Not retried: the reply goes to triage like any other.
            log.warning("mail_gateway.auto_record_invalid", case_id=reply.case_id, error=str(err))
            return None

    async def _failed(self, reply: StoredReply, error: str) -> None:
        delay = self._backoff(reply.signal_attempts)
        await self._store.mark_signal_failed(reply.id, error, delay)
        log.warning(
            "mail_gateway.signal_failed",
            case_id=reply.case_id,
            reply_id=reply.id,
            attempts=reply.signal_attempts + 1,
            retry_in_s=delay.total_seconds(),
        )
