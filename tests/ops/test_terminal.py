"""Outside text printed on an operator's terminal: control characters written out, nothing else."""

from __future__ import annotations

import unicodedata

import pytest

from ops.terminal import visible


@pytest.mark.parametrize(
    ("outside", "printed"),
    [
        ("Acme Premium", "Acme Premium"),
        ("Åsa Öberg – Tidning", "Åsa Öberg – Tidning"),
        ("x\r\n2026-01-01 answered: cancelled", "x\\r\\n2026-01-01 answered: cancelled"),
        (
            "\x1b]8;;https://evil\x07click\x1b]8;;\x07",
            "\\x1b]8;;https://evil\\x07click\\x1b]8;;\\x07",
        ),
        ("\x1b[2J\x9b31m", "\\x1b[2J\\x9b31m"),
        ("a\x00b\tc\x7f", "a\\x00b\\tc\\x7f"),
        ("evil\u202egnp.exe", "evil\\u202egnp.exe"),
        ("line\u2028break", "line\\u2028break"),
        # A backslash is doubled, so a printed `\n` is never mistaken for a written-out newline.
        ("C:\\new", "C:\\\\new"),
    ],
)
def test_control_characters_are_written_out(outside: str, printed: str) -> None:
    assert visible(outside) == printed


def test_nothing_a_terminal_obeys_is_left() -> None:
    every_char = "".join(chr(c) for c in range(0x110000))
    printed = visible(every_char)
    left = {unicodedata.category(c) for c in printed}
    assert left.isdisjoint({"Cc", "Cf", "Cs", "Zl", "Zp"})
    assert printed.encode("utf-8")  # no lone surrogate left to break printing


def test_a_body_keeps_its_line_breaks_and_nothing_else() -> None:
    body = "Hej,\r\nsee \x1b]8;;https://evil\x07here\x1b]8;;\x07\n-- \nBo"
    assert visible(body, keep_newlines=True) == (
        "Hej,\\r\nsee \\x1b]8;;https://evil\\x07here\\x1b]8;;\\x07\n-- \nBo"
    )
