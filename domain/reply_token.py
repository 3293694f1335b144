"""Reply-link tokens: opaque, unforgeable, bound to one case, one merchant and an expiry.

The token is the AES-GCM encryption of (case, merchant, round, expiry) under a key derived
from the portal secret, so it reveals nothing and cannot be altered. The nonce is derived
from the content, so the same case gets the same link in the request and every reminder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict


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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ReplyTokenSigner:
    def __init__(self, secret: str, valid_for: timedelta = timedelta(days=120)) -> None:
        if len(secret) < 16:
            raise ValueError("secret_key: must be at least 16 characters")
        root = secret.encode("utf-8")
        self._key = hashlib.sha256(b"cancelflow-reply-token-key|" + root).digest()
        self._nonce_key = hashlib.sha256(b"cancelflow-reply-token-nonce|" + root).digest()
        self.valid_for = valid_for

    def expiry_for(self, requested_at: datetime) -> datetime:
        """Links of a case expire a fixed time after its request, so reminders reuse them."""
        return (requested_at + self.valid_for).astimezone(UTC).replace(microsecond=0)

    def issue(self, case_id: str, merchant_id: str, round: int, expires_at: datetime) -> str:
        plain = json.dumps(
            [case_id, merchant_id, round, int(expires_at.timestamp())], separators=(",", ":")
        ).encode("utf-8")
        nonce = hmac.new(self._nonce_key, plain, hashlib.sha256).digest()[:12]
        return _b64(nonce + AESGCM(self._key).encrypt(nonce, plain, b"reply-v1"))

    def verify(self, token: str, now: datetime | None = None) -> ReplyGrant:
        """The grant of a genuine, unexpired token.

        Raises InvalidReplyToken or ExpiredReplyToken.
        """
        try:
            raw = _unb64(token)
            if _b64(raw) != token:
                # One spelling per token: base64's spare bits and stray characters are refused.
                raise ValueError("not canonical")
            nonce, sealed = raw[:12], raw[12:]
            plain = AESGCM(self._key).decrypt(nonce, sealed, b"reply-v1")
            case_id, merchant_id, round_, expires = json.loads(plain)
            grant = ReplyGrant(
                case_id=case_id,
                merchant_id=merchant_id,
                round=round_,
                expires_at=datetime.fromtimestamp(expires, UTC),
            )
        except (ValueError, InvalidTag, TypeError) as err:
            raise InvalidReplyToken("this link is not valid") from err
        if (now or datetime.now(UTC)) >= grant.expires_at:
            raise ExpiredReplyToken(grant)
        return grant


def case_reference(case_id: str) -> str:
    """A short, stable reference for the case, shown in emails and on the portal."""
    digest = hashlib.sha256(case_id.encode("utf-8")).digest()
    return "CF-" + base64.b32encode(digest).decode("ascii")[:8]
