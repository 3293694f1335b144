"""DKIM sender authentication at the mail gateway: a real SMTP conversation (aiosmtpd, sent with
aiosmtplib), real PostgreSQL and Temporal; messages signed by dkimpy with a key made here, the
public key served through the gateway's injected DNS lookup (no network)."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

import asyncpg
import dkim  # type: ignore[import-untyped]
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from structlog.testing import capture_logs
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.client import case_state
from domain.case import CaseStatus
from domain.reply_address import ReplyAddressSigner
from inbound.dkim_check import DNS_FAILED, INVALID, NO_SIGNATURE, TIMED_OUT, aligned, check_dkim
from inbound.gateway import MailGateway, ReplyHandler
from inbound.signaller import ReplySignaller
from inbound.store import InboundMailStore, ReplyAddresses, StoredReply
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.harness import make_merchant, make_request
from tests.helpers.mail_gateway import case_with_reply_address, send
from tests.helpers.mail_gateway import reply as gateway_reply
from tests.helpers.servers import free_port

REPLY_DOMAIN = "reply.cancelflow.test"
SELECTOR = b"s2027"


@dataclass
class Keys:
    private_pem: bytes
    records: dict[bytes, bytes] = field(default_factory=dict)

    def publish(self, domain: str) -> None:
        self.records[SELECTOR + b"._domainkey." + domain.encode() + b"."] = self.record

    @property
    def record(self) -> bytes:
        key = serialization.load_pem_private_key(self.private_pem, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


@pytest.fixture(scope="module")
def keys() -> Keys:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    made = Keys(pem)
    made.publish("acme.example")
    made.publish("attacker.example")
    return made


def signed(message: EmailMessage, keys: Keys, domain: str = "acme.example") -> bytes:
    raw = message.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    headers = [b"from", b"to", b"subject", b"message-id"]
    header = dkim.sign(raw, SELECTOR, domain.encode(), keys.private_pem, include_headers=headers)
    assert isinstance(header, bytes)
    return header + raw


def reply(to: str, message_id: str, sender: str = "support@acme.example") -> EmailMessage:
    # A body with a date to alter after signing.
    body = "Done, the subscription ends on 31 March."
    return gateway_reply(to, f"<{message_id}>", body=body, sender=sender)


Lookup = Callable[..., bytes | None]


@dataclass
class Gateway:
    port: int
    addresses: ReplyAddresses
    store: InboundMailStore
    lookup: list[Lookup]
    """The DNS lookup the gateway uses: tests swap in a failing or hanging one."""


@pytest.fixture
async def gateway(
    pool: asyncpg.Pool, dev_server_env: WorkflowEnvironment, keys: Keys
) -> AsyncIterator[Gateway]:
    signer = ReplyAddressSigner("dkim-test-secret-0123456789abcdef")
    await MerchantDirectory(pool).upsert(make_merchant())  # contact cancellations@acme.example
    addresses = ReplyAddresses(pool, signer, REPLY_DOMAIN)
    store = InboundMailStore(pool)
    signaller = ReplySignaller(store, dev_server_env.client, poll_interval=0.2)

    def served(name: bytes, timeout: float = 5.0) -> bytes | None:
        return keys.records.get(name)

    lookup: list[Lookup] = [served]
    handler = ReplyHandler(
        signer,
        REPLY_DOMAIN,
        addresses,
        store,
        on_stored=signaller.wake,
        sender_authentication="dkim",
        dnsfunc=lambda name, timeout=5.0: lookup[0](name, timeout=timeout),
        dkim_time_limit=0.5,
    )
    port = free_port()
    smtp = MailGateway(handler, "127.0.0.1", port, max_message_bytes=100_000)
    with capture_logs() as logs:
        await smtp.start()
    [listening] = [e for e in logs if e["event"] == "mail_gateway.listening"]
    assert listening["sender_authentication"] == "dkim"
    loop = asyncio.create_task(signaller.run())
    try:
        yield Gateway(port, addresses, store, lookup)
    finally:
        loop.cancel()
        await smtp.stop()


async def delivered(gateway: Gateway, case_id: str, count: int) -> list[StoredReply]:
    return await eventually(
        lambda: gateway.store.replies_for(case_id),
        lambda rows: len(rows) == count and all(r.signal_status == "delivered" for r in rows),
    )


async def test_a_known_contacts_reply_signed_by_its_domain_is_verified_and_pauses_the_chase(
    gateway: Gateway, dev_server_env: WorkflowEnvironment, keys: Keys
) -> None:
    client: Client = dev_server_env.client
    async with case_with_reply_address(dev_server_env, gateway.addresses) as (case_id, address):
        await send(gateway.port, signed(reply(address, "signed-1@acme.example"), keys), address)

        state = await eventually(
            lambda: case_state(client, case_id),
            lambda s: s.status is CaseStatus.NEEDS_TRIAGE,
        )
        assert [(r.sender, r.sender_verified) for r in state.email_replies] == [
            ("support@acme.example", True)
        ]
        [stored] = await delivered(gateway, case_id, 1)
        assert stored.sender_verified and stored.unverified_reason is None


async def test_unsigned_foreign_signed_or_altered_replies_are_kept_unverified_and_the_chase_goes_on(
    gateway: Gateway, dev_server_env: WorkflowEnvironment, keys: Keys
) -> None:
    client: Client = dev_server_env.client
    async with case_with_reply_address(dev_server_env, gateway.addresses) as (case_id, address):
        before = await case_state(client, case_id)
        unsigned = reply(address, "unsigned@acme.example").as_bytes()
        # A forger's own domain signs, and says it is from acme.example.
        foreign = signed(reply(address, "foreign@acme.example"), keys, "attacker.example")
        genuine = signed(reply(address, "altered@acme.example"), keys)
        altered = genuine.replace(b"31 March", b"31 April")
        assert altered != genuine
        with capture_logs() as logs:
            for raw in (unsigned, foreign, altered):
                assert (await send(gateway.port, raw, address)).startswith("2.0.0")

        stored = await delivered(gateway, case_id, 3)
        assert [(r.message_id, r.sender_verified, r.unverified_reason) for r in stored] == [
            ("unsigned@acme.example", False, NO_SIGNATURE),
            (
                "foreign@acme.example",
                False,
                "DKIM signature by attacker.example, not the From address's domain",
            ),
            ("altered@acme.example", False, INVALID),
        ]
        state = await case_state(client, case_id)
        assert [r.sender_verified for r in state.email_replies] == [False, False, False]
        assert state.status is CaseStatus.AWAITING
        assert state.next_action_at == before.next_action_at is not None
    accepted = [e for e in logs if e["event"] == "mail.accepted"]
    assert [e["sender_verified"] for e in accepted] == [False, False, False]


async def test_a_failing_or_hanging_key_lookup_means_unverified_and_the_reply_is_kept(
    gateway: Gateway, keys: Keys, pool: asyncpg.Pool
) -> None:
    request = make_request()
    address = await gateway.addresses.address_for(request.case_id, "acme")

    def failing(name: bytes, timeout: float = 5.0) -> bytes | None:
        raise OSError("no nameserver answered")

    gateway.lookup[0] = failing
    response = await send(
        gateway.port, signed(reply(address, "dns-down@acme.example"), keys), address
    )
    assert response.startswith("2.0.0")

    released = threading.Event()

    def hanging(name: bytes, timeout: float = 5.0) -> bytes | None:
        released.wait(timeout=10)
        return keys.records.get(name)

    gateway.lookup[0] = hanging
    try:
        raw = signed(reply(address, "dns-slow@acme.example"), keys)
        assert (await send(gateway.port, raw, address)).startswith("2.0.0")
    finally:
        released.set()

    stored = await gateway.store.replies_for(request.case_id)
    assert [(r.message_id, r.sender_verified, r.unverified_reason) for r in stored] == [
        ("dns-down@acme.example", False, DNS_FAILED),
        ("dns-slow@acme.example", False, TIMED_OUT),
    ]


def test_alignment_is_the_from_domain_or_a_parent_never_a_lone_label() -> None:
    assert aligned("acme.example", "acme.example")
    assert aligned("Acme.Example.", "mail.acme.example")
    assert not aligned("mail.acme.example", "acme.example")
    assert not aligned("example", "acme.example")
    assert not aligned("cme.example", "acme.example")


def test_a_signature_that_leaves_part_of_the_body_unsigned_does_not_count(
    keys: Keys,
) -> None:
    def served(name: bytes, timeout: float = 5.0) -> bytes | None:
        return keys.records.get(name)

    message = reply("reply@x", "partial@acme.example")
    raw = message.as_bytes().replace(b"\n", b"\r\n")
    whole = dkim.sign(raw, SELECTOR, b"acme.example", keys.private_pem, include_headers=[b"from"])
    assert check_dkim(whole + raw, "acme.example", served).verified
    partial = dkim.sign(
        raw, SELECTOR, b"acme.example", keys.private_pem, include_headers=[b"from"], length=True
    )
    assert check_dkim(partial + raw + b"P.S. appended\r\n", "acme.example", served).reason == (
        "DKIM signature covers only part of the body (l= tag)"
    )
