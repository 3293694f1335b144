"""Steps the workflow tests share: a case started and waiting for the merchant, a wait for a
status, and the merchant's answer given at the time-skipping server's current time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.client import case_state, start_case, submit_answer
from domain.answers import MerchantAnswer
from domain.case import AnswerReceipt, CaseStatus
from domain.common import Channel
from tests.eventually import eventually
from tests.helpers.harness import RecordingActivities, advance_to, make_request, running_worker


async def status_is(client: Client, case_id: str, status: CaseStatus) -> bool:
    return (await case_state(client, case_id)).status is status


async def until_status(client: Client, case_id: str, status: CaseStatus) -> None:
    await eventually(lambda: status_is(client, case_id, status))


async def start_awaiting(env: WorkflowEnvironment, tq: str, instant: datetime | None = None) -> str:
    """Start a case (at `instant`, when given) and wait until its request has gone out."""
    if instant is not None:
        await advance_to(env, instant)
    request = make_request()
    await start_case(env.client, request, tq)
    await until_status(env.client, request.case_id, CaseStatus.AWAITING)
    return request.case_id


@asynccontextmanager
async def awaiting_case(
    env: WorkflowEnvironment,
    acts: RecordingActivities,
    instant: datetime | None = None,
) -> AsyncIterator[str]:
    """A worker on its own task queue, and the case_id of one case waiting for the merchant."""
    async with running_worker(env.client, acts) as tq:
        yield await start_awaiting(env, tq, instant)


async def answer_now(
    env: WorkflowEnvironment,
    case_id: str,
    kind: Callable[..., MerchantAnswer],
    **fields: object,
) -> AnswerReceipt:
    """The merchant answers `kind` (by default Acme, in the portal) at the server's time."""
    by: dict[str, object] = {"channel": Channel.PORTAL, "responded_by": "Acme"}
    answer = kind(answered_at=await env.get_current_time(), **{**by, **fields})
    return await submit_answer(env.client, case_id, answer)


async def answer_into_follow_up(
    env: WorkflowEnvironment,
    case_id: str,
    kind: Callable[..., MerchantAnswer],
    **fields: object,
) -> None:
    """An answer that leaves work to follow up (binding contract, no subscription found)."""
    await answer_now(env, case_id, kind, **fields)
    await until_status(env.client, case_id, CaseStatus.FOLLOW_UP)
