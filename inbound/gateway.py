"""The mail gateway: a real SMTP server that takes merchants' replies by email.

Merchant emails carry `Reply-To: reply+<token>@<reply domain>`. The gateway
- refuses, at RCPT time, anything not addressed to a reply address we issued (550 5.1.1);
- refuses, at DATA time, oversized (552) and malformed (554) messages;
- answers 451 (try again later) when PostgreSQL is unavailable, so the sender retries;
- says 250 only after the raw message is stored (once per case and Message-ID),
  then wakes the signaller, which tells the case's workflow (and retries until it can).
A reply is verified when its From is one of the merchant's known contacts (an address among its
cancellation emails, or that address's domain) and, with sender authentication "dkim", it carries
a valid DKIM signature of that address's domain (inbound/dkim_check.py). Any other reply is
stored as unverified, with the reason: ops see it, the chase goes on. A failed DKIM check (DNS
down, too slow) means unverified, never a refusal.
Control characters never reach storage: a sender carrying one is refused (554), a subject has
them replaced, and a Message-ID carrying one is replaced by the content's digest.
Every refusal is logged with its reason and the peer, never with customer data.
"""

from __future__ import annotations

import asyncio
import email.policy
import hashlib
import ssl
import unicodedata
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal

import asyncpg
import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

from domain.reply_address import InvalidReplyAddress, ReplyAddressSigner, token_of
from inbound.dkim_check import DnsLookup, dkim_verdict, domain_of
from inbound.store import UNKNOWN_SENDER, InboundMailStore, ReplyAddresses

log = structlog.get_logger("mail_gateway")

# What a PostgreSQL outage looks like from asyncpg: connection errors and server-side errors.
STORE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncio.TimeoutError,
)


REFUSE_UNKNOWN = "550 5.1.1 No such reply address"
REFUSE_BUSY = "451 4.3.0 Temporary failure, please try again later"
REFUSE_TOO_MANY = "452 4.5.3 One reply address per message, please"

# "dkim": a known contact's From must be backed by an aligned DKIM signature; "from_header":
# the From header alone (anyone who knows the merchant's domain can forge it).
SenderAuthentication = Literal["dkim", "from_header"]


@dataclass(frozen=True)
class _Target:
    case_id: str
    address: str
    known_contacts: tuple[str, ...]


