"""Erasing a case's personal data (issue 20): withdraw it if open, record what it still shows,
strike the personal values from our tables, destroy its key.

The steps are idempotent, so a retried or repeated erasure finishes what an interrupted one
began and acknowledges one that is done. What needs Temporal and the audit (withdrawing,
reading the timeline) comes in as functions from workers/erasure.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import erasure_contracts as contracts
from domain.erasure import ErasureReceipt, ErasureTrigger, erased_marker
from storage.archive_chain import chain_erasure
from storage.erasures import (
    ErasureRecord,
    ErasureSettings,
    ErasureStore,
    remains_digest,
    strike_case,
)

log = structlog.get_logger()

Withdraw = Callable[[str], Awaitable[bool]]
Remains = Callable[[str, date], Awaitable[dict[str, Any] | None]]
Settle = Callable[[str], Awaitable[object]]


class ErasureActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: ErasureSettings,
        *,
        withdraw: Withdraw,
        remains: Remains,
        settle: Settle,
        forget_key: Callable[[str], None],
    ) -> None:
        self._pool = pool
        self._store = ErasureStore(pool)
        self._settings = settings
        self._withdraw = withdraw
        self._remains = remains
        self._settle = settle
        self._forget_key = forget_key

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.withdraw_for_erasure,
            self.erase_case,
            self.find_cases_due_for_erasure,
            self.erase_closed_cases,
        ]

    @activity.defn(name=contracts.WITHDRAW_FOR_ERASURE)
    async def withdraw_for_erasure(self, input: contracts.EraseCaseInput) -> bool:
        """True when the case was open: it is withdrawn (the merchant told to disregard it)
        and closed when this returns."""
        if await self._store.get(input.case_id) is not None:
            return False
        return await self._withdraw(input.case_id)

    @activity.defn(name=contracts.ERASE_CASE)
    async def erase_case(self, input: contracts.EraseCaseInput) -> ErasureReceipt:
        receipt = await self.erase(input)
        if receipt is None:
            raise ApplicationError(
                f"no case '{input.case_id}' in Temporal or the archive",
                type=contracts.UNKNOWN_CASE,
                non_retryable=True,
            )
        return receipt

    async def erase(self, input: contracts.EraseCaseInput) -> ErasureReceipt | None:
        existing = await self._store.get(input.case_id)
        if existing is not None:
            # Done before, or restored from a backup taken before it: strike again (idempotent).
            await self._strike(input.case_id, None)
            return _receipt(existing, already=True)
        now = datetime.now(UTC)
        remains = await self._remains(input.case_id, now.date())
        if remains is None:
            return None
        record, created = await self._strike(
            input.case_id,
            ErasureRecord(
                case_id=input.case_id,
                erased_at=now,
                erased_by=input.erased_by,
                reason=input.reason,
                trigger=input.trigger,
                withdrawn=input.withdrawn,
                remains=remains,
            ),
        )
        log.info("case.erased", case_id=input.case_id, trigger=input.trigger.value)
        return _receipt(record, already=not created)

    async def _strike(
        self, case_id: str, record: ErasureRecord | None
    ) -> tuple[ErasureRecord, bool]:
        """The record, the struck rows and the destroyed key commit together, or none does."""
        await self._settle(case_id)
        async with self._pool.acquire() as conn, conn.transaction():
            if record is not None:
                kept, created = await self._store.record(record, conn)
                if created:
                    await chain_erasure(conn, case_id, remains_digest(kept.remains))
            else:
                found = await self._store.get(case_id, conn)
                assert found is not None
                kept, created = found, False
            marker = erased_marker(kept.erased_at.date())
            await strike_case(conn, case_id, marker)
        self._forget_key(case_id)
        return kept, created

    @activity.defn(name=contracts.FIND_CASES_DUE_FOR_ERASURE)
    async def find_cases_due_for_erasure(self, input: contracts.FindDueInput) -> list[str]:
        from datetime import timedelta

        return await self._store.due(timedelta(days=self._settings.after_days), input.limit)

    @activity.defn(name=contracts.ERASE_CLOSED_CASES)
    async def erase_closed_cases(
        self, input: contracts.EraseClosedInput
    ) -> contracts.EraseClosedResult:
        erased = already = 0
        skipped: list[str] = []
        reason = f"retention: {self._settings.after_days} days after the case closed"
        for case_id in input.case_ids:
            activity.heartbeat(case_id)
            receipt = await self.erase(
                contracts.EraseCaseInput(
                    case_id=case_id,
                    erased_by="retention",
                    reason=reason,
                    trigger=ErasureTrigger.RETENTION,
                )
            )
            if receipt is None:
                skipped.append(case_id)
            elif receipt.already:
                already += 1
            else:
                erased += 1
        return contracts.EraseClosedResult(erased=erased, already=already, skipped=skipped)


def _receipt(record: ErasureRecord, *, already: bool) -> ErasureReceipt:
    return ErasureReceipt(
        case_id=record.case_id,
        erased_at=record.erased_at,
        erased_by=record.erased_by,
        reason=record.reason,
        trigger=record.trigger,
        withdrawn=record.withdrawn,
        already=already,
    )
