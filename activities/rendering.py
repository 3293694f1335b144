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

from domain.common import Locale

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

_MONTHS: dict[Locale, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "sv": (
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ),
}

_IDENTIFIER_LABELS: dict[Locale, dict[str, str]] = {
    "en": {
        "email": "Email address",
        "first_name": "First name",
        "last_name": "Last name",
        "postal_address": "Postal address",
        "card_last4": "Last 4 digits of the payment card",
        "customer_number": "Customer number",
        "phone": "Phone number",
        "personal_number": "Personal identity number",
        "date_of_birth": "Date of birth",
    },
    "sv": {
        "email": "E-postadress",
        "first_name": "Förnamn",
        "last_name": "Efternamn",
        "postal_address": "Postadress",
        "card_last4": "Betalkortets sista 4 siffror",
        "customer_number": "Kundnummer",
        "phone": "Telefonnummer",
        "personal_number": "Personnummer",
        "date_of_birth": "Födelsedatum",
    },
}

_WHITESPACE = re.compile(r"\s+")


def format_date(value: date | datetime, locale: Locale) -> str:
    """'3 March 2026' / '3 mars 2026': unambiguous to readers of either language."""
    day = value.date() if isinstance(value, datetime) else value
    return f"{day.day} {_MONTHS[locale][day.month - 1]} {day.year}"


def identifier_label(name: str, locale: Locale) -> str:
    """A merchant-configured extra identifier without a translation is shown by its name."""
    known = _IDENTIFIER_LABELS[locale].get(name)
    return known if known else name.replace("_", " ").capitalize()


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
    """Header-safe text: a newline in a name must not end the Subject header."""
    return _WHITESPACE.sub(" ", text).strip()


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
