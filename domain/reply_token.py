"""Reply-link tokens: opaque, unforgeable, bound to one case, one merchant and an expiry.

A token is the AES-SIV encryption of (case, merchant, round, expiry) under a key derived by
HKDF-SHA256 from the portal secret, so it reveals nothing and cannot be altered. AES-SIV is
deterministic: the same case gets the same link in the request and every reminder.

The portal secret is a key ring, 'newest,older,...': the newest key issues, every key
verifies, so rotating the secret does not break links already sent. Links sent before the
AES-SIV construction (AES-GCM, keys hashed from the secret) still verify until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict

MIN_SECRET_CHARS = 16
_AAD = b"cancelflow reply link v2"
# datetime's range: an expiry outside it cannot be represented, so such a token is invalid.
_MAX_EXPIRY = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp())


class ReplyGrant(BaseModel):
    """What a valid token grants: answering this case, as this merchant, until expires_at."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    merchant_id: str
    round: int
    expires_at: datetime


class InvalidReplyToken(ValueError):
    """Unknown, tampered or foreign token."""


class ExpiredReplyToken(ValueError):
    def __init__(self, grant: ReplyGrant) -> None:
        self.grant = grant
        super().__init__(f"this link expired on {grant.expires_at.date().isoformat()}")


def secret_ring(secret: str, setting: str = "secret_key") -> list[bytes]:
    """'newest,older,...' -> the keys, newest first; each one long enough to be a secret."""
    keys = [part.strip() for part in secret.split(",") if part.strip()]
    if not keys:
        raise ValueError(f"{setting}: must be at least {MIN_SECRET_CHARS} characters")
    for position, key in enumerate(keys, start=1):
        if len(key) < MIN_SECRET_CHARS:
            where = f" (key {position} of {len(keys)})" if len(keys) > 1 else ""
            raise ValueError(f"{setting}: must be at least {MIN_SECRET_CHARS} characters{where}")
    return [key.encode("utf-8") for key in keys]


def derive_key(secret: bytes, purpose: bytes, length: int) -> bytes:
    """A key for one purpose only, so no two uses of the portal secret share a key."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose).derive(secret)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _legacy_opener(secret: bytes) -> Callable[[bytes], bytes]:
    """The first construction, for links sent before AES-SIV (valid for link_valid_days)."""
    cipher = AESGCM(hashlib.sha256(b"cancelflow-reply-token-key|" + secret).digest())
    return lambda raw: cipher.decrypt(raw[:12], raw[12:], b"reply-v1")


def _siv_opener(cipher: AESSIV) -> Callable[[bytes], bytes]:
    return lambda raw: cipher.decrypt(raw, [_AAD])


def _grant_of(plain: bytes) -> ReplyGrant:
    """The grant in a decrypted token; anything but the exact shape we issue is refused."""
    fields = json.loads(plain)
    if not isinstance(fields, list) or len(fields) != 4:
        raise ValueError("not a grant")
    case_id, merchant_id, round_, expires = fields
    if not (isinstance(case_id, str) and isinstance(merchant_id, str)):
        raise ValueError("not a grant")
    for number in (round_, expires):
        if type(number) is not int:
            raise ValueError("not a grant")
    if not 0 <= expires <= _MAX_EXPIRY:
        raise ValueError("expiry out of range")
    return ReplyGrant(
        case_id=case_id,
        merchant_id=merchant_id,
        round=round_,
        expires_at=datetime.fromtimestamp(expires, UTC),
    )


class ReplyTokenSigner:
    def __init__(self, secret: str, valid_for: timedelta = timedelta(days=120)) -> None:
        ring = secret_ring(secret)
        ciphers = [AESSIV(derive_key(key, b"cancelflow reply-link token", 64)) for key in ring]
        self._issuing = ciphers[0]
        self._openers = [_siv_opener(c) for c in ciphers] + [_legacy_opener(k) for k in ring]
        self.valid_for = valid_for

    def expiry_for(self, requested_at: datetime) -> datetime:
        """Links of a case expire a fixed time after its request, so reminders reuse them."""
        return (requested_at + self.valid_for).astimezone(UTC).replace(microsecond=0)

    def issue(self, case_id: str, merchant_id: str, round: int, expires_at: datetime) -> str:
        plain = json.dumps(
            [case_id, merchant_id, round, int(expires_at.timestamp())], separators=(",", ":")
        ).encode("utf-8")
        return _b64(self._issuing.encrypt(plain, [_AAD]))

    def verify(self, token: str, now: datetime | None = None) -> ReplyGrant:
        """The grant of a genuine, unexpired token.

        Raises InvalidReplyToken or ExpiredReplyToken.
        """
        try:
            raw = _unb64(token)
            if _b64(raw) != token:
                # One spelling per token: base64's spare bits and stray characters are refused.
                raise ValueError("not canonical")
        except ValueError as err:
            raise InvalidReplyToken("this link is not valid") from err
        grant = self._open(raw)
        if (now or datetime.now(UTC)) >= grant.expires_at:
            raise ExpiredReplyToken(grant)
        return grant

    def _open(self, raw: bytes) -> ReplyGrant:
        for opener in self._openers:
            try:
                plain = opener(raw)
            except (InvalidTag, ValueError):
                continue
            try:
                return _grant_of(plain)
            except (ValueError, TypeError, OverflowError, OSError) as err:
                # Authentic but malformed: only a holder of the secret can make one.
                raise InvalidReplyToken("this link is not valid") from err
        raise InvalidReplyToken("this link is not valid")


# What case_reference gives: CF- and eight base32 letters and digits.
CASE_REFERENCE_PATTERN = re.compile(r"CF-[A-Z2-7]{8}")


def case_reference(case_id: str) -> str:
    """A short, stable reference for the case, shown in emails and on the portal."""
    digest = hashlib.sha256(case_id.encode("utf-8")).digest()
    return "CF-" + base64.b32encode(digest).decode("ascii")[:8]
