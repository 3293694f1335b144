"""Text from people and systems: no control characters, so nothing downstream is poisoned.

A NUL is refused by PostgreSQL, CR/LF forge lines in logs and terminals, and escape sequences
reach an operator's terminal. Every text field of a request, answer, correction, withdrawal,
merchant or customer is one of the types below, so the API, the portal form, the CLI and the
workflow refuse the same input with the same words. The check runs before pydantic's own
stripping, which would also remove form feeds and other controls at the ends: only spaces,
tabs and line breaks around the text are let through to be trimmed.

Hidden characters, the second rule: text-direction controls (U+202A-U+202E embeddings and
overrides, U+2066-U+2069 isolates, U+200E/U+200F/U+061C marks), invisible characters
(U+200B zero-width space, U+2060 word joiner, U+FEFF, U+00AD soft hyphen, U+180E, the
invisible operators, tag characters: Unicode's "format" category) and the line and paragraph
separators U+2028/U+2029. They make text show something other than what it holds:
`Anna\u202egpj.exe` reads "Annaexe.jpg" in a subject line. Decided per field:

- every field a person or system types into a case (names, the subscription, references,
  identifiers, display names, reasons, the merchant's free text): refused, naming the field
  and the character, exactly like a control character. Multi-line text takes LF, not U+2028.
  U+200C and U+200D (zero-width non-joiner and joiner) are allowed: Persian, Indic scripts
  and emoji sequences need them, and they cannot reorder text;
- wherever text is shown that was recorded before this rule, or comes from outside a model
  (an email's subject, a Message-ID): `visible()` writes each hidden character as `[U+202E]`.
  Email subjects and bodies go through it (activities/rendering.py), and so do the
  identifiers and subscription of the merchant's views of a case (portal/cases.py: the API
  and the reply page), so an older case's reminder shows the character instead of obeying
  it. The terminal writes them out as `\u202e` (ops/terminal.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

# Multi-line fields (a reason, an other-reason message) keep their line breaks and tabs.
_LINE_BREAKS_AND_TABS = frozenset("\t\n\r")
_TRIMMED = " \t\n\r"


# Format characters that carry meaning in ordinary writing and cannot reorder text.
_JOINERS = frozenset("\u200c\u200d")
_SEPARATORS = ("Zl", "Zp")  # U+2028, U+2029


def _first_forbidden(value: str, allowed: frozenset[str]) -> str | None:
    for char in value:
        # Cc: C0/C1 controls and DEL; Cs: an unpaired surrogate, which no UTF-8 store takes.
        if unicodedata.category(char) in ("Cc", "Cs") and char not in allowed:
            return char
    return None


def is_hidden(char: str) -> bool:
    """A text-direction control, an invisible character or a line/paragraph separator."""
    category = unicodedata.category(char)
    return (category == "Cf" and char not in _JOINERS) or category in _SEPARATORS


def _first_hidden(value: str) -> str | None:
    return next((char for char in value if is_hidden(char)), None)


def visible(text: str) -> str:
    """Text to show: each hidden character written out as [U+XXXX], the rest unchanged."""
    # No ASCII character is hidden, and most text shown is ASCII: isascii() runs in C, the
    # search in Python per character.
    if text.isascii() or _first_hidden(text) is None:
        return text
    return "".join(f"[U+{ord(c):04X}]" if is_hidden(c) else c for c in text)


# Reading what a case already recorded (the audit of older histories) must show it as it was,
# escaped by the reader, not refuse it: the rule guards new input only.
_READING_RECORDED = ContextVar("reading_recorded_text", default=False)


@contextmanager
def reading_recorded_text() -> Iterator[None]:
    token = _READING_RECORDED.set(True)
    try:
        yield
    finally:
        _READING_RECORDED.reset(token)


def _refuse(value: object, allowed: frozenset[str]) -> object:
    if isinstance(value, str) and not _READING_RECORDED.get():
        # Surrounding spaces, tabs and line breaks are trimmed by the field anyway.
        found = _first_forbidden(value.strip(_TRIMMED), allowed)
        if found is not None:
            kinds = (
                "control characters (line breaks and tabs are allowed)"
                if allowed
                else ("control characters (no line breaks or tabs either)")
            )
            raise ValueError(
                f"must not contain {kinds}: found U+{ord(found):04X} "
                f"at position {value.index(found) + 1}"
            )
        hidden = _first_hidden(value)
        if hidden is not None:
            name = unicodedata.name(hidden, "unnamed")
            raise ValueError(
                "must not contain invisible or text-direction characters: found "
                f"U+{ord(hidden):04X} ({name}) at position {value.index(hidden) + 1}"
            )
    return value


def refuse_control_characters(value: object) -> object:
    """Single-line text: any control character is refused."""
    return _refuse(value, frozenset())


def refuse_control_characters_except_line_breaks(value: object) -> object:
    """Multi-line text: tab, LF and CR are allowed, every other control character refused."""
    return _refuse(value, _LINE_BREAKS_AND_TABS)


def has_forbidden_characters(value: str, *, multiline: bool = False) -> bool:
    allowed = _LINE_BREAKS_AND_TABS if multiline else frozenset[str]()
    return _first_forbidden(value, allowed) is not None or _first_hidden(value) is not None


# The reusable rules. Put them after any StringConstraints in an Annotated type: a
# BeforeValidator listed last runs first, and pydantic keeps its own constraints native.
NO_CONTROLS = BeforeValidator(refuse_control_characters)
NO_CONTROLS_EXCEPT_LINE_BREAKS = BeforeValidator(refuse_control_characters_except_line_breaks)

SingleLineText = Annotated[str, NO_CONTROLS]
MultiLineText = Annotated[str, NO_CONTROLS_EXCEPT_LINE_BREAKS]

# The shapes the models use: stripped, non-empty, bounded.
Line200 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NO_CONTROLS
]
Line500 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), NO_CONTROLS]
Paragraph2000 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    NO_CONTROLS_EXCEPT_LINE_BREAKS,
]
