"""A case's webhook deliveries are its payloads too: their workflows' histories are sealed under
the case's key, and unreadable once the case is erased; the event reached the merchant."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import pytest
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowExecutionStatus

from cases.client import case_state, start_case
from cases.erasure import erase_case
from domain.case import CaseStatus
from domain.webhooks import ALL_EVENT_TYPES, DELIVERY_WORKFLOW_ID_PREFIX
from integrations.config import WebhookSettings
from storage.merchants import MerchantDirectory
from storage.webhooks import WebhookEndpoints
from tests.eventually import eventually
from tests.helpers.cli import Stack
from tests.helpers.privacy import (
    REQUEST,
    data_payloads,
    key_ids,
    new_case_id,
    readable_identifiers,
    request,
    worker_of,
)
from tests.helpers.webhook_fixtures import (  # noqa: F401 - shared fixtures
    endpoints,
    receiver,
    webhook_settings,
)
from tests.helpers.webhooks import webhook_merchant
from tests.integrations.receiver import HttpsReceiver
from workers.codec import CaseKeyCodec, CaseKeys, EncryptionKey, ErasedCaseKey


async def test_deliveries_are_sealed_under_the_cases_key(
    keyed_client: Client,
    stack: Stack,
    pool: asyncpg.Pool,
    receiver: HttpsReceiver,  # noqa: F811
    webhook_settings: WebhookSettings,  # noqa: F811
    endpoints: WebhookEndpoints,  # noqa: F811
    codec_keys: list[EncryptionKey],
    case_keys: CaseKeys,
) -> None:
    merchant = webhook_merchant()
    await MerchantDirectory(pool).upsert(merchant)
    await endpoints.add(merchant.merchant_id, receiver.url, list(ALL_EVENT_TYPES), "t")
    on = Stack(stack.settings.model_copy(update={"webhooks": webhook_settings}), stack.env)
    case_id = new_case_id()
    base = request(case_id)
    hooked = base.model_copy(update={"merchant_id": merchant.merchant_id})
    async with worker_of(keyed_client, on, pool):
        await start_case(keyed_client, hooked, on.settings.temporal.task_queue)
        await eventually(
            lambda: case_state(keyed_client, case_id),
            lambda state: state.status is CaseStatus.AWAITING,
            what="the request to go out",
        )
        await eventually(lambda: _received(receiver.received), what="the webhook to arrive")
        deliveries = [
            e.id
            async for e in keyed_client.list_workflows(
                f"WorkflowId STARTS_WITH '{DELIVERY_WORKFLOW_ID_PREFIX}evt_{case_id}_'"
            )
        ]
        assert deliveries, "the case started a delivery"
        handle = keyed_client.get_workflow_handle(deliveries[0])
        await eventually(
            lambda: handle.describe(),
            lambda d: d.status != WorkflowExecutionStatus.RUNNING,
            what="the delivery to finish",
        )
        history = History(events=[e async for e in handle.fetch_history_events()])
        assert key_ids(history) == {f"case:{case_id}"}
        assert readable_identifiers(history.SerializeToString(), [base.customer.email]) == []
        await erase_case(keyed_client, case_id, REQUEST, on.settings.temporal.task_queue)
    fresh = CaseKeyCodec(codec_keys, CaseKeys(codec_keys, case_keys._make_pool))  # noqa: SLF001
    for payload in data_payloads(history):
        with pytest.raises(ErasedCaseKey):
            await fresh.decode([payload])


async def _received(received: Sequence[object]) -> bool:
    return bool(received)
