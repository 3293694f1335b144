"""Replies stored before the reader existed are read on demand (and the reading kept), and the
ops digest's triage section shows the reader's suggestion with the command that records it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import asyncpg

from activities.digest import render_digest, triage_line
from domain.answers import Outcome
from domain.case import CaseStatus
from domain.digest import OpenCase, build_digest
from domain.reply_address import ReplyAddressSigner
from inbound.store import InboundMailStore, ReplyAddresses
from storage.merchants import MerchantDirectory
from tests.helpers.harness import make_merchant

RAW = (
    b"From: support@acme.example\r\nSubject: SV: Upps\xc3\xa4gning\r\n"
    b"Message-ID: <old-1@acme.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Hej,\r\nAbonnemanget \xc3\xa4r uppsagt, tillg\xc3\xa5ng t.o.m. 31 mars.\r\n\r\n"
    b"Med v\xc3\xa4nliga h\xc3\xa4lsningar\r\nAnna, 08-123 45 67\r\n"
)


async def test_a_reply_stored_without_a_reading_is_read_on_demand_in_its_merchants_language(
    pool: asyncpg.Pool,
) -> None:
    merchant = make_merchant(merchant_id=f"sv-{uuid.uuid4().hex[:6]}", locale="sv")
    await MerchantDirectory(pool).upsert(merchant)
    case_id = f"case-{uuid.uuid4().hex[:8]}"
    signer = ReplyAddressSigner("stored-readings-secret-0123456789")
    await ReplyAddresses(pool, signer, "reply.test").address_for(case_id, merchant.merchant_id)
    store = InboundMailStore(pool)
    # Stored as the gateway did before the reader: no suggestion column value.
    received = datetime(2027, 3, 3, 10, tzinfo=UTC)
    await store.store(case_id, "old-1@acme.example", "support@acme.example", "SV", RAW, received)
    [before] = await store.replies_for(case_id)
    assert before.suggestion is None

    note = await store.latest_suggestion(case_id)
    assert note is not None and note.outcome is Outcome.HAS_NOW_BEEN_CANCELLED
    assert note.access_until == date(2027, 3, 31)
    [after] = await store.replies_for(case_id)
    assert after.suggestion == note  # kept: the next reader gets the same reading

    case = OpenCase(
        case_id=case_id,
        merchant_id=merchant.merchant_id,
        status=CaseStatus.NEEDS_TRIAGE,
        escalated=False,
        requested_at=datetime(2027, 3, 1, tzinfo=UTC),
    )
    text = render_digest(
        build_digest([case], datetime(2027, 3, 4, tzinfo=UTC)),
        triage_lines={case_id: triage_line(case_id, note)},
    )
    section = text.split("Email replies awaiting triage: 1\n", 1)[1]
    assert section.startswith(f"  {case_id}  ")
    assert (
        "      reader: has_now_been_cancelled access_until 2027-03-31 (confidence 0.92); "
        f"to record it: cancelflow triage accept {case_id}"
    ) in section
    assert "uppsagt" not in text  # the merchant's words stay out of the ops email


def test_a_reason_quoting_a_header_cannot_break_the_digests_lines() -> None:
    from domain.replies.note import ReplySuggestion

    line = triage_line("c-1", ReplySuggestion(reader="r", reason="automatic (X: a\r\nBcc: x)"))
    assert "\n" not in line and "\r" not in line and "to record it" not in line
