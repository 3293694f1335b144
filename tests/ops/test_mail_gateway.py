"""Replies by email: a real SMTP conversation with the gateway, real PostgreSQL, real Temporal."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib
import asyncpg
import pytest
from structlog.testing import capture_logs
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from cases.client import case_state, start_case
from domain.case import CaseStatus
from domain.reply_address import ReplyAddressSigner
from inbound.gateway import MailGateway, ReplyHandler, is_known_contact
from inbound.signaller import ReplySignaller
from inbound.store import InboundMailStore, ReplyAddresses
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker
from tests.helpers.mail_gateway import case_with_reply_address, reply, send
from tests.helpers.servers import free_port
from tests.helpers.tls import self_signed_certificate
from workers.mail_gateway_service import reply_addresses, running_mail_gateway
from workers.settings import Settings

REPLY_DOMAIN = "reply.cancelflow.test"
MAX_BYTES = 20_000


@dataclass
class Gateway:
    port: int
    addresses: ReplyAddresses
    store: InboundMailStore
    signaller: ReplySignaller
    signer: ReplyAddressSigner


@pytest.fixture
async def gateway(
    pool: asyncpg.Pool, dev_server_env: WorkflowEnvironment
) -> AsyncIterator[Gateway]:
    signer = ReplyAddressSigner("gateway-test-secret-0123456789")
    # Its contact cancellations@acme.example vouches for support@acme.example (same domain).
    await MerchantDirectory(pool).upsert(make_merchant())
    addresses = ReplyAddresses(pool, signer, REPLY_DOMAIN)
    store = InboundMailStore(pool)
    signaller = ReplySignaller(store, dev_server_env.client, poll_interval=0.2)
    handler = ReplyHandler(signer, REPLY_DOMAIN, addresses, store, on_stored=signaller.wake)
    port = free_port()
    smtp = MailGateway(handler, "127.0.0.1", port, max_message_bytes=MAX_BYTES)
    await smtp.start()
    loop = asyncio.create_task(signaller.run())
    try:
        yield Gateway(port, addresses, store, signaller, signer)
    finally:
        loop.cancel()
        await smtp.stop()


async def test_reply_is_stored_signalled_and_moves_the_case_to_triage(
    gateway: Gateway, dev_server_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    client: Client = dev_server_env.client
    async with case_with_reply_address(dev_server_env, gateway.addresses) as (case_id, address):
        assert len(address.split("@")[0]) <= 64

        with capture_logs() as logs:
            await send(gateway.port, reply(address), address)
            # The same message again (a sender's retry): accepted, stored once.
            await send(gateway.port, reply(address), address)

        state = await eventually(
            lambda: case_state(client, case_id),
            lambda s: s.status is CaseStatus.NEEDS_TRIAGE,
        )
        assert [r.message_id for r in state.email_replies] == ["reply-1@merchant.example"]
        assert state.email_replies[0].sender == "support@acme.example"
        assert state.email_replies[0].subject == "Re: Cancellation request CF-TEST"

        assert state.email_replies[0].sender_verified
        stored = await gateway.store.replies_for(case_id)
        assert len(stored) == 1 and stored[0].sender_verified
        assert await pool.fetchval("SELECT count(*) FROM inbound_mail") == 1
        await eventually(
            lambda: gateway.store.replies_for(case_id),
            lambda rows: rows[0].signal_status == "delivered",
        )
        raw = await gateway.store.raw_message(stored[0].id)
        assert raw.get_content().strip() == "Done."
        accepted = [e for e in logs if e["event"] == "mail.accepted"]
        assert [e["duplicate"] for e in accepted] == [False, True]
        assert all("anna" not in repr(e).lower() for e in logs)


async def test_forged_and_unknown_tokens_are_refused_at_rcpt(gateway: Gateway) -> None:
    genuine = gateway.signer.address("case-never-registered", REPLY_DOMAIN)
    local, domain = genuine.split("@")
    forged = local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + domain
    with capture_logs() as logs:
        for to in (forged, genuine, "someone@elsewhere.example"):
            with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
                await send(gateway.port, reply(to), to)
            [error] = refused.value.recipients
            assert error.code == 550 and "5.1.1" in error.message
    refusals = [(e["stage"], e["reason"], e["code"]) for e in logs if e["event"] == "mail.refused"]
    assert refusals == [
        ("rcpt", "reply token was not issued by us", "550"),
        ("rcpt", "genuine token but no such case", "550"),
        ("rcpt", "not addressed to the reply domain", "550"),
    ]
    assert await gateway.store.replies_for("case-never-registered") == []


async def test_oversized_and_malformed_mail_is_refused_and_not_stored(
    gateway: Gateway, pool: asyncpg.Pool
) -> None:
    address = await gateway.addresses.address_for("case-size-test", "acme")
    with capture_logs() as logs:
        with pytest.raises(aiosmtplib.SMTPResponseException) as too_big:
            await send(gateway.port, reply(address, body="x" * 70 * 400), address)
        assert too_big.value.code == 552
        no_from = b"To: " + address.encode() + b"\r\nSubject: hi\r\n\r\nbody\r\n"
        with pytest.raises(aiosmtplib.SMTPDataError) as malformed:
            await send(gateway.port, no_from, address)
        assert malformed.value.code == 554 and "From" in malformed.value.message
    assert await pool.fetchval("SELECT count(*) FROM inbound_mail") == 0
    reasons = [e["reason"] for e in logs if e["event"] == "mail.refused"]
    assert reasons == ["oversized", "no valid From address"]


async def test_database_down_means_try_again_later(gateway: Gateway) -> None:
    dead = await asyncpg.create_pool(f"postgresql://nobody@127.0.0.1:{free_port()}/x", min_size=0)
    assert dead is not None
    signer = gateway.signer
    handler = ReplyHandler(
        signer, REPLY_DOMAIN, ReplyAddresses(dead, signer, REPLY_DOMAIN), InboundMailStore(dead)
    )
    port = free_port()
    smtp = MailGateway(handler, "127.0.0.1", port, max_message_bytes=MAX_BYTES)
    await smtp.start()
    try:
        address = signer.address("case-db-down", REPLY_DOMAIN)
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await send(port, reply(address), address)
        assert refused.value.recipients[0].code == 451
    finally:
        await smtp.stop()
        await dead.close()


async def test_unsignalled_reply_is_retried_until_the_case_hears_of_it(
    pool: asyncpg.Pool, dev_server_env: WorkflowEnvironment
) -> None:
    client = dev_server_env.client
    store = InboundMailStore(pool)
    acts = RecordingActivities(merchants={"acme": make_merchant()})
    request = make_request()
    # Temporal unreachable: the reply stays stored and pending, with the error noted.
    unreachable = await Client.connect(
        f"127.0.0.1:{free_port()}", lazy=True, data_converter=pydantic_data_converter
    )
    result = await store.store(
        request.case_id,
        "late@merchant.example",
        "support@acme.example",
        "Re: x",
        reply("x").as_bytes(),
        received_at=datetime.now(UTC),
    )
    down = ReplySignaller(
        store, unreachable, rpc_timeout=timedelta(seconds=1), backoff=lambda attempts: timedelta(0)
    )
    assert await down.deliver_due() == 0
    [pending] = await store.replies_for(request.case_id)
    assert pending.signal_status == "pending" and pending.signal_attempts == 1
    assert pending.last_signal_error

    async with running_worker(client, acts) as task_queue:
        await start_case(client, request, task_queue)
        await eventually(
            lambda: case_state(client, request.case_id), lambda s: s.status is CaseStatus.AWAITING
        )
        # Temporal is back: the next sweep delivers it.
        assert await ReplySignaller(store, client).deliver_due() == 1
        state = await eventually(
            lambda: case_state(client, request.case_id),
            lambda s: s.status is CaseStatus.NEEDS_TRIAGE,
        )
    assert [r.message_id for r in state.email_replies] == ["late@merchant.example"]
    [done] = await store.replies_for(request.case_id)
    assert done.id == result.reply.id and done.signal_status == "delivered"
    assert done.signal_attempts == 2


async def test_reply_to_a_closed_or_unknown_case_stays_stored_and_is_not_retried(
    pool: asyncpg.Pool, dev_server_env: WorkflowEnvironment
) -> None:
    store = InboundMailStore(pool)
    result = await store.store(
        "case-that-never-ran",
        "orphan@merchant.example",
        "support@acme.example",
        "Re: x",
        reply("x").as_bytes(),
        received_at=datetime.now(UTC),
    )
    signaller = ReplySignaller(store, dev_server_env.client)
    assert await signaller.deliver_due() == 0
    [kept] = await store.replies_for("case-that-never-ran")
    assert (kept.id, kept.signal_status) == (result.reply.id, "case_closed")
    assert await store.due_for_signal() == []


async def test_gateway_offers_starttls_when_given_a_certificate(
    pool: asyncpg.Pool,
    dev_server_env: WorkflowEnvironment,
    tmp_path: Path,
) -> None:
    cert_file, key_file = self_signed_certificate(tmp_path, "localhost", "gateway")
    settings = Settings(
        var_dir=tmp_path,
        mail_gateway={
            "host": "127.0.0.1",
            "port": free_port(),
            "tls_cert_file": cert_file,
            "tls_key_file": key_file,
        },
    )
    address = await reply_addresses(settings, pool).address_for("case-tls-1", "acme")
    async with running_mail_gateway(settings, pool, dev_server_env.client) as gateway:
        trusted = ssl.create_default_context(cafile=str(cert_file))
        async with aiosmtplib.SMTP(
            hostname="localhost",
            port=gateway.port,
            start_tls=False,
            tls_context=trusted,
            timeout=10,
        ) as smtp:
            await smtp.ehlo()
            assert smtp.supports_extension("starttls")
            await smtp.starttls()
            assert smtp.get_transport_info("peercert") is not None, "not encrypted"
            await smtp.sendmail("support@acme.example", [address], reply(address).as_bytes())
    stored = await InboundMailStore(pool).replies_for("case-tls-1")
    assert [r.message_id for r in stored] == ["reply-1@merchant.example"]


async def test_a_reply_from_a_stranger_is_stored_unverified_and_the_chase_goes_on(
    gateway: Gateway, dev_server_env: WorkflowEnvironment
) -> None:
    client: Client = dev_server_env.client
    async with case_with_reply_address(dev_server_env, gateway.addresses) as (case_id, address):
        spoofed = reply(address, "<spoof@attacker.example>", sender="ops@attacker.example")
        with capture_logs() as logs:
            await send(gateway.port, spoofed, address)
        [stored] = await eventually(
            lambda: gateway.store.replies_for(case_id),
            lambda rows: rows and rows[0].signal_status == "delivered",
        )
        assert not stored.sender_verified
        # The state query sees the signal: the reply is listed, the status unchanged.
        state = await case_state(client, case_id)
        assert [(r.sender, r.sender_verified) for r in state.email_replies] == [
            ("ops@attacker.example", False)
        ]
        assert state.status is CaseStatus.AWAITING and state.next_action_at is not None
    [accepted] = [e for e in logs if e["event"] == "mail.accepted"]
    assert accepted["sender_verified"] is False


def test_known_contacts_are_the_addresses_and_their_own_domains() -> None:
    known = ("Cancellations@Acme.example", "acme.billing@gmail.com")
    assert is_known_contact("support@acme.example", known)
    assert is_known_contact("acme.billing@GMAIL.com", known)
    assert not is_known_contact("anyone@gmail.com", known)
    assert not is_known_contact("support@acme.example.evil", known)
    assert not is_known_contact("support@acme.example", ())


async def test_control_characters_in_headers_never_reach_storage(
    gateway: Gateway, pool: asyncpg.Pool
) -> None:
    address = await gateway.addresses.address_for("case-control-chars", "acme")
    head = b"To: " + address.encode() + b"\r\n"
    poisoned_subject = (
        b"From: support@acme.example\r\nMessage-ID: <a\x00b@acme.example>\r\n"
        b"Subject: Re: done\x00\x1b]8;;http://evil/\x07\r\n" + head + b"\r\nDone.\r\n"
    )
    await send(gateway.port, poisoned_subject, address)
    [kept] = await gateway.store.replies_for("case-control-chars")
    assert "\x00" not in kept.subject and "\x1b" not in kept.subject
    assert kept.subject.startswith("Re: done")
    assert kept.message_id.startswith("sha256-"), "a Message-ID with NUL is replaced"

    poisoned_from = b"From: sup\x00port@acme.example\r\nSubject: x\r\n" + head + b"\r\nx\r\n"
    with capture_logs() as logs:
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await send(gateway.port, poisoned_from, address)
    assert refused.value.code == 554 and "control character" in refused.value.message
    assert [e["reason"] for e in logs if e["event"] == "mail.refused"] == [
        "control character in the From address"
    ]
    assert await pool.fetchval("SELECT count(*) FROM inbound_mail") == 1
