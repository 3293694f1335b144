"""What every console page reaches: the case door, the stores and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
from fastapi import Request
from temporalio.client import Client

from cases.client import HistorySource
from cases.history_source import ClosedRunCache
from console.case_view import TimelineCache
from console.config import ConsoleSettings
from inbound.store import InboundMailStore
from storage.merchant_changes import MerchantChanges
from storage.merchants import MerchantDirectory
from storage.webhooks import SecretBox, WebhookEndpoints


@dataclass
class ConsoleContext:
    client: Client
    pool: asyncpg.Pool
    settings: ConsoleSettings
    history: HistorySource
    webhook_secrets: SecretBox
    # `cancelflow dev` only: sign a local op in without a provider, from this machine.
    dev_sign_in: bool = False
    # The worker's task queue, where erasure starts the case's ErasureWorkflow (None: the
    # console cannot erase, e.g. a benchmark's app).
    task_queue: str | None = None
    oauth: Any = None  # the authlib client of the provider, when an issuer is set
    timelines: TimelineCache = field(default_factory=TimelineCache)
    # The histories of ended runs (still sealed as Temporal holds them), shared with `history`.
    closed_runs: ClosedRunCache = field(default_factory=ClosedRunCache)

    @property
    def merchants(self) -> MerchantDirectory:
        return MerchantDirectory(self.pool)

    @property
    def changes(self) -> MerchantChanges:
        return MerchantChanges(self.pool)

    @property
    def replies(self) -> InboundMailStore:
        return InboundMailStore(self.pool)

    @property
    def endpoints(self) -> WebhookEndpoints:
        return WebhookEndpoints(self.pool, self.webhook_secrets)

    def temporal_ui_link(self, workflow_id: str) -> str | None:
        from urllib.parse import quote

        base = self.settings.temporal_ui_url
        if not base:
            return None
        namespace = quote(self.client.namespace, safe="")
        return f"{base.rstrip('/')}/namespaces/{namespace}/workflows/{quote(workflow_id, safe='')}"


def context_of(request: Request) -> ConsoleContext:
    ctx: ConsoleContext = request.app.state.console
    return ctx
