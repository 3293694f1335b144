"""Many answers in one call: `POST /api/v1/merchant/answers`.

Each item is one answer to one case, checked as `POST /cases/{case_id}/answer` checks it and
recorded through that case's own Update; the result lists every item in the order sent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, FastAPI, Header, Response
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model

from cases.bulk_answers import wait_for_bulk_answers
from domain.bulk_answers import (
    MAX_API_ITEMS,
    BatchCompletedEvent,
    BatchSource,
    RowProblem,
    RowResult,
)
from domain.common import Channel, describe_validation_error
from portal.api.auth import MerchantKeyHolder
from portal.api.problems import PROBLEM_RESPONSES, ProblemError
from portal.api.schemas import ANSWER_BODIES, answer_union
from portal.bulk_batches import (
    Batches,
    accept_batch,
    checked_item,
    digest_of,
    ensure_running,
    now_in,
)
from portal.context import Ctx, PortalContext
from storage.bulk_answers import Batch, BulkAnswerBatches, IdempotencyKeyReused, NewItem

log = structlog.get_logger()

router = APIRouter(prefix="/api/v1/merchant", tags=["merchant"], responses=PROBLEM_RESPONSES)

# How long the call waits for its batch before answering 202 with where to read it.
WAIT_FOR_BATCH = timedelta(seconds=50)
# 500 answers, each with a message of up to 2,000 characters.
LARGER_BODIES = {"/api/v1/merchant/answers": 2 * 1024 * 1024}


class _Item(BaseModel):
    case_id: str = Field(description="The case this answer is for")


# One item per outcome: the answer body of that outcome with the case it is for.
ANSWER_ITEMS: tuple[type[BaseModel], ...] = tuple(
    create_model(
        body.__name__.removesuffix("Body") + "Item",
        __base__=(_Item, body),
        __module__=__name__,
    )
    for body in ANSWER_BODIES
)
AnswerItem: Any = answer_union(ANSWER_ITEMS)
_ITEM: TypeAdapter[Any] = TypeAdapter(AnswerItem)


# An item that is no valid answer still decodes (as an object), to be refused on its own.
_ItemOrInvalid = Annotated[AnswerItem | Any, Field(union_mode="left_to_right")]


class AnswersBody(BaseModel):
    answers: list[_ItemOrInvalid] = Field(
        min_length=1,
        max_length=MAX_API_ITEMS,
        description=f"1 to {MAX_API_ITEMS} answers, each with its case_id and the fields of "
        "POST /cases/{case_id}/answer. An item that is not a valid answer is refused for "
        "itself (422 in its problem); the others go on.",
    )


class ItemResult(BaseModel):
    index: int = Field(description="The item's position in the request, from 0")
    case_id: str
    result: RowResult | None = Field(
        description="recorded; already_recorded (this same answer was there); refused (see "
        "problem); null while the batch is still running"
    )
    problem: RowProblem | None = Field(
        default=None,
        description="Why it was refused: the problem a single call would have answered "
        "(404 not your case, 409 the case does not take it, 422 invalid)",
    )


class BatchOut(BaseModel):
    batch_id: str
    status: Literal["completed", "running"]
    total: int
    recorded: int
    already_recorded: int
    refused: int
    left: int
    results: list[ItemResult]


def _items(body: AnswersBody, answered_at: Any, responded_by: str) -> list[NewItem]:
    items: list[NewItem] = []
    for raw in body.answers:
        case_id = ""
        try:
            item = raw if isinstance(raw, _Item) else _ITEM.validate_python(raw)
            if not isinstance(item, _Item):  # pragma: no cover - the adapter gives one
                raise TypeError(type(item))
        except ValidationError as err:
            case_id = str(raw.get("case_id", ""))[:64] if isinstance(raw, dict) else ""
            problems = describe_validation_error(err)
            items.append(
                checked_item(case_id, None, answered_at, Channel.API, responded_by, problems)
            )
            continue
        fields = item.model_dump(mode="json", exclude={"case_id"}, exclude_none=True)
        items.append(checked_item(item.case_id, fields, answered_at, Channel.API, responded_by))
    return items


async def batch_out(
    ctx: PortalContext, batches: BulkAnswerBatches, batch: Batch, wait: timedelta
) -> tuple[BatchOut, bool]:
    if batch.completed_at is None:
        await ensure_running(ctx, batch)
        if wait > timedelta(0):
            await wait_for_bulk_answers(ctx.client, batch.batch_id, wait)
    counts = await batches.counts(batch.batch_id)
    results = [
        ItemResult(index=r.position, case_id=r.case_id, result=r.result, problem=r.problem)
        for r in await batches.results(batch.batch_id)
    ]
    finished = counts.left == 0
    return (
        BatchOut(
            batch_id=batch.batch_id,
            status="completed" if finished else "running",
            total=counts.total,
            recorded=counts.recorded,
            already_recorded=counts.already_recorded,
            refused=counts.refused,
            left=counts.left,
            results=results,
        ),
        finished,
    )


@router.post(
    "/answers",
    response_model=BatchOut,
    summary="Answer many of my cases at once",
    description=f"Up to {MAX_API_ITEMS} answers, each recorded through its own case exactly "
    "as a single call would. The result has one item per answer, in the order sent: "
    "recorded, already_recorded, or refused with the problem a single call would have "
    "answered (another merchant's case is refused as not found). With an Idempotency-Key, "
    "sending the same batch again returns the first call's results and records nothing "
    "twice; the same key with a different batch is refused (422). The call waits up to "
    f"{int(WAIT_FOR_BATCH.total_seconds())} s; a batch still running then is answered 202 "
    "with its results so far and a Location to read it from.",
    responses={202: {"model": BatchOut, "description": "Accepted; still running"}},
)
async def answer_many(
    body: AnswersBody,
    holder: MerchantKeyHolder,
    ctx: Ctx,
    batches: Batches,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="Makes a retried batch safe: the same key returns the same results",
        ),
    ] = None,
) -> BatchOut:
    answered_at = now_in(holder.timezone)
    responded_by = f"merchant API ({holder.display_name})"[:200]
    items = _items(body, answered_at, responded_by)
    try:
        batch, created = await accept_batch(
            ctx,
            batches,
            merchant_id=holder.merchant_id,
            timezone=holder.timezone,
            source=BatchSource.API,
            channel=Channel.API,
            responded_by=responded_by,
            answered_at=answered_at,
            items=items,
            digest=digest_of(body.model_dump(mode="json")["answers"]),
            idempotency_key=idempotency_key,
        )
    except IdempotencyKeyReused:
        raise ProblemError(
            422,
            "Idempotency-Key reused",
            f"the Idempotency-Key '{idempotency_key}' was used before for a different batch "
            "of answers; use a new key for a new batch",
            errors=[{"field": "Idempotency-Key", "message": "was used for a different batch"}],
        ) from None
    log.info("api.answers", batch_id=batch.batch_id, items=len(items), created=created)
    out, finished = await batch_out(ctx, batches, batch, WAIT_FOR_BATCH)
    if not finished:
        response.status_code = 202
        response.headers["Location"] = f"/api/v1/merchant/answers/{batch.batch_id}"
    return out


@router.get(
    "/answers/{batch_id}",
    response_model=BatchOut,
    summary="Read a batch of my answers",
    description="The results of a batch sent to POST /answers, as that call answers them.",
)
async def read_batch(
    batch_id: str, holder: MerchantKeyHolder, ctx: Ctx, batches: Batches
) -> BatchOut:
    batch = await batches.get(batch_id[:64], holder.merchant_id)
    if batch is None:
        raise ProblemError(404, "Batch not found", f"you have no batch '{batch_id[:64]}'")
    out, _ = await batch_out(ctx, batches, batch, timedelta(0))
    return out


def install_batch_webhook_doc(app: FastAPI) -> None:
    """answers.batch_completed in the OpenAPI document's webhooks, beside the case events."""

    async def receive(event: BatchCompletedEvent) -> None:
        """Implemented by the merchant."""

    app.webhooks.add_api_route(
        "answers.batch_completed",
        receive,
        methods=["POST"],
        summary="A batch of answers ended: its counts (each answer also had its own "
        "cancellation.answer_recorded). Sent to the endpoints that take "
        "cancellation.answer_recorded, signed like every event.",
        operation_id="webhook_answers_batch_completed",
        tags=["webhooks"],
        status_code=204,
    )
