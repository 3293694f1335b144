"""Accepting a batch of answers, for the API, the spreadsheet upload and the portal's list.

Each row is checked the way a single answer is before anything is stored (its case id, its
fields, the domain's rules); the batch and every row are then stored in one transaction and
its job started. Whether a case takes the answer is still its own validator's call, row by
row, in the job.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from pydantic import ValidationError

from cases.bulk_answers import start_bulk_answers
from domain.answers import parse_answer
from domain.bulk_answers import BatchSource, invalid_problem, not_found_problem
from domain.common import Channel, describe_validation_error
from portal.cases import is_case_id
from portal.context import PortalContext
from storage.bulk_answers import Batch, BulkAnswerBatches, NewItem


def new_batch_id() -> str:
    return "bat_" + secrets.token_hex(8)


def digest_of(content: bytes | Sequence[Any]) -> str:
    raw = content if isinstance(content, bytes) else json.dumps(content, sort_keys=True).encode()
    return hashlib.sha256(raw).hexdigest()


def checked_item(
    case_id: str,
    fields: dict[str, Any] | None,
    answered_at: datetime,
    channel: Channel,
    responded_by: str,
    problems: list[dict[str, str]] | None = None,
    row_number: int | None = None,
) -> NewItem:
    """The row as stored: its answer fields, or the problem that refuses it on arrival."""
    if problems:
        return NewItem(case_id, None, invalid_problem(problems), row_number)
    if not is_case_id(case_id):
        # As a single call answers an id that cannot be a case: not found.
        return NewItem(case_id, None, not_found_problem(case_id), row_number)
    assert fields is not None
    try:
        parse_answer(
            {
                "responded_by": responded_by,
                **fields,
                "answered_at": answered_at,
                "channel": channel,
            }
        )
    except ValidationError as err:
        return NewItem(case_id, None, invalid_problem(describe_validation_error(err)), row_number)
    return NewItem(case_id, fields, None, row_number)


def now_in(timezone: str) -> datetime:
    return datetime.now(ZoneInfo(timezone))


async def accept_batch(
    ctx: PortalContext,
    batches: BulkAnswerBatches,
    *,
    merchant_id: str,
    timezone: str,
    source: BatchSource,
    channel: Channel,
    responded_by: str,
    answered_at: datetime,
    items: list[NewItem],
    digest: str,
    idempotency_key: str | None = None,
    blank_rows: int = 0,
) -> tuple[Batch, bool]:
    """Stores the batch and starts its job; with an idempotency key used before, the batch
    stored then (its job started again if the portal stopped before starting it)."""
    batch, created = await batches.create(
        batch_id=new_batch_id(),
        merchant_id=merchant_id,
        source=source,
        request_digest=digest,
        answered_at=answered_at,
        timezone=timezone,
        channel=channel.value,
        responded_by=responded_by[:200],
        items=items,
        idempotency_key=idempotency_key,
        blank_rows=blank_rows,
    )
    await ensure_running(ctx, batch)
    return batch, created


async def ensure_running(ctx: PortalContext, batch: Batch) -> None:
    """A batch stored but not yet complete has its job running: starting it is idempotent."""
    if batch.completed_at is None:
        await start_bulk_answers(ctx.client, batch.batch_id, batch.merchant_id, ctx.task_queue)


def bulk_batches(request: Request) -> BulkAnswerBatches:
    batches = request.app.state.bulk_batches
    assert isinstance(batches, BulkAnswerBatches)
    return batches


Batches = Annotated[BulkAnswerBatches, Depends(bulk_batches)]
