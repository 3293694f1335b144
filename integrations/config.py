"""Webhook settings (composed into workers.settings.Settings as `webhooks`)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

DEV_SECRETS_KEY = "dev-only-change-me-webhook-secrets-key"


class WebhookSettings(BaseModel):
    # Encrypts the endpoints' signing secrets at rest; changing it makes stored secrets
    # unreadable, so endpoints must then be added again.
    secrets_key: SecretStr = SecretStr(DEV_SECRETS_KEY)
    # Plain http to 127.0.0.1/localhost, for development and tests only.
    allow_insecure_localhost: bool = False
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # A CA bundle (PEM) for endpoints whose certificate no public CA signed (tests, staging).
    ca_file: str | None = None
