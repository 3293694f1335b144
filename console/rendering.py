"""Pages: Jinja2 with autoescaping on for every template, the op's language, the form token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from console.i18n import LANGUAGE_NAMES

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    # Everything shown comes through here: names, subjects, reply texts, Message-IDs.
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(
    request: Request, template: str, values: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    from console.csrf import form_token
    from console.session import current_op

    t = request.state.t
    page = _env.get_template(template).render(
        t=t,
        lang=t.locale,
        languages=LANGUAGE_NAMES,
        path=request.url.path,
        query=str(request.url.query),
        op=current_op(request),
        csrf_token=form_token(request),
        **values,
    )
    return HTMLResponse(page, status_code=status_code)
