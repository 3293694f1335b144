"""The bulk-answer activities: answer a batch's pending rows, each through its case's own
Update (the `submit_answer` every answer uses), and tell webhook merchants it is done.

A row's result is written as soon as its case answered, so an attempt cut off by a crash
leaves only the unanswered rows for the next one; a row answered just before the crash is
recognised by its reference (the case already holds this very row's answer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import structlog
from pydantic import ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import bulk_contracts as contracts
from domain.answers import MerchantAnswer, parse_answer
from domain.bulk_answers import (
    BATCH_COMPLETED,
    BatchCompletedData,
    BatchCompletedEvent,
    BatchCounts,
    RowProblem,
    RowResult,
    batch_event_id,
    bulk_reference,
    invalid_problem,
)
from domain.common import Channel, describe_validation_error
from domain.webhooks import EventType
from integrations.webhooks import WebhookSender
from storage.bulk_answers import Batch, BulkAnswerBatches, PendingItem
from storage.merchants import MerchantDirectory
from storage.webhooks import WebhookDeliveries, WebhookEndpoints

log = structlog.get_logger("cancelflow.bulk")

# (case_id, answer, merchant_id) -> the row's result; raises when the case cannot be reached.
AnswerInBulk = Callable[[str, MerchantAnswer, str], Awaitable[tuple[RowResult, RowProblem | None]]]
# Rows in flight at once per activity: enough to beat single answers 50 in flight, few enough
# that the portal's own requests still get through (issue 21's p99 goal; docs/bulk-answers.md).
CONCURRENCY = 12
BATCH_NOT_DELIVERED = "BatchEventNotDelivered"
ROWS_NOT_REACHED = "BulkRowsNotReached"


def answer_of(batch: Batch, item: PendingItem) -> MerchantAnswer:
    """The row's answer as a single answer would be: the batch's instant in the merchant's
    zone, its channel and who sent it, and a reference naming the batch and row."""
    return parse_answer(
        {
            # An API item may name who answered; otherwise the batch's sender.
            "responded_by": batch.responded_by,
            **item.answer,
            "answered_at": batch.answered_at.astimezone(ZoneInfo(batch.timezone)),
            "channel": Channel(batch.channel),
            "reference": bulk_reference(batch.batch_id, item.position),
        }
    )


class BulkAnswerActivities:
    def __init__(
        self,
        batches: BulkAnswerBatches,
        answer_in_bulk: AnswerInBulk,
        directory: MerchantDirectory,
        endpoints: WebhookEndpoints,
        deliveries: WebhookDeliveries,
        sender: WebhookSender,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self._batches = batches
        self._answer = answer_in_bulk
        self._directory = directory
        self._endpoints = endpoints
        self._deliveries = deliveries
        self._sender = sender
        self._concurrency = concurrency

    def activities(self) -> list[Callable[..., object]]:
        return [self.answer_bulk_rows, self.finish_bulk_batch, self.deliver_batch_event]

    @activity.defn(name=contracts.ANSWER_BULK_ROWS)
    async def answer_bulk_rows(self, input: contracts.BulkRowsInput) -> contracts.BulkRowsDone:
        batch = await self._batches.get(input.batch_id)
        if batch is None:
            raise ApplicationError(f"no batch {input.batch_id}", non_retryable=True)
        items = await self._batches.pending(batch.batch_id, input.limit)
        attempt = activity.info().attempt
        slots = asyncio.Semaphore(self._concurrency)
        unreached: list[str] = []
        ended = 0

        async def one(item: PendingItem) -> bool:
            nonlocal ended
            async with slots:
                result = await self._row(batch, item, attempt)
                if result is None:
                    unreached.append(item.case_id)
                    return False
                if await self._batches.finish_item(batch.batch_id, item.position, *result):
                    ended += 1
                activity.heartbeat(ended)
                return True

        async def in_file_order(rows: list[PendingItem]) -> None:
            # Rows of one case go one after the other, so its first row is the answer and
            # the case refuses the rest; a row left unreached holds back those after it.
            for row in rows:
                if not await one(row):
                    return

        by_case: dict[str, list[PendingItem]] = {}
        for item in items:
            by_case.setdefault(item.case_id, []).append(item)
        await asyncio.gather(*(in_file_order(rows) for rows in by_case.values()))
        left = (await self._batches.counts(batch.batch_id)).left
        log.info(
            "bulk.rows", batch_id=batch.batch_id, ended=ended, unreached=len(unreached), left=left
        )
        if unreached:
            # The activity's retry policy backs off: the server's limits get room to clear.
            raise ApplicationError(
                f"{len(unreached)} row(s) could not reach their case yet; retrying",
                type=ROWS_NOT_REACHED,
            )
        return contracts.BulkRowsDone(ended=ended, left=left)

    async def _row(
        self, batch: Batch, item: PendingItem, attempt: int
    ) -> tuple[RowResult, RowProblem | None] | None:
        try:
            answer = answer_of(batch, item)
        except ValidationError as err:
            return RowResult.REFUSED, invalid_problem(describe_validation_error(err))
        try:
            return await self._answer(item.case_id, answer, batch.merchant_id)
        except Exception as err:  # noqa: BLE001 - Temporal busy or away: the row waits
            log.warning(
                "bulk.row_unreached",
                batch_id=batch.batch_id,
                case_id=item.case_id,
                error=type(err).__name__,
                attempt=attempt,
            )
            if attempt < contracts.ROW_GIVE_UP_ATTEMPT:
                return None
            return RowResult.REFUSED, RowProblem(
                status=503,
                title="Case not reachable",
                detail="the case could not be reached; send this answer again later",
            )

    @activity.defn(name=contracts.FINISH_BULK_BATCH)
    async def finish_bulk_batch(self, batch_id: str) -> BatchCounts:
        counts = await self._batches.complete(batch_id)
        log.info(
            "bulk.completed",
            batch_id=batch_id,
            recorded=counts.recorded,
            already_recorded=counts.already_recorded,
            refused=counts.refused,
        )
        return counts

    @activity.defn(name=contracts.DELIVER_BATCH_EVENT)
    async def deliver_batch_event(self, input: contracts.BatchEventInput) -> list[str]:
        """answers.batch_completed to the endpoints that take cancellation.answer_recorded
        (the event sums those up); merchants not notified by webhook get none."""
        merchant = await self._directory.get(input.merchant_id)
        batch = await self._batches.get(input.batch_id)
        if merchant is None or batch is None or not merchant.wants_webhooks:
            return []
        event = BatchCompletedEvent(
            id=batch_event_id(batch.batch_id),
            timestamp=batch.completed_at or datetime.now(UTC),
            data=BatchCompletedData(
                batch_id=batch.batch_id,
                merchant_id=batch.merchant_id,
                source=batch.source,
                total=input.counts.total,
                recorded=input.counts.recorded,
                already_recorded=input.counts.already_recorded,
                refused=input.counts.refused,
            ),
        )
        body = event.model_dump_json().encode()
        delivered: list[str] = []
        failures: list[str] = []
        for live in await self._endpoints.live_for(merchant.merchant_id, EventType.ANSWER_RECORDED):
            endpoint_id = live.endpoint.endpoint_id
            if await self._deliveries.delivered(event.id, endpoint_id):
                continue
            result = await self._sender.post(live.endpoint.url, live.secret, event.id, body)
            await self._deliveries.record_attempt(
                event.id,
                endpoint_id,
                merchant.merchant_id,
                BATCH_COMPLETED,
                result.status_code,
                result.error,
            )
            if result.error is None:
                delivered.append(endpoint_id)
            else:
                failures.append(f"{endpoint_id}: {result.error}")
        if failures:
            raise ApplicationError(
                f"{event.id} not taken by " + "; ".join(failures), type=BATCH_NOT_DELIVERED
            )
        return delivered
