"""Reading the console's pages in tests: the form token, the flash line, table rows."""

from __future__ import annotations

import re
from typing import Any

import httpx


def form_token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "no form token on the page"
    return found.group(1)


def flash(page: httpx.Response) -> str:
    found = re.search(r'data-testid="flash" role="status">([^<]*)<', page.text)
    assert found, f"no flash line on the page: {page.text[:300]}"
    return found.group(1)


async def post_form(
    http: httpx.AsyncClient, path: str, data: dict[str, Any], token_from: str = "/"
) -> httpx.Response:
    """POST a form with the token of a page, following the redirect to the page it names."""
    token = form_token(await http.get(token_from))
    response = await http.post(path, data={"csrf_token": token, **data})
    if response.status_code == 303:
        return await http.get(response.headers["location"])
    return response
