"""Reply-by-email addresses: short, case-insensitive, stable per case, unforgeable."""

from __future__ import annotations

import re

import pytest

from domain.reply_address import (
    MAX_LOCAL_PART,
    InvalidReplyAddress,
    ReplyAddressSigner,
    token_of,
)

SECRET = "reply-address-secret-0123456789"
DOMAIN = "reply.cancelflow.example"
CASE_ID = "order-2026-03-02-0017"


@pytest.fixture
def signer() -> ReplyAddressSigner:
    return ReplyAddressSigner(SECRET)


def test_an_address_leads_back_to_its_case_key(signer: ReplyAddressSigner) -> None:
    address = signer.address(CASE_ID, DOMAIN)

    assert signer.verify_address(address, DOMAIN) == signer.case_key(CASE_ID)


def test_an_address_fits_any_mail_system(signer: ReplyAddressSigner) -> None:
    address = signer.address("x" * 64, "Reply.Cancelflow.Example")
    local, _, domain = address.partition("@")

    assert len(local) <= MAX_LOCAL_PART
    assert re.fullmatch(r"reply\+[a-z2-7]{32}", local)
    assert domain == DOMAIN


def test_the_same_case_always_gets_the_same_address(signer: ReplyAddressSigner) -> None:
    address = signer.address(CASE_ID, DOMAIN)

    assert ReplyAddressSigner(SECRET).address(CASE_ID, DOMAIN) == address
    assert signer.address("order-2026-03-02-0018", DOMAIN) != address


def test_the_address_does_not_reveal_the_case(signer: ReplyAddressSigner) -> None:
    assert "0017" not in signer.address(CASE_ID, DOMAIN)
    assert "order" not in signer.address(CASE_ID, DOMAIN)


def test_a_mail_system_that_changes_case_does_not_break_the_address(
    signer: ReplyAddressSigner,
) -> None:
    shouted = signer.address(CASE_ID, DOMAIN).upper()

    assert signer.verify_address(f"<{shouted}>", DOMAIN) == signer.case_key(CASE_ID)


def test_an_address_made_with_another_secret_is_refused(signer: ReplyAddressSigner) -> None:
    foreign = ReplyAddressSigner("another-secret-9876543210").address(CASE_ID, DOMAIN)

    with pytest.raises(InvalidReplyAddress, match="not issued by us"):
        signer.verify_address(foreign, DOMAIN)


def test_a_guessed_tag_is_refused(signer: ReplyAddressSigner) -> None:
    token = signer.token(CASE_ID)
    forged = token[:-1] + ("a" if token[-1] != "a" else "b")

    with pytest.raises(InvalidReplyAddress, match="not issued by us"):
        signer.verify_token(forged)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("reply+abc@" + DOMAIN, "wrong length"),
        ("support@" + DOMAIN, "not a reply address"),
        ("reply+" + "a" * 32 + "@elsewhere.example", "not addressed to the reply domain"),
        ("no-at-sign", "not addressed to the reply domain"),
        ("reply+" + "é" * 32 + "@" + DOMAIN, "not issued by us"),
    ],
)
def test_other_addresses_are_refused_with_the_reason(
    signer: ReplyAddressSigner, address: str, reason: str
) -> None:
    with pytest.raises(InvalidReplyAddress, match=reason):
        signer.verify_address(address, DOMAIN)


def test_token_of_reads_the_token_from_a_bracketed_address() -> None:
    assert token_of(f" <reply+abc@{DOMAIN.upper()}> ", DOMAIN) == "abc"


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 characters"):
        ReplyAddressSigner("short")


OLD_SECRET = "the-secret-before-rotation-0123"


def test_addresses_use_hmac_keys_derived_by_hkdf(signer: ReplyAddressSigner) -> None:
    import base64
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def derived(purpose: bytes) -> bytes:
        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose)
        return kdf.derive(SECRET.encode())

    def b32(key: bytes, data: bytes) -> str:
        digest = hmac.new(key, data, hashlib.sha256).digest()[:10]
        return base64.b32encode(digest).decode().lower()

    case_key = b32(derived(b"cancelflow reply-address case key"), CASE_ID.encode())
    tag = b32(derived(b"cancelflow reply-address tag"), case_key.encode())

    assert signer.address(CASE_ID, DOMAIN) == f"reply+{case_key}{tag}@{DOMAIN}"


def test_addresses_sent_before_hkdf_are_still_accepted(signer: ReplyAddressSigner) -> None:
    import base64
    import hashlib
    import hmac

    def b32(key: bytes, data: bytes) -> str:
        digest = hmac.new(key, data, hashlib.sha256).digest()[:10]
        return base64.b32encode(digest).decode().lower()

    root = SECRET.encode()
    case_key = b32(hashlib.sha256(b"cancelflow-reply-address-case|" + root).digest(), b"c-1")
    tag = b32(hashlib.sha256(b"cancelflow-reply-address-tag|" + root).digest(), case_key.encode())

    assert signer.verify_address(f"reply+{case_key}{tag}@{DOMAIN}", DOMAIN) == case_key


def test_after_rotation_addresses_sent_before_still_lead_to_their_case_key() -> None:
    sent = ReplyAddressSigner(OLD_SECRET).address(CASE_ID, DOMAIN)
    sent_key = ReplyAddressSigner(OLD_SECRET).case_key(CASE_ID)
    rotated = ReplyAddressSigner(f"{SECRET},{OLD_SECRET}")

    assert rotated.verify_address(sent, DOMAIN) == sent_key
    assert rotated.address(CASE_ID, DOMAIN) == ReplyAddressSigner(SECRET).address(CASE_ID, DOMAIN)
    with pytest.raises(InvalidReplyAddress):
        ReplyAddressSigner(SECRET).verify_address(sent, DOMAIN)
