"""From the raw RFC 822 reply to the text the merchant wrote: body, quotes and signature removed.

Quote headers are found by mail-parser-reply (Gmail/Apple "On ... wrote:", "Den ... skrev:",
Outlook "From:/Sent:" and "Från:/Skickat:" blocks without '>'); its signature rule is not used,
because it cuts at a "Thanks," that starts the answer itself. Lines quoted with '>', forwarded
blocks, the separators clients draw and the text of our own request are cut here, so a quote
that no header announces is still not read as the merchant's words.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

_PARSER = EmailReplyParser(languages=["en", "sv"])

# Headers that automatic replies carry (RFC 3834 Auto-Submitted, and what Exchange and others use).
_AUTO_HEADERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Auto-Submitted", re.compile(r"^(?!\s*no\b)\s*\S", re.IGNORECASE)),
    ("X-Autoreply", re.compile(r"\S")),
    ("X-Autorespond", re.compile(r"\S")),
    ("X-Auto-Response-Suppress", re.compile(r"\b(?:oof|autoreply|all)\b", re.IGNORECASE)),
    ("Precedence", re.compile(r"\bauto[_-]?reply\b", re.IGNORECASE)),
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic\s+reply|auto(?:matic)?[- ]?reply|autosvar|automatiskt\s+svar|"
    r"out\s+of\s+(?:the\s+)?office|frånvaro(?:meddelande)?|semester|ooo)\b",
    re.IGNORECASE,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|vb|vs|wg|tr)\s*:", re.IGNORECASE)

# A line from which everything below is someone else's text.
_CUT_LINES = re.compile(
    r"^\s*(?:"
    r"-{2,}\s*(?:original(?:\s+message)?|ursprungligt\s+meddelande|originalmeddelande)\s*-{2,}"
    r"|_{8,}|-{8,}\s*$"
    r"|(?:on|den|le|am)\s.{0,200}\s(?:wrote|skrev)\b.{0,200}:\s*$"
    r"|(?=.*(?:\d|@)).{0,200}\s(?:wrote|skrev)\b.{0,160}:\s*$"
    r"|\*?(?:from|från)\s*:\*?\s.*(?:@|\bsent\b|\bskickat\b)"
    r")",
    re.IGNORECASE,
)
_FORWARD_LINES = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded\s+message|vidarebefordrat\s+meddelande|vidarebefordrat)\s*-{2,}"
    r"|begin\s+forwarded\s+message\s*:|start\s+of\s+forwarded\s+message\s*:"
    r"|vidarebefordrat\s+meddelande\s*:|börja\s+vidarebefordrat\s+meddelande\s*:)",
    re.IGNORECASE,
)
# Lines of our own request email (activities/templates/merchant.*.txt): a quote that kept them.
_OUR_REQUEST = re.compile(
    r"^\s*(?:a\s+customer\s+has\s+asked\s+us|en\s+kund\s+har\s+bett\s+oss|reference:\s|referens:\s|"
    r"requested\s+on:|begärd\s+den:|reply\s+to\s+cancellation\s+request|svara\s+på\s+uppsägningsbegäran|"
    r"the\s+customer's\s+details:|kundens\s+uppgifter:|reminder\s+\d+:|påminnelse\s+\d+:)",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^\s*(?:-- ?|—|(?:with\s+)?(?:best|kind|warm|many)?\s*(?:regards|wishes)|best|cheers|"
    r"thanks?(?:\s+you)?(?:\s+(?:again|in\s+advance))?|thx|sincerely|yours\s+(?:sincerely|truly)|"
    r"all\s+the\s+best|(?:med\s+)?(?:vänlig(?:a)?|bästa|varma)\s+hälsning(?:ar)?|hälsningar|mvh|"
    r"m\.v\.h\.|vh|tack(?:\s+(?:så\s+mycket|på\s+förhand))?|ha\s+en\s+(?:bra|fin)\s+dag)[\s,.!]*$"
    r"|^\s*(?:sent\s+from\s+my|skickat\s+från\s+min|get\s+outlook\s+for|hämta\s+outlook\s+för)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReplyText:
    text: str
    """What the merchant wrote, quotes and signature removed."""
    automatic: str | None
    """Why the message is an automatic reply (a header or subject), else None."""
    forwarded: bool
    subject: str


def read_message(raw: bytes | str) -> ReplyText:
    message = (
        email.message_from_bytes(raw, policy=email.policy.default)
        if isinstance(raw, bytes)
        else email.message_from_string(raw, policy=email.policy.default)
    )
    subject = _header(message, "Subject")
    body = body_text(message)
    text, forwarded = own_words(body)
    return ReplyText(
        text=text,
        automatic=_automatic(message, subject),
        forwarded=forwarded or bool(_FORWARD_SUBJECT.match(subject)) and _forward_in(body),
        subject=subject,
    )


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a broken header reads as absent
        return ""
    return str(value) if value is not None else ""


def _automatic(message: Message, subject: str) -> str | None:
    for name, pattern in _AUTO_HEADERS:
        value = _header(message, name)
        if value and pattern.search(value):
            return f"an automatic reply ({name}: {value.strip()[:40]})"
    if _AUTO_SUBJECT.match(subject):
        return "an automatic reply (its subject)"
    return None


def body_text(message: Message) -> str:
    """The plain text part, else the HTML part as text (its blockquotes left out)."""
    if not isinstance(message, EmailMessage):
        return ""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = str(part.get_content())
    except (LookupError, UnicodeError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_type() == "text/html":
        return html_text(content)
    return content


def own_words(body: str) -> tuple[str, bool]:
    """(the reply's own text, whether it forwards a message).

    The words above the quote; when there are none (a reply written below the quote, as some
    people and clients do), the words after the last quoted line.
    """
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept, forwarded = _words_from(lines, 0)
    if not _has_words("\n".join(kept)):
        quoted = [i for i, line in enumerate(lines) if line.strip().startswith(">")]
        if quoted and not forwarded:
            kept, forwarded = _words_from(lines, quoted[-1] + 1)
    text = "\n".join(kept)
    # mail-parser-reply: the header styles above that it knows in more shapes than these rules.
    parsed = _PARSER.read(text)
    if parsed.replies:
        text = parsed.replies[0].content
    return _without_signature(text).strip(), forwarded


def _words_from(lines: list[str], start: int) -> tuple[list[str], bool]:
    kept: list[str] = []
    for index in range(start, len(lines)):
        line = lines[index]
        stripped = line.strip()
        if _FORWARD_LINES.match(stripped):
            return kept, True
        if stripped.startswith(">"):
            break
        if _CUT_LINES.match(stripped) or (index > start and _OUR_REQUEST.match(stripped)):
            if kept and _HEADER_START.match(kept[-1]) and _WROTE_END.search(stripped):
                kept.pop()  # "On Mon, 1 Mar 2027, Minna <" wrapped before its "... wrote:"
            break
        if _outlook_header_block(lines, index):
            break
        kept.append(line.rstrip())
    return kept, False


def _has_words(text: str) -> bool:
    return any(not _greeting(line) for line in _without_signature(text).split("\n"))


def _forward_in(body: str) -> bool:
    return any(_FORWARD_LINES.match(line.strip()) for line in body.splitlines())


_HEADER_START = re.compile(r"^\s*(?:on|den|le|am)\s.*[^.!?]\s*$", re.IGNORECASE)
_WROTE_END = re.compile(r"\b(?:wrote|skrev)\b.{0,160}:\s*$", re.IGNORECASE)

_HEADER_FIELD = re.compile(
    r"^\s*\*?(?:from|sent|to|subject|date|cc|från|skickat|till|ämne|datum|kopia)\s*:", re.IGNORECASE
)


def _outlook_header_block(lines: list[str], index: int) -> bool:
    """Two header fields in a row (From:/Sent:, Från:/Skickat:): a quoted message starts."""
    if not _HEADER_FIELD.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 4] if line.strip()]
    return bool(following) and bool(_HEADER_FIELD.match(following[0]))


# A line that only greets ("Hej Minna!", "Dear Sir or Madam,") or only thanks.
GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|morning|hej|hejsan|hallå|"
    r"god\s+(?:morgon|dag|eftermiddag|kväll))\b,?(?:\s+[\w.'&-]+){0,3}\s*[,.!:]?\s*$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^\s*(?:thanks?|thank\s+you|tack)(?:\s+(?:so\s+much|så\s+mycket|for\s+your\s+(?:e-?mail|message)|"
    r"för\s+(?:ditt|ert)\s+(?:mejl|mail|meddelande)))?[\s,.!]*$",
    re.IGNORECASE,
)


def _greeting(line: str) -> bool:
    return not line.strip() or bool(GREETING.match(line) or _THANKS.match(line))


def _without_signature(text: str) -> str:
    """Cut at the sign-off, once something other than a greeting came before it."""
    lines = text.split("\n")
    said = False
    for index, line in enumerate(lines):
        if said and _SIGN_OFF.match(line):
            return "\n".join(lines[:index])
        said = said or not _greeting(line)
    return text


class _HtmlText(HTMLParser):
    """Text of an HTML body: block elements break lines; quotes and non-text are skipped."""

    _BLOCKS = frozenset(
        {
            "p",
            "div",
            "br",
            "tr",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "table",
            "hr",
            "blockquote",
            "ul",
            "ol",
        }
    )
    _SKIP = frozenset({"style", "script", "head", "title", "blockquote"})
    _VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []
        self._stack: list[bool] = []
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        values = " ".join(v or "" for _, v in attrs).lower()
        if (
            "gmail_quote" in values
            or "divrplyfwdmsg" in values
            or "moz-cite-prefix" in values
            or (tag == "hr" and not self._skipping)
        ):
            # Everything below is the quoted conversation.
            self.parts.append("\n________________\n")
            self.stopped = True
            return
        if tag in self._BLOCKS:
            self.parts.append("\n")
        if tag in self._VOID:
            return
        skip = tag in self._SKIP
        self._stack.append(skip)
        if skip:
            self._skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.stopped:
            return
        if tag in self._BLOCKS:
            self.parts.append("\n")
        if tag in self._VOID or not self._stack:
            return
        if self._stack.pop() and self._skipping:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.stopped and not self._skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - broken HTML still gives the text read so far
        pass
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
