"""Email text in the recipient's language: Jinja2 templates, dates and identifier labels.

Templates live in activities/templates/<name>.<locale>.txt and .html (flat, so they ship
as package data). HTML is autoescaped: customer or merchant text cannot inject markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from domain.common import Locale
from domain.text import visible
from domain.wording import format_date, identifier_label

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


_WHITESPACE = re.compile(r"\s+")


def format_duration(waited: timedelta) -> str:
    """How long something has waited, for ops (English): '3 days 4 hours', '25 minutes'."""
    minutes = max(int(waited.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} hour{'s' if hours != 1 else ''}"
    if hours:
        return f"{hours} hour{'s' if hours != 1 else ''} {minutes} min"
    return f"{minutes} min"


def one_line(text: str) -> str:
    """Header-safe text: a newline in a name must not end the Subject header, and a hidden
    character (domain/text.py) is written out, not obeyed."""
    return _WHITESPACE.sub(" ", visible(text)).strip()


def _shown(value: Any) -> Any:
    """Every value a template prints: hidden characters of older recorded text written out."""
    if isinstance(value, Markup):
        if value.isascii():
            return value  # nothing hidden (visible()), and the same Markup object kept
        return Markup(visible(str(value)))  # what it adds ([U+202E]) needs no escaping
    return visible(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class RenderedBody:
    text: str
    html: str


class Templates:
    def __init__(self, folder: Path = TEMPLATES_DIR) -> None:
        self._env = Environment(
            loader=FileSystemLoader(folder),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            finalize=_shown,
            # Compiled once per process: the templates ship with the code and change only with
            # a deploy, so no stat of each file for every email (issue 23).
            auto_reload=False,
        )

    def render(self, locale: Locale, name: str, **context: Any) -> RenderedBody:
        def date_filter(value: date | datetime) -> str:
            return format_date(value, locale)

        def label_filter(name: str) -> str:
            return identifier_label(name, locale)

        context = {"format_date": date_filter, "label": label_filter, **context}
        return RenderedBody(
            text=self._env.get_template(f"{name}.{locale}.txt").render(context),
            html=self._env.get_template(f"{name}.{locale}.html").render(context),
        )
