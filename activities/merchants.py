"""The activity that reads a case's merchant from the directory."""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import contracts
from domain.merchant import Merchant
from storage.merchants import MerchantDirectory

log = structlog.get_logger()


class MerchantActivities:
    def __init__(self, directory: MerchantDirectory) -> None:
        self._directory = directory

    @activity.defn(name=contracts.LOAD_MERCHANT)
    async def load_merchant(self, input: contracts.LoadMerchantInput) -> Merchant:
        merchant = await self._directory.get(input.merchant_id)
        if merchant is None:
            log.warning("merchant.unknown", merchant_id=input.merchant_id)
            raise ApplicationError(
                f"merchant '{input.merchant_id}' is not in the merchant directory",
                type=contracts.UNKNOWN_MERCHANT,
                non_retryable=True,
            )
        return merchant
