"""Secrets are checked key by key as their parsers read them, and every source of settings
(.env included) refuses a misspelled variable by name (#16.5, #16.6)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from portal.config import PortalSettings
from workers.settings import SettingsRefused, settings_for_process

DEV_PORTAL_KEY = PortalSettings().secret_key.get_secret_value()
DEV_INTERNAL_KEY = PortalSettings().internal_api_key.get_secret_value()
GOOD = "Zq8vR2mX5tLw9bN3cK7hJ1fD4gS6yP0e"
OTHER_GOOD = "uE3rT7yU1iO5pA9sD2fG6hJ0kL4zX8cV"
PORTAL = "CANCELFLOW_PORTAL__SECRET_KEY"
INTERNAL = "CANCELFLOW_PORTAL__INTERNAL_API_KEY"
SAFE = {
    PORTAL: GOOD,
    INTERNAL: "mN4bV8cX2zL6kJ0hG3fD7sA1pO5iU9yT",
    "CANCELFLOW_WEBHOOKS__SECRETS_KEY": "qW1eR5tY9uI3oP7aS2dF6gH0jK4lZ8xC",
    "CANCELFLOW_CODEC__KEYS": "k1:" + "A" * 43 + "=",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("CANCELFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CANCELFLOW_VAR_DIR", str(tmp_path / "var"))
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)


def refusal(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsRefused) as caught:
        settings_for_process()
    return caught.value.lines


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        (PORTAL, f"{GOOD},{DEV_PORTAL_KEY}", "key 2 of 2: still the development value"),
        (
            PORTAL,
            f"{DEV_PORTAL_KEY},{DEV_PORTAL_KEY}",
            ("key 1 of 2: still the development value", "key 2 of 2: still the development value"),
        ),
        (PORTAL, f" {DEV_PORTAL_KEY}", "still the development value"),
        (PORTAL, f"{DEV_PORTAL_KEY} ", "still the development value"),
        (INTERNAL, f" {DEV_INTERNAL_KEY}", "still the development value"),
        (INTERNAL, f"{DEV_PORTAL_KEY}", "still the development value"),  # a public key anywhere
        (PORTAL, f"{GOOD},{GOOD}", "key 2 of 2: the same as key 1"),
        (PORTAL, f"{GOOD}, {OTHER_GOOD}", "key 2 of 2: has spaces or other whitespace in it"),
        (INTERNAL, f"{GOOD[:10]} {GOOD[10:]}", "has spaces or other whitespace in it"),
        (PORTAL, "x7#Qa", "shorter than 16 characters"),
        (PORTAL, f"{GOOD},", "key 2 of 2: empty"),
        (INTERNAL, "", "empty"),
        (INTERNAL, "a" * 40, "too predictable (under 80 bits of entropy)"),
        (PORTAL, "0123456789abcdef", "too predictable (under 80 bits of entropy)"),
    ],
)
def test_each_unsafe_secret_is_refused_naming_the_variable_and_the_key(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, problem: str | tuple[str, ...]
) -> None:
    lines = refusal(monkeypatch, **{variable: value})
    problems = (problem,) if isinstance(problem, str) else problem
    assert [line.split("; set it")[0] for line in lines] == [f"{variable}: {p}" for p in problems]


def test_a_ring_of_distinct_strong_keys_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PORTAL, f"{GOOD},{OTHER_GOOD}")
    assert settings_for_process().portal.secret_key.get_secret_value() == f"{GOOD},{OTHER_GOOD}"


def test_the_worker_refuses_a_ring_ending_in_the_public_key_before_connecting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from workers.cli import run_cli

    monkeypatch.setenv(PORTAL, f"{GOOD},{DEV_PORTAL_KEY}")
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:9")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    assert run_cli(["worker"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {PORTAL}: key 2 of 2: still the development value")


def test_a_misspelled_variable_in_dotenv_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from workers.cli import run_cli

    (tmp_path / ".env").write_text("CANCELFLOW_PORTAL__SECRT_KEY=x\n")
    assert refusal(monkeypatch) == [
        "CANCELFLOW_PORTAL__SECRT_KEY (in .env): not a cancelflow setting, so it would be "
        "ignored; did you mean CANCELFLOW_PORTAL__SECRET_KEY?"
    ]
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:9")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    assert run_cli(["worker"]) == 1
    assert "CANCELFLOW_PORTAL__SECRT_KEY (in .env)" in capsys.readouterr().err


def test_dotenv_settings_and_secret_files_work_as_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "portal-secret").write_text(OTHER_GOOD + "\n")
    monkeypatch.delenv(PORTAL)
    (tmp_path / ".env").write_text(
        f"CANCELFLOW_PORTAL__SECRET_KEY_FILE={tmp_path / 'portal-secret'}\n"
        "CANCELFLOW_PORTAL__PORT=8999\n"
    )
    settings = settings_for_process()
    assert settings.portal.secret_key.get_secret_value() == OTHER_GOOD
    assert settings.portal.port == 8999
