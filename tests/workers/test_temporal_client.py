"""Where processes connect: envconfig variables and profiles over the local dev default."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.servers import free_port
from workers.settings import Settings
from workers.temporal_client import TemporalUnreachable, connect, connect_config


@pytest.fixture(autouse=True)
def no_temporal_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE",
        "TEMPORAL_API_KEY",
        "TEMPORAL_PROFILE",
        "TEMPORAL_TLS",
    ):
        monkeypatch.delenv(name, raising=False)
    # No person's ~/.config/temporal/temporal.toml may leak into these tests.
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "absent.toml"))


def settings(dev_port: int = 7233) -> Settings:
    return Settings(temporal={"dev_port": dev_port}, var_dir=Path("var"))


def test_defaults_to_the_local_dev_server_on_the_configured_port() -> None:
    assert connect_config(settings(7411)) == {
        "target_host": "localhost:7411",
        "namespace": "default",
    }


def test_environment_points_at_a_cluster_or_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "ns.a1b2.tmprl.cloud:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "ns.a1b2")
    monkeypatch.setenv("TEMPORAL_API_KEY", "secret-key")
    config = connect_config(settings())
    assert config["target_host"] == "ns.a1b2.tmprl.cloud:7233"
    assert config["namespace"] == "ns.a1b2"
    assert config["api_key"] == "secret-key"
    assert config["tls"] is True  # an API key implies TLS


def test_profile_from_a_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    file = tmp_path / "temporal.toml"
    file.write_text(
        '[profile.default]\naddress = "localhost:1"\n\n'
        '[profile.staging]\naddress = "staging.internal:7233"\nnamespace = "cancelflow-staging"\n'
    )
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(file))
    monkeypatch.setenv("TEMPORAL_PROFILE", "staging")
    config = connect_config(settings())
    assert config["target_host"] == "staging.internal:7233"
    assert config["namespace"] == "cancelflow-staging"


async def test_unreachable_server_is_a_clear_error() -> None:
    port = free_port()
    with pytest.raises(TemporalUnreachable) as caught:
        await connect(settings(port))
    message = str(caught.value)
    assert f"localhost:{port}" in message
    assert "connection refused" in message
    assert "TEMPORAL_ADDRESS" in message
