"""What the case workflow does at each step: emails, status, the UI details, ending a round.

A base class of CancellationWorkflow, so the workflow class itself reads like the guide:
the run, the chase, one method per waiting outcome, and the handlers. Workflow code: only
called inside the workflow, deterministic.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import NoReturn, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

from activities import contracts as act
from domain.business_days import business_days_between
from domain.case import CaseState, CaseStatus, EmailRecord, RoundSummary
from domain.customer_outcome import customer_outcome_for
from domain.escalation import ChaseStep, StepKind, next_chase_step
from domain.merchant import Merchant
from domain.reply_token import case_reference
from domain.request import CancellationRequest
from workflows import case_emails as emails
from workflows import search_attributes as sa
from workflows import webhooks
from workflows.details import current_details
from workflows.inputs import CaseInput

_T = TypeVar("_T")

# One patch for the cheaper case (issue 12): each patch id costs a new case two events (its
# marker and a TemporalChangeVersion upsert), so one id covers the merchant lookup as a local
# activity and leaving out search-attribute upserts that change nothing.
CHEAPER_CASE_PATCH = "cheaper-case-v1"
# Cases started before the CaseReference search attribute existed get it at their next status
# change. A case started with it (the client sets it) never asks, so it costs no marker.
CASE_REFERENCE_PATCH = "case-reference-v1"
# Likewise CaseChangedAt (the merchants' lists' read model syncs from it): cases started
# before it get it at their next status change; a case started with it never asks.
CASE_CHANGED_AT_PATCH = "case-changed-at-v1"


class CaseFailed(ApplicationError):
    pass


class CaseSteps:
    _state: CaseState
    _request: CancellationRequest
    _merchant: Merchant | None
    _steps_this_run: int

    def _decided(self) -> bool:
        return self._state.answer is not None or self._state.withdrawn_at is not None

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
                act.MerchantEmailKind.REMINDER,
                reminder_number=step.reminder_number,
                answer_expected_by=self._step_due(
                    merchant, self._state.chase_steps_done + 1, step.due_at
                ),
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

    def _step_due(self, merchant: Merchant, steps_done: int, last_step_at: datetime) -> datetime:
        """When the chase's next step is due: the merchant's answer is expected before it."""
        with workflow.unsafe.sandbox_unrestricted():
            # The holidays package reads its translations with gettext (see the chase).
            return next_chase_step(merchant, steps_done, last_step_at).due_at

    def _waiting_status(self) -> CaseStatus:
        if self._state.escalated:
            return CaseStatus.ESCALATED
        if self._state.reminders_sent:
            return CaseStatus.REMINDED
        return CaseStatus.AWAITING

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
        self._describe(f"nothing: the case is {status.value}")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    # --- steps ------------------------------------------------------------------------------

    async def _load_merchant(self) -> Merchant:
        if self._merchant is None:
            local = workflow.patched(CHEAPER_CASE_PATCH)
            self._merchant = await self._unless_failed(
                emails.load_merchant(self._request.merchant_id, local=local)
            )
        return self._merchant

    async def _send_merchant_email(
        self,
        kind: act.MerchantEmailKind,
        reminder_number: int | None = None,
        answer_expected_by: datetime | None = None,
    ) -> EmailRecord | None:
        merchant = await self._load_merchant()
        # Only the webhook's start is awaited, never the endpoint: the email is not delayed.
        await webhooks.tell_merchant(self._state, self._request, merchant, kind, reminder_number)
        if not merchant.wants_email:
            return None
        email = emails.merchant_email(
            self._state, self._request, merchant, kind, reminder_number, answer_expected_by
        )
        sent = await self._unless_failed(emails.send_merchant_email(email))
        return self._remember_email(email.outbox_kind, sent)

    async def _notify_customer(self, kind: act.CustomerNotificationKind) -> None:
        merchant = await self._load_merchant()
        outcome = None
        if kind is act.CustomerNotificationKind.OUTCOME and self._state.answer is not None:
            outcome = customer_outcome_for(self._state.answer)
            self._state.customer_outcome = outcome
        notification = emails.customer_notification(
            self._state, self._request, merchant, kind, outcome
        )
        sent = await self._unless_failed(emails.notify_customer(notification))
        self._remember_email(f"customer-{kind.value}", sent)
        self._state.customer_notified_at = workflow.now()

    async def _notify_ops(
        self,
        kind: act.OpsNotificationKind,
        detail: str | None = None,
        business_days_waited: int | None = None,
    ) -> None:
        merchant = await self._load_merchant()
        sent = await emails.notify_ops(
            act.OpsNotificationInput(
                case_id=self._state.case_id,
                round=self._state.round,
                kind=kind,
                merchant_id=merchant.merchant_id,
                merchant_display_name=merchant.display_name,
                waiting_since=self._state.round_started_at or self._state.requested_at,
                merchant_timezone=merchant.timezone,
                business_days_waited=business_days_waited,
                detail=detail,
            )
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
        if workflow.info().typed_search_attributes.get(
            sa.CASE_REFERENCE
        ) is None and workflow.patched(CASE_REFERENCE_PATCH):
            pairs.append(sa.CASE_REFERENCE.value_set(case_reference(self._state.case_id)))
        if workflow.patched(CHEAPER_CASE_PATCH):
            # Each upsert is a history event and server work: send only what changed since
            # the start (given by the client) or the last upsert, and nothing when nothing did.
            visible = workflow.info().typed_search_attributes
            pairs = [p for p in pairs if visible.get(p.key) != p.value]
            if not pairs:
                return
        # Only beside a real change, so it adds no upsert of its own.
        if workflow.info().typed_search_attributes.get(
            sa.CASE_CHANGED_AT
        ) is not None or workflow.patched(CASE_CHANGED_AT_PATCH):
            pairs.append(sa.CASE_CHANGED_AT.value_set(workflow.now()))
        workflow.upsert_search_attributes(pairs)

    def _describe(self, waiting_for: str, due: datetime | None = None) -> None:
        """The case's current details in the Temporal UI: where it stands and what is next."""
        self._state.next_action = waiting_for
        self._state.next_action_at = due
        workflow.set_current_details(current_details(self._state, waiting_for, due, self._merchant))

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

    async def _unless_failed(self, call: Awaitable[_T]) -> _T:
        """The activity's result; a cause that can never succeed fails the case visibly."""
        try:
            return await call
        except ActivityError as err:
            self._fail_from(err)
        except ApplicationError as err:
            # A local activity's failure arrives as the activity's own error, not wrapped.
            if err.type in act.NON_RETRYABLE_ERROR_TYPES and not isinstance(err, CaseFailed):
                self._fail(f"{err.type}: {err.message}")
            raise
