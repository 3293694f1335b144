"""Webhook events a merchant may receive instead of (or beside) the request emails.

Pure models and rules: the event payloads (also published in the merchant API's OpenAPI
document), the deterministic event ids merchants deduplicate on, and the endpoint URL rule.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from domain.answers import Outcome
from domain.common import Channel
from domain.request import IdentifierLine, Subscription
from domain.text import is_hidden

# A delivery's workflow id is this prefix and the event id: the case workflow starts it, the
# audit recognises it in the case's history, and neither imports the other.
DELIVERY_WORKFLOW_ID_PREFIX = "webhook-"


class EventType(StrEnum):
    REQUESTED = "cancellation.requested"
    REMINDER = "cancellation.reminder"
    WITHDRAWN = "cancellation.withdrawn"
    ANSWER_RECORDED = "cancellation.answer_recorded"


ALL_EVENT_TYPES: tuple[str, ...] = tuple(e.value for e in EventType)


def event_id_for(case_id: str, event_type: EventType, round: int, number: int = 1) -> str:
    """The same case, round and step always give the same id, so a merchant can deduplicate
    and a delivery started twice (a replayed or reset case) is refused as a duplicate."""
    kind = event_type.value.removeprefix("cancellation.")
    return f"evt_{case_id}_{kind}_{round}_{number}"


class AnswerSummary(BaseModel):
    """The recorded answer as the merchant gave it: outcome and dates, not its free text."""

    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    answered_at: datetime
    channel: Channel
    access_until: date | None = None
    cancelled_on: date | None = None
    contract_ends_on: date | None = None


class CaseEventData(BaseModel):
    """What happened to which case. Identifiers are exactly those the merchant configured."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    reference: str = Field(description="The case reference shown in the emails")
    merchant_id: str
    round: int = Field(ge=1)
    subscription: Subscription
    requested_at: datetime
    identifiers: list[IdentifierLine] = Field(
        default_factory=list,
        description="cancellation.requested and .reminder: the identifiers the merchant needs",
    )
    reply_url: str | None = Field(
        default=None,
        description="cancellation.requested and .reminder: where to record the answer",
    )
    reminder_number: int | None = Field(default=None, ge=1)
    answer: AnswerSummary | None = Field(
        default=None, description="cancellation.answer_recorded: the answer as recorded"
    )


class WebhookEvent(BaseModel):
    """The JSON body POSTed to a merchant's endpoint (Standard Webhooks shape)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Deduplicate on this: a redelivery carries the same id")
    type: EventType
    timestamp: datetime = Field(description="When the event happened (not when it was sent)")
    data: CaseEventData


class TestEvent(BaseModel):
    """What `webhook test` sends: no case, only proof that the endpoint and secret work."""

    __test__ = False  # not a pytest class

    model_config = ConfigDict(frozen=True)

    id: str
    type: Literal["webhook.test"] = "webhook.test"
    timestamp: datetime
    data: dict[str, str] = Field(default_factory=dict)


class InvalidEndpointUrl(ValueError):
    pass


_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# IPv6 ranges that carry an IPv4 address inside them, and where it sits: a packet to one
# of these may end at that IPv4 address (NAT64, 6to4, IPv4-compatible and -mapped forms),
# so the embedded address must be public too.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052, the last 32 bits
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291 (deprecated), the last 32 bits
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 2765, the last 32 bits
# Never public: a site's own NAT64 prefix (RFC 8215) and Teredo tunnels (RFC 4380).
_NEVER_PUBLIC = (ipaddress.IPv6Network("64:ff9b:1::/48"), ipaddress.IPv6Network("2001::/32"))
# The last label of a host in a form that resolvers read as an IPv4 address:
# decimal, octal (leading 0) or hex (0x), as in https://2130706433/ or https://0x7f.1/.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


def validate_endpoint_url(url: str, allow_insecure_localhost: bool = False) -> str:
    """https only; plain http to this machine only when a dev/test setting allows it.

    Checked when an endpoint is registered and again before each POST (integrations/)."""
    url = url.strip()
    if len(url) > 2000:
        raise InvalidEndpointUrl("url: must be at most 2000 characters")
    if any(ord(c) <= 32 or ord(c) == 127 or is_hidden(c) for c in url):
        raise InvalidEndpointUrl(
            "url: must not contain spaces, control characters or invisible or text-direction "
            "characters"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidEndpointUrl(f"url: '{url[:200]}' is not an absolute https:// URL")
    if parts.username or parts.password:
        raise InvalidEndpointUrl("url: must not carry a user name or password")
    host = normalised_host(parts.hostname)
    if parts.scheme == "http":
        if not (allow_insecure_localhost and host in _LOCAL_HOSTS):
            raise InvalidEndpointUrl(
                "url: must use https:// (plain http is only allowed to 127.0.0.1/localhost "
                "when CANCELFLOW_WEBHOOKS__ALLOW_INSECURE_LOCALHOST is set)"
            )
    if is_numeric_ipv4_form(host):
        raise InvalidEndpointUrl(
            f"url: the host '{host[:100]}' is an IPv4 address written in decimal, octal or hex; "
            "use the host's name"
        )
    if not allow_insecure_localhost and (host in _LOCAL_HOSTS or not is_public_address(host)):
        raise InvalidEndpointUrl(
            "url: must name a public host, not this machine or a private network address"
        )
    return url


def normalised_host(host: str) -> str:
    """The host as a resolver reads it: compatibility forms folded (full-width digits),
    lower case, without the root's trailing dot."""
    return unicodedata.normalize("NFKC", host).lower().rstrip(".")


def is_numeric_ipv4_form(host: str) -> bool:
    """True for a host whose last label is a number but that is not a dotted-quad address:
    resolvers (inet_aton) and browsers read it as an IPv4 address all the same."""
    host = normalised_host(host)
    if ":" in host:
        return False  # IPv6, checked by is_public_address
    if "%" in host:
        return True  # percent-encoded: a parser that decodes it may read a number
    if not _NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]):
        return False
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return True
    return False


def is_public_address(host: str) -> bool:
    """False for an IP literal in a loopback, private, link-local or reserved range, or an
    IPv6 literal that carries such an IPv4 address (NAT64, 6to4, IPv4-compatible or mapped);
    host names are checked again when they are resolved, just before each POST."""
    try:
        address = ipaddress.ip_address(normalised_host(host).strip("[]"))
    except ValueError:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id or any(address in network for network in _NEVER_PUBLIC):
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None and not _public(embedded):
            return False
    return _public(address)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in (_NAT64, _IPV4_COMPATIBLE, _IPV4_TRANSLATED)):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global and not address.is_multicast


def parse_event_types(names: list[str] | None) -> list[str]:
    """The event types an endpoint subscribes to; none given means all of them."""
    if not names:
        return list(ALL_EVENT_TYPES)
    unknown = [n for n in names if n not in ALL_EVENT_TYPES]
    if unknown:
        raise ValueError(
            f"events: unknown event type(s) {', '.join(unknown)}; "
            f"choose from {', '.join(ALL_EVENT_TYPES)}"
        )
    return list(dict.fromkeys(names))
