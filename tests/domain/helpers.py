"""Shared helpers for the domain tests: validation problems as {field: message}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from domain.common import describe_validation_error


def problems_of(build: Callable[[], Any]) -> dict[str, str]:
    """Run `build`, expect a ValidationError, and return its problems keyed by field."""
    with pytest.raises(ValidationError) as caught:
        build()
    problems = describe_validation_error(caught.value)
    return {p["field"]: p["message"] for p in problems}
