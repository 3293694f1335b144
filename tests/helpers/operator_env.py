"""The settings an operator gives a production process: secrets of its own, not the public
development values, which every process outside `cancelflow dev` refuses.

The in-process workers of the tests store payloads without encryption, so CLI processes
talking to them opt out of it explicitly, as an operator would have to.
"""

from __future__ import annotations

import pytest

OPERATOR_ENV: dict[str, str] = {
    "CANCELFLOW_PORTAL__SECRET_KEY": "test-portal-secret-9f2c1e7a4b6d8e0f",
    "CANCELFLOW_PORTAL__INTERNAL_API_KEY": "test-internal-key-3a5c7e9b1d2f4a6c",
    "CANCELFLOW_WEBHOOKS__SECRETS_KEY": "test-webhook-secrets-key-8b0d2f4a6c8e1a3c",
    "CANCELFLOW_CODEC__ALLOW_PLAINTEXT": "true",
}


def set_operator_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in OPERATOR_ENV.items():
        monkeypatch.setenv(name, value)
