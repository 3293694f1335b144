"""Does a reply carry a valid DKIM signature of its From address's domain?

A narrow typed wrapper around dkimpy (which has no type hints). What counts: a DKIM-Signature
that verifies (RFC 6376, RSA or Ed25519 key from DNS), covers the From header and the whole
body (no l= tag: content appended after signing would be unsigned), and whose d= domain is
aligned with the From domain: the same domain or a parent of it (a relaxed alignment without
the public-suffix list; d= must have at least two labels). SPF, DMARC policy and ARC are not
evaluated. The DNS lookup is injectable (`dnsfunc`), so tests serve their own keys.

Verification does blocking DNS: `dkim_verdict` runs it in a thread with an overall time
bound. A failing or slow lookup gives "not verified", never an exception.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass

import dkim  # type: ignore[import-untyped]
from dkim.dnsplug import get_txt  # type: ignore[import-untyped]
from dkim.util import parse_tag_value  # type: ignore[import-untyped]

# dkimpy's contract: dnsfunc(name, timeout=seconds) -> the TXT record's bytes, or None for no
# record; an exception means the lookup failed.
DnsLookup = Callable[..., bytes | None]

# At most this many aligned signatures are checked, each with its own key lookup: a message
# stacked with signatures must not make the gateway do unbounded DNS.
MAX_SIGNATURES = 5
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+$")

NO_SIGNATURE = "no DKIM signature"
UNREADABLE = "DKIM: the message could not be read for verification"
MALFORMED = "DKIM signature malformed"
FROM_NOT_SIGNED = "DKIM signature does not cover the From header"
PARTIAL_BODY = "DKIM signature covers only part of the body (l= tag)"
INVALID = "DKIM signature does not verify (altered after signing, or not the domain's key)"
DNS_FAILED = "DKIM key lookup failed (DNS); the signature could not be checked"
TIMED_OUT = "DKIM check timed out (DNS); the signature could not be checked"


@dataclass(frozen=True)
class DkimVerdict:
    verified: bool
    reason: str | None = None
    """Why not, in words for ops (a fixed text; a signing domain only when it is a hostname)."""


def domain_of(address: str) -> str:
    """The address's domain in lower-case ASCII (IDNA), as DKIM's d= is written."""
    domain = address.strip().rpartition("@")[2].strip().rstrip(".").lower()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def aligned(signing_domain: str, from_domain: str) -> bool:
    """Relaxed alignment: d= is the From domain or one of its parents, never a lone label."""
    signer = signing_domain.strip().rstrip(".").lower()
    if "." not in signer or not from_domain:
        return False
    return from_domain == signer or from_domain.endswith("." + signer)


def check_dkim(
    raw: bytes, from_domain: str, dnsfunc: DnsLookup | None = None, dns_timeout: float = 5.0
) -> DkimVerdict:
    """The verdict for `raw` (blocking: does DNS unless dnsfunc answers locally)."""
    try:
        message = dkim.DKIM(raw, timeout=dns_timeout, minkey=1024)
        signatures = [value for name, value in message.headers if name.lower() == b"dkim-signature"]
    except Exception:  # noqa: BLE001 - dkimpy's parser failing means no usable signature
        return DkimVerdict(False, UNREADABLE)
    if not signatures:
        return DkimVerdict(False, NO_SIGNATURE)
    lookup = _RecordingLookup(dnsfunc or get_txt)
    problems: list[str] = []  # of the aligned signatures, in order
    other_domain: str | None = None
    for index, value in enumerate(signatures):
        tags = _tags(value)
        if tags is None:
            problems.append(MALFORMED)
            continue
        signer = tags.get(b"d", b"").decode("ascii", "replace").strip().lower()
        if not aligned(signer, from_domain):
            other_domain = other_domain or signer
            continue
        if b"from" not in {h.strip().lower() for h in tags.get(b"h", b"").split(b":")}:
            problems.append(FROM_NOT_SIGNED)
            continue
        if b"l" in tags:
            problems.append(PARTIAL_BODY)
            continue
        if len(problems) >= MAX_SIGNATURES:
            break
        lookup.failed = False
        try:
            if message.verify(idx=index, dnsfunc=lookup):
                return DkimVerdict(True)
        except Exception:  # noqa: BLE001 - dkimpy raises for malformed signatures or keys
            pass
        problems.append(DNS_FAILED if lookup.failed else INVALID)
    if problems:
        # DNS trouble first: it says the signature may be fine and could not be checked.
        return DkimVerdict(False, DNS_FAILED if DNS_FAILED in problems else problems[0])
    shown = other_domain if other_domain and _HOSTNAME.match(other_domain) else "another domain"
    return DkimVerdict(False, f"DKIM signature by {shown}, not the From address's domain")


async def dkim_verdict(
    raw: bytes,
    from_domain: str,
    *,
    dnsfunc: DnsLookup | None = None,
    time_limit: float = 10.0,
) -> DkimVerdict:
    """check_dkim off the event loop, bounded by `time_limit` seconds in all."""
    try:
        return await asyncio.wait_for(
            asyncio.to_thread(check_dkim, raw, from_domain, dnsfunc, min(5.0, time_limit)),
            time_limit,
        )
    except TimeoutError:
        # The thread finishes on its own (each lookup is bounded by the DNS timeout).
        return DkimVerdict(False, TIMED_OUT)


def _tags(value: bytes) -> dict[bytes, bytes] | None:
    try:
        parsed = parse_tag_value(value)
    except Exception:  # noqa: BLE001 - a malformed signature is skipped
        return None
    return {bytes(k): bytes(v) for k, v in parsed.items()}


class _RecordingLookup:
    """The DNS lookup, noting whether it failed: dkimpy reports a failed lookup as False."""

    def __init__(self, inner: DnsLookup) -> None:
        self._inner = inner
        self.failed = False

    def __call__(self, name: bytes, timeout: float = 5.0) -> bytes | None:
        try:
            return self._inner(name, timeout=timeout)
        except Exception as err:
            self.failed = True
            raise dkim.DnsTimeoutError(type(err).__name__) from err
