"""Moved from tests/domain/test_text_fields.py so that no test module imports another (tests/test_layout.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from domain.actions import DetailsCorrection, ResendRequest, SnoozeRequest, WithdrawalRequest
from domain.answers import parse_answer
from domain.merchant import Merchant
from domain.request import CancellationRequest

CUSTOMER: dict[str, Any] = {
    "email": "astrid@example.org",
    "first_name": "Astrid",
    "last_name": "Lindqvist",
    "postal_address": {
        "street": "Hemligvägen 7",
        "postal_code": "11455",
        "city": "Stockholm",
        "country": "SE",
    },
    "card_last4": "9876",
    "extra": {"customer_number": "CN-998877"},
}


ANSWERED = {
    "answered_at": "2026-03-02T10:00:00+01:00",
    "channel": "api",
    "responded_by": "Kim at Streamio",
    "reference": "<reply-1@streamio.example>",
}


CASES: list[tuple[str, Callable[[Any], object], dict[str, Any], set[str]]] = [
    (
        "request",
        CancellationRequest.model_validate,
        {
            "case_id": "c-text-1",
            "merchant_id": "streamio",
            "subscription": {"name": "Streamio Premium", "account_reference": "ACC-42"},
            "locale": "en",
            "customer": CUSTOMER,
            "requested_at": "2026-03-01T09:00:00+01:00",
        },
        set(),
    ),
    (
        "other_reason answer",
        parse_answer,
        {**ANSWERED, "outcome": "other_reason", "message": "The account\nis a business one."},
        {"message"},
    ),
    (
        "binding_contract answer",
        parse_answer,
        {**ANSWERED, "outcome": "binding_contract", "contract_ends_on": "2026-12-31"},
        set(),
    ),
    (
        "withdrawal",
        WithdrawalRequest.model_validate,
        {"requested_by": "customer", "reason": "Changed my mind.\r\nThanks"},
        {"reason"},
    ),
    (
        "correction",
        DetailsCorrection.model_validate,
        {"customer": CUSTOMER, "requested_by": "customer"},
        set(),
    ),
    (
        "snooze",
        SnoozeRequest.model_validate,
        {"until": "2026-04-01", "reason": "Merchant\tasked for time", "requested_by": "ops:kim"},
        {"reason"},
    ),
    (
        "resend",
        ResendRequest.model_validate,
        {"requested_by": "ops:kim", "note": "Merchant says\r\nit never arrived"},
        {"note"},
    ),
    (
        "merchant",
        Merchant.model_validate,
        {
            "merchant_id": "streamio",
            "display_name": "Streamio AB",
            "cancellation_emails": ["cancel@streamio.example"],
            "required_identifiers": ["email", "customer_number"],
            "locale": "sv",
            "timezone": "Europe/Stockholm",
            "country": "SE",
            "notice_period_days": 30,
            "response_policy": {
                "first_reminder_after": 3,
                "second_reminder_after": 6,
                "escalate_after": 10,
                "repeat_reminder_every": 10,
            },
            "notify_by": "email",
            "auto_record_replies": False,
            "auto_record_threshold": 0.9,
        },
        set(),
    ),
]


IDS = [c[0] for c in CASES]


def text_leaves(data: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from text_leaves(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from text_leaves(value, (*path, str(index)))
    elif isinstance(data, str):
        yield path, data


def inside(text: str, char: str) -> str:
    """char within text (third place when it is long enough), never at an end to be trimmed."""
    at = max(1, min(2, len(text) - 1))
    return text[:at] + char + text[at:]


def replaced(data: Any, path: tuple[str, ...], value: str) -> Any:
    if not path:
        return value
    if isinstance(data, list):
        copy = list(data)
        copy[int(path[0])] = replaced(copy[int(path[0])], path[1:], value)
        return copy
    return {**data, path[0]: replaced(data[path[0]], path[1:], value)}
