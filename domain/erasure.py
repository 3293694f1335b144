"""Erasing a case's personal data: which values are personal, and what stands in their place.

Pure rules. What a case still shows once erased (its timeline, its state) is what it showed
before with every personal value replaced by "erased on DATE"; the fields named here are the
one list of what is personal in those records (docs/privacy.md).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.actions import Actor, Reason

ERASURE_WORKFLOW_ID_PREFIX = "erasure-"

# Fields that may hold a person's data: the customer's identifiers, who answered or wrote
# (merchant staff), free text (reasons, notes, messages, subjects) and failure texts that
# can quote any of these.
PERSONAL_FIELDS = frozenset(
    {
        "customer",
        "customer_email",
        "customer_first_name",
        "identifiers",
        "sender",
        "subject",
        "responded_by",
        "reference",
        "account_reference",
        "message",
        "reason",
        "note",
        "snooze_reason",
        "withdrawal_reason",
        "failure",
        "failed",
        "detail",
        "recipient",
        "requested_by",
        "rejected_answers",
    }
)
# Who acted, when it was one of our own roles rather than a person.
ROLE_ACTORS = frozenset(
    {"customer", "ops", "cancelflow", "merchant", "unknown", "system", "erasure", "retention"}
)
# An email address as an actor names a person; a Temporal client identity (pid@host) does not.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_CLIENT_IDENTITY = re.compile(r"^[0-9]+@")


def personal_actor(actor: str) -> bool:
    """Whether an actor's name is a person's address, to be erased with the case."""
    return bool(_EMAIL.match(actor)) and not _CLIENT_IDENTITY.match(actor)


class ErasureTrigger(StrEnum):
    REQUEST = "request"
    RETENTION = "retention"


def erased_marker(on: date) -> str:
    return f"erased on {on.isoformat()}"


def redact(value: Any, marker: str) -> Any:
    """A JSON value with every personal field's value replaced by the marker."""
    if isinstance(value, dict):
        return {
            key: (_erased(item, marker) if key in PERSONAL_FIELDS else redact(item, marker))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item, marker) for item in value]
    return value


def _erased(value: Any, marker: str) -> Any:
    if value is None or value == [] or value == {}:
        return value
    if isinstance(value, list):
        return [marker for _ in value]
    return marker


def personal_values(value: Any) -> set[str]:
    """The text of every personal field in a JSON value (to strike from summaries too)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in PERSONAL_FIELDS:
                found |= _texts(item)
            else:
                found |= personal_values(item)
    elif isinstance(value, list):
        for item in value:
            found |= personal_values(item)
    return found


def _texts(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value} if value and value not in ROLE_ACTORS else set()
    if isinstance(value, dict):
        return {t for item in value.values() for t in _texts(item)}
    if isinstance(value, list):
        return {t for item in value for t in _texts(item)}
    return set()


def strike(text: str, values: set[str], marker: str) -> str:
    """text with each personal value in it replaced by the marker, longest first."""
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, marker)
    return text


class ErasureRequest(BaseModel):
    """Erase one case's personal data: who asks and why (kept: no personal data)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: Reason = Field(min_length=1)
    requested_by: Actor = "customer"


class ErasureReceipt(BaseModel):
    """What an erasure did; `already` when the case had been erased before (acknowledged)."""

    case_id: str
    erased_at: datetime
    erased_by: str
    reason: str
    trigger: ErasureTrigger
    withdrawn: bool = False
    already: bool = False
