"""Steps the workflow tests share: a case started and waiting for the merchant, a wait for a
status, the merchant's answer given at the time-skipping server's current time, and a step of
the clock across a deadline."""

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
from tests.helpers.harness import (
    MINUTE,
    RecordingActivities,
    advance_to,
    at,
    make_request,
    running_worker,
)

MONDAY = at("2027-03-01T08:00:00")
"""Monday 1 March 2027, 09:00 in Stockholm (UTC+1), where most timer tests start a case."""


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


async def step_over(
    env: WorkflowEnvironment, acts: RecordingActivities, name: str, due: datetime, count: int
) -> None:
    """Nothing at due-1min; the count-th `name` activity by due+1min, scheduled at/after due."""
    await advance_to(env, due - MINUTE)
    # A query sees every event before it: having had its chance to act on whatever fired until
    # now, the case still waits for `due`, so nothing can have been sent early.
    waiting = await case_state(env.client, acts.case_id)
    assert waiting.next_action_at == due, f"{name} #{count}: waits for {waiting.next_action_at}"
    assert len(acts.of(name)) == count - 1, f"{name} #{count} fired before {due}"
    await advance_to(env, due + MINUTE)
    await eventually(lambda: len(acts.of(name)) == count)
    fired = acts.of(name)[-1].at
    assert due <= fired < due + MINUTE, f"{name} #{count} at {fired}, due {due}"
