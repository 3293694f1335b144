"""Follow-up rounds at exact instants: a binding contract starts round two at its notice date,
no subscription found waits 14 days for corrected details (then round two, or unresolved)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from activities import contracts as act
from cases.client import (
    CaseActionRejected,
    case_handle,
    case_state,
    correct_customer_details,
    withdraw_case,
)
from domain.actions import DetailsCorrection, WithdrawalRequest
from domain.answers import BindingContract, NoSubscriptionFound
from domain.case import CaseStatus
from domain.customer import CustomerIdentifiers
from tests.eventually import eventually
from tests.helpers.cases import MONDAY, answer_into_follow_up, awaiting_case, step_over
from tests.helpers.harness import RecordingActivities, advance_to, at, make_merchant, on
from workflows import search_attributes as sa


@pytest.fixture
def acts() -> RecordingActivities:
    return RecordingActivities(merchants={"acme": make_merchant()})


@pytest.fixture
def notice_acts() -> RecordingActivities:
    return RecordingActivities(merchants={"acme": make_merchant(notice_period_days=30)})


@asynccontextmanager
async def bound_until_september(
    env: WorkflowEnvironment, acts: RecordingActivities
) -> AsyncIterator[str]:
    """A case whose merchant answered: binding contract until 30 September 2027."""
    async with awaiting_case(env, acts, MONDAY) as case_id:
        await answer_into_follow_up(
            env, case_id, BindingContract, contract_ends_on=on("2027-09-30")
        )
        yield case_id


async def test_binding_contract_starts_round_two_at_the_notice_date(
    time_skipping_env: WorkflowEnvironment, notice_acts: RecordingActivities
) -> None:
    acts, client = notice_acts, time_skipping_env.client
    async with bound_until_september(time_skipping_env, acts) as case_id:
        # 30 days before the contract ends: 31 August 2027, 09:00 Stockholm (UTC+2).
        follow_up = at("2027-08-31T07:00:00")
        assert (await case_state(client, case_id)).follow_up_at == follow_up
        await step_over(time_skipping_env, acts, act.SEND_MERCHANT_REQUEST, follow_up, 2)
        round_two = acts.of(act.SEND_MERCHANT_REQUEST)[-1].input
        assert round_two.round == 2  # type: ignore[attr-defined]
        state = await case_state(client, case_id)
        assert state.round == 2 and state.answer is None
        assert [r.round for r in state.previous_rounds] == [1]
        desc = await case_handle(client, case_id).describe()
        assert desc.typed_search_attributes.get(sa.CASE_ROUND) == 2


async def test_withdrawal_before_the_notice_date_cancels_round_two(
    time_skipping_env: WorkflowEnvironment, notice_acts: RecordingActivities
) -> None:
    acts, client = notice_acts, time_skipping_env.client
    async with bound_until_september(time_skipping_env, acts) as case_id:
        await advance_to(time_skipping_env, at("2027-06-01T00:00:00"))
        handle = case_handle(client, case_id)
        await withdraw_case(client, case_id, WithdrawalRequest(reason="kept it"))
        final = await handle.result()
        assert final.status is CaseStatus.WITHDRAWN
        # Withdrawn: the workflow has ended, so its round-two timer can never fire.
        await advance_to(time_skipping_env, at("2027-10-01T00:00:00"))
        assert len(acts.of(act.SEND_MERCHANT_REQUEST)) == 1


async def test_corrected_details_within_14_days_start_round_two(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts, MONDAY) as case_id:
        await answer_into_follow_up(time_skipping_env, case_id, NoSubscriptionFound)
        await advance_to(time_skipping_env, at("2027-03-10T12:00:00"))
        corrected = CustomerIdentifiers(
            email="anna.s@example.org",
            first_name="Anna",
            last_name="Svensson-Berg",
            card_last4="1111",
        )
        # Details that lack what the merchant requires are refused, naming what is missing.
        with pytest.raises(CaseActionRejected, match="card_last4"):
            await correct_customer_details(
                client,
                case_id,
                DetailsCorrection(customer=corrected.model_copy(update={"card_last4": None})),
            )
        await correct_customer_details(client, case_id, DetailsCorrection(customer=corrected))
        await eventually(lambda: len(acts.of(act.SEND_MERCHANT_REQUEST)) == 2)
        second = acts.of(act.SEND_MERCHANT_REQUEST)[-1].input
        assert second.round == 2  # type: ignore[attr-defined]
        values = {i.name: i.value for i in second.identifiers}  # type: ignore[attr-defined]
        assert values["last_name"] == "Svensson-Berg" and values["card_last4"] == "1111"


async def test_no_correction_in_14_days_closes_the_case_unresolved(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts, MONDAY) as case_id:
        await answer_into_follow_up(time_skipping_env, case_id, NoSubscriptionFound)
        state = await case_state(client, case_id)
        assert state.answered_at is not None and state.follow_up_at is not None
        assert state.follow_up_at == state.answered_at + timedelta(days=14)
        await step_over(time_skipping_env, acts, act.NOTIFY_CUSTOMER, state.follow_up_at, 2)
        final = await case_handle(client, case_id).result()
        assert final.status is CaseStatus.UNRESOLVED
        told = [s.input.kind for s in acts.of(act.NOTIFY_CUSTOMER)]  # type: ignore[attr-defined]
        assert told == [
            act.CustomerNotificationKind.OUTCOME,
            act.CustomerNotificationKind.UNRESOLVED,
        ]
