"""Which sender authentication the mail gateway uses: DKIM in every process but the local stack."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from workers.settings import Settings, SettingsRefused, insecure_defaults, settings_for_process

VARIABLE = "CANCELFLOW_MAIL_GATEWAY__SENDER_AUTHENTICATION"
SAFE = {
    variable: f"a-real-secret-for-{variable}-0123456789"
    for variable in insecure_defaults(Settings.model_construct())
} | {"CANCELFLOW_CODEC__KEYS": "k1:" + "A" * 43 + "="}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CANCELFLOW_* variable of the person running the tests, no .env file of theirs."""
    for name in list(os.environ):
        if name.upper().startswith("CANCELFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CANCELFLOW_VAR_DIR", str(tmp_path / "var"))


def production(monkeypatch: pytest.MonkeyPatch, **more: str) -> Settings:
    for name, value in {**SAFE, **more}.items():
        monkeypatch.setenv(name, value)
    return settings_for_process()


def test_a_production_process_checks_dkim_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert production(monkeypatch).mail_gateway.sender_authentication == "dkim"
    told = production(monkeypatch, **{VARIABLE: "from_header"})
    assert told.mail_gateway.sender_authentication == "from_header"


def test_the_dev_stack_trusts_the_from_header_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dev = settings_for_process(development=True)
    assert dev.mail_gateway.sender_authentication == "from_header"
    monkeypatch.setenv(VARIABLE, "dkim")
    assert settings_for_process(development=True).mail_gateway.sender_authentication == "dkim"


def test_an_unknown_mode_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as caught:
        production(monkeypatch, **{VARIABLE: "spf"})
    text = str(caught.value)
    assert "mail_gateway.sender_authentication" in text and "'dkim' or 'from_header'" in text
    with pytest.raises(SettingsRefused):
        production(monkeypatch, CANCELFLOW_MAIL_GATEWAY__SENDER_AUTHENTICATON="dkim")
