"""Erasure of a case answered in bulk: its rows in the batch keep their results and lose what
was personal in them (a message, a refusal quoting what was sent), so after the erasure no row
of ours holds a readable identifier (the pg_dump check of test_erasure.py, bulk tables too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cases.bulk_answers import start_bulk_answers, wait_for_bulk_answers
from cases.client import case_state, start_case
from cases.erasure import erase_case
from domain.bulk_answers import BatchSource, RowProblem, RowResult
from domain.case import CaseStatus
from domain.common import Channel
from domain.erasure import erased_marker
from portal.bulk_batches import checked_item, new_batch_id
from storage.bulk_answers import BulkAnswerBatches, NewItem
from tests.eventually import eventually
from tests.helpers.privacy import (
    CUSTOMER_EMAIL,
    IDENTIFIERS,
    MERCHANT,
    REQUEST,
    Running,
    new_case_id,
    pg_dump,
    readable_identifiers,
    request,
)

STAFF = "desk-bulk@privacygym.example"


async def test_a_case_answered_in_bulk_leaves_no_identifier_in_the_batch(
    running: Running, database_url: str
) -> None:
    client, queue = running.client, running.stack.settings.temporal.task_queue
    case_id = new_case_id("pb")
    await start_case(client, request(case_id), queue)
    await eventually(
        lambda: case_state(client, case_id),
        lambda state: state.status is CaseStatus.AWAITING,
        what="the merchant request to go out",
    )
    answered_at = datetime.now(UTC)
    until = (answered_at + timedelta(days=10)).date().isoformat()
    items = [
        checked_item(
            case_id,
            {"outcome": "has_now_been_cancelled", "access_until": until},
            answered_at,
            Channel.PORTAL,
            STAFF,
        ),
        # A second row for the case, whose note names the customer: refused by the case
        # (already answered), its answer kept with the batch.
        checked_item(
            case_id,
            {"outcome": "other_reason", "message": f"{CUSTOMER_EMAIL} is CN-771199, Erika"},
            answered_at,
            Channel.PORTAL,
            STAFF,
        ),
        # Refused on arrival, with a problem that quotes what was sent.
        NewItem(
            case_id,
            None,
            RowProblem(status=422, title="Validation failed", detail=f"no such {CUSTOMER_EMAIL}"),
        ),
    ]
    batches = BulkAnswerBatches(running.pool)
    batch, _ = await batches.create(
        batch_id=new_batch_id(),
        merchant_id=MERCHANT.merchant_id,
        source=BatchSource.PORTAL,
        request_digest="privacy-test",
        answered_at=answered_at,
        timezone="Europe/Stockholm",
        channel=Channel.PORTAL.value,
        responded_by=STAFF,
        items=items,
    )
    await start_bulk_answers(client, batch.batch_id, MERCHANT.merchant_id, queue)
    counts = await wait_for_bulk_answers(client, batch.batch_id, timedelta(seconds=60))
    assert counts is not None and counts.recorded == 1 and counts.refused == 2, counts
    await eventually(
        lambda: case_state(client, case_id),
        lambda state: state.status is CaseStatus.CLOSED,
        what="the case to close",
    )
    assert readable_identifiers(pg_dump(database_url), IDENTIFIERS[:1]) == [IDENTIFIERS[0]]

    receipt = await erase_case(client, case_id, REQUEST, queue)
    marker = erased_marker(receipt.erased_at.date())

    rows = await batches.results(batch.batch_id)
    assert [r.result for r in rows] == [RowResult.RECORDED, RowResult.REFUSED, RowResult.REFUSED]
    assert rows[0].answer == {"outcome": "has_now_been_cancelled", "access_until": until}
    assert rows[1].answer == {"outcome": "other_reason", "message": marker}
    assert rows[2].problem is not None and rows[2].problem.detail == marker
    # Erasing again (after a restore, say) changes nothing more.
    again = await erase_case(client, case_id, REQUEST, queue)
    assert again.already and await batches.results(batch.batch_id) == rows
    assert readable_identifiers(pg_dump(database_url), IDENTIFIERS) == []
