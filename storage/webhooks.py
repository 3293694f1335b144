"""Merchants' webhook endpoints and the record of each delivery, in PostgreSQL.

The signing secret (`whsec_<base64>`, Standard Webhooks style) is needed in clear to sign,
so it is stored encrypted with AES-GCM under a key derived from a setting, and returned to
the caller once, when the endpoint is created.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECRET_PREFIX = "whsec_"
_NONCE_BYTES = 12


class UnknownMerchantForWebhook(LookupError):
    pass


class SecretBox:
    """Encrypts endpoint secrets at rest; the endpoint id is bound in as associated data,
    so a ciphertext copied onto another endpoint's row does not decrypt."""

    def __init__(self, key_material: str) -> None:
        # Any length of setting works; the AES key is its SHA-256.
        self._aead = AESGCM(
            hashlib.sha256(b"cancelflow-webhook-secrets:" + key_material.encode()).digest()
        )

    def seal(self, endpoint_id: str, secret: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret.encode(), endpoint_id.encode())

    def open(self, endpoint_id: str, sealed: bytes) -> str:
        nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        return self._aead.decrypt(nonce, ciphertext, endpoint_id.encode()).decode()


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


@dataclass(frozen=True)
class WebhookEndpoint:
    endpoint_id: str
    merchant_id: str
    url: str
    events: list[str]
    created_by: str
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class LiveEndpoint:
    """An endpoint with its secret, for signing; never printed or logged."""

    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str
    """Shown once, at creation."""


_COLUMNS = "endpoint_id, merchant_id, url, events, created_by, created_at, disabled_at"


