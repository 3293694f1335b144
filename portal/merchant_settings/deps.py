"""What the settings pages need beyond the portal's own context, built once per app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Protocol

import asyncpg
from fastapi import Depends, Request

from integrations.config import WebhookSettings
from storage.merchant_changes import MerchantChanges
from storage.merchant_sessions import MerchantSessions, SignInLimits
from storage.merchants import MerchantDirectory
from storage.webhooks import SecretBox, WebhookEndpoints

SESSION_COOKIE = "cf_merchant_session"
# What the settings forms' CSRF tokens are bound to, with the session token as the nonce.
CSRF_PURPOSE = "merchant-settings"


class SignInMailer(Protocol):
    """Sends the sign-in link; the worker's SMTP settings, wired in by the process."""

    async def send_sign_in_link(
        self, to: str, merchant_name: str, link: str, locale: str, valid_minutes: int
    ) -> None: ...


@dataclass(frozen=True)
class MerchantSettingsConfig:
    webhooks: WebhookSettings
    mailer: SignInMailer
    link_valid_for: timedelta = timedelta(minutes=15)
    session_valid_for: timedelta = timedelta(hours=8)
    sign_in_limits: SignInLimits = SignInLimits()


@dataclass(frozen=True)
class SettingsContext:
    config: MerchantSettingsConfig
    directory: MerchantDirectory
    sessions: MerchantSessions
    changes: MerchantChanges
    endpoints: WebhookEndpoints

    @classmethod
    def build(cls, pool: asyncpg.Pool, config: MerchantSettingsConfig) -> SettingsContext:
        return cls(
            config=config,
            directory=MerchantDirectory(pool),
            sessions=MerchantSessions(pool, config.link_valid_for, config.session_valid_for),
            changes=MerchantChanges(pool),
            endpoints=WebhookEndpoints(
                pool, SecretBox(config.webhooks.secrets_key.get_secret_value())
            ),
        )

    @property
    def link_minutes(self) -> int:
        return int(self.config.link_valid_for.total_seconds() // 60)


def settings_context(request: Request) -> SettingsContext:
    context = request.app.state.merchant_settings
    assert isinstance(context, SettingsContext)
    return context


SCtx = Annotated[SettingsContext, Depends(settings_context)]