class ReplyHandler:
    """aiosmtpd handler hooks: RCPT and DATA decide; everything else is aiosmtpd's default."""

    def __init__(
        self,
        signer: ReplyAddressSigner,
        reply_domain: str,
        addresses: ReplyAddresses,
        store: InboundMailStore,
        on_stored: Callable[[], None] = lambda: None,
        store_timeout: float = 10.0,
        sender_authentication: SenderAuthentication = "from_header",
        dnsfunc: DnsLookup | None = None,
        dkim_time_limit: float = 10.0,
    ) -> None:
        self._signer = signer
        self._domain = reply_domain.lower()
        self._addresses = addresses
        self._store = store
        self._on_stored = on_stored
        self._timeout = store_timeout
        self.sender_authentication: SenderAuthentication = sender_authentication
        self._dnsfunc = dnsfunc
        self._dkim_time_limit = dkim_time_limit
        self._targets: weakref.WeakKeyDictionary[Envelope, _Target] = weakref.WeakKeyDictionary()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            case_key = self._signer.verify_token(token_of(address, self._domain))
        except InvalidReplyAddress as err:
            _refused(session, "rcpt", str(err), REFUSE_UNKNOWN)
            return REFUSE_UNKNOWN
        try:
            target = await asyncio.wait_for(self._addresses.target_for(case_key), self._timeout)
        except STORE_UNAVAILABLE as err:
            _refused(session, "rcpt", f"database unavailable: {type(err).__name__}", REFUSE_BUSY)
            return REFUSE_BUSY
        if target is None:
            _refused(session, "rcpt", "genuine token but no such case", REFUSE_UNKNOWN)
            return REFUSE_UNKNOWN
        current = self._targets.get(envelope)
        if current is not None and current.case_id != target.case_id:
            _refused(session, "rcpt", "second case in one message", REFUSE_TOO_MANY)
            return REFUSE_TOO_MANY
        self._targets[envelope] = _Target(target.case_id, address, target.known_contacts)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        target = self._targets.get(envelope)
        if target is None:  # aiosmtpd only calls DATA after an accepted RCPT
            return "503 5.5.1 RCPT first"
        raw = bytes(envelope.original_content or b"")
        parsed = parse_reply(raw, self._domain)
        if isinstance(parsed, str):
            status = f"554 5.6.0 Malformed message: {parsed}"
            _refused(session, "data", parsed, status, case_id=target.case_id)
            return status
        unverified_reason = await self._unverified_reason(parsed, raw, target.known_contacts)
        verified = unverified_reason is None
        received_at = datetime.now(UTC)
        suggestion = await self._store.read_or_none(target.case_id, raw, received_at, self._timeout)
        try:
            result = await asyncio.wait_for(
                self._store.store(
                    case_id=target.case_id,
                    message_id=parsed.message_id,
                    sender=parsed.sender,
                    subject=parsed.subject,
                    raw=raw,
                    received_at=received_at,
                    sender_verified=verified,
                    unverified_reason=unverified_reason,
                    suggestion=suggestion,
                ),
                self._timeout,
            )
        except STORE_UNAVAILABLE as err:
            _refused(
                session,
                "data",
                f"database unavailable: {type(err).__name__}",
                REFUSE_BUSY,
                case_id=target.case_id,
            )
            return REFUSE_BUSY
        log.info(
            "mail.accepted",
            case_id=target.case_id,
            reply_id=result.reply.id,
            duplicate=not result.created,
            sender_verified=verified,
            unverified_reason=unverified_reason,
            suggested=suggestion.outcome.value if suggestion and suggestion.outcome else None,
            size=len(raw),
        )
        self._on_stored()
        return "250 2.0.0 Reply received"

    async def _unverified_reason(
        self, parsed: ParsedReply, raw: bytes, known_contacts: tuple[str, ...]
    ) -> str | None:
        """None when the sender is verified, else why not (fixed words, for ops)."""
        if not is_known_contact(parsed.sender, known_contacts):
            return UNKNOWN_SENDER
        if self.sender_authentication == "from_header":
            return None
        if parsed.from_headers != 1:
            # A signature covers one From; a second one could be the one we read.
            return "more than one From header"
        verdict = await dkim_verdict(
            raw,
            domain_of(parsed.sender),
            dnsfunc=self._dnsfunc,
            time_limit=self._dkim_time_limit,
        )
        return None if verdict.verified else verdict.reason


@dataclass(frozen=True)
class ParsedReply:
    message_id: str
    sender: str
    subject: str
    from_headers: int = 1


def parse_reply(raw: bytes, reply_domain: str) -> ParsedReply | str:
    """The parts we index, or the reason the message is malformed."""
    if not raw.strip():
        return "empty message"
    try:
        message = BytesParser(policy=email.policy.default).parsebytes(raw)
    except Exception as err:  # noqa: BLE001 - any parser failure means malformed
        return f"cannot be parsed ({type(err).__name__})"
    assert isinstance(message, EmailMessage)
    if len(message.keys()) == 0:
        return "no header section"
    sender = _sender(message)
    if sender is None:
        return "no valid From address"
    if _has_control(sender):
        return "control character in the From address"
    subject = _without_controls(_header_text(message, "Subject"))[:500]
    message_id = _header_text(message, "Message-ID").strip().strip("<>").strip()
    if (
        not message_id
        or len(message_id) > 500
        or any(c.isspace() for c in message_id)
        or _has_control(message_id)
    ):
        # No usable Message-ID: the content's digest, so a resend of the same bytes dedups.
        message_id = f"sha256-{hashlib.sha256(raw).hexdigest()[:40]}@{reply_domain}"
    from_headers = len(message.get_all("From") or ())
    return ParsedReply(message_id, sender, subject, from_headers)


