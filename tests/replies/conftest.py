"""Fixtures for the replies tests: the merchant settings portal, running (tests/helpers)."""

from __future__ import annotations

from tests.helpers.settings_portal import stack  # noqa: F401
