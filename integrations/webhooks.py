"""Sends one signed webhook POST. No retries here: the activity's retry policy does that.

Logs carry event and endpoint ids and the status code: never the body (it holds customer
identifiers) nor the secret.
"""

from __future__ import annotations

import secrets
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from domain.webhooks import TestEvent
from integrations.config import WebhookSettings
from integrations.signing import signature_headers

USER_AGENT = "cancelflow-webhooks/1"


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    error: str | None
    """None when the endpoint answered 2xx."""


class WebhookSender:
    def __init__(self, settings: WebhookSettings) -> None:
        self._timeout = settings.timeout_seconds
        verify: ssl.SSLContext | bool = True
        if settings.ca_file:
            verify = ssl.create_default_context(cafile=settings.ca_file)
        self._verify = verify

    async def post(self, url: str, secret: str, message_id: str, body: bytes) -> PostResult:
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signature_headers(secret, message_id, int(time.time()), body),
        }
        try:
            # follow_redirects stays off: a redirect could carry the signed body elsewhere.
            async with httpx.AsyncClient(timeout=self._timeout, verify=self._verify) as client:
                response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as err:
            return PostResult(None, f"{type(err).__name__}: {err}"[:300])
        if 200 <= response.status_code < 300:
            return PostResult(response.status_code, None)
        return PostResult(response.status_code, f"endpoint answered HTTP {response.status_code}")


async def post_test_event(settings: WebhookSettings, url: str, secret: str) -> PostResult:
    """`webhook test` (CLI and portal): a signed event that names no case."""
    event = TestEvent(
        id=f"evt_test_{secrets.token_hex(8)}",
        timestamp=datetime.now(UTC),
        data={"message": "a test event from cancelflow"},
    )
    return await WebhookSender(settings).post(
        url, secret, event.id, event.model_dump_json().encode()
    )
