"""CancellationWorkflow: one per case. The workflow history is the case's audit log.

A round sends the merchant the request, chases it (reminders, escalation) until it answers
or the customer withdraws, tells the customer the outcome and follows up where the outcome
needs it. A new round (binding contract ended, corrected details) continues as new with the
round number in the input, so every round's history stays short and reads on its own.
"""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import Any, NoReturn

from pydantic import BaseModel, Field, ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities import contracts as act
    from domain.actions import (
        DetailsCorrection,
        EmailReplyNotice,
        SnoozeRequest,
        WithdrawalRequest,
    )
    from domain.answers import BindingContract, MerchantAnswer, Outcome, parse_answer
    from domain.business_days import business_days_between, local_morning
    from domain.case import AnswerReceipt, CaseState, CaseStatus, EmailRecord, RoundSummary
    from domain.common import format_validation_error
    from domain.customer_outcome import customer_outcome_for
    from domain.escalation import ChaseStep, StepKind, next_chase_step
    from domain.merchant import Merchant
    from domain.request import CancellationRequest, merchant_view, missing_identifiers
    from workflows import search_attributes as sa

WORKFLOW_ID_PREFIX = "case-"
CORRECTION_WINDOW = timedelta(days=14)
# A case chased for a year continues as new after this many reminders/escalations: a run
# holds about 55 events, and the tests assert that none passes 100.
MAX_CHASE_STEPS_PER_RUN = 4


def workflow_id_for(case_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{case_id}"


class CaseInput(BaseModel):
    request: CancellationRequest
    round: int = Field(default=1, ge=1)
    merchant: Merchant | None = Field(
        default=None, description="The merchant as the case started with it (kept across rounds)"
    )
    previous_rounds: list[RoundSummary] = Field(default_factory=list)
    carry: CaseState | None = Field(
        default=None, description="State of a round that continued as new while waiting"
    )


class SubmitAnswer(BaseModel):
    # An answer that fails the domain rules still decodes (as a dict), so the validator can
    # refuse it with the rule that failed instead of a bare decoding error.
    answer: MerchantAnswer | dict[str, Any]

    def parsed(self) -> MerchantAnswer:
        """The answer, validated; raises ValueError naming the field and the rule."""
        if isinstance(self.answer, dict):
            try:
                return parse_answer(self.answer)
            except ValidationError as err:
                raise ValueError(format_validation_error(err)) from None
        return self.answer


# Reading the directory is quick; a database outage should be waited out, not fail the case.
DIRECTORY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=act.NON_RETRYABLE_ERROR_TYPES,
)
# SMTP relays throttle and go down; keep trying, slower, while ops see it pending in the UI.
EMAIL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=act.NON_RETRYABLE_ERROR_TYPES,
)
DIRECTORY_TIMEOUT = timedelta(seconds=15)
EMAIL_TIMEOUT = timedelta(seconds=60)


class CaseFailed(ApplicationError):
    pass


class _WaitEnd(Enum):
    DECIDED = "decided"
    CONTINUE_AS_NEW = "continue-as-new"


