"""A real OpenID Connect provider for the console's tests: node-oidc-provider (OpenID
Certified), started as a process from tests/console/oidc/provider.mjs, and a person's way
through its login and consent pages (plain HTML forms, as a browser without JS fills them)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from tests.helpers.servers import one_at_a_time

HERE = Path(__file__).resolve().parent / "oidc"
ROLE_CLAIM = "cancelflow_roles"
CLIENT_ID = "cancelflow-ops-console"
CLIENT_SECRET = "console-test-client-secret"
# Who can sign in, with the role claim the company's provider would send for each.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "vera": {"name": "Vera Viewer", "email": "vera@ops.example", "roles": ["ops-viewers"]},
    "aron": {"name": "Aron Agent", "email": "aron@ops.example", "roles": ["ops-agents"]},
    "ada": {"name": "Ada Admin", "email": "ada@ops.example", "roles": ["ops-admins", "ops-agents"]},
    "nils": {"name": "Nils Nobody", "email": "nils@ops.example", "roles": ["finance"]},
}
ROLE_VALUES = {"viewer": ["ops-viewers"], "agent": ["ops-agents"], "admin": ["ops-admins"]}


def ensure_installed() -> None:
    """node_modules from package-lock.json (`npm ci`: exactly the locked versions).

    One xdist worker installs while the others wait: `npm ci` first deletes node_modules, so
    a worker checking meanwhile would start the provider on a half-written folder."""
    with one_at_a_time("oidc-npm-ci"):
        modules = HERE / "node_modules"
        # npm writes .package-lock.json last: without it an install was cut short.
        if (modules / "oidc-provider").exists() and (modules / ".package-lock.json").exists():
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed for the console's sign-in tests (node 20.19+)")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True
        )


@dataclass
class RunningProvider:
    issuer: str
    process: asyncio.subprocess.Process


@asynccontextmanager
async def oidc_provider(
    port: int, redirect_uri: str, *, jwks: dict[str, Any] | None = None, tmp: Path
) -> AsyncIterator[RunningProvider]:
    ensure_installed()
    issuer = f"http://127.0.0.1:{port}"
    config = {
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": redirect_uri,
        "post_logout_redirect_uris": [redirect_uri.rsplit("/", 1)[0] + "/signed-out"],
        "role_claim": ROLE_CLAIM,
        "accounts": ACCOUNTS,
    }
    if jwks is not None:
        config["jwks"] = jwks
    path = tmp / f"oidc-{port}.json"
    path.write_text(json.dumps(config))
    process = await asyncio.create_subprocess_exec(
        shutil.which("node") or "node",
        str(HERE / "provider.mjs"),
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        if not line.startswith(b"listening"):
            raise RuntimeError(f"the OpenID Connect provider did not start: {line!r}")
        yield RunningProvider(issuer=issuer, process=process)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append({"action": values.get("action") or "", "fields": {}})
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1]["fields"][values["name"]] = values.get("value") or ""


def forms_of(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


async def through_provider(
    http: httpx.AsyncClient, start: httpx.Response, login: str, back_to: str
) -> httpx.Response:
    """From the provider's login page to the redirect back to the client: log in as `login`
    (any password, the provider's development pages), give consent. Returns the response
    that redirects to the client's redirect URI (not followed)."""
    response = start
    for _ in range(12):
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(back_to):
                return response
            response = await http.get(location)
            continue
        forms = forms_of(response.text)
        if not forms:
            raise AssertionError(f"no form on the provider's page: {response.text[:500]}")
        form = forms[0]
        fields = dict(form["fields"])
        if "login" in fields:
            fields.update(login=login, password="any")
        response = await http.post(urljoin(str(response.url), form["action"]), data=fields)
    raise AssertionError("the provider never redirected back")
