"""The labelled reply corpus: reading the entry files and building each reply as a real email.

An entry file (corpus.txt, heldout.txt) holds blocks:

    ## <id> | <en|sv> | <received YYYY-MM-DD> | <style> | <expected>
    the merchant's own words (several lines)

<expected> is what a careful op records: `none`, `no_subscription_found`, `other_reason`, or an
outcome and its date (`has_now_been_cancelled 2027-03-31`). <style> says how the mail client
wrapped the words (see STYLES): the quoted request it puts below them is ours, full of dates and
of "cancel"/"uppsägning", and the signature carries phone, order and street numbers.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from domain.common import Locale
from tests.replies.client_messages import RAW_MESSAGES

HERE = Path(__file__).parent
# The development part, then the held-out parts in the order they were written (each scored
# once, with the reader unchanged, before any change made for it: docs/email-replies.md).
PARTS = (
    "corpus.txt",
    "heldout.txt",
    "heldout2.txt",
    "heldout3.txt",
    "heldout4.txt",
    "heldout5.txt",
    "heldout6.txt",
    "heldout7.txt",
)


@dataclass(frozen=True)
class Entry:
    id: str
    language: str
    received: date
    style: str
    expected_outcome: str | None
    expected_date: date | None
    words: str
    source: str

    @property
    def locale(self) -> Locale:
        return "sv" if self.language == "sv" else "en"

    def raw(self) -> bytes:
        return build_message(self)


def load(name: str) -> list[Entry]:
    entries: list[Entry] = []
    header: list[str] | None = None
    lines: list[str] = []

    def flush() -> None:
        if header is None:
            return
        ident, language, received, style, expected = (part.strip() for part in header)
        outcome, _, day = expected.partition(" ")
        entries.append(
            Entry(
                id=ident,
                language=language,
                received=date.fromisoformat(received),
                style=style,
                expected_outcome=None if outcome == "none" else outcome,
                expected_date=date.fromisoformat(day.strip()) if day.strip() else None,
                words="\n".join(lines).strip("\n"),
                source=name,
            )
        )

    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            flush()
            header = line[3:].split("|")
            assert len(header) == 5, line
            lines = []
        elif header is not None:
            lines.append(line)
    flush()
    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids)), "duplicate ids"
    return entries


_REQUEST = {
    "en": """Hello {merchant},

A customer has asked us, Minna, to cancel their subscription with you.

Reference: CF-20270301-0042
Subscription: Premium (monthly)
Requested on: 1 March 2027

The customer's details:
  Email: kim.larsson@example.com
  First name: Kim
  Last name: Larsson
  Card digits: 4821

Please cancel the subscription and tell us the outcome, whether or not the cancellation succeeded:

Reply to cancellation request:
https://portal.cancelflow.localhost/r/abc123

Replying by email also works: answer this email and keep the reference CF-20270301-0042 in the subject.

If you need other details to identify the customer, please tell us at support@minna.example.

Kind regards,
Minna""",
    "sv": """Hej {merchant},

En kund har bett oss på Minna att säga upp sitt abonnemang hos er.

Referens: CF-20270301-0042
Abonnemang: Premium (månadsvis)
Begärd den: 1 mars 2027

Kundens uppgifter:
  E-post: kim.larsson@example.com
  Förnamn: Kim
  Efternamn: Larsson
  Kortets sista siffror: 4821

Säg upp abonnemanget och meddela oss resultatet, oavsett om uppsägningen lyckades eller inte:

Svara på uppsägningsbegäran:
https://portal.cancelflow.localhost/r/abc123

Det går också bra att svara via e-post: svara på det här mejlet och behåll referensen CF-20270301-0042 i ämnesraden.

Om ni behöver andra uppgifter för att identifiera kunden, kontakta oss på support@minna.example.

