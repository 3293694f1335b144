"""Property tests of what the mail gateway takes from strangers: any bytes as a message, any
header text, any reply address. Nothing may raise, and nothing unstorable or terminal-hostile
(NUL, ESC, lone surrogates) may come out as a field to store."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.reply_address import InvalidReplyAddress, ReplyAddressSigner, token_of
from inbound.gateway import ParsedReply, parse_reply

DOMAIN = "reply.cancelflow.test"
SIGNER = ReplyAddressSigner("fuzz-secret-0123456789abcdef")
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_storable(parsed: ParsedReply | str) -> None:
    if isinstance(parsed, str):
        assert parsed, "a refusal names its reason"
        return
    for field in (parsed.sender, parsed.subject, parsed.message_id):
        field.encode("utf-8")  # PostgreSQL text: no lone surrogates
        assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in field), repr(field)
    assert "@" in parsed.sender and len(parsed.sender) <= 320
    assert len(parsed.subject) <= 500
    assert parsed.message_id and len(parsed.message_id) <= 500
    assert not any(c.isspace() for c in parsed.message_id)


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes_parse_to_storable_fields_or_a_reason(raw: bytes) -> None:
    assert_storable(parse_reply(raw, DOMAIN))


header_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80
) | st.sampled_from(["a\x00b", "\x1b]8;;http://evil/\x07x", "x\r\n\tfolded", "\u202etxt"])


@FUZZ
@given(
    sender=header_text,
    subject=header_text,
    message_id=header_text,
    body=st.binary(max_size=200),
    raw_bytes=st.binary(max_size=40),
)
def test_hostile_headers_parse_to_storable_fields_or_a_reason(
    sender: str, subject: str, message_id: str, body: bytes, raw_bytes: bytes
) -> None:
    head = (
        f"From: {sender} <someone@acme.example>\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\n"
    ).encode("utf-8", "surrogateescape")
    assert_storable(parse_reply(head + b"X-Raw: " + raw_bytes + b"\r\n\r\n" + body, DOMAIN))
    bare_from = f"From: {sender}\r\nSubject: {subject}\r\n\r\n".encode("utf-8", "surrogateescape")
    assert_storable(parse_reply(bare_from + body, DOMAIN))


@FUZZ
@given(st.text(min_size=1, max_size=64))
def test_an_issued_address_names_its_case_and_every_altered_one_is_refused(case_id: str) -> None:
    address = SIGNER.address(case_id, DOMAIN)
    assert SIGNER.verify_address(address, DOMAIN) == SIGNER.case_key(case_id)
    assert SIGNER.verify_address(address.upper(), DOMAIN) == SIGNER.case_key(case_id)
    token = token_of(address, DOMAIN)
    for i in range(len(token)):
        for replacement in {"a", "7", "z"} - {token[i]}:
            altered = token[:i] + replacement + token[i + 1 :]
            try:
                key = SIGNER.verify_token(altered)
            except InvalidReplyAddress:
                continue
            raise AssertionError(f"altered token {altered!r} accepted as {key}")
    other = ReplyAddressSigner("another-secret-0123456789abcdef")
    try:
        other.verify_address(address, DOMAIN)
    except InvalidReplyAddress:
        pass
    else:
        raise AssertionError("a token of another secret was accepted")


@FUZZ
@given(st.text(max_size=120))
def test_any_address_is_refused_cleanly_or_names_a_case(address: str) -> None:
    try:
        SIGNER.verify_address(address, DOMAIN)
    except InvalidReplyAddress:
        return
    raise AssertionError(f"{address!r} accepted")
