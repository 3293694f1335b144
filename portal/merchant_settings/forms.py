"""Reading the settings form into a new Merchant: pure, so every rule is tested without HTTP."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from domain.common import describe_validation_error
from domain.customer import STANDARD_IDENTIFIERS, StandardIdentifier
from domain.merchant import Merchant

_SPLIT = re.compile(r"[\s,;]+")
PROFILE_FIELDS = ("required_identifiers", "cancellation_emails", "locale", "timezone", "notify_by")


def read_profile(
    current: Merchant,
    identifiers: list[str],
    extra_identifiers: str,
    contacts: str,
    locale: str,
    timezone: str,
    notify_by: str,
) -> tuple[Merchant | None, dict[str, str]]:
    """(the merchant with the form's values, {}) or (None, {field: message})."""
    standard = [i.value for i in StandardIdentifier if i.value in identifiers]
    extras = [name.strip() for name in _SPLIT.split(extra_identifiers) if name.strip()]
    data: dict[str, Any] = current.model_dump(mode="json")
    data.update(
        required_identifiers=list(dict.fromkeys(standard + extras)),
        cancellation_emails=[a.strip() for a in contacts.splitlines() if a.strip()],
        locale=locale,
        timezone=timezone.strip(),
        notify_by=notify_by,
    )
    try:
        return Merchant.model_validate(data), {}
    except ValidationError as err:
        errors: dict[str, str] = {}
        for problem in describe_validation_error(err):
            field = problem["field"].split(".")[0]
            errors.setdefault(field, f"{problem['field']}: {problem['message']}")
        return None, errors


def changed_fields(before: Merchant, after: Merchant) -> dict[str, dict[str, Any]]:
    """{field: {"from": old, "to": new}} for the settings the page can change."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return {
        name: {"from": old[name], "to": new[name]}
        for name in PROFILE_FIELDS
        if old[name] != new[name]
    }


def extras_of(merchant: Merchant) -> str:
    return ", ".join(n for n in merchant.required_identifiers if n not in STANDARD_IDENTIFIERS)
