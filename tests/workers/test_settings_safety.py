"""Safe by default: a process refuses development secrets, a missing encryption key and a
misspelled variable before it connects to anything; secrets can come from files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import structlog.testing

from workers.settings import (
    DEV_SECRETS_FILE,
    Settings,
    SettingsRefused,
    insecure_defaults,
    settings_for_process,
    warn_if_plaintext,
)

CODEC_KEYS = "k1:" + "A" * 43 + "="
DEVELOPMENT_SECRETS = insecure_defaults(Settings.model_construct())
SAFE = {variable: f"a-real-secret-for-{variable}-0123456789" for variable in DEVELOPMENT_SECRETS}
SAFE |= {
    "CANCELFLOW_PORTAL__SECRET_KEY": "a-real-portal-secret-0123456789abcdef",
    "CANCELFLOW_PORTAL__INTERNAL_API_KEY": "a-real-internal-key-0123456789",
    "CANCELFLOW_CODEC__KEYS": CODEC_KEYS,
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CANCELFLOW_* variable of the person running the tests, no .env file of theirs."""
    for name in list(os.environ):
        if name.upper().startswith("CANCELFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CANCELFLOW_VAR_DIR", str(tmp_path / "var"))


def _refusal(**env: str) -> list[str]:
    with pytest.raises(SettingsRefused) as caught:
        settings_for_process(environ={**os.environ, **env})
    return caught.value.lines


def test_development_secrets_and_no_key_are_refused_naming_each_variable() -> None:
    lines = _refusal()

    assert DEVELOPMENT_SECRETS[:2] == [
        "CANCELFLOW_PORTAL__SECRET_KEY",
        "CANCELFLOW_PORTAL__INTERNAL_API_KEY",
    ]
    assert [line.split(":")[0] for line in lines] == [
        *DEVELOPMENT_SECRETS,
        "CANCELFLOW_CODEC__KEYS",
    ]
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in lines[0]
    assert "cancelflow codec new-key" in lines[-1]
    assert "CANCELFLOW_CODEC__ALLOW_PLAINTEXT=true" in lines[-1]


def test_real_secrets_and_a_key_start(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)

    settings = settings_for_process()

    assert settings.portal.secret_key.get_secret_value() == SAFE["CANCELFLOW_PORTAL__SECRET_KEY"]


def test_plain_payloads_only_by_the_explicit_opt_out(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CANCELFLOW_CODEC__KEYS")

    assert [line.split(":")[0] for line in _refusal()] == ["CANCELFLOW_CODEC__KEYS"]
    monkeypatch.setenv("CANCELFLOW_CODEC__ALLOW_PLAINTEXT", "true")
    settings = settings_for_process()
    assert settings.codec.allow_plaintext is True
    with structlog.testing.capture_logs() as logs:
        warn_if_plaintext(settings)
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
        "settings.plaintext_payloads"
    ]


@pytest.mark.parametrize(
    ("misspelled", "meant"),
    [
        ("CANCELFLOW_SMTP__STARTLS", "CANCELFLOW_SMTP__STARTTLS"),
        ("CANCELFLOW_PORTAL_SECRET_KEY", "CANCELFLOW_PORTAL__SECRET_KEY"),
        ("CANCELFLOW_CODEC__KEY", "CANCELFLOW_CODEC__KEYS"),
    ],
)
def test_a_misspelled_variable_is_refused_with_the_nearest_setting(
    monkeypatch: pytest.MonkeyPatch, misspelled: str, meant: str
) -> None:
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)

    assert _refusal(**{misspelled: "x"}) == [
        f"{misspelled}: not a cancelflow setting, so it would be ignored; did you mean {meant}?"
    ]


def test_misspelled_variables_are_refused_in_development_too() -> None:
    with pytest.raises(SettingsRefused, match="CANCELFLOW_SMTP__STARTLS"):
        settings_for_process(
            development=True, environ={**os.environ, "CANCELFLOW_SMTP__STARTLS": "1"}
        )


def test_a_secret_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "portal-secret"
    secret_file.write_text("a-secret-from-a-file-0123456789abcdef\n")
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CANCELFLOW_PORTAL__SECRET_KEY")
    monkeypatch.setenv("CANCELFLOW_PORTAL__SECRET_KEY_FILE", str(secret_file))

    settings = settings_for_process()

    assert settings.portal.secret_key.get_secret_value() == "a-secret-from-a-file-0123456789abcdef"
    assert (
        settings.portal.internal_api_key.get_secret_value()
        == SAFE["CANCELFLOW_PORTAL__INTERNAL_API_KEY"]
    )


def test_an_unreadable_secret_file_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CANCELFLOW_CODEC__KEYS_FILE", str(tmp_path / "missing"))

    with pytest.raises(SettingsRefused, match=r"^CANCELFLOW_CODEC__KEYS_FILE: cannot read .*"):
        settings_for_process()


def test_a_value_and_its_file_together_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "k").write_text(CODEC_KEYS)
    monkeypatch.setenv("CANCELFLOW_CODEC__KEYS", CODEC_KEYS)
    monkeypatch.setenv("CANCELFLOW_CODEC__KEYS_FILE", str(tmp_path / "k"))

    with pytest.raises(SettingsRefused, match="CANCELFLOW_CODEC__KEYS is set too"):
        settings_for_process()


def test_the_dev_stack_makes_its_own_secrets_shared_through_the_var_dir(tmp_path: Path) -> None:
    dev = settings_for_process(development=True)

    secrets_file = tmp_path / "var" / DEV_SECRETS_FILE
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert insecure_defaults(dev) == []
    assert dev.codec.auth_token is not None
    # The CLI in another shell, same var dir: the same secrets, not the public ones.
    other = Settings()
    assert other.portal.secret_key == dev.portal.secret_key
    assert other.codec.auth_token == dev.codec.auth_token
    assert settings_for_process(development=True).portal == dev.portal


def test_an_explicit_secret_wins_over_the_dev_stack_one(monkeypatch: pytest.MonkeyPatch) -> None:
    settings_for_process(development=True)
    monkeypatch.setenv("CANCELFLOW_PORTAL__SECRET_KEY", SAFE["CANCELFLOW_PORTAL__SECRET_KEY"])

    assert Settings().portal.secret_key.get_secret_value() == SAFE["CANCELFLOW_PORTAL__SECRET_KEY"]


@pytest.mark.parametrize("command", [["worker"], ["portal"], ["cases", "status", "c-1"]])
def test_a_process_refuses_to_start_before_connecting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    from workers.cli import run_cli

    # Nothing listens there: a process that tried to connect would fail differently.
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:9")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")

    assert run_cli(command) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: CANCELFLOW_PORTAL__SECRET_KEY: still the development value")
    assert "CANCELFLOW_CODEC__KEYS: no payload-encryption key is set" in err
