"""The one door to the case workflow, on a real dev server with visibility."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from markdown_it import MarkdownIt
from temporalio.testing import WorkflowEnvironment

from cases.client import (
    CaseActionRejected,
    CaseListing,
    CaseNotFound,
    case_state,
    list_cases,
    open_cases,
    settled_state,
    signal_email_reply,
    start_case,
    withdraw_case,
)
from domain.actions import EmailReplyNotice, WithdrawalRequest
from domain.case import CaseStatus
from domain.reply_token import case_reference
from tests.eventually import eventually
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker


async def _listed(env: WorkflowEnvironment, **filters: object) -> list[CaseListing]:
    return [case async for case in list_cases(env.client, **filters)]  # type: ignore[arg-type]


async def test_cases_are_listed_by_merchant_and_status_and_closed_ones_settle(
    dev_server_env: WorkflowEnvironment,
) -> None:
    merchant_id = f"m-{uuid.uuid4().hex[:8]}"
    acts = RecordingActivities(merchants={merchant_id: make_merchant(merchant_id=merchant_id)})
    client = dev_server_env.client
    async with running_worker(client, acts) as task_queue:
        waiting = make_request(merchant_id=merchant_id)
        withdrawn = make_request(merchant_id=merchant_id)
        for request in (waiting, withdrawn):
            await start_case(client, request, task_queue)

        async def awaiting() -> list[str]:
            found = await _listed(
                dev_server_env, merchant_id=merchant_id, statuses=(CaseStatus.AWAITING,)
            )
            return sorted(c.case_id for c in found)

        expected = sorted([waiting.case_id, withdrawn.case_id])
        await eventually(awaiting, lambda ids: ids == expected, what="both cases awaiting")
        await withdraw_case(client, withdrawn.case_id, WithdrawalRequest(reason="changed mind"))

        async def open_ids() -> list[str]:
            return sorted(
                [c.case_id async for c in open_cases(client) if c.merchant_id == merchant_id]
            )

        await eventually(open_ids, lambda ids: ids == [waiting.case_id], what="one open case")
        closed = await settled_state(client, withdrawn.case_id)
        assert closed.status is CaseStatus.WITHDRAWN

        # A closed case's Updates cannot run: the refusal is the domain rule's words.
        with pytest.raises(CaseActionRejected, match="the case is withdrawn"):
            await withdraw_case(client, withdrawn.case_id, WithdrawalRequest())

        await signal_email_reply(
            client,
            waiting.case_id,
            EmailReplyNotice(
                message_id="<[x](https://evil.example)>",
                sender="kim@acme.example",
                subject="Re: cancellation",
                received_at=datetime.now(UTC),
            ),
        )

        async def triaged() -> CaseStatus:
            return (await case_state(client, waiting.case_id)).status

        await eventually(triaged, lambda s: s is CaseStatus.NEEDS_TRIAGE, what="needs triage")

    # A quote in a filter value stays inside its literal: nothing matches, nothing breaks.
    assert await _listed(dev_server_env, merchant_id=f"{merchant_id}' OR MerchantId != '") == []
    with pytest.raises(CaseNotFound):
        await settled_state(client, f"c-{uuid.uuid4().hex[:8]}")


async def test_the_case_summary_in_the_ui_shows_a_hostile_subscription_name_as_text(
    dev_server_env: WorkflowEnvironment,
) -> None:
    from domain.request import Subscription

    client = dev_server_env.client
    acts = RecordingActivities(merchants={"acme": make_merchant()})
    name = "[Claim refund](https://evil.example/x) <img src=x>"
    request = make_request(subscription=Subscription(name=name))
    async with running_worker(client, acts) as task_queue:
        # The merchant's name is outside text too (it comes from the directory).
        started = await start_case(client, request, task_queue, merchant_name="![x](y) *Acme*")
        summary = await (await started.handle.describe()).static_summary()
    assert summary is not None
    html = MarkdownIt("commonmark", {"linkify": True}).enable("linkify").render(summary)
    assert "<a" not in html and "<img" not in html and "<em" not in html
    assert summary.startswith(f"{case_reference(request.case_id)}: cancel \\[Claim refund\\]\\(")
    assert summary.endswith("at \\!\\[x\\]\\(y\\) \\*Acme\\* (acme)")
