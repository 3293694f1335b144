"""Bidi controls, invisible characters and line/paragraph separators (#16.8): refused in every
text field of a case, naming the field and the character; shown written out where older
recorded text is displayed (domain/text.py has the rule)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain.request import Subscription
from domain.text import has_forbidden_characters, is_hidden, reading_recorded_text, visible
from tests.domain.helpers import problems_of
from tests.helpers.text_fields import CASES, IDS, poisoned

HIDDEN = {
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u202a": "LEFT-TO-RIGHT EMBEDDING",
    "\u2066": "LEFT-TO-RIGHT ISOLATE",
    "\u2067": "RIGHT-TO-LEFT ISOLATE",
    "\u2069": "POP DIRECTIONAL ISOLATE",
    "\u200e": "LEFT-TO-RIGHT MARK",
    "\u061c": "ARABIC LETTER MARK",
    "\u200b": "ZERO WIDTH SPACE",
    "\u2060": "WORD JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE",
    "\u00ad": "SOFT HYPHEN",
    "\u2028": "LINE SEPARATOR",
    "\u2029": "PARAGRAPH SEPARATOR",
    "\U000e0041": "TAG LATIN CAPITAL LETTER A",
}


@pytest.mark.parametrize("char", list(HIDDEN), ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize(("name", "build", "payload", "multiline"), CASES, ids=IDS)
def test_a_hidden_character_in_any_text_is_refused_naming_the_field(
    name: str,
    build: Callable[[Any], object],
    payload: dict[str, Any],
    multiline: set[str],
    char: str,
) -> None:
    for path, bad in poisoned(payload, char):
        problems = problems_of(lambda p=bad: build(p))  # type: ignore[misc]
        assert ".".join(path) in problems, (path, problems)


@pytest.mark.parametrize("char", list(HIDDEN), ids=lambda c: f"U+{ord(c):04X}")
def test_the_refusal_names_the_character_and_where(char: str) -> None:
    problems = problems_of(lambda: Subscription(name=f"Anna{char}gpj.exe"))
    assert problems["name"] == (
        "must not contain invisible or text-direction characters: found "
        f"U+{ord(char):04X} ({HIDDEN[char]}) at position 5"
    )
    assert has_forbidden_characters(f"a{char}b", multiline=True)


def test_joiners_that_scripts_and_emoji_need_still_pass() -> None:
    for text in ["Mehr\u200cdad", "क्\u200dष", "👩\u200d💻 Dev", "مرحبا بالعالم"]:
        assert Subscription(name=text).name == text
        assert not has_forbidden_characters(text)


def test_recorded_text_is_read_as_it_was_and_shown_written_out() -> None:
    with reading_recorded_text():
        old = Subscription(name="Anna\u202egpj.exe\u2028x")
    assert old.name == "Anna\u202egpj.exe\u2028x"
    assert visible(old.name) == "Anna[U+202E]gpj.exe[U+2028]x"
    assert visible("Åsa Öberg 👩\u200d💻") == "Åsa Öberg 👩\u200d💻"


def test_no_ascii_character_is_hidden_so_ascii_text_is_shown_unchanged() -> None:
    # visible() returns ASCII text as it is without looking at each character; a rule that
    # made an ASCII character hidden would have to change that too.
    assert [c for c in map(chr, range(128)) if is_hidden(c)] == []
    assert visible("a\u202eb") == "a[U+202E]b"
