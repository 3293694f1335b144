"""CancellationWorkflow: one per case. The workflow history is the case's audit log."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities import contracts as act
    from domain.answers import MerchantAnswer, Outcome
    from domain.case import AnswerReceipt, CaseState, CaseStatus, EmailRecord
    from domain.customer_outcome import customer_outcome_for
    from domain.merchant import Merchant
    from domain.request import CancellationRequest, merchant_view, missing_identifiers

WORKFLOW_ID_PREFIX = "case-"


def workflow_id_for(case_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{case_id}"


class CaseInput(BaseModel):
    request: CancellationRequest
    round: int = Field(default=1, ge=1)
    merchant: Merchant | None = Field(
        default=None, description="The merchant as the case started with it (kept across rounds)"
    )


class SubmitAnswer(BaseModel):
    answer: MerchantAnswer


# Reading the directory is quick; a database outage should be waited out, not fail the case.
DIRECTORY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=act.NON_RETRYABLE_ERROR_TYPES,
)
# SMTP relays throttle and go down; keep trying, slower, until ops see it in the UI.
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


@workflow.defn
class CancellationWorkflow:
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        self._request = input.request
        self._merchant: Merchant | None = input.merchant
        self._state = CaseState(
            case_id=input.request.case_id,
            merchant_id=input.request.merchant_id,
            round=input.round,
            requested_at=input.request.requested_at or workflow.now(),
        )

    @workflow.run
    async def run(self, input: CaseInput) -> CaseState:
        merchant = await self._load_merchant()
        missing = missing_identifiers(self._request, merchant)
        if missing:
            self._fail(f"merchant '{merchant.merchant_id}' requires missing identifiers: "
                       + ", ".join(missing))

        await self._send_merchant_email(act.MerchantEmailKind.REQUEST)
        self._set_status(CaseStatus.AWAITING, next_action="merchant answer")

        await workflow.wait_condition(lambda: self._state.answer is not None)
        answer = self._state.answer
        assert answer is not None

        await self._after_answer(answer)
        self._state.closed_at = workflow.now()
        self._set_status(CaseStatus.CLOSED)
        return self._state

    # --- the merchant's answer: one path for the signal and the Update -------------------

    @workflow.signal(name="merchant_response")
    def merchant_response(self, submission: SubmitAnswer) -> None:
        problem = self._answer_problem(submission.answer)
        if problem:
            # A signal cannot be refused; the reason stays visible in the case state.
            workflow.logger.warning("answer signal not recorded: %s", problem)
            self._state.rejected_answers.append(problem)
            return
        self._record(submission.answer)

    @workflow.update(name="submit_answer")
    def submit_answer(self, submission: SubmitAnswer) -> AnswerReceipt:
        recorded = self._record(submission.answer)
        assert self._state.answer is not None
        return AnswerReceipt(
            case_id=self._state.case_id,
            recorded=recorded,
            answer=self._state.answer,
            status=self._state.status,
        )

    @submit_answer.validator
    def _validate_submit_answer(self, submission: SubmitAnswer) -> None:
        problem = self._answer_problem(submission.answer)
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
        if not self._state.is_open:
            return f"the case is {self._state.status.value}; it no longer takes answers"
        if self._state.status is CaseStatus.STARTING:
            return "the cancellation request has not been sent to the merchant yet"
        return None

    def _record(self, answer: MerchantAnswer) -> bool:
        if self._state.answer is not None:
            return False
        self._state.answer = answer
        self._state.answered_at = workflow.now()
        self._set_status(CaseStatus.ANSWERED, next_action="notify customer")
        return True

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
                    summary="Load merchant from directory",
                )
            except ActivityError as err:
                self._fail_from(err)
        assert self._merchant is not None
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
        name = {
            act.MerchantEmailKind.REQUEST: act.SEND_MERCHANT_REQUEST,
            act.MerchantEmailKind.REMINDER: act.SEND_MERCHANT_REMINDER,
            act.MerchantEmailKind.WITHDRAWAL: act.SEND_MERCHANT_WITHDRAWAL,
        }[kind]
        try:
            sent = await workflow.execute_activity(
                name,
                email,
                result_type=act.EmailSent,
                start_to_close_timeout=EMAIL_TIMEOUT,
                retry_policy=EMAIL_RETRY,
                summary=f"Email merchant: {email.outbox_kind} (round {email.round})",
            )
        except ActivityError as err:
            self._fail_from(err)
        record = EmailRecord(
            kind=email.outbox_kind, round=email.round, message_id=sent.message_id,
            sent_at=sent.sent_at,
        )
        self._state.emails.append(record)
        return record

    async def _after_answer(self, answer: MerchantAnswer) -> None:
        # Each outcome has its own follow-up; the customer only ever sees the mapped outcome.
        if answer.outcome is Outcome.OTHER_REASON:
            await self._notify_ops(act.OpsNotificationKind.OTHER_REASON, detail=answer.message)
        await self._notify_customer(act.CustomerNotificationKind.OUTCOME)

    async def _notify_customer(self, kind: act.CustomerNotificationKind) -> None:
        merchant = await self._load_merchant()
        outcome = customer_outcome_for(self._state.answer) if self._state.answer else None
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
        self._state.emails.append(
            EmailRecord(kind=f"customer-{kind.value}", round=self._state.round,
                        message_id=sent.message_id, sent_at=sent.sent_at)
        )
        self._state.customer_notified_at = workflow.now()

    async def _notify_ops(self, kind: act.OpsNotificationKind, detail: str | None = None) -> None:
        merchant = await self._load_merchant()
        sent = await workflow.execute_activity(
            act.NOTIFY_OPS,
            act.OpsNotificationInput(
                case_id=self._state.case_id,
                round=self._state.round,
                kind=kind,
                merchant_id=merchant.merchant_id,
                merchant_display_name=merchant.display_name,
                waiting_since=self._state.requested_at,
                detail=detail,
            ),
            result_type=act.EmailSent,
            start_to_close_timeout=EMAIL_TIMEOUT,
            retry_policy=EMAIL_RETRY,
            summary=f"Notify ops: {kind.value}",
        )
        self._state.emails.append(
            EmailRecord(kind=f"ops-{kind.value}", round=self._state.round,
                        message_id=sent.message_id, sent_at=sent.sent_at)
        )

    # --- state ------------------------------------------------------------------------------

    def _set_status(self, status: CaseStatus, next_action: str | None = None) -> None:
        self._state.status = status
        self._state.next_action = next_action

    def _fail(self, reason: str) -> None:
        self._state.failure = reason
        self._state.closed_at = workflow.now()
        self._set_status(CaseStatus.FAILED)
        raise CaseFailed(reason, type="CaseFailed", non_retryable=True)

    def _fail_from(self, err: ActivityError) -> None:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in act.NON_RETRYABLE_ERROR_TYPES:
            self._fail(f"{cause.type}: {cause.message}")
        raise err
