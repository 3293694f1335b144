"""Parsing the project's own source in tests."""

from __future__ import annotations

import ast


def parsed(source: str) -> ast.Module:
    # CPython 3.11 keeps one AST recursion counter per interpreter, so a parse racing another
    # thread's in the same worker process can fail with a spurious
    # SystemError "AST constructor recursion depth mismatch" (python/cpython#106905); the
    # same source parses on a second try.
    for _ in range(4):
        try:
            return ast.parse(source)
        except SystemError:
            continue
    return ast.parse(source)
