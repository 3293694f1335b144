"""The five answers, idempotency and refusals, on the time-skipping server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from activities import contracts as act
from cases.client import (
    AnswerRejected,
    case_handle,
    case_state,
    start_case,
    submit_answer,
)
from domain.answers import (
    BindingContract,
    HasNowBeenCancelled,
    MerchantAnswer,
    NoSubscriptionFound,
    OtherReason,
    Outcome,
    WasAlreadyCancelled,
)
from domain.case import CaseStatus
from domain.common import Channel
from domain.customer_outcome import CustomerOutcomeKind
from tests.eventually import eventually
from tests.helpers.cases import awaiting_case, until_status
from tests.helpers.harness import (
    RecordingActivities,
    make_merchant,
    make_request,
    running_worker,
)
from workflows.cancellation import CancellationWorkflow, SubmitAnswer


def _now() -> datetime:
    return datetime.now(UTC)


def _answer(kind: str, **fields: Any) -> Any:
    common = {"answered_at": _now(), "channel": Channel.PORTAL, "responded_by": "Acme support"}
    today = _now().date()
    builders: dict[str, Callable[[], MerchantAnswer]] = {
        "cancelled": lambda: HasNowBeenCancelled(access_until=today + timedelta(days=20), **common),
        "already": lambda: WasAlreadyCancelled(cancelled_on=today - timedelta(days=3), **common),
        "binding": lambda: BindingContract(contract_ends_on=today + timedelta(days=200), **common),
        "not_found": lambda: NoSubscriptionFound(**common),
        "other": lambda: OtherReason(message="Customer owes us money; call them", **common),
    }
    return builders[kind]()


@pytest.fixture
def acts() -> RecordingActivities:
    return RecordingActivities(merchants={"acme": make_merchant()})


@pytest.mark.parametrize(
    ("kind", "customer_kind", "final_status"),
    [
        ("cancelled", CustomerOutcomeKind.CANCELLED, CaseStatus.CLOSED),
        ("already", CustomerOutcomeKind.ALREADY_CANCELLED, CaseStatus.CLOSED),
        ("binding", CustomerOutcomeKind.BINDING_CONTRACT, CaseStatus.FOLLOW_UP),
        ("not_found", CustomerOutcomeKind.NOT_FOUND, CaseStatus.FOLLOW_UP),
        ("other", CustomerOutcomeKind.NOT_CANCELLED, CaseStatus.CLOSED),
    ],
)
async def test_each_answer_tells_the_customer_its_outcome(
    time_skipping_env: WorkflowEnvironment,
    acts: RecordingActivities,
    kind: str,
    customer_kind: CustomerOutcomeKind,
    final_status: CaseStatus,
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts) as case_id:
        answer = _answer(kind)

        receipt = await submit_answer(client, case_id, answer)
        assert receipt.recorded
        assert receipt.answer == answer

        async def customer_told() -> bool:
            return bool(acts.of(act.NOTIFY_CUSTOMER))

        await eventually(customer_told)
        await until_status(client, case_id, final_status)
        [told] = acts.of(act.NOTIFY_CUSTOMER)
        notification = told.input
        assert isinstance(notification, act.CustomerNotificationInput)
        assert notification.outcome is not None
        assert notification.outcome.kind is customer_kind
        assert notification.customer_email == "anna.svensson@example.com"
        assert notification.locale == "sv"
        # The merchant's free text never reaches the customer, whatever the outcome.
        assert "owes us money" not in notification.model_dump_json()
        state = await case_state(client, case_id)
        assert state.customer_outcome == notification.outcome
        assert state.answer == answer

        ops = acts.of(act.NOTIFY_OPS)
        if kind == "other":
            [to_ops] = ops
            assert isinstance(to_ops.input, act.OpsNotificationInput)
            assert to_ops.input.detail == "Customer owes us money; call them"
        else:
            assert ops == []
        if final_status is CaseStatus.CLOSED:
            result = await case_handle(client, case_id).result()
            assert result.status is CaseStatus.CLOSED
            assert result.closed_at is not None


async def test_the_merchant_email_carries_only_configured_identifiers(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    merchant = make_merchant(required_identifiers=["card_last4", "customer_number"])
    acts = RecordingActivities(merchants={"acme": merchant})
    async with awaiting_case(time_skipping_env, acts):
        [sent] = acts.of(act.SEND_MERCHANT_REQUEST)
        email = sent.input
        assert isinstance(email, act.MerchantEmailInput)
        assert [(i.name, i.value) for i in email.identifiers] == [
            ("card_last4", "4242"),
            ("customer_number", "C-778899"),
        ]
        dumped = email.model_dump_json()
        for other in ("anna.svensson@example.com", "Svensson", "Storgatan"):
            assert other not in dumped


async def test_starting_the_same_case_twice_gives_one_case(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with running_worker(client, acts) as tq:
        request = make_request()
        first = await start_case(client, request, tq)
        second = await start_case(client, request, tq)
        assert first.created and not second.created
        assert second.handle.id == first.handle.id
        assert second.request == request
        await until_status(client, request.case_id, CaseStatus.AWAITING)
        await submit_answer(client, request.case_id, _answer("cancelled"))
        await case_handle(client, request.case_id).result()
        # Even after it closed, the same case_id finds the same case, not a new one.
        third = await start_case(client, request, tq)
        assert not third.created
        assert third.request == request
        assert len(acts.of(act.SEND_MERCHANT_REQUEST)) == 1


async def test_repeating_the_recorded_answer_is_accepted_once(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts) as case_id:
        answer = _answer("binding")
        first = await submit_answer(client, case_id, answer)
        # A double click: same outcome, a moment later, maybe another channel.
        again = answer.model_copy(update={"answered_at": _now(), "channel": Channel.API})
        second = await submit_answer(client, case_id, again)
        assert first.recorded and not second.recorded
        assert second.answer == answer  # the first one stays the record

        await eventually(lambda: bool(acts.of(act.NOTIFY_CUSTOMER)))
        assert len(acts.of(act.NOTIFY_CUSTOMER)) == 1


async def test_a_different_answer_after_one_is_refused_with_date_and_channel(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts) as case_id:
        first = _answer("binding")
        await submit_answer(client, case_id, first)
        with pytest.raises(AnswerRejected) as refused:
            await submit_answer(client, case_id, _answer("cancelled"))
        reason = str(refused.value)
        assert first.answered_at.isoformat() in reason
        assert "portal" in reason and "binding_contract" in reason
        state = await case_state(client, case_id)
        assert state.answer == first


async def test_an_answer_after_the_case_closed_is_refused(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts) as case_id:
        await submit_answer(client, case_id, _answer("cancelled"))
        await case_handle(client, case_id).result()
        with pytest.raises(AnswerRejected, match="already recorded"):
            await submit_answer(client, case_id, _answer("not_found"))
        # The very same answer again is still acknowledged, not an error.
        receipt = await submit_answer(
            client,
            case_id,
            (await case_state(client, case_id)).answer,  # type: ignore[arg-type]
        )
        assert not receipt.recorded


async def test_an_invalid_answer_is_rejected_by_the_validator_and_never_accepted(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts) as case_id:
        handle = case_handle(client, case_id)
        # Bypass the client's own validation: a performed date after the answer's date.
        bad = WasAlreadyCancelled.model_construct(
            outcome=Outcome.WAS_ALREADY_CANCELLED,
            cancelled_on=date.today() + timedelta(days=5),
            answered_at=_now(),
            channel=Channel.API,
            responded_by="integration",
            reference=None,
        )
        from temporalio.client import WorkflowUpdateFailedError

        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                CancellationWorkflow.submit_answer, SubmitAnswer.model_construct(answer=bad)
            )
        assert "cancelled_on" in str(refused.value.cause)
        state = await case_state(client, case_id)
        assert state.answer is None and state.status is CaseStatus.AWAITING
        history = await handle.fetch_history()
        accepted = [
            e
            for e in history.events
            if e.HasField("workflow_execution_update_accepted_event_attributes")
        ]
        assert accepted == []


async def test_the_query_tells_where_the_case_stands(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts) as case_id:
        waiting = await case_state(client, case_id)
        assert waiting.answer is None
        assert [e.kind for e in waiting.emails] == ["request"]
        assert waiting.next_action == "reminder 1 to the merchant"
        assert waiting.next_action_at is not None and waiting.next_action_at > _now()

        await submit_answer(client, case_id, _answer("already"))
        closed = await case_handle(client, case_id).result()
        assert closed.status is CaseStatus.CLOSED
        assert [e.kind for e in closed.emails] == ["request", "customer-outcome"]
        assert closed.customer_notified_at is not None
        after = await case_state(client, case_id)
        assert after == closed


async def _failed_case(
    env: WorkflowEnvironment, acts: RecordingActivities
) -> tuple[WorkflowFailureError, str]:
    """Start a case that cannot go on: its failure and the reason its state gives."""
    client = env.client
    async with running_worker(client, acts) as tq:
        request = make_request()
        started = await start_case(client, request, tq)
        with pytest.raises(WorkflowFailureError) as failed:
            await started.handle.result()
        state = await case_state(client, request.case_id)
    assert state.status is CaseStatus.FAILED
    assert state.failure is not None
    return failed.value, state.failure


async def test_an_unknown_merchant_fails_the_case_clearly(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    acts = RecordingActivities(merchants={})
    failed, failure = await _failed_case(time_skipping_env, acts)
    assert "UnknownMerchant" in str(failed.cause)
    assert "acme" in failure
    assert acts.sent == []


async def test_a_request_missing_required_identifiers_fails_naming_them(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    acts = RecordingActivities(
        merchants={"acme": make_merchant(required_identifiers=["email", "phone"])}
    )
    _, failure = await _failed_case(time_skipping_env, acts)
    assert "phone" in failure
    assert acts.sent == []


async def test_a_rejected_merchant_address_fails_the_case(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    acts = RecordingActivities(
        merchants={"acme": make_merchant()}, fail_email_with=act.ADDRESS_REJECTED
    )
    _, failure = await _failed_case(time_skipping_env, acts)
    assert "AddressRejected" in failure


async def test_an_answer_before_the_request_went_out_is_taken_and_nothing_is_asked(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    request = make_request()
    # No worker yet: ops record what the merchant said on the phone before our first step.
    started = await start_case(client, request, "no-worker-yet")
    answer = _answer("already")
    await started.handle.signal(CancellationWorkflow.merchant_response, SubmitAnswer(answer=answer))
    async with running_worker(client, acts, task_queue="no-worker-yet", sticky=False):
        final = await started.handle.result()
    assert final.status is CaseStatus.CLOSED and final.answer == answer
    assert acts.of(act.SEND_MERCHANT_REQUEST) == []
    assert [s.input.kind for s in acts.of(act.NOTIFY_CUSTOMER)] == [  # type: ignore[attr-defined]
        act.CustomerNotificationKind.OUTCOME
    ]
