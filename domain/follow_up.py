"""When a binding contract lets the cancellation service ask again: one rule for the workflow
(its timer) and the pages that tell the merchant what happens next."""

from __future__ import annotations

from datetime import date, timedelta

from domain.answers import BindingContract
from domain.merchant import Merchant


def contract_follow_up_day(answer: BindingContract, merchant: Merchant) -> date:
    """The day a binding contract's notice period allows the new request (merchant calendar)."""
    return answer.contract_ends_on - timedelta(days=merchant.notice_period_days)