Vänliga hälsningar
Minna""",
}

_SIGNATURES = {
    "en": [
        "Best regards,\nSam Porter\nCustomer Care | Streamflix Ltd\n+44 20 7946 0958 | Order desk 10-14\n221B Baker Street, London NW1 6XE",
        "Kind regards\nJamie\nSupport team, Gym&Co\nTicket #558213 · Tel 0800 123 456",
        "Thanks,\nAlex\n--\nNewsly Billing · 1 Infinite Loop · Suite 300 · Call 1-800-555-0199",
        "Regards,\nPriya Shah\nMember Services\nOpen 9-17, Mon-Fri (closed 24/12-26/12)",
        "",
    ],
    "sv": [
        "Med vänliga hälsningar\nAnna Berg\nKundtjänst, Streamflix AB\n08-123 45 67 · Sveavägen 12, 111 57 Stockholm",
        "Vänliga hälsningar\nErik\nKundservice Gymmet\nÄrende 44812 · Öppet 8-17, tel 010-555 12 34",
        "Mvh\nLina\nTidningen Nu · Box 123, 123 45 Malmö · Orgnr 556677-8899",
        "Hälsningar\nJohan Ek\nMedlemsservice\nStängt 24/12-26/12",
        "",
    ],
}

_MERCHANT = {"en": "Streamflix", "sv": "Streamflix"}


def _quoted_request(language: str) -> str:
    return _REQUEST[language].format(merchant=_MERCHANT[language])


def _prefixed(text: str) -> str:
    return "\n".join(("> " + line) if line else ">" for line in text.split("\n"))


def _with_signature(entry: Entry, index: int) -> str:
    signature = _SIGNATURES[entry.language][index % len(_SIGNATURES[entry.language])]
    return entry.words + ("\n\n" + signature if signature else "")


def _gmail_header(language: str) -> str:
    if language == "sv":
        return "Den mån 1 mars 2027 kl 09:12 skrev Minna <reply+c2VjcmV0@reply.minna.example>:"
    return "On Mon, 1 Mar 2027 at 09:12, Minna <reply+c2VjcmV0@reply.minna.example> wrote:"


def _outlook_header(language: str) -> str:
    if language == "sv":
        return (
            "Från: Minna <reply+c2VjcmV0@reply.minna.example>\nSkickat: den 1 mars 2027 09:12\n"
            "Till: kundtjanst@streamflix.example\nÄmne: Uppsägning av abonnemang CF-20270301-0042"
        )
    return (
        "From: Minna <reply+c2VjcmV0@reply.minna.example>\nSent: Monday, March 1, 2027 9:12 AM\n"
        "To: support@streamflix.example\nSubject: Cancellation request CF-20270301-0042"
    )


def _plain_body(entry: Entry, index: int) -> str:
    words = _with_signature(entry, index)
    request = _quoted_request(entry.language)
    style = entry.style
    if style in ("plain", "auto"):
        return words
    if style == "gmail":
        return f"{words}\n\n{_gmail_header(entry.language)}\n\n{_prefixed(request)}\n"
    if style == "outlook":
        return f"{words}\n\n________________________________\n{_outlook_header(entry.language)}\n\n{request}\n"
    if style == "outlook_bare":
        # Outlook without the separator line: the header block alone starts the quote.
        return f"{words}\n\n{_outlook_header(entry.language)}\n\n{request}\n"
    if style == "original":
        marker = (
            "-----Ursprungligt meddelande-----"
            if entry.language == "sv"
            else "-----Original Message-----"
        )
        return f"{words}\n\n{marker}\n{_outlook_header(entry.language)}\n\n{request}\n"
    if style == "apple":
        sent = "Skickat från min iPhone" if entry.language == "sv" else "Sent from my iPhone"
        header = (
            "1 mars 2027 kl. 09:12 skrev Minna <reply+c2VjcmV0@reply.minna.example>:"
            if entry.language == "sv"
            else "On 1 Mar 2027, at 09:12, Minna <reply+c2VjcmV0@reply.minna.example> wrote:"
        )
        return f"{entry.words}\n\n{sent}\n\n> {header}\n>\n{_prefixed(request)}\n"
    if style == "forward":
        marker = (
            "---------- Vidarebefordrat meddelande ---------"
            if entry.language == "sv"
            else "---------- Forwarded message ---------"
        )
        return f"{words}\n\n{marker}\n{_outlook_header(entry.language)}\n\n{request}\n"
    if style == "bottom":
        # Written below the quote (bottom-posting), as some people and clients do.
        return f"{_gmail_header(entry.language)}\n{_prefixed(request)}\n\n{words}\n"
    if style == "toppost_noheader":
        # A client that quotes nothing but pastes our text under a blank line.
        return f"{words}\n\n{request}\n"
    raise ValueError(f"{entry.id}: unknown style {style}")


def _html(text: str) -> str:
    paragraphs = text.split("\n\n")
    return "".join(
        "<div>" + "<br>".join(html.escape(line) for line in p.split("\n")) + "</div><div><br></div>"
        for p in paragraphs
    )


def build_message(entry: Entry, index: int | None = None) -> bytes:
    if entry.style.startswith("eml:"):
        # A whole message as a client sent it (identifiers scrubbed), for the shapes the styles
        # above do not make; the entry's words are then only a note for people.
        return RAW_MESSAGES[entry.style[4:]]
    index = index if index is not None else sum(map(ord, entry.id))
    message = EmailMessage()
    message["From"] = "Streamflix Support <support@streamflix.example>"
    message["To"] = "reply+c2VjcmV0@reply.minna.example"
    prefix = "SV" if entry.language == "sv" else "RE"
    subject_word = "Uppsägning av abonnemang" if entry.language == "sv" else "Cancellation request"
    subject = f"{prefix}: {subject_word} CF-20270301-0042"
    if entry.style == "forward":
        subject = f"{'VB' if entry.language == 'sv' else 'Fwd'}: {subject_word} CF-20270301-0042"
    if entry.style == "auto":
        message["Auto-Submitted"] = "auto-replied"
        subject = ("Autosvar: " if entry.language == "sv" else "Automatic reply: ") + subject_word
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.combine(entry.received, time(10, 30), UTC))
    message["Message-ID"] = f"<{entry.id}@streamflix.example>"
    request = _quoted_request(entry.language)
    if entry.style in ("html", "html_gmail", "html_outlook"):
        words = _with_signature(entry, index)
        if entry.style == "html":
            body = _html(words) + '<blockquote type="cite">' + _html(request) + "</blockquote>"
        elif entry.style == "html_gmail":
            body = (
                _html(words)
                + '<div class="gmail_quote"><div class="gmail_attr">'
                + html.escape(_gmail_header(entry.language))
                + '</div><blockquote class="gmail_quote">'
                + _html(request)
                + "</blockquote></div>"
            )
        else:
            body = (
                _html(words)
                + '<div id="appendonsend"></div><hr style="display:inline-block;width:98%">'
                + '<div id="divRplyFwdMsg">'
                + _html(_outlook_header(entry.language))
                + "</div>"
                + _html(request)
            )
        message.set_content(f"<html><body>{body}</body></html>", subtype="html")
        return message.as_bytes()
    multipart = entry.style == "multipart" or index % 3 == 0 and entry.style in ("gmail", "outlook")
    plain_entry = (
        Entry(**{**entry.__dict__, "style": "gmail"}) if entry.style == "multipart" else entry
    )
    plain = _plain_body(plain_entry, index)
    if multipart:
        message.set_content(plain)
        message.add_alternative(
            "<html><body>"
            + _html(_with_signature(entry, index))
            + '<div class="gmail_quote">'
            + _html(request)
            + "</div></body></html>",
            subtype="html",
        )
        return message.as_bytes()
    message.set_content(plain)
    return message.as_bytes()


STYLES = (
    "plain",
    "auto",
    "gmail",
    "outlook",
    "outlook_bare",
    "original",
    "apple",
    "forward",
    "toppost_noheader",
    "html",
    "html_gmail",
    "html_outlook",
    "multipart",
    "bottom",
)
