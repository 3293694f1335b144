"""Reply-by-email addresses: reply+<token>@<reply domain>, short enough for any mail system.

The portal's reply-link tokens are too long for an address's local part (64 characters at
most), so email uses its own token: a case key (an HMAC of the case id, so it reveals
nothing) and a tag (an HMAC of the case key) that proves we issued it. Both HMAC keys are
derived by HKDF-SHA256 from the portal secret. The gateway checks the tag without any lookup,
so forged addresses are refused cheaply; it then finds the case by its key in the table the
email activity fills when it sends a merchant email.

The portal secret is a key ring ('newest,older,...'): the newest key makes addresses, a tag
made by any key of the ring (or by the keys hashed from it before HKDF) is accepted, so
addresses already sent keep working after a rotation.

Lower-case base32 only, because mail systems may change the case of local parts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from domain.reply_token import derive_key, secret_ring

LOCAL_PART_PREFIX = "reply+"
_KEY_BYTES = 10
_TAG_BYTES = 10
TOKEN_LENGTH = (_KEY_BYTES + _TAG_BYTES) * 8 // 5  # 32 base32 characters
MAX_LOCAL_PART = 64


class InvalidReplyAddress(ValueError):
    """Not one of our reply addresses, or one we did not issue."""


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").lower()


class ReplyAddressSigner:
    def __init__(self, secret: str) -> None:
        ring = secret_ring(secret)
        self._case_key = derive_key(ring[0], b"cancelflow reply-address case key", 32)
        self._tag_keys = [derive_key(k, b"cancelflow reply-address tag", 32) for k in ring]
        # Addresses sent before HKDF: their keys were hashed from the secret.
        self._tag_keys += [
            hashlib.sha256(b"cancelflow-reply-address-tag|" + k).digest() for k in ring
        ]

    def case_key(self, case_id: str) -> str:
        """The case's stable, opaque key: the same in the request and in every reminder."""
        digest = hmac.new(self._case_key, case_id.encode("utf-8"), hashlib.sha256).digest()
        return _b32(digest[:_KEY_BYTES])

    @staticmethod
    def _tag(tag_key: bytes, case_key: str) -> str:
        digest = hmac.new(tag_key, case_key.encode("ascii"), hashlib.sha256).digest()
        return _b32(digest[:_TAG_BYTES])

    def token(self, case_id: str) -> str:
        key = self.case_key(case_id)
        return key + self._tag(self._tag_keys[0], key)

    def address(self, case_id: str, reply_domain: str) -> str:
        local = LOCAL_PART_PREFIX + self.token(case_id)
        assert len(local) <= MAX_LOCAL_PART
        return f"{local}@{reply_domain.lower()}"

    def verify_token(self, token: str) -> str:
        """The case key of a token we issued; raises InvalidReplyAddress otherwise."""
        token = token.lower()
        if len(token) != TOKEN_LENGTH:
            raise InvalidReplyAddress("reply token has the wrong length")
        # SMTPUTF8 lets anyone send non-ASCII local parts; compare_digest would raise on them.
        if not token.isascii():
            raise InvalidReplyAddress("reply token was not issued by us")
        key_len = _KEY_BYTES * 8 // 5
        key, tag = token[:key_len], token[key_len:]
        # Every key is tried, so the time taken does not tell which key (if any) matched.
        matches = [hmac.compare_digest(tag, self._tag(k, key)) for k in self._tag_keys]
        if not any(matches):
            raise InvalidReplyAddress("reply token was not issued by us")
        return key

    def verify_address(self, address: str, reply_domain: str) -> str:
        """The case key behind reply+<token>@reply_domain; raises InvalidReplyAddress."""
        return self.verify_token(token_of(address, reply_domain))


def token_of(address: str, reply_domain: str) -> str:
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at or domain.lower() != reply_domain.lower():
        raise InvalidReplyAddress("not addressed to the reply domain")
    if not local.lower().startswith(LOCAL_PART_PREFIX):
        raise InvalidReplyAddress("not a reply address")
    return local[len(LOCAL_PART_PREFIX) :]
