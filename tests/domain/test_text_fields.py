"""Issue 9 #1: a control character in any text field is refused, naming the field.

Each model is built from a payload that fills every field it has; a NUL (and other control
characters) is then put into every text of that payload in turn. A field added later without
the rule fails here, because the payloads must fill every field of every model.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from domain.actions import WithdrawalRequest
from domain.answers import parse_answer
from domain.text import has_forbidden_characters
from tests.domain.helpers import problems_of
from tests.helpers.text_fields import CASES, IDS, poisoned

# (name, build, payload, fields whose text may span lines)
# NUL, ESC (terminal escapes), DEL, a C1 control, and an unpaired surrogate.
FORBIDDEN = ["\x00", "\x1b", "\x7f", "\x85", "\ud800"]


def every_field_filled(model: BaseModel) -> list[str]:
    """Fields left at their default anywhere in the model (the payload must fill them all)."""
    missing = [
        f"{type(model).__name__}.{n}"
        for n in type(model).model_fields
        if n not in model.model_fields_set
    ]
    for name in model.model_fields_set:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            missing += every_field_filled(value)
    return missing


@pytest.mark.parametrize(("name", "build", "payload", "multiline"), CASES, ids=IDS)
def test_the_payload_is_valid_and_fills_every_field(
    name: str, build: Callable[[Any], object], payload: dict[str, Any], multiline: set[str]
) -> None:
    built = build(payload)
    assert isinstance(built, BaseModel)
    assert every_field_filled(built) == []


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize(("name", "build", "payload", "multiline"), CASES, ids=IDS)
def test_a_control_character_in_any_text_is_refused_naming_the_field(
    name: str,
    build: Callable[[Any], object],
    payload: dict[str, Any],
    multiline: set[str],
    char: str,
) -> None:
    variants = list(poisoned(payload, char))
    assert variants
    for path, bad in variants:
        problems = problems_of(lambda p=bad: build(p))  # type: ignore[misc]
        assert ".".join(path) in problems, (path, problems)


@pytest.mark.parametrize(("name", "build", "payload", "multiline"), CASES, ids=IDS)
def test_free_text_fields_say_the_rule_and_where(
    name: str, build: Callable[[Any], object], payload: dict[str, Any], multiline: set[str]
) -> None:
    # Free text (not a slug, date, email or code with its own pattern) names the rule itself.
    free = {
        "name",
        "account_reference",
        "first_name",
        "last_name",
        "street",
        "postal_code",
        "city",
        "customer_number",
        "responded_by",
        "reference",
        "message",
        "reason",
        "requested_by",
        "display_name",
    }
    for path, bad in poisoned(payload, "\x00"):
        if path[-1] not in free:
            continue
        problems = problems_of(lambda p=bad: build(p))  # type: ignore[misc]
        message = problems[".".join(path)]
        assert message == (
            "must not contain control characters"
            + (
                " (line breaks and tabs are allowed)"
                if path[-1] in multiline
                else " (no line breaks or tabs either)"
            )
            + ": found U+0000 at position 3"
        ), (path, message)


@pytest.mark.parametrize("char", ["\n", "\r", "\t"], ids=["LF", "CR", "TAB"])
@pytest.mark.parametrize(("name", "build", "payload", "multiline"), CASES, ids=IDS)
def test_line_breaks_and_tabs_only_where_text_may_span_lines(
    name: str,
    build: Callable[[Any], object],
    payload: dict[str, Any],
    multiline: set[str],
    char: str,
) -> None:
    for path, inner in poisoned(payload, char):
        if path[-1] in multiline:
            build(inner)
        else:
            assert ".".join(path) in problems_of(
                lambda p=inner: build(p)  # type: ignore[misc]
            ), path


def test_surrounding_whitespace_is_trimmed_but_other_controls_at_the_ends_are_refused() -> None:
    assert WithdrawalRequest.model_validate({"requested_by": "\tcustomer\r\n"}).requested_by == (
        "customer"
    )
    # pydantic's own stripping would silently remove these; they are refused instead.
    for char in ["\x0b", "\x0c", "\x1c", "\x85"]:
        problems = problems_of(
            lambda c=char: WithdrawalRequest.model_validate({"requested_by": f"customer{c}"})  # type: ignore[misc]
        )
        assert problems["requested_by"].endswith(f"found U+{ord(char):04X} at position 9")


def test_ordinary_text_from_every_script_passes() -> None:
    for text in ["Åsa Öberg", "Zoë – “quoted”", "東京都", "مرحبا", "emoji 🙂", "tab\tless"[:3]]:
        assert not has_forbidden_characters(text)
    assert has_forbidden_characters("a\tb")
    assert not has_forbidden_characters("a\tb\r\n", multiline=True)
    assert WithdrawalRequest(reason="Byter till  Åsa 🙂\n").reason == "Byter till  Åsa 🙂"
    stamp = datetime(2026, 3, 2, tzinfo=UTC)
    assert (
        parse_answer(
            {
                "outcome": "no_subscription_found",
                "answered_at": stamp,
                "channel": "api",
                "responded_by": "Ингрид",
            }
        ).responded_by
        == "Ингрид"
    )


def test_recorded_text_reads_as_it_was_while_new_input_is_refused() -> None:
    from pydantic import ValidationError

    from domain.request import Subscription
    from domain.text import reading_recorded_text

    with pytest.raises(ValidationError, match="must not contain control characters"):
        Subscription(name="Acme\r\nPremium")
    with reading_recorded_text():
        assert Subscription(name="Acme\r\nPremium").name == "Acme\r\nPremium"
    with pytest.raises(ValidationError):
        Subscription(name="Acme\x00")
