"""Outside text made safe to print on an operator's terminal."""

from __future__ import annotations

import unicodedata

_WRITTEN_OUT = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """The text with every control character written out (`\\r`, `\\n`, `\\x1b`, `\\u2028`, ...).

    Outside text (a subscription name, an email subject, a sender) may carry CR/LF that forge
    extra output lines, or ESC/OSC sequences that the terminal would obey (colours, hyperlinks,
    window titles). Backslashes are doubled too, so an escape written out cannot be confused
    with one typed literally. `keep_newlines` is for a body printed as a block of its own (an
    email's text), where a line break is content rather than a forged line.
    """
    if keep_newlines:
        return "\n".join(visible(line) for line in text.split("\n"))
    return "".join(_escaped(char) for char in text)


def _escaped(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    # Cc: C0/C1 controls (ESC, BEL, NUL, CSI); Cf: bidi overrides and zero-width characters
    # that reorder or hide text; Zl/Zp: line and paragraph separators that break lines;
    # Cs: a lone surrogate, which would make printing fail.
    if unicodedata.category(char) in _WRITTEN_OUT:
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char
