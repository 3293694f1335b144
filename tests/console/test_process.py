"""`cancelflow ops-console` outside `cancelflow dev`: it refuses to start without the
company's sign-in (issuer, client secret) or with the development session secret, before it
connects to anything; the cookie it sets is Secure."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from console.app import SESSION_COOKIE
from console.config import ConsoleSettings
from tests.helpers.cli import cancelflow
from tests.helpers.operator_env import set_operator_env


@pytest.fixture(autouse=True)
def operator_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("CANCELFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CANCELFLOW_VAR_DIR", str(tmp_path / "var"))
    set_operator_env(monkeypatch)


async def test_refuses_to_start_without_the_companys_sign_in() -> None:
    result = await cancelflow("ops-console")
    assert result.exit_code != 0
    assert "CANCELFLOW_CONSOLE__ISSUER: not set" in result.output
    assert "CANCELFLOW_CONSOLE__CLIENT_SECRET: not set" in result.output
    assert "CANCELFLOW_CONSOLE__SESSION_SECRET: still the development value" in result.output


async def test_refuses_insecure_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANCELFLOW_CONSOLE__ISSUER", "https://sso.example.com")
    monkeypatch.setenv("CANCELFLOW_CONSOLE__CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("CANCELFLOW_CONSOLE__SESSION_SECRET", "a-real-session-secret-0123456789")
    monkeypatch.setenv("CANCELFLOW_CONSOLE__SECURE_COOKIES", "false")
    result = await cancelflow("ops-console")
    assert result.exit_code != 0
    assert "CANCELFLOW_CONSOLE__SECURE_COOKIES: false" in result.output
    assert "ISSUER" not in result.output


async def test_the_session_cookie_is_secure_httponly_and_samesite() -> None:
    """The console as production runs it (secure cookies), asked by a local op in dev mode."""
    from console.app import create_app

    settings = ConsoleSettings(session_secret=SecretStr("s" * 40))
    # No Temporal client or database: only the sign-in pages are asked, which reach neither.
    app = create_app(None, None, settings, "webhook-key", dev_sign_in=True)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as http:
        signed = await http.post("/auth/dev", data={"role": "agent"})
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for flag in ("secure", "httponly", "samesite=lax", "max-age=3600"):
        assert flag in cookie.lower(), flag


async def test_local_sign_in_is_for_this_machine_only() -> None:
    from console.app import create_app

    settings = ConsoleSettings()
    app = create_app(None, None, settings, "k", dev_sign_in=True)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as http:
        refused = await http.post("/auth/dev", data={"role": "admin"})
    assert refused.status_code == 404 and "set-cookie" not in refused.headers
    off = create_app(None, None, settings, "k", dev_sign_in=False)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=off, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as http:
        assert (await http.post("/auth/dev", data={"role": "admin"})).status_code == 404


async def test_an_unreachable_provider_is_a_clear_page() -> None:
    from console.app import create_app
    from tests.helpers.servers import free_port

    issuer = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = ConsoleSettings(issuer=issuer, client_secret=SecretStr("x"))
    app = create_app(None, None, settings, "k")  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as http:
        page = await http.get("/auth/sign-in")
    assert page.status_code == 503
    assert "The sign-in provider does not answer" in page.text
