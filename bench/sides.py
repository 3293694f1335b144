"""The two sides of every comparison: the real case, and its bare counterpart.

Each side starts a workflow for a key, answers it with an Update, and names the activities
its happy path runs, so the honesty checks read both histories the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from temporalio.client import Client, WorkflowHandle

from activities import contracts as act
from bench import bare
from bench.stack import BARE_QUEUE, CASE_QUEUE
from cases.client import case_handle, start_case, submit_answer
from domain.answers import HasNowBeenCancelled
from domain.common import Channel
from domain.customer import CustomerIdentifiers
from domain.merchant import Merchant, ResponsePolicy
from domain.request import CancellationRequest, Subscription
from workflows.inputs import workflow_id_for

CUSTOMER_EMAIL = "customer@bench.example"


def bench_merchant(merchant_id: str, policy: ResponsePolicy | None = None) -> Merchant:
    return Merchant(
        merchant_id=merchant_id,
        display_name=f"Bench {merchant_id}",
        cancellation_emails=[f"cancel@{merchant_id}.bench.example"],
        locale="en",
        timezone="Europe/Stockholm",
        country="SE",
        response_policy=policy or ResponsePolicy(),
    )


def new_key(prefix: str) -> str:
    # No dots: the sink reads the key from the Message-ID up to the first dot.
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Side(Protocol):
    name: str
    activities: tuple[str, str, str]
    """(lookup, request email, customer email) activity types, in happy-path order."""

    def workflow_id(self, key: str) -> str: ...
    async def start(self, key: str, merchant_id: str) -> None: ...
    async def answer(self, key: str) -> None: ...
    async def result(self, key: str) -> None: ...


@dataclass
class CaseSide:
    client: Client
    name: str = "case"
    activities: tuple[str, str, str] = (
        act.LOAD_MERCHANT,
        act.SEND_MERCHANT_REQUEST,
        act.NOTIFY_CUSTOMER,
    )
    task_queue: str = CASE_QUEUE

    def workflow_id(self, key: str) -> str:
        return workflow_id_for(key)

    async def start(self, key: str, merchant_id: str) -> None:
        request = CancellationRequest(
            case_id=key,
            merchant_id=merchant_id,
            subscription=Subscription(name="Bench Premium"),
            customer=CustomerIdentifiers(
                email=CUSTOMER_EMAIL, first_name="Bench", last_name="Customer"
            ),
        )
        await start_case(self.client, request, self.task_queue)

    async def answer(self, key: str) -> None:
        await submit_answer(self.client, key, happy_answer())

    async def result(self, key: str) -> None:
        await case_handle(self.client, key).result()


def happy_answer() -> HasNowBeenCancelled:
    now = datetime.now(UTC)
    return HasNowBeenCancelled(
        access_until=(now + timedelta(days=30)).date(),
        answered_at=now,
        channel=Channel.API,
        responded_by="bench",
    )


@dataclass
class BareSide:
    client: Client
    name: str = "bare"
    activities: tuple[str, str, str] = (bare.LOOKUP, bare.REQUEST, bare.NOTIFY)
    task_queue: str = BARE_QUEUE

    def workflow_id(self, key: str) -> str:
        return f"bare-{key}"

    def _handle(self, key: str) -> WorkflowHandle[bare.BareCaseWorkflow, str]:
        return self.client.get_workflow_handle_for(bare.BareCaseWorkflow.run, self.workflow_id(key))

    async def start(self, key: str, merchant_id: str) -> None:
        await self.client.start_workflow(
            bare.BareCaseWorkflow.run, key, id=self.workflow_id(key), task_queue=self.task_queue
        )

    async def answer(self, key: str) -> None:
        await self._handle(key).execute_update(
            bare.BareCaseWorkflow.answer, "has_now_been_cancelled"
        )

    async def result(self, key: str) -> None:
        await self._handle(key).result()
