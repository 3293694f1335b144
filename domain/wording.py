"""Words shared by every text a person reads (emails, portal): dates and identifier names."""

from __future__ import annotations

import re
from datetime import date, datetime

from domain.common import Locale

MONTHS: dict[Locale, tuple[str, ...]] = {
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

IDENTIFIER_LABELS: dict[Locale, dict[str, str]] = {
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


# Typographic quotes around a name in HTML text; plain text keeps the straight ".
QUOTES: dict[Locale, tuple[str, str]] = {"en": ("“", "”"), "sv": ("”", "”")}

# Where a customer sends corrected details ({corrections_channel} in an outcome's wording):
# the cancellation service's own page when one is configured, else its support address.
CORRECTIONS_CHANNEL: dict[Locale, dict[str, str]] = {
    "en": {
        "page": "enter them at {page}, with the reference {reference}",
        "support": "write to {support} and mention the reference {reference}",
    },
    "sv": {
        "page": "ange dem på {page}, med referensen {reference}",
        "support": "skriv till {support} och ange referensen {reference}",
    },
}


def format_date(value: date | datetime, locale: Locale) -> str:
    """'3 March 2026' / '3 mars 2026': unambiguous to readers of either language."""
    day = value.date() if isinstance(value, datetime) else value
    return f"{day.day} {MONTHS[locale][day.month - 1]} {day.year}"


def identifier_label(name: str, locale: Locale) -> str:
    """A merchant-configured extra identifier without a translation is shown by its name."""
    known = IDENTIFIER_LABELS[locale].get(name)
    return known if known else name.replace("_", " ").capitalize()


# The one spelling of a date we read from people and programs: YYYY-MM-DD, ASCII digits only.
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
ISO_DATE_RULE = "must be a date written YYYY-MM-DD, such as '2026-12-31'"


def read_iso_date(text: str) -> date | None:
    """The date written YYYY-MM-DD, or None when it is not one (2026-02-30, 31/12/2026)."""
    if not ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
