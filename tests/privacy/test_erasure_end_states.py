"""Every end state, and the open ones, erased on the dev server with the archive: no payload
of the case decodes in Temporal or in the archive, no table holds an identifier, the audit is
the one it was apart from the erased values, and the archive's chain verifies."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from temporalio.api.history.v1 import History
from temporalio.client import WorkflowExecutionStatus

from cases.client import case_state, start_case, submit_answer, withdraw_case
from cases.erasure import erase_case
from domain.actions import WithdrawalRequest
from domain.answers import BindingContract, HasNowBeenCancelled, NoSubscriptionFound, OtherReason
from domain.case import CaseStatus
from domain.common import Channel
from domain.erasure import erased_marker
from storage.archive import ArchiveStore
from storage.archive_chain import verify_chain
from storage.erasures import ErasureStore
from tests.eventually import eventually
from tests.helpers.privacy import (
    IDENTIFIERS,
    REQUEST,
    Running,
    archive_now,
    assert_same_apart_from_erased,
    audit_of,
    data_payloads,
    new_case_id,
    pg_dump,
    readable_identifiers,
    request,
)
from workers.codec import CaseKeyCodec, CaseKeys, EncryptionKey, ErasedCaseKey
from workers.commands.cases_erase import erased_case_timeline

SECRET_NOTE = "Customer Erika owes INV-5521"
STAFF = "Bertil Merchantstaff"


def answered(answer: Callable[[], object]) -> Callable[[Running, str], Awaitable[None]]:
    async def drive(running: Running, case_id: str) -> None:
        await submit_answer(running.client, case_id, answer())  # type: ignore[arg-type]

    return drive


async def withdrawn(running: Running, case_id: str) -> None:
    await withdraw_case(
        running.client, case_id, WithdrawalRequest(requested_by="customer", reason=SECRET_NOTE)
    )


def now() -> datetime:
    return datetime.now(UTC)


END_STATES: dict[str, Callable[[Running, str], Awaitable[None]] | None] = {
    "cancelled": answered(
        lambda: HasNowBeenCancelled(
            answered_at=now(),
            channel=Channel.OPS,
            responded_by=STAFF,
            reference="CN-771199",
            access_until=date.today() + timedelta(days=5),
        )
    ),
    "other_reason": answered(
        lambda: OtherReason(
            answered_at=now(), channel=Channel.OPS, responded_by=STAFF, message=SECRET_NOTE
        )
    ),
    "withdrawn": withdrawn,
    # Open once answered: waiting for corrected details, or for the contract's end.
    "no_subscription_found": answered(
        lambda: NoSubscriptionFound(answered_at=now(), channel=Channel.OPS, responded_by=STAFF)
    ),
    "binding_contract": answered(
        lambda: BindingContract(
            answered_at=now(),
            channel=Channel.OPS,
            responded_by=STAFF,
            contract_ends_on=date.today() + timedelta(days=60),
        )
    ),
    "awaiting_answer": None,
}


@pytest.mark.parametrize("end_state", sorted(END_STATES))
async def test_erased_in_every_state(
    end_state: str,
    running: Running,
    codec_keys: list[EncryptionKey],
    case_keys: CaseKeys,
    database_url: str,
) -> None:
    await running.pool.execute(
        "INSERT INTO case_archive_checkpoint (name, close_time) VALUES ('cases', $1)",
        now() - timedelta(seconds=1),
    )
    client, queue = running.client, running.stack.settings.temporal.task_queue
    case_id = new_case_id(end_state.replace("_", "-")[:8])
    started = await start_case(client, request(case_id), queue)
    await eventually(
        lambda: case_state(client, case_id),
        lambda state: state.status is CaseStatus.AWAITING,
        what="the merchant request to go out",
    )
    drive = END_STATES[end_state]
    if drive is not None:
        await drive(running, case_id)
    await asyncio.sleep(1)  # the follow-up emails go out
    closed = (await started.handle.describe()).status != WorkflowExecutionStatus.RUNNING
    if closed:
        await archive_now(running)
    before = await audit_of(running, case_id)

    receipt = await erase_case(client, case_id, REQUEST, queue)
    assert receipt.withdrawn is not closed
    await archive_now(running)

    record = await ErasureStore(running.pool).get(case_id)
    assert record is not None
    after = erased_case_timeline(record).to_json()
    marker = erased_marker(receipt.erased_at.date())
    # The runs as they were (an open case gains its withdrawal's or termination's events).
    kept = after["entries"][: len(before["entries"])] + after["entries"][-1:]
    assert_same_apart_from_erased(before, {**after, "entries": kept}, marker)

    fresh = CaseKeyCodec(codec_keys, CaseKeys(codec_keys, case_keys._make_pool))  # noqa: SLF001
    temporal = History(events=[e async for e in started.handle.fetch_history_events()])
    archived = await ArchiveStore(running.pool).runs_of_case(case_id)
    assert [History.FromString(r.history) for r in archived][-1] == temporal
    for history in [temporal, *(History.FromString(r.history) for r in archived)]:
        for payload in data_payloads(history):
            with pytest.raises(ErasedCaseKey):
                await fresh.decode([payload])
    assert (await verify_chain(running.pool)).ok
    dump = pg_dump(database_url)
    assert readable_identifiers(dump, [*IDENTIFIERS, SECRET_NOTE, STAFF, "INV-5521"]) == []


async def test_a_case_that_failed_is_erased(
    running: Running, database_url: str, codec_keys: list[EncryptionKey], case_keys: CaseKeys
) -> None:
    """No merchant in the directory: the case fails at its first step."""
    client, queue = running.client, running.stack.settings.temporal.task_queue
    case_id = new_case_id("failed")
    unknown = request(case_id).model_copy(update={"merchant_id": "no-such-merchant"})
    started = await start_case(client, unknown, queue)
    with pytest.raises(Exception):  # noqa: B017 - the workflow fails
        await asyncio.wait_for(started.handle.result(), timeout=30)
    receipt = await erase_case(client, case_id, REQUEST, queue)
    assert not receipt.withdrawn
    fresh = CaseKeyCodec(codec_keys, CaseKeys(codec_keys, case_keys._make_pool))  # noqa: SLF001
    temporal = History(events=[e async for e in started.handle.fetch_history_events()])
    for payload in data_payloads(temporal):
        with pytest.raises(ErasedCaseKey):
            await fresh.decode([payload])
    assert readable_identifiers(pg_dump(database_url), IDENTIFIERS) == []
    record = await ErasureStore(running.pool).get(case_id)
    assert record is not None
    assert erased_case_timeline(record).kinds()[-1] == "personal_data_erased"
