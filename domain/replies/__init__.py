"""Reading merchants' email replies into suggested answers (issue 19).

`domain.replies.reader.read_reply` reads a message; `domain.replies.note.ReplySuggestion` is
what is stored and told to the case. This package module imports nothing, so the workflow
sandbox can load the note without the reader and its patterns.
"""
