"""CancellationWorkflow: one per case. The workflow history is the case's audit log.

A round sends the merchant the request, chases it (reminders, escalation) until it answers
or the customer withdraws, tells the customer the outcome and follows up where the outcome
needs it. A new round (binding contract ended, corrected details) continues as new with the
round number in the input, so every round's history stays short and reads on its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import assert_never

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    # `import a.b as c`, not `from a import b`: the sandbox reloads the workflow module's own
    # package, and `from workflows import x` would then load x afresh for every new case.
    import workflows.search_attributes as sa
    import workflows.webhooks as webhooks
    from activities import contracts as act
    from domain import refusals
    from domain.actions import (
        DetailsCorrection,
        EmailReplyNotice,
        SnoozeRequest,
        WithdrawalRequest,
    )
    from domain.answers import MerchantAnswer
    from domain.business_days import local_morning
    from domain.case import AnswerReceipt, CaseState, CaseStatus
    from domain.escalation import next_chase_step
    from domain.merchant import Merchant
    from domain.outcomes import FollowUp, ops_detail, spec_of
    from domain.request import missing_identifiers
    from domain.webhooks import EventType
    from workflows.case_emails import CORRECTION_WINDOW, new_round_day
    from workflows.case_resend import CaseResend
    from workflows.case_steps import CaseFailed
    from workflows.inputs import (
        NOT_YOUR_CASE,
        WORKFLOW_ID_PREFIX,
        CaseInput,
        SubmitAnswer,
        workflow_id_for,
    )

__all__ = [
    "WORKFLOW_ID_PREFIX",
    "CancellationWorkflow",
    "CaseFailed",
    "CaseInput",
    "SubmitAnswer",
    "workflow_id_for",
]

# Replies from a sender that is none of the merchant's contacts no longer pause the chase.
UNVERIFIED_REPLIES_PATCH = "unverified-email-replies-v1"
# A case chased for a year continues as new after this many reminders/escalations: a run
# holds about 55 events, and the tests assert that none passes 100.
MAX_CHASE_STEPS_PER_RUN = 4


class _WaitEnd(Enum):
    DECIDED = "decided"
    CONTINUE_AS_NEW = "continue-as-new"


def _requested_at(input: CaseInput) -> datetime:
    if input.request.requested_at is not None:
        return input.request.requested_at
    # A first round started by the client has the instant in its starting search attributes:
    # state and visibility agree without an upsert (issue 12). Older cases: the start.
    given = workflow.info().typed_search_attributes.get(sa.REQUESTED_AT)
    return given if given is not None and input.round == 1 else workflow.now()


@workflow.defn
class CancellationWorkflow(CaseResend):  # CaseResend: resend_request; it extends CaseSteps
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        self._request = input.request
        self._merchant: Merchant | None = input.merchant
        self._resumed = input.carry is not None
        self._state = input.carry or CaseState(
            case_id=input.request.case_id,
            merchant_id=input.request.merchant_id,
            round=input.round,
            requested_at=_requested_at(input),
            previous_rounds=input.previous_rounds,
        )
        self._correction: DetailsCorrection | None = None
        # Set by handlers that change when the next reminder/escalation is due.
        self._reschedule = False
        self._steps_this_run = 0

    @workflow.run
    async def run(self, input: CaseInput) -> CaseState:
        merchant = await self._load_merchant()
        if not self._resumed:
            missing = missing_identifiers(self._request, merchant)
            if missing:
                self._fail(
                    f"merchant '{merchant.merchant_id}' requires identifiers that are "
                    "missing: " + ", ".join(missing)
                )
            if self._state.withdrawn_at is not None:
                # Withdrawn before the merchant heard of it: nothing to tell the merchant.
                return await self._close_withdrawn()
            # An answer recorded before the request went out (ops, from a phone call) leaves
            # nothing to ask the merchant.
            if self._state.answer is None:
                # The first reminder is due from the round's start, taken in whole minutes.
                expected_by = self._step_due(
                    merchant, 0, workflow.now().replace(second=0, microsecond=0)
                )
                await self._send_merchant_email(
                    act.MerchantEmailKind.REQUEST, answer_expected_by=expected_by
                )
            # Whole minutes, so every deadline of the round is a clean, predictable instant.
            started = workflow.now().replace(second=0, microsecond=0)
            self._state.round_started_at = self._state.last_chase_at = started
            if not self._decided():
                self._set_status(CaseStatus.AWAITING)

        if await self._chase_merchant(merchant) is _WaitEnd.CONTINUE_AS_NEW:
            await self._continue_as_new(self._request, self._state.round, carry=self._state)

        if self._state.withdrawn_at is not None:
            await self._send_merchant_email(act.MerchantEmailKind.WITHDRAWAL)
            return await self._close_withdrawn()
        answer = self._state.answer
        assert answer is not None
        return await self._follow_up(merchant, answer)

    # --- waiting for the merchant ------------------------------------------------------------

    async def _chase_merchant(self, merchant: Merchant) -> _WaitEnd:
        """Wait for an answer or a withdrawal, reminding and escalating when they are due."""
        while not self._decided():
            if self._state.status is CaseStatus.NEEDS_TRIAGE:
                # An email reply awaits ops: the chase clock stands still until they act.
                self._describe("an email reply from the merchant awaits ops triage")
                await self._wait_for_change()
                continue
            assert self._state.last_chase_at is not None
            with workflow.unsafe.sandbox_unrestricted():
                # The holidays package reads its translations with gettext: pure, but
                # outside what the sandbox allows.
                step = next_chase_step(
                    merchant,
                    self._state.chase_steps_done,
                    self._state.last_chase_at,
                    not_before=self._state.snoozed_until,
                )
            self._describe(step.describe(), due=step.due_at)
            delay = step.due_at - workflow.now()
            if delay > timedelta(0) and await self._wait_for_change(delay, step.describe()):
                continue
            await self._take_chase_step(merchant, step)
            if self._steps_this_run >= MAX_CHASE_STEPS_PER_RUN and not self._decided():
                return _WaitEnd.CONTINUE_AS_NEW
        return _WaitEnd.DECIDED

    async def _wait_for_change(
        self, delay: timedelta | None = None, summary: str | None = None
    ) -> bool:
        """True when the case was decided or rescheduled, False when the timeout passed."""
        try:
            await workflow.wait_condition(
                lambda: self._decided() or self._reschedule,
                timeout=delay,
                timeout_summary=summary,
            )
        except TimeoutError:
            return False
        self._reschedule = False
        return True

    # --- after the answer --------------------------------------------------------------------

    async def _follow_up(self, merchant: Merchant, answer: MerchantAnswer) -> CaseState:
        await webhooks.tell_merchant(
            self._state, self._request, merchant, EventType.ANSWER_RECORDED, answer=answer
        )
        for_ops = ops_detail(answer)
        if for_ops is not None:
            # The message is for ops only; the customer gets the neutral outcome.
            await self._notify_ops(act.OpsNotificationKind.OTHER_REASON, detail=for_ops)
        await self._notify_customer(act.CustomerNotificationKind.OUTCOME)
        follow_up = spec_of(answer).follow_up
        match follow_up:
            case FollowUp.CLOSE:
                return await self._close(CaseStatus.CLOSED)
            case FollowUp.NEW_ROUND_AFTER_NOTICE:
                return await self._await_contract_notice_date(merchant, answer)
            case FollowUp.AWAIT_CORRECTED_DETAILS:
                return await self._await_corrected_details()
            case _:
                assert_never(follow_up)

    async def _await_contract_notice_date(
        self, merchant: Merchant, answer: MerchantAnswer
    ) -> CaseState:
        """Binding contract: ask again when the notice period allows it, unless withdrawn."""
        follow_up_day = new_round_day(answer, merchant)
        assert follow_up_day is not None
        follow_up_at = local_morning(follow_up_day, merchant.timezone)
        self._state.follow_up_at = follow_up_at
        self._set_status(CaseStatus.FOLLOW_UP)
        self._describe(
            "a new cancellation request when the binding contract allows it", due=follow_up_at
        )
        delay = follow_up_at - workflow.now()
        if delay > timedelta(0):
            try:
                await workflow.wait_condition(
                    lambda: self._state.withdrawn_at is not None,
                    timeout=delay,
                    timeout_summary="binding contract notice date",
                )
            except TimeoutError:
                pass
        if self._state.withdrawn_at is not None:
            return await self._close_withdrawn()
        await self._next_round(self._request)

    async def _await_corrected_details(self) -> CaseState:
        """No subscription found: the customer has two weeks to correct their details."""
        deadline = (self._state.answered_at or workflow.now()) + CORRECTION_WINDOW
        self._state.follow_up_at = deadline
        self._set_status(CaseStatus.FOLLOW_UP)
        self._describe("corrected details from the customer", due=deadline)
        try:
            await workflow.wait_condition(
                lambda: self._correction is not None or self._state.withdrawn_at is not None,
                timeout=max(deadline - workflow.now(), timedelta(seconds=1)),
                timeout_summary="customer correction window (14 days)",
            )
        except TimeoutError:
            pass
        if self._state.withdrawn_at is not None:
            return await self._close_withdrawn()
        if self._correction is None:
            await self._notify_customer(act.CustomerNotificationKind.UNRESOLVED)
            return await self._close(CaseStatus.UNRESOLVED)
        corrected = self._request.model_copy(update={"customer": self._correction.customer})
        await self._next_round(corrected)

    # --- the merchant's answer: one path for the signal and the Update -------------------

    @workflow.signal(name="merchant_response")
    def merchant_response(self, submission: SubmitAnswer) -> None:
        try:
            answer = submission.parsed()
        except ValueError as err:
            problem: str | None = f"invalid answer: {err}"
        else:
            problem = self._answer_problem(answer)
        if problem:
            # A signal cannot be refused; the reason stays visible in the case state.
            workflow.logger.warning("answer signal not recorded: %s", problem)
            self._state.rejected_answers.append(problem)
            return
        self._record(answer)

    @workflow.update(name="submit_answer")
    def submit_answer(self, submission: SubmitAnswer) -> AnswerReceipt:
        recorded = self._record(submission.parsed())
        assert self._state.answer is not None
        return AnswerReceipt(
            case_id=self._state.case_id,
            recorded=recorded,
            answer=self._state.answer,
            status=self._state.status,
        )

    @submit_answer.validator
    def _validate_submit_answer(self, submission: SubmitAnswer) -> None:
        # The portal asks the case itself whose it is, instead of a query before the Update.
        if submission.merchant_id not in (None, self._state.merchant_id):
            raise ApplicationError("no such case", type=NOT_YOUR_CASE, non_retryable=True)
        problem = self._answer_problem(submission.parsed())
        if problem:
            raise ValueError(problem)

    def _answer_problem(self, answer: MerchantAnswer) -> str | None:
        return refusals.answer_refusal(self._state, answer)

    def _record(self, answer: MerchantAnswer) -> bool:
        if self._state.answer is not None:
            return False
        self._state.answer = answer
        self._state.answered_at = workflow.now()
        self._set_status(CaseStatus.ANSWERED)
        return True

    # --- withdrawal ------------------------------------------------------------------------

    @workflow.signal(name="withdraw")
    def withdraw(self, request: WithdrawalRequest) -> None:
        problem = self._withdrawal_problem()
        if problem:
            workflow.logger.warning("withdrawal not taken: %s", problem)
            self._state.rejected_answers.append(f"withdrawal: {problem}")
            return
        self._take_withdrawal(request)

    @workflow.update(name="withdraw_case")
    def withdraw_case(self, request: WithdrawalRequest) -> CaseState:
        self._take_withdrawal(request)
        return self._state

    @withdraw_case.validator
    def _validate_withdraw_case(self, request: WithdrawalRequest) -> None:
        problem = self._withdrawal_problem()
        if problem:
            raise ValueError(problem)

    def _withdrawal_problem(self) -> str | None:
        return refusals.withdrawal_refusal(self._state)

    def _take_withdrawal(self, request: WithdrawalRequest) -> None:
        if self._state.withdrawn_at is None:
            self._state.withdrawn_at = workflow.now()
            self._state.withdrawal_reason = request.reason

    # --- ops: snooze, email replies; customer: corrected details ------------------------

    @workflow.update(name="snooze")
    def snooze(self, request: SnoozeRequest) -> CaseState:
        merchant = self._merchant
        assert merchant is not None
        self._state.snoozed_until = local_morning(request.until, merchant.timezone)
        self._state.snooze_reason = f"{request.reason} ({request.requested_by})"
        if self._state.status is CaseStatus.NEEDS_TRIAGE:
            self._set_status(self._waiting_status())
        self._reschedule = True
        return self._state

    @snooze.validator
    def _validate_snooze(self, request: SnoozeRequest) -> None:
        problem = refusals.snooze_refusal(self._state, self._merchant, request, workflow.now())
        if problem:
            raise ValueError(problem)

    @workflow.signal(name="email_reply_received")
    def email_reply_received(self, notice: EmailReplyNotice) -> None:
        if any(r.message_id == notice.message_id for r in self._state.email_replies):
            return
        self._state.email_replies.append(notice)
        if not notice.sender_verified and workflow.patched(UNVERIFIED_REPLIES_PATCH):
            # Anyone who saw the reply address can write to it: shown to ops, the chase goes on.
            return
        if not self._decided() and self._state.is_open and self._state.round_started_at:
            self._set_status(CaseStatus.NEEDS_TRIAGE)
            self._reschedule = True

    @workflow.signal(name="correct_details")
    def correct_details(self, correction: DetailsCorrection) -> None:
        problem = self._correction_problem(correction)
        if problem:
            workflow.logger.warning("correction not taken: %s", problem)
            self._state.rejected_answers.append(f"correction: {problem}")
            return
        self._correction = self._correction or correction

    @workflow.update(name="correct_customer_details")
    def correct_customer_details(self, correction: DetailsCorrection) -> CaseState:
        self._correction = self._correction or correction
        return self._state

    @correct_customer_details.validator
    def _validate_correction(self, correction: DetailsCorrection) -> None:
        problem = self._correction_problem(correction)
        if problem:
            raise ValueError(problem)

    def _correction_problem(self, correction: DetailsCorrection) -> str | None:
        return refusals.correction_refusal(self._state, correction, self._request, self._merchant)

    @workflow.query(name="state")
    def state(self) -> CaseState:
        return self._state
