"""Reply-link tokens: only we can make them, they name one case, and they reveal nothing."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest

from domain.reply_token import (
    ExpiredReplyToken,
    InvalidReplyToken,
    ReplyGrant,
    ReplyTokenSigner,
    case_reference,
)

SECRET = "portal-secret-for-tests-0123456789"
CASE_ID = "order-2026-03-02-0017"
MERCHANT_ID = "acme-streaming"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXPIRES = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def signer() -> ReplyTokenSigner:
    return ReplyTokenSigner(SECRET)


def test_a_token_verifies_to_what_it_was_issued_for(signer: ReplyTokenSigner) -> None:
    token = signer.issue(CASE_ID, MERCHANT_ID, 2, EXPIRES)

    assert signer.verify(token, now=NOW) == ReplyGrant(
        case_id=CASE_ID, merchant_id=MERCHANT_ID, round=2, expires_at=EXPIRES
    )


def test_a_token_is_url_safe(signer: ReplyTokenSigner) -> None:
    token = signer.issue(CASE_ID, MERCHANT_ID, 1, EXPIRES)

    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)


def test_the_same_case_gets_the_same_link_every_time(signer: ReplyTokenSigner) -> None:
    # Reminders repeat the link of the request email, and a restarted process must agree.
    first = signer.issue(CASE_ID, MERCHANT_ID, 1, EXPIRES)

    assert signer.issue(CASE_ID, MERCHANT_ID, 1, EXPIRES) == first
    assert ReplyTokenSigner(SECRET).issue(CASE_ID, MERCHANT_ID, 1, EXPIRES) == first


def test_links_of_a_case_share_an_expiry_fixed_by_the_request(signer: ReplyTokenSigner) -> None:
    requested_at = datetime(2026, 3, 2, 10, 15, 30, 123456, tzinfo=UTC)

    expiry = signer.expiry_for(requested_at)

    assert expiry == datetime(2026, 6, 30, 10, 15, 30, tzinfo=UTC)  # 120 days, whole seconds
    assert signer.issue(CASE_ID, MERCHANT_ID, 1, expiry) == signer.issue(
        CASE_ID, MERCHANT_ID, 1, signer.expiry_for(requested_at)
    )


@pytest.mark.parametrize(
    ("case_id", "merchant_id", "round_"),
    [
        ("order-2026-03-02-0018", MERCHANT_ID, 1),
        (CASE_ID, "other-merchant", 1),
        (CASE_ID, MERCHANT_ID, 2),
    ],
    ids=["other case", "other merchant", "other round"],
)
def test_a_different_grant_gets_a_different_token(
    signer: ReplyTokenSigner, case_id: str, merchant_id: str, round_: int
) -> None:
    assert signer.issue(case_id, merchant_id, round_, EXPIRES) != signer.issue(
        CASE_ID, MERCHANT_ID, 1, EXPIRES
    )


def _flip(token: str, index: int) -> str:
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


@pytest.mark.parametrize("index", [0, 5, 11, 16, 30, -10, -2])
def test_a_tampered_token_is_invalid(signer: ReplyTokenSigner, index: int) -> None:
    token = signer.issue(CASE_ID, MERCHANT_ID, 1, EXPIRES)

    with pytest.raises(InvalidReplyToken, match="this link is not valid"):
        signer.verify(_flip(token, index), now=NOW)


def test_a_truncated_or_extended_token_is_invalid(signer: ReplyTokenSigner) -> None:
    token = signer.issue(CASE_ID, MERCHANT_ID, 1, EXPIRES)

    for broken in (token[:-4], token[4:], token + "AAAA"):
        with pytest.raises(InvalidReplyToken):
            signer.verify(broken, now=NOW)


def test_a_token_signed_with_another_secret_is_invalid(signer: ReplyTokenSigner) -> None:
    foreign = ReplyTokenSigner("another-portal-secret-9876543210").issue(
        CASE_ID, MERCHANT_ID, 1, EXPIRES
    )

    with pytest.raises(InvalidReplyToken):
        signer.verify(foreign, now=NOW)


@pytest.mark.parametrize(
    "garbage",
    ["", "A", "not a token", "!!!!", "é-token", "=" * 8, "A" * 64, "x" * 5000, CASE_ID],
    ids=[
        "empty",
        "one char",
        "words",
        "symbols",
        "non-ascii",
        "padding",
        "zeros",
        "huge",
        "case id",
    ],
)
def test_garbage_is_invalid(signer: ReplyTokenSigner, garbage: str) -> None:
    with pytest.raises(InvalidReplyToken):
        signer.verify(garbage, now=NOW)


def test_a_well_formed_but_unsigned_payload_is_invalid(signer: ReplyTokenSigner) -> None:
    # What a forger would try: the plain grant, base64-encoded, with a made-up nonce.
    forged = base64.urlsafe_b64encode(
        b"\0" * 12 + f'["{CASE_ID}","{MERCHANT_ID}",1,{int(EXPIRES.timestamp())}]'.encode()
    ).decode()

    with pytest.raises(InvalidReplyToken):
        signer.verify(forged.rstrip("="), now=NOW)


def test_an_expired_token_says_so_and_carries_its_grant(signer: ReplyTokenSigner) -> None:
    token = signer.issue(CASE_ID, MERCHANT_ID, 3, EXPIRES)

    with pytest.raises(ExpiredReplyToken) as caught:
        signer.verify(token, now=EXPIRES + timedelta(days=1))

    assert caught.value.grant == ReplyGrant(
        case_id=CASE_ID, merchant_id=MERCHANT_ID, round=3, expires_at=EXPIRES
    )
    assert str(caught.value) == "this link expired on 2026-06-30"
    assert not isinstance(caught.value, InvalidReplyToken)


def test_a_token_expires_at_its_expiry_instant(signer: ReplyTokenSigner) -> None:
    token = signer.issue(CASE_ID, MERCHANT_ID, 1, EXPIRES)

    assert signer.verify(token, now=EXPIRES - timedelta(seconds=1)).case_id == CASE_ID
    with pytest.raises(ExpiredReplyToken):
        signer.verify(token, now=EXPIRES)


def test_verify_uses_the_current_time_by_default(signer: ReplyTokenSigner) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    future = datetime.now(UTC) + timedelta(days=1)

    with pytest.raises(ExpiredReplyToken):
        signer.verify(signer.issue(CASE_ID, MERCHANT_ID, 1, past))
    assert signer.verify(signer.issue(CASE_ID, MERCHANT_ID, 1, future)).round == 1


def _decoded(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def test_a_token_does_not_reveal_the_case_or_the_merchant(signer: ReplyTokenSigner) -> None:
    token = signer.issue(CASE_ID, MERCHANT_ID, 1, EXPIRES)

    for secret in (CASE_ID, MERCHANT_ID, "0017", "acme"):
        assert secret not in token
        assert secret.encode() not in _decoded(token)
        assert secret.encode() not in _decoded(token).lower()
    assert str(int(EXPIRES.timestamp())).encode() not in _decoded(token)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret_key: must be at least 16 characters"):
        ReplyTokenSigner("too-short")


def test_case_reference_is_stable_short_and_readable() -> None:
    reference = case_reference(CASE_ID)

    assert reference == case_reference(CASE_ID)
    assert re.fullmatch(r"CF-[A-Z2-7]{8}", reference)


def test_case_references_differ_between_cases() -> None:
    references = {case_reference(f"order-{n}") for n in range(1000)}

    assert len(references) == 1000


def _sealed_v1(secret: str, grant: list[object]) -> str:
    """A token under the first construction (AES-GCM, SHA-256-derived key), which links
    already sent in emails still use, made with the secret: what someone holding it could
    forge."""
    import hashlib
    import json

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = hashlib.sha256(b"cancelflow-reply-token-key|" + secret.encode()).digest()
    nonce = b"\x07" * 12
    sealed = AESGCM(key).encrypt(nonce, json.dumps(grant).encode(), b"reply-v1")
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()


@pytest.mark.parametrize("expires", [10**20, -(10**20), 2**63, 253402300800, 1.5e300])
def test_a_sealed_token_with_an_out_of_range_expiry_is_invalid(
    signer: ReplyTokenSigner, expires: float
) -> None:
    token = _sealed_v1(SECRET, [CASE_ID, MERCHANT_ID, 1, expires])

    with pytest.raises(InvalidReplyToken):
        signer.verify(token, now=NOW)


@pytest.mark.parametrize(
    "grant",
    [
        [CASE_ID, MERCHANT_ID, 1],
        [CASE_ID, MERCHANT_ID, 1, 2e9, "extra"],
        {"case_id": CASE_ID},
        [None, MERCHANT_ID, 1, 2e9],
        [CASE_ID, MERCHANT_ID, "one", 2e9],
        [CASE_ID, MERCHANT_ID, 1, "2026-06-30"],
        [CASE_ID, MERCHANT_ID, 1, float("nan")],
    ],
    ids=["short", "long", "object", "null case", "text round", "text expiry", "nan expiry"],
)
def test_a_sealed_token_of_the_wrong_shape_is_invalid(
    signer: ReplyTokenSigner, grant: list[object]
) -> None:
    with pytest.raises(InvalidReplyToken):
        signer.verify(_sealed_v1(SECRET, grant), now=NOW)


def _sealed_v2(secret: str, grant: list[object]) -> str:
    """A token as the README describes it: AES-SIV under an HKDF-SHA256 key of the secret."""
    import json

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(
        algorithm=hashes.SHA256(), length=64, salt=None, info=b"cancelflow reply-link token"
    ).derive(secret.encode())
    sealed = AESSIV(key).encrypt(json.dumps(grant).encode(), [b"cancelflow reply link v2"])
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()


def test_tokens_are_aes_siv_under_an_hkdf_key(signer: ReplyTokenSigner) -> None:
    made = _sealed_v2(SECRET, [CASE_ID, MERCHANT_ID, 2, int(EXPIRES.timestamp())])

    assert signer.verify(made, now=NOW) == ReplyGrant(
        case_id=CASE_ID, merchant_id=MERCHANT_ID, round=2, expires_at=EXPIRES
    )


@pytest.mark.parametrize("expires", [10**20, -1, 2**63, 253402300800, 1.5e300])
def test_an_aes_siv_token_with_an_out_of_range_expiry_is_invalid(
    signer: ReplyTokenSigner, expires: float
) -> None:
    with pytest.raises(InvalidReplyToken):
        signer.verify(_sealed_v2(SECRET, [CASE_ID, MERCHANT_ID, 1, expires]), now=NOW)


def test_links_sent_before_aes_siv_still_verify(signer: ReplyTokenSigner) -> None:
    sent = _sealed_v1(SECRET, [CASE_ID, MERCHANT_ID, 1, int(EXPIRES.timestamp())])

    assert signer.verify(sent, now=NOW).case_id == CASE_ID


OLD_SECRET = "the-secret-before-rotation-0123"


def test_after_rotation_the_newest_key_issues_and_older_links_still_verify() -> None:
    before = ReplyTokenSigner(OLD_SECRET)
    sent_before = before.issue(CASE_ID, MERCHANT_ID, 1, EXPIRES)
    rotated = ReplyTokenSigner(f"{SECRET},{OLD_SECRET}")

    assert rotated.verify(sent_before, now=NOW).case_id == CASE_ID
    issued = rotated.issue(CASE_ID, MERCHANT_ID, 1, EXPIRES)
    assert issued == ReplyTokenSigner(SECRET).issue(CASE_ID, MERCHANT_ID, 1, EXPIRES)
    with pytest.raises(InvalidReplyToken):
        before.verify(issued, now=NOW)


def test_a_retired_key_no_longer_verifies() -> None:
    sent = ReplyTokenSigner(OLD_SECRET).issue(CASE_ID, MERCHANT_ID, 1, EXPIRES)

    with pytest.raises(InvalidReplyToken):
        ReplyTokenSigner(SECRET).verify(sent, now=NOW)


def test_every_key_of_the_ring_must_be_long_enough() -> None:
    with pytest.raises(ValueError, match=r"secret_key: must be at least 16 characters \(key 2"):
        ReplyTokenSigner(f"{SECRET},short")
