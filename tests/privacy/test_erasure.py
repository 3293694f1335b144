"""Erasure on real components: a closed and an open case erased through the erasure workflow;
the audit is the same timeline with the personal values erased, nothing decodes, no table of
ours holds an identifier, and asking again is acknowledged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.api.history.v1 import History

from cases.client import case_state, start_case
from cases.erasure import erase_case
from domain.case import CaseStatus
from domain.erasure import erased_marker
from inbound.store import InboundMailStore, ReplyAddresses
from storage.archive import ArchiveStore
from storage.archive_chain import verify_chain
from storage.erasures import ErasureStore
from tests.eventually import eventually
from tests.helpers.privacy import (
    IDENTIFIERS,
    MERCHANT,
    REQUEST,
    Running,
    archive_now,
    assert_same_apart_from_erased,
    audit_of,
    closed_case,
    data_payloads,
    new_case_id,
    pg_dump,
    readable_identifiers,
    request,
)
from workers.codec import CaseKeyCodec, CaseKeys, EncryptionKey, ErasedCaseKey
from workers.commands.cases_erase import erased_case_state, erased_case_timeline
from workers.mail_sink import MailSink


async def test_a_closed_case_is_erased_everywhere_and_its_audit_kept(
    running: Running,
    codec_keys: list[EncryptionKey],
    case_keys: CaseKeys,
    database_url: str,
) -> None:
    await running.pool.execute(
        "INSERT INTO case_archive_checkpoint (name, close_time) VALUES ('cases', $1)",
        datetime.now(UTC) - timedelta(seconds=1),
    )
    case_id = await closed_case(running)
    await archive_now(running)
    before = await audit_of(running, case_id)
    assert any(e["actor"] == "Agnes Merchantstaff" for e in before["entries"])
    assert readable_identifiers(pg_dump(database_url), IDENTIFIERS[:1]) == [IDENTIFIERS[0]]

    # A reply by email, as the mail gateway stores it (it quotes our email, identifiers too).
    replies = InboundMailStore(running.pool)
    await replies.store(
        case_id=case_id,
        message_id="<reply-1@privacygym.example>",
        sender="agnes.staff@privacygym.example",
        subject=f"Re: cancel for {IDENTIFIERS[0]}",
        raw=f"From: agnes.staff@privacygym.example\r\n\r\nDone for {IDENTIFIERS[0]}".encode(),
        received_at=datetime.now(UTC),
    )
    case_key = await running.pool.fetchval(
        "SELECT case_key FROM reply_addresses WHERE case_id = $1", case_id
    )
    assert await ReplyAddresses(running.pool, None, "x").target_for(case_key) is not None  # type: ignore[arg-type]

    queue = running.stack.settings.temporal.task_queue
    receipt = await erase_case(running.client, case_id, REQUEST, queue)
    assert not receipt.already and not receipt.withdrawn
    # Later replies to its address are refused: nothing personal is stored again.
    assert await ReplyAddresses(running.pool, None, "x").target_for(case_key) is None  # type: ignore[arg-type]
    [reply] = await replies.replies_for(case_id)
    assert reply.message_id == "<reply-1@privacygym.example>" and "erased on" in reply.sender
    assert receipt.erased_by == "ops:privacy-test" and receipt.reason == REQUEST.reason
    again = await erase_case(running.client, case_id, REQUEST, queue)
    assert again.already and again.erased_at == receipt.erased_at

    record = await ErasureStore(running.pool).get(case_id)
    assert record is not None
    marker = erased_marker(receipt.erased_at.date())
    after = erased_case_timeline(record).to_json()
    assert_same_apart_from_erased(before, after, marker)
    assert any(e["actor"] == marker for e in after["entries"])
    erasure = after["entries"][-1]
    assert erasure["kind"] == "personal_data_erased" and erasure["actor"] == "ops:privacy-test"
    assert REQUEST.reason in erasure["summary"]
    state = erased_case_state(record)
    assert state is not None and state.status is CaseStatus.CLOSED
    assert state.answer is not None and state.answer.responded_by == marker

    # No copy decodes: Temporal's history, the archive's.
    fresh = CaseKeyCodec(codec_keys, CaseKeys(codec_keys, case_keys._make_pool))  # noqa: SLF001
    handle = running.client.get_workflow_handle(f"case-{case_id}")
    temporal = History(events=[e async for e in handle.fetch_history_events()])
    [archived] = await ArchiveStore(running.pool).runs_of_case(case_id)
    assert History.FromString(archived.history) == temporal  # not a byte rewritten
    for payload in data_payloads(temporal):
        with pytest.raises(ErasedCaseKey):
            await fresh.decode([payload])
    # The archive's chain still verifies: not a byte changed.
    assert (await verify_chain(running.pool)).ok
    # And no table of ours holds an identifier of the customer, in text or as bytes.
    assert (
        readable_identifiers(
            pg_dump(database_url), [*IDENTIFIERS, "Agnes Merchantstaff", "agnes.staff"]
        )
        == []
    )


async def test_an_open_case_is_withdrawn_first_then_erased(
    running: Running, mail_sink: MailSink, database_url: str
) -> None:
    client, queue = running.client, running.stack.settings.temporal.task_queue
    case_id = new_case_id()
    await start_case(client, request(case_id), queue)
    await eventually(
        lambda: case_state(client, case_id),
        lambda state: state.status is CaseStatus.AWAITING,
        what="the merchant request to go out",
    )
    receipt = await erase_case(client, case_id, REQUEST, queue)
    assert receipt.withdrawn and not receipt.already
    to_merchant = [m for m in mail_sink.messages if MERCHANT.cancellation_emails[0] in str(m["To"])]
    assert len(to_merchant) == 2, "the request, then the withdrawal"
    record = await ErasureStore(running.pool).get(case_id)
    assert record is not None
    state = erased_case_state(record)
    assert state is not None and state.status is CaseStatus.WITHDRAWN
    assert readable_identifiers(pg_dump(database_url), IDENTIFIERS) == []
