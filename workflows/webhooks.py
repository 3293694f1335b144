"""Webhook deliveries: one child workflow per event, started by the case and left to run.

The child (`webhook-<event id>`) outlives the case (ParentClosePolicy.ABANDON), so a case
that closes or continues as new while an endpoint is down still delivers the event later.
Its workflow id makes a second start of the same event a duplicate, refused by the server.
The case only waits for the child to *start*: never for the endpoint.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities import contracts as act
    from domain.answers import MerchantAnswer
    from domain.case import CaseState
    from domain.merchant import Merchant
    from domain.reply_token import case_reference
    from domain.request import CancellationRequest, merchant_view
    from domain.webhooks import (
        DELIVERY_WORKFLOW_ID_PREFIX,
        AnswerSummary,
        CaseEventData,
        EventType,
        WebhookEvent,
        event_id_for,
    )

PATCH_ID = "webhooks-v1"
# Deliveries that give up report to ops first; deliveries that gave up before it did not.
GIVE_UP_PATCH_ID = "webhook-give-up-report-v1"
WORKFLOW_ID_PREFIX = DELIVERY_WORKFLOW_ID_PREFIX
# Endpoints go down for a weekend; back off to one try per 10 minutes and keep at it for days.
WEBHOOK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=0,
)
WEBHOOK_DELIVERY_WINDOW = timedelta(days=5)
# Several endpoints, each with a 10 s HTTP timeout.
WEBHOOK_ATTEMPT_TIMEOUT = timedelta(seconds=60)
# Telling ops must not give up where the delivery did: the mail relay may be down too.
REPORT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=act.NON_RETRYABLE_ERROR_TYPES,
)


def delivery_workflow_id(event_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{event_id}"


@workflow.defn
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, input: act.WebhookDeliveryInput) -> act.WebhookDelivered:
        try:
            result: act.WebhookDelivered = await workflow.execute_activity(
                act.DELIVER_WEBHOOK,
                input,
                result_type=act.WebhookDelivered,
                start_to_close_timeout=WEBHOOK_ATTEMPT_TIMEOUT,
                schedule_to_close_timeout=WEBHOOK_DELIVERY_WINDOW,
                retry_policy=WEBHOOK_RETRY,
                summary=f"POST {input.event.type.value} to {input.merchant_id}'s endpoints",
            )
        except ActivityError as err:
            # The case never waits for this workflow, so nobody would notice it failing.
            if workflow.patched(GIVE_UP_PATCH_ID):
                await workflow.execute_activity(
                    act.REPORT_WEBHOOK_FAILURE,
                    act.WebhookFailureInput(
                        event_id=input.event.id,
                        event_type=input.event.type.value,
                        merchant_id=input.merchant_id,
                        case_id=input.event.data.case_id,
                        started_at=workflow.info().workflow_start_time,
                        gave_up_at=workflow.now(),
                        last_error=last_error(err)[:2000],
                    ),
                    result_type=act.EmailSent,
                    start_to_close_timeout=timedelta(seconds=60),
                    retry_policy=REPORT_RETRY,
                    summary=f"Tell ops: {input.event.type.value} not delivered",
                )
            raise
        return result


def last_error(err: BaseException) -> str:
    """The innermost cause's message: the endpoint errors, not 'activity task failed'."""
    messages = []
    current: BaseException | None = err
    while current is not None:
        messages.append(str(current))
        current = current.__cause__
    meaningful = [m for m in messages if m]
    return meaningful[-1] if meaningful else type(err).__name__


def case_event(
    event_type: EventType,
    *,
    case_id: str,
    round: int,
    request: CancellationRequest,
    merchant: Merchant,
    requested_at: datetime,
    reminder_number: int | None = None,
    answer: MerchantAnswer | None = None,
) -> WebhookEvent:
    """The event as the workflow knows it; the activity adds the reply link."""
    with_identifiers = event_type in (EventType.REQUESTED, EventType.REMINDER)
    summary = None
    if answer is not None:
        summary = AnswerSummary(
            outcome=answer.outcome,
            answered_at=answer.answered_at,
            channel=answer.channel,
            access_until=getattr(answer, "access_until", None),
            cancelled_on=getattr(answer, "cancelled_on", None),
            contract_ends_on=getattr(answer, "contract_ends_on", None),
        )
    return WebhookEvent(
        id=event_id_for(case_id, event_type, round, reminder_number or 1),
        type=event_type,
        timestamp=workflow.now(),
        data=CaseEventData(
            case_id=case_id,
            reference=case_reference(case_id),
            merchant_id=merchant.merchant_id,
            round=round,
            subscription=request.subscription,
            requested_at=requested_at,
            identifiers=merchant_view(request, merchant) if with_identifiers else [],
            reminder_number=reminder_number,
            answer=summary,
        ),
    )


async def start_delivery(merchant: Merchant, event: WebhookEvent) -> None:
    """Starts the event's delivery and returns as soon as it has started."""
    try:
        await workflow.start_child_workflow(
            WebhookDeliveryWorkflow.run,
            act.WebhookDeliveryInput(
                merchant_id=merchant.merchant_id,
                event=event,
                required=not merchant.wants_email,
            ),
            id=delivery_workflow_id(event.id),
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"Webhook {event.type.value} ({event.id})",
        )
    except WorkflowAlreadyStartedError:
        # Started before (a reset or replayed case): the event is delivered by that one.
        pass


_EVENT_OF_EMAIL = {
    act.MerchantEmailKind.REQUEST: EventType.REQUESTED,
    act.MerchantEmailKind.REMINDER: EventType.REMINDER,
    act.MerchantEmailKind.WITHDRAWAL: EventType.WITHDRAWN,
}


async def tell_merchant(
    state: CaseState,
    request: CancellationRequest,
    merchant: Merchant,
    event_type: EventType | act.MerchantEmailKind,
    reminder_number: int | None = None,
    answer: MerchantAnswer | None = None,
) -> None:
    """Starts the webhook delivery of a case event if the merchant takes webhooks.

    Email-only merchants (every case before this change) record nothing new, so their
    histories replay unchanged.
    """
    if not merchant.wants_webhooks:
        return
    # Deprecated, not checked: a merchant recorded before webhooks-v1 has no notify_by and
    # reads as email-only, so wants_webhooks alone picks the branch of every history. The
    # call stays for the marker that older histories hold. A query handed to the worker
    # with the case's first task (sent before a worker took it) makes core record the
    # merchant lookup's marker (a local activity) in that task and give the workflow its
    # result in the next; on replay the result comes in the first task, so this call runs
    # one task early, before core tells the SDK of the marker. patched() then answered
    # False and left the marker unmatched ("Non-deprecated patch marker encountered"); a
    # deprecated marker that meets no command is skipped by core, so such histories replay.
    workflow.deprecate_patch(PATCH_ID)
    if isinstance(event_type, act.MerchantEmailKind):
        event_type = _EVENT_OF_EMAIL[event_type]
    event = case_event(
        event_type,
        case_id=state.case_id,
        round=state.round,
        request=request,
        merchant=merchant,
        requested_at=state.requested_at,
        reminder_number=reminder_number,
        answer=answer,
    )
    await start_delivery(merchant, event)
