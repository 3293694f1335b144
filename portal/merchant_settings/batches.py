"""Answers in bulk in the signed-in portal: the spreadsheet round trip (the open requests
downloaded to fill in, the filled file uploaded), a batch's progress and results (done,
refused, left; each row with its reason in the merchant's language), and the results as a
spreadsheet. Every cell written is safe to open in a spreadsheet (no formula runs)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response, StreamingResponse

from domain.bulk_answers import (
    ANSWER_COLUMNS,
    MAX_UPLOAD_BYTES,
    BatchSource,
    ParsedUpload,
    RowResult,
    UploadRefused,
    parse_upload,
    spreadsheet_cell,
)
from domain.common import Channel
from domain.merchant import Merchant
from domain.reply_token import case_reference
from portal.bulk_batches import (
    Batches,
    checked_item,
    digest_of,
    ensure_running,
    now_in,
)
from portal.context import Ctx
from portal.merchant_settings.bulk_words import BulkTranslator
from portal.merchant_settings.deps import SCtx
from portal.merchant_settings.pages import _Signed
from portal.merchant_settings.paging import list_query, page_number
from portal.merchant_settings.rendering import render
from portal.merchant_settings.requests import (
    accepted,
    listings,
    request_rows,
    requests_page,
    signed,
    signed_form,
)
from storage.bulk_answers import Batch, NewItem

router = APIRouter(prefix="/merchant/settings", include_in_schema=False)

RESULTS_PER_PAGE = 200


@router.post("/requests/upload")
async def upload(
    request: Request,
    ctx: Ctx,
    sctx: SCtx,
    batches: Batches,
    file: UploadFile,
    csrf_token: str = Form(""),
) -> Response:
    current = await signed_form(request, ctx, sctx, batches, csrf_token)
    if isinstance(current, Response):
        return current
    signed_in, t = current
    # One byte over the limit is enough to refuse the file as too large.
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    merchant = signed_in.merchant
    answered_at = now_in(merchant.timezone)
    responded_by = f"merchant portal upload ({signed_in.who.email})"
    try:
        # Reading and checking 10,000 rows is about half a second of Python: in a thread, so
        # the portal's other requests go on meanwhile instead of waiting for the whole file.
        parsed, items = await asyncio.to_thread(_read_upload, data, answered_at, responded_by)
    except UploadRefused as refusal:
        reason = t("upload_refused", reason=t.upload_refusal(refusal))
        return await requests_page(
            request, ctx, signed_in, t, batches, status=422, errors={"file": reason}
        )
    return await accepted(
        ctx,
        batches,
        signed_in,
        t,
        source=BatchSource.UPLOAD,
        responded_by=responded_by,
        answered_at=answered_at,
        items=items,
        digest=digest_of(data),
        blank_rows=parsed.blank_rows,
    )


async def _with_batch(
    request: Request, sctx: SCtx, batches: Batches, batch_id: str
) -> tuple[_Signed, BulkTranslator, Batch | None] | Response:
    """The signed-in merchant and its batch of that id (None: no such batch of its own)."""
    current = await signed(request, sctx)
    if isinstance(current, Response):
        return current
    signed_in, t = current
    return signed_in, t, await batches.get(batch_id[:64], signed_in.merchant.merchant_id)


def _read_upload(
    data: bytes, answered_at: datetime, responded_by: str
) -> tuple[ParsedUpload, list[NewItem]]:
    """The file's rows, each checked as a single answer is (refuses the file as a whole)."""
    parsed = parse_upload(data)
    if not parsed.rows:
        raise UploadRefused("no_answers")
    items = [
        checked_item(
            row.case_id,
            row.fields,
            answered_at,
            Channel.PORTAL,
            responded_by,
            row.problems,
            row.row_number,
        )
        for row in parsed.rows
    ]
    return parsed, items


