""" "Send test event": the test's own result in the merchant's words (the host could not be found,
refused the connection, timed out, or answered with an HTTP status), never a portal outage."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import structlog

from integrations.config import WebhookSettings
from integrations.webhooks import PostResult, post_test_event
from portal.merchant_settings.i18n import SettingsTranslator

log = structlog.get_logger("cancelflow.portal.merchant")

# What the sender's error text says, for each kind of failure (httpx and the resolver).
_UNRESOLVED = (
    "name or service not known",
    "nodename nor servname",
    "no address associated",
    "temporary failure in name resolution",
    "getaddrinfo",
    "gaierror",
    "does not resolve",
)
_REFUSED = ("connection refused", "errno 111", "all connection attempts failed")
_TIMED_OUT = ("timeout", "timed out")
_TLS = ("ssl", "certificate", "tls")
_NOT_PUBLIC = ("non-public address", "public host")


@dataclass(frozen=True)
class TestOutcome:
    ok: bool
    message: str


async def send_test_event(
    settings: WebhookSettings, url: str, secret: str, t: SettingsTranslator
) -> TestOutcome:
    host = urlsplit(url).hostname or url
    try:
        result = await post_test_event(settings, url, secret)
    except socket.gaierror:
        return TestOutcome(False, t("test_unresolved", host=host))
    except ConnectionRefusedError:
        return TestOutcome(False, t("test_refused", host=host))
    except TimeoutError:
        return TestOutcome(False, t("test_timed_out", host=host))
    except ssl.SSLError:
        return TestOutcome(False, t("test_tls", host=host))
    except OSError as err:
        # A network failure of this one endpoint: not the portal's own outage.
        log.info("merchant.webhook_test_failed", error=type(err).__name__)
        return TestOutcome(False, t("test_other", error=type(err).__name__))
    return describe(result, host, t)


def describe(result: PostResult, host: str, t: SettingsTranslator) -> TestOutcome:
    if result.error is None:
        return TestOutcome(True, t("test_ok", status=result.status_code))
    if result.status_code is not None:
        return TestOutcome(False, t("test_http_error", status=result.status_code))
    error = result.error.lower()
    for words, key in (
        (_NOT_PUBLIC, "test_not_public"),
        (_UNRESOLVED, "test_unresolved"),
        (_REFUSED, "test_refused"),
        (_TIMED_OUT, "test_timed_out"),
        (_TLS, "test_tls"),
    ):
        if any(w in error for w in words):
            return TestOutcome(False, t(key, host=host))
    return TestOutcome(False, t("test_other", error=result.error[:200]))
