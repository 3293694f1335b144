"""The case workflow's activity calls, each with its timeout, retry policy and UI summary.

Called from workflow code only. Failures are left to the caller: ActivityError propagates,
so the workflow decides whether a non-retryable cause fails the case.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import assert_never
from zoneinfo import ZoneInfo

from temporalio import workflow
from temporalio.common import RetryPolicy

from activities import contracts as act
from domain.case import CaseState
from domain.customer_outcome import CustomerOutcome
from domain.follow_up import new_round_day as new_round_day
from domain.merchant import Merchant
from domain.outcomes import FollowUp, spec_of
from domain.request import CancellationRequest, merchant_view
from workflows.details import escape_markdown

# No subscription found: how long the customer has to send corrected details.
CORRECTION_WINDOW = timedelta(days=14)


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
# A resend has an op waiting for it: a few tries in two minutes, then the op is told why
# (the chase's own emails keep trying for as long as it takes).
RESEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
    non_retryable_error_types=act.NON_RETRYABLE_ERROR_TYPES,
)
RESEND_WINDOW = timedelta(minutes=2)


async def load_merchant(merchant_id: str, *, local: bool) -> Merchant:
    """The directory read. As a local activity (issue 12) it is a marker instead of three
    events and a workflow task of its own; retries past a minute back off on a timer."""
    execute = workflow.execute_local_activity if local else workflow.execute_activity
    result: Merchant = await execute(
        act.LOAD_MERCHANT,
        act.LoadMerchantInput(merchant_id=merchant_id),
        result_type=Merchant,
        start_to_close_timeout=DIRECTORY_TIMEOUT,
        retry_policy=DIRECTORY_RETRY,
        summary="Load merchant and its response policy",
    )
    return result


def merchant_email(
    state: CaseState,
    request: CancellationRequest,
    merchant: Merchant,
    kind: act.MerchantEmailKind,
    reminder_number: int | None = None,
    answer_expected_by: datetime | None = None,
    resend_number: int | None = None,
) -> act.MerchantEmailInput:
    return act.MerchantEmailInput(
        resend_number=resend_number,
        case_id=state.case_id,
        round=state.round,
        kind=kind,
        reminder_number=reminder_number,
        merchant=merchant,
        subscription=request.subscription,
        identifiers=merchant_view(request, merchant),
        requested_at=state.requested_at,
        answer_expected_by=answer_expected_by,
    )


async def send_merchant_email(email: act.MerchantEmailInput) -> act.EmailSent:
    merchant = escape_markdown(email.merchant.display_name)
    resend = email.resend_number is not None
    result: act.EmailSent = await workflow.execute_activity(
        email.kind.activity,
        email,
        result_type=act.EmailSent,
        start_to_close_timeout=EMAIL_TIMEOUT,
        schedule_to_close_timeout=RESEND_WINDOW if resend else None,
        retry_policy=RESEND_RETRY if resend else EMAIL_RETRY,
        summary=f"{_merchant_email_summary(email)} to {merchant} (round {email.round})",
    )
    return result


def _merchant_email_summary(email: act.MerchantEmailInput) -> str:
    match email.kind:
        case act.MerchantEmailKind.REQUEST:
            if email.resend_number is not None:
                return f"Email cancellation request again (resend {email.resend_number})"
            return "Email cancellation request"
        case act.MerchantEmailKind.REMINDER:
            return f"Email reminder {email.reminder_number}"
        case act.MerchantEmailKind.WITHDRAWAL:
            return "Email withdrawal (disregard request)"
        case _:
            assert_never(email.kind)


def customer_notification(
    state: CaseState,
    request: CancellationRequest,
    merchant: Merchant,
    kind: act.CustomerNotificationKind,
    outcome: CustomerOutcome | None,
) -> act.CustomerNotificationInput:
    answer = state.answer if kind is act.CustomerNotificationKind.OUTCOME else None
    corrections_until = None
    if answer is not None and spec_of(answer).follow_up is FollowUp.AWAIT_CORRECTED_DETAILS:
        last = (state.answered_at or answer.answered_at) + CORRECTION_WINDOW
        corrections_until = last.astimezone(ZoneInfo(merchant.timezone)).date()
    return act.CustomerNotificationInput(
        new_request_on=new_round_day(answer, merchant) if answer is not None else None,
        corrections_until=corrections_until,
        case_id=state.case_id,
        round=state.round,
        kind=kind,
        customer_email=str(request.customer.email),
        customer_first_name=request.customer.first_name,
        locale=request.locale,
        merchant_display_name=merchant.display_name,
        subscription_name=request.subscription.name,
        outcome=outcome,
    )


async def notify_customer(notification: act.CustomerNotificationInput) -> act.EmailSent:
    outcome = notification.outcome
    result: act.EmailSent = await workflow.execute_activity(
        act.NOTIFY_CUSTOMER,
        notification,
        result_type=act.EmailSent,
        start_to_close_timeout=EMAIL_TIMEOUT,
        retry_policy=EMAIL_RETRY,
        summary=f"Notify customer: {outcome.kind.value if outcome else notification.kind.value}",
    )
    return result


async def notify_ops(notification: act.OpsNotificationInput) -> act.EmailSent:
    result: act.EmailSent = await workflow.execute_activity(
        act.NOTIFY_OPS,
        notification,
        result_type=act.EmailSent,
        start_to_close_timeout=EMAIL_TIMEOUT,
        retry_policy=EMAIL_RETRY,
        summary=f"Notify ops: {notification.kind.value}",
    )
    return result