@workflow.defn
class CancellationWorkflow:
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        self._request = input.request
        self._merchant: Merchant | None = input.merchant
        self._resumed = input.carry is not None
        self._state = input.carry or CaseState(
            case_id=input.request.case_id,
            merchant_id=input.request.merchant_id,
            round=input.round,
            requested_at=input.request.requested_at or workflow.now(),
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
                await self._send_merchant_email(act.MerchantEmailKind.REQUEST)
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

    def _decided(self) -> bool:
        return self._state.answer is not None or self._state.withdrawn_at is not None

    async def _chase_merchant(self, merchant: Merchant) -> _WaitEnd:
        """Wait for an answer or a withdrawal, reminding and escalating when they are due."""
        while not self._decided():
            if self._state.status is CaseStatus.NEEDS_TRIAGE:
                # An email reply awaits ops: the chase clock stands still until they act.
                self._describe("an email reply from the merchant awaits ops triage", None)
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
            self._describe(step.describe(), step)
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

    async def _take_chase_step(self, merchant: Merchant, step: ChaseStep) -> None:
        if step.kind is StepKind.ESCALATION:
            with workflow.unsafe.sandbox_unrestricted():
                waited = business_days_between(
                    self._state.round_started_at or self._state.requested_at,
                    workflow.now(),
                    merchant.timezone,
                    merchant.country,
                )
            await self._notify_ops(act.OpsNotificationKind.ESCALATION, business_days_waited=waited)
            self._state.escalated = True
            self._state.escalated_at = workflow.now()
        else:
            await self._send_merchant_email(
                act.MerchantEmailKind.REMINDER, reminder_number=step.reminder_number
            )
            self._state.reminders_sent += 1
        self._state.chase_steps_done += 1
        # Chain from when the step was due, not when it ran: a worker outage or a slow
        # SMTP relay must not drift the rest of the schedule.
        self._state.last_chase_at = step.due_at
        self._state.snoozed_until = None
        self._steps_this_run += 1
        if not self._decided():
            self._set_status(self._waiting_status())

    def _waiting_status(self) -> CaseStatus:
        if self._state.escalated:
            return CaseStatus.ESCALATED
        if self._state.reminders_sent:
            return CaseStatus.REMINDED
        return CaseStatus.AWAITING

    # --- after the answer --------------------------------------------------------------------

    async def _follow_up(self, merchant: Merchant, answer: MerchantAnswer) -> CaseState:
        if answer.outcome is Outcome.OTHER_REASON:
            # The message is for ops only; the customer gets the neutral outcome.
            await self._notify_ops(act.OpsNotificationKind.OTHER_REASON, detail=answer.message)
        await self._notify_customer(act.CustomerNotificationKind.OUTCOME)

        if isinstance(answer, BindingContract):
            follow_up_day = answer.contract_ends_on - timedelta(days=merchant.notice_period_days)
            follow_up_at = local_morning(follow_up_day, merchant.timezone)
            self._state.follow_up_at = follow_up_at
            self._set_status(CaseStatus.FOLLOW_UP)
            self._describe(
                "a new cancellation request when the binding contract allows it",
                None,
                due=follow_up_at,
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

        if answer.outcome is Outcome.NO_SUBSCRIPTION_FOUND:
            deadline = (self._state.answered_at or workflow.now()) + CORRECTION_WINDOW
            self._state.follow_up_at = deadline
            self._set_status(CaseStatus.FOLLOW_UP)
            self._describe("corrected details from the customer", None, due=deadline)
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

        return await self._close(CaseStatus.CLOSED)

    async def _next_round(self, request: CancellationRequest) -> NoReturn:
        self._state.previous_rounds.append(
            RoundSummary(
                round=self._state.round,
                outcome=self._state.outcome,
                answered_at=self._state.answered_at,
                ended_at=workflow.now(),
            )
        )
        await self._continue_as_new(request, self._state.round + 1, carry=None)

    async def _continue_as_new(
        self, request: CancellationRequest, round: int, carry: CaseState | None
    ) -> NoReturn:
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(
            CaseInput(
                request=request,
                round=round,
                merchant=self._merchant,
                previous_rounds=self._state.previous_rounds,
                carry=carry,
            )
        )

    async def _close_withdrawn(self) -> CaseState:
        await self._notify_customer(act.CustomerNotificationKind.WITHDRAWN)
        return await self._close(CaseStatus.WITHDRAWN)

    async def _close(self, status: CaseStatus) -> CaseState:
        self._state.closed_at = workflow.now()
        self._state.follow_up_at = None
        self._set_status(status)
        self._describe(f"nothing: the case is {status.value}", None)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

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
        problem = self._answer_problem(submission.parsed())
        if problem:
            raise ValueError(problem)

    def _answer_problem(self, answer: MerchantAnswer) -> str | None:
        """Why this answer cannot be recorded, or None. Repeating the recorded answer is fine."""
        recorded = self._state.answer
        if recorded is not None:
            if recorded.same_outcome_as(answer):
                return None
            return (
                f"an answer was already recorded on {recorded.answered_at.isoformat()} "
                f"through {recorded.channel.value} ({recorded.outcome.value}); "
                "a different answer cannot replace it"
            )
        if self._state.withdrawn_at is not None:
            return (
                f"the customer withdrew the request on {self._state.withdrawn_at.isoformat()}; "
                "no answer is needed"
            )
        if not self._state.is_open:
            return f"the case is {self._state.status.value}; it no longer takes answers"
        # An answer while the request email is still going out is taken: the merchant may
        # be quicker than our worker, or ops may record an answer given another way.
        return None

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
        if self._state.withdrawn_at is not None:
            return None
        if not self._state.is_open:
            return f"the case is {self._state.status.value}; there is nothing to withdraw"
        if self._state.answer is not None and self._state.status is not CaseStatus.FOLLOW_UP:
            return (
                f"the merchant already answered on {self._state.answer.answered_at.isoformat()} "
                f"({self._state.answer.outcome.value})"
            )
        return None

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
        if self._decided() or not self._state.is_open:
            raise ValueError(f"the case is {self._state.status.value}; it is not waiting")
        if self._merchant is None or self._state.status is CaseStatus.STARTING:
            raise ValueError("the request has not been sent to the merchant yet")
        if local_morning(request.until, self._merchant.timezone) <= workflow.now():
            raise ValueError(f"until: {request.until.isoformat()} is not in the future")

    @workflow.signal(name="email_reply_received")
    def email_reply_received(self, notice: EmailReplyNotice) -> None:
        if any(r.message_id == notice.message_id for r in self._state.email_replies):
            return
        self._state.email_replies.append(notice)
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
        if (
            self._state.status is not CaseStatus.FOLLOW_UP
            or self._state.outcome is not Outcome.NO_SUBSCRIPTION_FOUND
        ):
            return "corrected details are only taken after the merchant found no subscription"
        if self._merchant is not None:
            corrected = self._request.model_copy(update={"customer": correction.customer})
            missing = missing_identifiers(corrected, self._merchant)
            if missing:
                return "customer: the merchant requires identifiers that are missing: " + (
                    ", ".join(missing)
                )
        return None

    @workflow.query(name="state")
    def state(self) -> CaseState:
        return self._state

    # --- steps ------------------------------------------------------------------------------

    async def _load_merchant(self) -> Merchant:
        if self._merchant is None:
            try:
                self._merchant = await workflow.execute_activity(
                    act.LOAD_MERCHANT,
                    act.LoadMerchantInput(merchant_id=self._request.merchant_id),
                    result_type=Merchant,
                    start_to_close_timeout=DIRECTORY_TIMEOUT,
                    retry_policy=DIRECTORY_RETRY,
                    summary="Load merchant and its response policy",
                )
            except ActivityError as err:
                self._fail_from(err)
        return self._merchant

    async def _send_merchant_email(
        self, kind: act.MerchantEmailKind, reminder_number: int | None = None
    ) -> EmailRecord:
        merchant = await self._load_merchant()
        email = act.MerchantEmailInput(
            case_id=self._state.case_id,
            round=self._state.round,
            kind=kind,
            reminder_number=reminder_number,
            merchant=merchant,
            subscription=self._request.subscription,
            identifiers=merchant_view(self._request, merchant),
            requested_at=self._state.requested_at,
        )
        name, summary = {
            act.MerchantEmailKind.REQUEST: (
                act.SEND_MERCHANT_REQUEST,
                "Email cancellation request",
            ),
            act.MerchantEmailKind.REMINDER: (
                act.SEND_MERCHANT_REMINDER,
                f"Email reminder {reminder_number}",
            ),
            act.MerchantEmailKind.WITHDRAWAL: (
                act.SEND_MERCHANT_WITHDRAWAL,
                "Email withdrawal (disregard request)",
            ),
        }[kind]
        try:
            sent = await workflow.execute_activity(
                name,
                email,
                result_type=act.EmailSent,
                start_to_close_timeout=EMAIL_TIMEOUT,
                retry_policy=EMAIL_RETRY,
                summary=f"{summary} to {merchant.display_name} (round {email.round})",
            )
        except ActivityError as err:
            self._fail_from(err)
        return self._remember_email(email.outbox_kind, sent)

    async def _notify_customer(self, kind: act.CustomerNotificationKind) -> None:
        merchant = await self._load_merchant()
        outcome = None
        if kind is act.CustomerNotificationKind.OUTCOME and self._state.answer is not None:
            outcome = customer_outcome_for(self._state.answer)
            self._state.customer_outcome = outcome
        notification = act.CustomerNotificationInput(
            case_id=self._state.case_id,
            round=self._state.round,
            kind=kind,
            customer_email=str(self._request.customer.email),
            customer_first_name=self._request.customer.first_name,
            locale=self._request.locale,
            merchant_display_name=merchant.display_name,
            subscription_name=self._request.subscription.name,
            outcome=outcome,
        )
        try:
            sent = await workflow.execute_activity(
                act.NOTIFY_CUSTOMER,
                notification,
                result_type=act.EmailSent,
                start_to_close_timeout=EMAIL_TIMEOUT,
                retry_policy=EMAIL_RETRY,
                summary=f"Notify customer: {outcome.kind.value if outcome else kind.value}",
            )
        except ActivityError as err:
            self._fail_from(err)
        self._remember_email(f"customer-{kind.value}", sent)
        self._state.customer_notified_at = workflow.now()

    async def _notify_ops(
        self,
        kind: act.OpsNotificationKind,
        detail: str | None = None,
        business_days_waited: int | None = None,
    ) -> None:
        merchant = await self._load_merchant()
        sent = await workflow.execute_activity(
            act.NOTIFY_OPS,
            act.OpsNotificationInput(
                case_id=self._state.case_id,
                round=self._state.round,
                kind=kind,
                merchant_id=merchant.merchant_id,
                merchant_display_name=merchant.display_name,
                waiting_since=self._state.round_started_at or self._state.requested_at,
                business_days_waited=business_days_waited,
                detail=detail,
            ),
            result_type=act.EmailSent,
            start_to_close_timeout=EMAIL_TIMEOUT,
            retry_policy=EMAIL_RETRY,
            summary=f"Notify ops: {kind.value}",
        )
        self._remember_email(f"ops-{kind.value}", sent)

    def _remember_email(self, kind: str, sent: act.EmailSent) -> EmailRecord:
        record = EmailRecord(
            kind=kind, round=self._state.round, message_id=sent.message_id, sent_at=sent.sent_at
        )
        self._state.emails.append(record)
        return record

    # --- state as ops see it ---------------------------------------------------------------

    def _set_status(self, status: CaseStatus) -> None:
        self._state.status = status
        pairs: list[SearchAttributeUpdate] = [  # type: ignore[type-arg]
            sa.MERCHANT_ID.value_set(self._state.merchant_id),
            sa.CASE_STATUS.value_set(status.value),
            sa.ESCALATED.value_set(self._state.escalated),
            sa.CASE_ROUND.value_set(self._state.round),
            sa.REQUESTED_AT.value_set(self._state.requested_at),
        ]
        if self._state.outcome is not None:
            pairs.append(sa.OUTCOME.value_set(self._state.outcome.value))
        if self._state.answered_at is not None:
            pairs.append(sa.ANSWERED_AT.value_set(self._state.answered_at))
        workflow.upsert_search_attributes(pairs)

    def _describe(self, waiting_for: str, step: ChaseStep | None, due: object = None) -> None:
        """The case's current details in the Temporal UI: where it stands and what is next."""
        due_at = step.due_at if step else due
        self._state.next_action = waiting_for
        self._state.next_action_at = due_at  # type: ignore[assignment]
        lines = [
            f"**Case** {self._state.case_id} (round {self._state.round}), "
            f"merchant {self._state.merchant_id}",
            f"**Status** {self._state.status.value}"
            + (" (escalated)" if self._state.escalated else ""),
            f"**Requested** {self._state.requested_at.isoformat()}",
        ]
        if self._state.answer is None and self._state.status is not CaseStatus.CLOSED:
            lines.append(
                f"**Waiting for** merchant answer, reminders sent: {self._state.reminders_sent}"
            )
        if self._state.email_replies:
            last = self._state.email_replies[-1]
            lines.append(
                f"**Email reply** {last.message_id} received {last.received_at.isoformat()}"
            )
        if self._state.snoozed_until:
            lines.append(
                f"**Snoozed until** {self._state.snoozed_until.isoformat()}: "
                f"{self._state.snooze_reason}"
            )
        lines.append(
            f"**Next** {waiting_for}" + (f" at {due_at.isoformat()}" if due_at else "")  # type: ignore[attr-defined]
        )
        workflow.set_current_details("\n\n".join(lines))

    def _fail(self, reason: str) -> NoReturn:
        self._state.failure = reason
        self._state.closed_at = workflow.now()
        self._set_status(CaseStatus.FAILED)
        raise CaseFailed(reason, type="CaseFailed", non_retryable=True)

    def _fail_from(self, err: ActivityError) -> NoReturn:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in act.NON_RETRYABLE_ERROR_TYPES:
            self._fail(f"{cause.type}: {cause.message}")
        raise err
