"""Reply-by-email's stores, as the gateway, the signaller and the ops CLI import them, and
reading a stored reply's text. The stores themselves are storage/'s (storage/inbound_mail.py,
storage/reply_addresses.py)."""

from __future__ import annotations

from email.message import EmailMessage

from storage.inbound_mail import UNKNOWN_SENDER as UNKNOWN_SENDER
from storage.inbound_mail import InboundMailStore as InboundMailStore
from storage.inbound_mail import StoredReply as StoredReply
from storage.inbound_mail import StoreResult as StoreResult
from storage.inbound_mail import erase_case_replies as erase_case_replies
from storage.reply_addresses import ReplyAddresses as ReplyAddresses
from storage.reply_addresses import ReplyTarget as ReplyTarget


def text_of(message: EmailMessage, max_chars: int = 4000) -> str:
    """The readable text of a reply, for ops at a terminal."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        return "(the message body could not be decoded; see the raw message)"
    text = str(content).strip()
    return text if len(text) <= max_chars else text[:max_chars] + "\n[...]"