# Cc: NUL, ESC and the other C0/C1 controls (PostgreSQL refuses NUL in text; terminals obey
# ESC); Cs: lone surrogates, which the parser makes of undecodable header bytes and which
# cannot be encoded to be stored.
_CONTROL = frozenset({"Cc", "Cs"})


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in _CONTROL for c in text)


def _without_controls(text: str) -> str:
    """Tabs and line breaks (folding) become spaces; any other control the replacement mark."""
    return "".join(
        " " if c in "\t\r\n" else "\ufffd" if unicodedata.category(c) in _CONTROL else c
        for c in text
    )


# Anyone can have an address at these: a contact there vouches for that address only.
_SHARED_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.com",
        "gmx.net",
        "proton.me",
        "protonmail.com",
    }
)


def is_known_contact(sender: str, known_contacts: tuple[str, ...]) -> bool:
    """Is `sender` one of the merchant's contacts, or at a contact's own (not shared) domain?

    The From header is the sender's claim; this keeps a stranger who saw a reply address from
    pausing the chase, not a forger who knows the merchant's domain: that takes DKIM too.
    """
    address = sender.strip().lower()
    domain = address.rpartition("@")[2]
    for contact in known_contacts:
        known = contact.strip().lower()
        if address == known:
            return True
        known_domain = known.rpartition("@")[2]
        if domain and domain == known_domain and domain not in _SHARED_MAIL_DOMAINS:
            return True
    return False


def _header_text(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a broken header reads as absent
        return ""
    return str(value) if value is not None else ""


def _sender(message: EmailMessage) -> str | None:
    try:
        header: Any = message.get("From")
        addresses: tuple[Address, ...] = tuple(getattr(header, "addresses", ()))
    except Exception:  # noqa: BLE001
        addresses = ()
    if addresses and addresses[0].addr_spec and "@" in addresses[0].addr_spec:
        return str(addresses[0].addr_spec)[:320]
    _, fallback = parseaddr(_header_text(message, "From"))
    return fallback[:320] if "@" in fallback else None


def server_tls_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


def _refused(session: Session, stage: str, reason: str, status: str, **fields: str) -> None:
    # The peer is the sending server, not a customer; the token and content are never logged.
    peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
    log.warning("mail.refused", stage=stage, reason=reason, code=status[:3], peer=peer, **fields)


class GatewaySMTP(SMTP):
    """aiosmtpd's SMTP, with its size refusals logged and given an enhanced status code."""

    async def push(self, status: Any) -> None:
        if isinstance(status, str) and status.startswith("552 Error"):
            limit = self.data_size_limit
            status = f"552 5.3.4 Message too big (at most {limit} bytes)"
            peer = self.session.peer if self.session else "?"
            log.warning(
                "mail.refused",
                stage="data",
                reason="oversized",
                code="552",
                peer=peer[0] if isinstance(peer, tuple) else str(peer),
            )
        await super().push(status)


class MailGateway:
    """The SMTP listener on the running event loop (so the handler shares its pool/client)."""

    def __init__(
        self,
        handler: ReplyHandler,
        host: str,
        port: int,
        max_message_bytes: int,
        hostname: str = "cancelflow-mail-gateway",
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._handler = handler
        self.host = host
        self.port = port
        self._max = max_message_bytes
        self._hostname = hostname
        self._tls = tls_context
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: GatewaySMTP(
                self._handler,
                data_size_limit=self._max,
                enable_SMTPUTF8=True,
                hostname=self._hostname,
                ident="cancelflow mail gateway",
                timeout=120,
                # STARTTLS is offered, not required: senders that cannot do TLS still get through.
                tls_context=self._tls,
                loop=loop,
            ),
            host=self.host,
            port=self.port,
        )
        log.info(
            "mail_gateway.listening",
            host=self.host,
            port=self.port,
            starttls=self._tls is not None,
            sender_authentication=self._handler.sender_authentication,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
