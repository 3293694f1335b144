from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, ValidationError

from domain.text import NO_CONTROLS

Locale = Literal["en", "sv"]
SUPPORTED_LOCALES: tuple[Locale, ...] = ("en", "sv")

_NAMED_MESSAGE = re.compile(r"^([a-z_][a-z0-9_]*): (.+)$", re.DOTALL)
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _slug(value: str) -> str:
    # fullmatch: with match, '$' would also accept a trailing newline.
    if not _SLUG.fullmatch(value):
        raise ValueError(
            "must be 1-64 characters of letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{value}' is not an IANA time zone such as 'Europe/Stockholm'") from None
    return value


Slug = Annotated[str, AfterValidator(_slug)]
# NO_CONTROLS first (listed last): the name is echoed in the refusal, which must be printable.
TimeZoneName = Annotated[str, AfterValidator(_timezone), NO_CONTROLS]


class Channel(StrEnum):
    """How an answer reached us."""

    PORTAL = "portal"
    API = "api"
    EMAIL = "email"
    OPS = "ops"


def local_date(moment: datetime) -> date:
    """The calendar date of an aware instant in its own offset."""
    return moment.date()


def describe_validation_error(error: ValidationError) -> list[dict[str, str]]:
    """Field-level messages a person can act on.

    [{'field': 'customer.card_last4', 'message': 'must be exactly four digits, ...'}]
    """
    problems: list[dict[str, str]] = []
    for item in error.errors(include_url=False):
        loc = [str(part) for part in item["loc"] if not _is_union_tag(part)]
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            # The discriminator (e.g. 'outcome') is a field like any other to the person.
            loc, message = _union_tag_problem(loc, item.get("ctx") or {}, item["type"])
        field = ".".join(loc)
        # Cross-field rules are raised on the model and name their field as 'field: ...'.
        named = _NAMED_MESSAGE.match(message)
        if named:
            field = ".".join([*loc, named.group(1)]) if loc else named.group(1)
            message = named.group(2)
        problems.append({"field": field or "(body)", "message": message})
    return problems


def _union_tag_problem(loc: list[str], ctx: dict[str, object], kind: str) -> tuple[list[str], str]:
    name = str(ctx.get("discriminator", "")).strip("'") or "type"
    # expected_tags is a rendered string such as "<Outcome.X: 'x'>, ..." or "'x', 'y'".
    expected = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected_tags", ""))))
    if kind == "union_tag_invalid":
        return [*loc, name], f"'{ctx.get('tag')}' is not one of: {expected}"
    return [*loc, name], "is required"


def _is_union_tag(part: object) -> bool:
    # Discriminated unions add the tag value (e.g. 'binding_contract') to the location;
    # the person filling the form knows the field, not the tag.
    return isinstance(part, str) and part in _UNION_TAGS


_UNION_TAGS: set[str] = set()


def register_union_tags(*tags: str) -> None:
    _UNION_TAGS.update(tags)


def format_validation_error(error: ValidationError) -> str:
    return "; ".join(f"{p['field']}: {p['message']}" for p in describe_validation_error(error))