@router.get("/batches/{batch_id}")
async def batch_page(
    request: Request, batch_id: str, ctx: Ctx, sctx: SCtx, batches: Batches
) -> Response:
    current = await _with_batch(request, sctx, batches, batch_id)
    if isinstance(current, Response):
        return current
    signed_in, t, batch = current
    if batch is None:
        return render(
            request, "batch.html", t, status=404, path=request.url.path, batch=None, who=None
        )
    await ensure_running(ctx, batch)
    counts = await batches.counts(batch.batch_id)
    only = RowResult.REFUSED if request.query_params.get("only") == "refused" else None
    page = page_number(request.query_params)
    results = await batches.results(
        batch.batch_id, offset=page * RESULTS_PER_PAGE, limit=RESULTS_PER_PAGE + 1, only=only
    )
    earlier = (
        await batches.earlier_with_digest(batch) if batch.source is BatchSource.UPLOAD else None
    )
    return render(
        request,
        "batch.html",
        t,
        path=request.url.path,
        who=signed_in.who,
        merchant=signed_in.merchant,
        batch=batch,
        counts=counts,
        results=results[:RESULTS_PER_PAGE],
        more=len(results) > RESULTS_PER_PAGE,
        page=page,
        only=only,
        earlier=earlier,
        reference=case_reference,
    )


@router.get("/batches/{batch_id}/results.csv")
async def batch_results_csv(
    request: Request, batch_id: str, ctx: Ctx, sctx: SCtx, batches: Batches
) -> Response:
    current = await _with_batch(request, sctx, batches, batch_id)
    if isinstance(current, Response):
        return current
    signed_in, t, batch = current
    if batch is None:
        return Response(status_code=404)
    delimiter = ";" if signed_in.merchant.locale == "sv" else ","
    lines = [
        "\ufeff"
        + csv_line(["row", "case_id", "reference", "outcome", "result", "reason"], delimiter)
    ]
    for r in await batches.results(batch.batch_id):
        lines.append(
            csv_line(
                [
                    r.row_number if r.row_number is not None else r.position + 1,
                    r.case_id,
                    case_reference(r.case_id) if r.case_id else "",
                    (r.answer or {}).get("outcome", ""),
                    t(f"result_{r.result.value}") if r.result else t("result_pending"),
                    t.problem(r.problem),
                ],
                delimiter,
            )
        )
    return Response(
        "".join(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="results-{batch.batch_id}.csv"'},
    )


def csv_header(merchant: Merchant) -> list[str]:
    """The download's columns: the request, the identifiers this merchant is configured
    for (as customer.<name>, so none can be mistaken for an answer column), the next step,
    and the answer columns named as in the API, empty to fill in."""
    return [
        "reference",
        "case_id",
        "requested_on",
        "subscription",
        "account_reference",
        *(f"customer.{name}" for name in merchant.required_identifiers),
        "next_step",
        "next_step_due",
        *ANSWER_COLUMNS,
    ]


def csv_line(cells: list[object], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerow(
        [spreadsheet_cell(c) for c in cells]
    )
    return out.getvalue()


@router.get("/requests.csv")
async def download_requests(request: Request, ctx: Ctx, sctx: SCtx) -> Response:
    current = await signed(request, sctx)
    if isinstance(current, Response):
        return current
    signed_in, t = current
    merchant = signed_in.merchant
    query = list_query(request.query_params)
    # Excel in Swedish opens ';'-separated files as columns; elsewhere ','.
    delimiter = ";" if merchant.locale == "sv" else ","
    header = csv_header(merchant)
    zone = ZoneInfo(merchant.timezone)

    async def lines() -> AsyncIterator[str]:
        yield "\ufeff" + csv_line(list(header), delimiter)
        chunk: list[str] = []

        async def flush() -> AsyncIterator[str]:
            for row in await request_rows(ctx, merchant, t, chunk):
                due = row.state.next_action_at or row.state.follow_up_at
                yield csv_line(
                    [
                        row.reference,
                        row.case_id,
                        row.requested_at.astimezone(zone).date().isoformat(),
                        row.subscription.name if row.subscription else "",
                        (row.subscription.account_reference or "") if row.subscription else "",
                        *(row.identifiers.get(n, "") for n in merchant.required_identifiers),
                        row.next_step,
                        due.astimezone(zone).strftime("%Y-%m-%d %H:%M") if due else "",
                        *([""] * len(ANSWER_COLUMNS)),
                    ],
                    delimiter,
                )

        for listing in await listings(ctx, merchant, query.view, query.age, None, None):
            chunk.append(listing.case_id)
            if len(chunk) >= 200:
                async for line in flush():
                    yield line
                chunk = []
        async for line in flush():
            yield line

    filename = f"open-requests-{datetime.now(zone).date().isoformat()}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
