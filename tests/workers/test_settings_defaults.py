"""Development secrets are named when a process runs with them."""

from __future__ import annotations

import pytest

from workers.settings import Settings, insecure_defaults


def test_development_secrets_are_reported_until_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CANCELFLOW_PORTAL__SECRET_KEY", "CANCELFLOW_PORTAL__INTERNAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert insecure_defaults(Settings(_env_file=None)) == [
        "CANCELFLOW_PORTAL__SECRET_KEY",
        "CANCELFLOW_PORTAL__INTERNAL_API_KEY",
    ]
    monkeypatch.setenv("CANCELFLOW_PORTAL__SECRET_KEY", "s" * 48)
    monkeypatch.setenv("CANCELFLOW_PORTAL__INTERNAL_API_KEY", "k" * 32)
    assert insecure_defaults(Settings(_env_file=None)) == []
