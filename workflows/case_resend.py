"""Ops send the merchant the round's request again: the Update `resend_request` and its
validator, a base of CancellationWorkflow beside CaseSteps. Workflow code only.

The chase keeps its schedule: a resend moves no reminder or escalation (resending cannot
put off an escalation, and the next reminder comes when it was due). The resent email says
the same "answer expected by" as the step that is next. Only histories that have the Update
run this code, so cases without one replay as before without a patch.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from activities import contracts as act
from domain import refusals
from domain.actions import ResendRequest
from domain.case import CaseState
from domain.escalation import next_chase_step
from domain.merchant import Merchant
from domain.webhooks import EventType, event_id_for
from workflows import case_emails as emails
from workflows import webhooks
from workflows.case_steps import CaseSteps


class CaseResend(CaseSteps):
    # One resend at a time: a second while the first is out is refused, not queued.
    _resending = False

    @workflow.update(name="resend_request")
    async def resend_request(self, request: ResendRequest) -> CaseState:
        self._resending = True
        try:
            merchant = await self._load_merchant()
            number = self._state.requests_resent + 1
            await self._resend_webhook(merchant, number)
            if merchant.wants_email:
                await self._resend_email(merchant, number)
            self._state.requests_resent = number
        finally:
            self._resending = False
        return self._state

    @resend_request.validator
    def _validate_resend_request(self, request: ResendRequest) -> None:
        problem = refusals.resend_refusal(self._state)
        if problem is None and self._resending:
            problem = "the request is being sent again already"
        if problem:
            raise ValueError(problem)

    async def _resend_email(self, merchant: Merchant, number: int) -> None:
        assert self._state.last_chase_at is not None  # the validator: the request went out
        with workflow.unsafe.sandbox_unrestricted():
            # The holidays package reads its translations with gettext (see the chase).
            expected_by = next_chase_step(
                merchant,
                self._state.chase_steps_done,
                self._state.last_chase_at,
                not_before=self._state.snoozed_until,
            ).due_at
        email = emails.merchant_email(
            self._state,
            self._request,
            merchant,
            act.MerchantEmailKind.REQUEST,
            answer_expected_by=expected_by,
            resend_number=number,
        )
        try:
            sent = await emails.send_merchant_email(email)
        except ActivityError as err:
            # The op is told and may try again (the same number: the outbox sends it once);
            # the case itself goes on, and fails at its own next email if the cause lasts.
            cause = err.cause.message if isinstance(err.cause, ApplicationError) else str(err)
            raise ApplicationError(
                f"the request could not be sent again: {cause}", non_retryable=True
            ) from None
        self._remember_email(email.outbox_kind, sent)

    async def _resend_webhook(self, merchant: Merchant, number: int) -> None:
        """A webhook merchant gets `cancellation.requested` again: the same event with the
        next number in its id, so the merchant's deduplication by id does not drop it.

        Decided by wants_webhooks alone, as tell_merchant does (webhooks-v1 is deprecated):
        only histories with this Update run it, so it needs no patch of its own."""
        if not merchant.wants_webhooks:
            return
        event = webhooks.case_event(
            EventType.REQUESTED,
            case_id=self._state.case_id,
            round=self._state.round,
            request=self._request,
            merchant=merchant,
            requested_at=self._state.requested_at,
        )
        resent_id = event_id_for(
            self._state.case_id, EventType.REQUESTED, self._state.round, number + 1
        )
        await webhooks.start_delivery(merchant, event.model_copy(update={"id": resent_id}))
