"""Reading merchants' email replies into suggested answers (issue 19); see reader.py."""

from domain.replies.reader import (
    DATE_FIELD,
    READER,
    READER_NAME,
    READER_VERSION,
    NoSuggestion,
    Reading,
    Suggestion,
    read_reply,
    read_text,
)

__all__ = [
    "DATE_FIELD",
    "READER",
    "READER_NAME",
    "READER_VERSION",
    "NoSuggestion",
    "Reading",
    "Suggestion",
    "read_reply",
    "read_text",
]