def _endpoint(row: asyncpg.Record) -> WebhookEndpoint:
    return WebhookEndpoint(
        endpoint_id=row["endpoint_id"],
        merchant_id=row["merchant_id"],
        url=row["url"],
        events=list(row["events"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        disabled_at=row["disabled_at"],
    )


class WebhookEndpoints:
    def __init__(self, pool: asyncpg.Pool, box: SecretBox) -> None:
        self._pool = pool
        self._box = box

    async def add(
        self, merchant_id: str, url: str, events: builtins.list[str], created_by: str
    ) -> NewEndpoint:
        """url and events must already be validated (domain.webhooks)."""
        endpoint_id = "we_" + secrets.token_hex(6)
        secret = new_secret()
        try:
            row = await self._pool.fetchrow(
                f"""
                INSERT INTO merchant_webhook_endpoints
                    (endpoint_id, merchant_id, url, secret_encrypted, events, created_by)
                VALUES ($1, $2, $3, $4, $5, $6)
                RETURNING {_COLUMNS}
                """,
                endpoint_id,
                merchant_id,
                url,
                self._box.seal(endpoint_id, secret),
                events,
                created_by,
            )
        except asyncpg.ForeignKeyViolationError as err:
            raise UnknownMerchantForWebhook(
                f"merchant '{merchant_id}' is not in the merchant directory"
            ) from err
        assert row is not None
        return NewEndpoint(endpoint=_endpoint(row), secret=secret)

    async def list(
        self, merchant_id: str | None = None, include_disabled: bool = False
    ) -> builtins.list[WebhookEndpoint]:
        rows = await self._pool.fetch(
            f"""
            SELECT {_COLUMNS} FROM merchant_webhook_endpoints
            WHERE ($1::text IS NULL OR merchant_id = $1) AND ($2 OR disabled_at IS NULL)
            ORDER BY merchant_id, created_at
            """,
            merchant_id,
            include_disabled,
        )
        return [_endpoint(row) for row in rows]

    async def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM merchant_webhook_endpoints WHERE endpoint_id = $1",
            endpoint_id,
        )
        return None if row is None else _endpoint(row)

    async def disable(
        self, endpoint_id: str, merchant_id: str | None = None
    ) -> WebhookEndpoint | None:
        """Stops deliveries to the endpoint; rows stay for the delivery record."""
        row = await self._pool.fetchrow(
            f"""
            UPDATE merchant_webhook_endpoints SET disabled_at = coalesce(disabled_at, now())
            WHERE endpoint_id = $1 AND ($2::text IS NULL OR merchant_id = $2)
            RETURNING {_COLUMNS}
            """,
            endpoint_id,
            merchant_id,
        )
        return None if row is None else _endpoint(row)

    async def live_for(
        self, merchant_id: str, event_type: str | None = None
    ) -> builtins.list[LiveEndpoint]:
        """The merchant's enabled endpoints (subscribed to event_type, if given), with secrets."""
        rows = await self._pool.fetch(
            f"""
            SELECT {_COLUMNS}, secret_encrypted FROM merchant_webhook_endpoints
            WHERE merchant_id = $1 AND disabled_at IS NULL
              AND ($2::text IS NULL OR $2 = ANY (events))
            ORDER BY created_at
            """,
            merchant_id,
            event_type,
        )
        return [
            LiveEndpoint(
                endpoint=_endpoint(row),
                secret=self._box.open(row["endpoint_id"], bytes(row["secret_encrypted"])),
            )
            for row in rows
        ]


class WebhookDeliveries:
    """Which endpoint took which event: the guard that makes a retry skip the done ones."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def delivered(self, event_id: str, endpoint_id: str) -> bool:
        status = await self._pool.fetchval(
            "SELECT status FROM webhook_deliveries WHERE event_id = $1 AND endpoint_id = $2",
            event_id,
            endpoint_id,
        )
        return bool(status == "delivered")

    async def record_attempt(
        self,
        event_id: str,
        endpoint_id: str,
        merchant_id: str,
        event_type: str,
        status_code: int | None,
        error: str | None,
    ) -> None:
        ok = error is None
        await self._pool.execute(
            """
            INSERT INTO webhook_deliveries AS d (event_id, endpoint_id, merchant_id, event_type,
                status, attempts, last_status, last_error, last_attempt_at, delivered_at)
            VALUES ($1, $2, $3, $4, CASE WHEN $7 THEN 'delivered' ELSE 'pending' END, 1, $5, $6,
                    now(), CASE WHEN $7 THEN now() END)
            ON CONFLICT (event_id, endpoint_id) DO UPDATE
               SET attempts = d.attempts + 1,
                   last_status = EXCLUDED.last_status,
                   last_error = EXCLUDED.last_error,
                   last_attempt_at = now(),
                   status = CASE WHEN d.status = 'delivered' THEN 'delivered'
                                 ELSE EXCLUDED.status END,
                   delivered_at = coalesce(d.delivered_at, EXCLUDED.delivered_at)
            """,
            event_id,
            endpoint_id,
            merchant_id,
            event_type,
            status_code,
            None if error is None else error[:500],
            ok,
        )

    async def attempts(self, event_id: str) -> builtins.list[asyncpg.Record]:
        rows: builtins.list[asyncpg.Record] = await self._pool.fetch(
            "SELECT * FROM webhook_deliveries WHERE event_id = $1 ORDER BY endpoint_id", event_id
        )
        return rows


@dataclass(frozen=True)
class FailedDelivery:
    """An event whose delivery gave up: what ops are told (no customer identifiers)."""

    event_id: str
    merchant_id: str
    event_type: str
    case_id: str
    started_at: datetime
    gave_up_at: datetime
    last_error: str


class WebhookFailures:
    """Events whose delivery gave up, for the ops email and the daily digest."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record(self, failure: FailedDelivery) -> None:
        """Idempotent: a retried report keeps the first record."""
        await self._pool.execute(
            """
            INSERT INTO webhook_failures (event_id, merchant_id, event_type, case_id,
                started_at, gave_up_at, last_error)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (event_id) DO NOTHING
            """,
            failure.event_id,
            failure.merchant_id,
            failure.event_type,
            failure.case_id,
            failure.started_at,
            failure.gave_up_at,
            failure.last_error[:500],
        )

    async def between(self, since: datetime, until: datetime) -> builtins.list[FailedDelivery]:
        """Deliveries that gave up in [since, until), oldest first."""
        rows = await self._pool.fetch(
            """
            SELECT event_id, merchant_id, event_type, case_id, started_at, gave_up_at, last_error
            FROM webhook_failures WHERE gave_up_at >= $1 AND gave_up_at < $2
            ORDER BY gave_up_at, event_id
            """,
            since,
            until,
        )
        return [FailedDelivery(**dict(row)) for row in rows]
