"""Reading the settings forms: pure, so every rule is tested without HTTP.

Refusals are said in the merchant's language at the field they concern, naming what the
merchant typed, never a model field or a setting of ours.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from pydantic import ValidationError

from domain.common import describe_validation_error
from domain.customer import STANDARD_IDENTIFIERS, StandardIdentifier
from domain.merchant import Merchant
from domain.webhooks import InvalidEndpointUrl, validate_endpoint_url
from portal.i18n import Translator

_SPLIT = re.compile(r"[\s,;]+")
PROFILE_FIELDS = ("required_identifiers", "cancellation_emails", "locale", "timezone", "notify_by")


MAX_CONTACTS = 10
# Every zone the form offers (IANA names, sorted); the model still checks what is posted.
TIME_ZONES: tuple[str, ...] = tuple(sorted(available_timezones()))


def read_profile(
    current: Merchant,
    identifiers: list[str],
    extra_identifiers: str,
    contacts: str,
    locale: str,
    timezone: str,
    notify_by: str,
    t: Translator,
) -> tuple[Merchant | None, dict[str, str]]:
    """(the merchant with the form's values, {}) or (None, {form field: message})."""
    standard = [i.value for i in StandardIdentifier if i.value in identifiers]
    extras = [name.strip() for name in _SPLIT.split(extra_identifiers) if name.strip()]
    names = list(dict.fromkeys(standard + extras))
    addresses = [a.strip() for a in contacts.splitlines() if a.strip()]
    data: dict[str, Any] = current.model_dump(mode="json")
    data.update(
        required_identifiers=names,
        cancellation_emails=addresses,
        locale=locale,
        timezone=timezone.strip(),
        notify_by=notify_by,
    )
    try:
        return Merchant.model_validate(data), {}
    except ValidationError as err:
        errors: dict[str, str] = {}
        for problem in describe_validation_error(err):
            field, message = _in_plain_words(problem["field"], names, addresses, t)
            errors.setdefault(field, message)
        return None, errors


def _in_plain_words(
    path: str, names: list[str], addresses: list[str], t: Translator
) -> tuple[str, str]:
    """(the form field, the merchant's words) for one of the model's refusals."""
    head, _, index = path.partition(".")
    position = int(index.split(".")[0]) if index[:1].isdigit() else None
    if head == "required_identifiers":
        if position is None or position >= len(names):
            return "identifiers", t("err_identifiers_required")
        return "extra_identifiers", t("err_identifier_name", name=names[position][:80])
    if head == "cancellation_emails":
        if position is not None and position < len(addresses):
            return "contacts", t("err_contact_invalid", address=addresses[position][:120])
        if len(addresses) > MAX_CONTACTS:
            return "contacts", t("err_contacts_too_many", limit=MAX_CONTACTS)
        return "contacts", t("err_contacts_required")
    if head == "timezone":
        return "timezone", t("err_timezone")
    if head in ("locale", "notify_by"):
        return head, t("err_choose_option")
    return head or "profile", t("err_field")


def endpoint_url_problem(url: str, allow_insecure_localhost: bool, t: Translator) -> str | None:
    """The plain-words refusal of a webhook address, or None when the domain accepts it.

    The domain's rule decides; the words follow from the address itself.
    """
    try:
        validate_endpoint_url(url, allow_insecure_localhost)
    except InvalidEndpointUrl:
        pass
    else:
        return None
    text = url.strip()
    if not text:
        return t("err_url_required")
    if len(text) > 2000:
        return t("err_url_too_long")
    if any(ord(c) <= 32 or ord(c) == 127 for c in text):
        return t("err_url_spaces")
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return t("err_url_format")
    if parts.scheme not in ("https", "http") or not host:
        return t("err_url_format")
    if parts.username or parts.password:
        return t("err_url_credentials")
    if parts.scheme == "http":
        return t("err_url_https")
    return t("err_url_public")


def changed_fields(
    before: Merchant, after: Merchant, fields: Sequence[str] = PROFILE_FIELDS
) -> dict[str, dict[str, Any]]:
    """{field: {"from": old, "to": new}} for the settings a form can change (the profile's,
    unless told)."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return {name: {"from": old[name], "to": new[name]} for name in fields if old[name] != new[name]}


def extras_of(merchant: Merchant) -> str:
    return ", ".join(n for n in merchant.required_identifiers if n not in STANDARD_IDENTIFIERS)
