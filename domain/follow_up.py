"""When an outcome's new round goes out: one rule for the workflow (its timer) and the pages
that tell the merchant what happens next."""

from __future__ import annotations

from datetime import date, timedelta

from domain.answers import MerchantAnswer
from domain.merchant import Merchant
from domain.outcomes import FollowUp, effective_date, spec_of


def new_round_day(answer: MerchantAnswer, merchant: Merchant) -> date | None:
    """The day the notice period allows the new request (merchant calendar), for an outcome
    followed by a new round (a binding contract: its end date less the notice period)."""
    ends = effective_date(answer)
    if spec_of(answer).follow_up is not FollowUp.NEW_ROUND_AFTER_NOTICE or ends is None:
        return None
    return ends - timedelta(days=merchant.notice_period_days)
