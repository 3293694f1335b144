"""Cross-site request forgery protection for the reply form: a signed double-submit token.

The browser holds a random nonce in a SameSite=Lax cookie; the form carries an HMAC of that
nonce and the reply token. Another site can neither read the cookie nor compute the HMAC,
and a form token is useless for any other reply link. On top of that, a POST must come from
the portal's own origin (OWASP's origin check): its Origin header, or when a browser sent none,
its Referer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

COOKIE_NAME = "cf_csrf"
FIELD_NAME = "csrf_token"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class CsrfProtector:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"cancelflow-csrf|" + secret.encode("utf-8")).digest()

    @staticmethod
    def usable_nonce(cookie_value: str | None) -> str | None:
        return cookie_value if cookie_value and _NONCE.match(cookie_value) else None

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(32)

    def form_token(self, nonce: str, reply_token: str) -> str:
        message = f"{nonce}|{reply_token}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def is_valid(self, cookie_value: str | None, reply_token: str, submitted: str | None) -> bool:
        nonce = self.usable_nonce(cookie_value)
        if nonce is None or not submitted:
            return False
        return hmac.compare_digest(self.form_token(nonce, reply_token), submitted)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of a URL, lower-cased, without a default port; None if it has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def is_same_origin(origin: str | None, referer: str | None, base_url: str) -> bool:
    """Whether a form POST comes from the portal's own pages (base_url's origin).

    Origin decides when present ('null', sent from sandboxed or privacy-stripped contexts,
    is not ours); without it the Referer must name our origin; with neither, refused.
    """
    expected = origin_of(base_url)
    if expected is None:
        return False
    if origin is not None:
        return origin_of(origin) == expected
    return referer is not None and origin_of(referer) == expected
