"""Sign-in against a real OpenID Connect provider: a role per claim, an expired session, a
forged state, a token from another issuer, sign-out."""

from __future__ import annotations

import httpx
import pytest

from tests.console.oidc_provider import ACCOUNTS
from tests.console.stack import ConsoleStack


@pytest.mark.parametrize(
    ("login", "role"), [("vera", "viewer"), ("aron", "agent"), ("ada", "admin")]
)
async def test_sign_in_gives_the_role_of_the_claim(
    stack: ConsoleStack, login: str, role: str
) -> None:
    async with stack.http() as http:
        await stack.sign_in(login, http)
        page = await http.get("/")
        assert page.status_code == 200
        name = ACCOUNTS[login]["name"]
        assert f'<span data-testid="op">{name} ({role})</span>' in page.text


async def test_signed_out_pages_send_to_the_provider(stack: ConsoleStack) -> None:
    async with stack.http() as http:
        page = await http.get("/")
        assert page.status_code == 303 and page.headers["location"] == "/auth/sign-in"
        start = await http.get("/auth/sign-in")
        location = start.headers["location"]
        assert location.startswith(f"{stack.issuer}/auth?")
        assert "code_challenge_method=S256" in location and "code_challenge=" in location
        assert "state=" in location and "nonce=" in location


async def test_an_account_without_a_console_role_is_refused(stack: ConsoleStack) -> None:
    async with stack.http() as http:
        start = await http.get("/auth/sign-in")
        from tests.console.oidc_provider import through_provider

        back = await through_provider(http, start, "nils", f"{stack.base_url}/auth/callback")
        refused = await http.get(back.headers["location"])
        assert refused.status_code == 403
        assert "no ops console role" in refused.text
        assert (await http.get("/")).status_code == 303


async def test_a_forged_state_is_refused(stack: ConsoleStack) -> None:
    async with stack.http() as http:
        start = await http.get("/auth/sign-in")
        from tests.console.oidc_provider import through_provider

        back = await through_provider(http, start, "ada", f"{stack.base_url}/auth/callback")
        real = httpx.URL(back.headers["location"])
        forged = real.copy_set_param("state", "forged-state-0123456789")
        refused = await http.get(str(forged))
        assert refused.status_code == 400
        assert "Sign-in failed" in refused.text
        assert (await http.get("/")).status_code == 303


async def test_a_response_naming_another_issuer_is_refused(stack: ConsoleStack) -> None:
    async with stack.http() as http:
        start = await http.get("/auth/sign-in")
        from tests.console.oidc_provider import through_provider

        back = await through_provider(http, start, "ada", f"{stack.base_url}/auth/callback")
        mixed = httpx.URL(back.headers["location"]).copy_set_param("iss", stack.other_issuer)
        refused = await http.get(str(mixed))
        assert refused.status_code == 400 and "another provider" in refused.text
        assert (await http.get("/")).status_code == 303


async def test_an_id_token_from_another_issuer_is_refused(stack: ConsoleStack) -> None:
    """A real ID token of the other provider (same signing key, so its signature verifies) is
    refused by the console's validation, the step its callback runs on every token."""
    from authlib.integrations.httpx_client import AsyncOAuth2Client
    from joserfc.errors import InvalidClaimError

    from tests.console.oidc_provider import CLIENT_ID, CLIENT_SECRET, through_provider

    redirect_uri = f"{stack.base_url}/auth/callback"
    theirs = AsyncOAuth2Client(
        CLIENT_ID,
        CLIENT_SECRET,
        scope="openid profile email roles",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    from authlib.common.security import generate_token

    verifier, nonce = generate_token(48), generate_token(20)
    url, state = theirs.create_authorization_url(
        f"{stack.other_issuer}/auth", code_verifier=verifier, nonce=nonce
    )
    async with httpx.AsyncClient(timeout=30) as browser:
        back = await through_provider(browser, await browser.get(url), "ada", redirect_uri)
    token = await theirs.fetch_token(
        f"{stack.other_issuer}/token",
        authorization_response=back.headers["location"],
        code_verifier=verifier,
    )
    await theirs.aclose()
    assert token["id_token"]

    from console.auth import oauth_client

    ours = oauth_client(stack.console)
    with pytest.raises(InvalidClaimError, match="iss"):
        await ours.parse_id_token(token, nonce=nonce)


async def test_a_session_ends_after_its_lifetime(
    stack: ConsoleStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    import console.session

    async with stack.http() as http:
        await stack.sign_in("aron", http)
        assert (await http.get("/")).status_code == 200
        later = time.time() + stack.console.session_minutes * 60 + 1
        monkeypatch.setattr(console.session, "now", lambda: later)
        ended = await http.get("/")
        assert ended.status_code == 401 and "Your session has ended" in ended.text
        monkeypatch.undo()
        assert (await http.get("/")).status_code == 303  # the ended session is gone


async def test_sign_out_ends_the_session_at_the_provider_too(stack: ConsoleStack) -> None:
    async with stack.http() as http:
        await stack.sign_in("aron", http)
        page = await http.get("/")
        import re

        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        out = await http.post("/auth/sign-out", data={"csrf_token": token.group(1)})
        assert out.status_code == 303
        assert out.headers["location"].startswith(f"{stack.issuer}/session/end")
        assert (await http.get("/")).status_code == 303


async def test_a_person_who_cancels_at_the_provider_is_told_and_not_signed_in(
    stack: ConsoleStack,
) -> None:
    import re
    from urllib.parse import urljoin

    async with stack.http() as http:
        start = await http.get("/auth/sign-in")
        page = await http.get(start.headers["location"], follow_redirects=True)
        cancel = re.search(r'href="([^"]*/abort)"', page.text)
        assert cancel, page.text[:500]
        back = await http.get(urljoin(str(page.url), cancel.group(1)))
        while not back.headers["location"].startswith(stack.base_url):
            back = await http.get(urljoin(str(back.url), back.headers["location"]))
        assert back.headers["location"].startswith(f"{stack.base_url}/auth/callback?error=")
        refused = await http.get(back.headers["location"])
        assert refused.status_code == 400
        assert "The sign-in provider refused: access_denied." in refused.text
        assert (await http.get("/")).status_code == 303


async def test_a_tampered_session_cookie_signs_nobody_in(stack: ConsoleStack) -> None:
    from console.app import SESSION_COOKIE

    async with stack.http() as http:
        await stack.sign_in("vera", http)
        value = http.cookies[SESSION_COOKIE]
        payload, _, signature = value.partition(".")
        # Another role written into the cookie without the console's key.
        forged = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
        http.cookies.clear()
        http.cookies.set(SESSION_COOKIE, value)  # the genuine cookie, set the same way
        assert (await http.get("/")).status_code == 200
        http.cookies.clear()
        http.cookies.set(SESSION_COOKIE, f"{forged}.{signature}")
        assert (await http.get("/")).status_code == 303
