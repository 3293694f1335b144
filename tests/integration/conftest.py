"""Helpers for tests that run the real processes: workers, the CLI, `cancelflow dev`."""

from __future__ import annotations

from tests.helpers.cli_stack import stack  # noqa: F401
