"""Payload encryption: customer data in workflow histories is stored only as AES-GCM ciphertext.

Every payload the SDK sends to Temporal (inputs, results, signals, updates, queries, failure
messages) passes through EncryptionCodec. The key id travels in the payload's metadata, so
keys can be rotated: the first configured key encrypts, every configured key decrypts.
Search attributes are not payloads of this kind and stay readable; they carry no customer data.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

if TYPE_CHECKING:
    from workers.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
_NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
DEV_KEY_FILE = "codec-keys"


class CodecKeyError(ValueError):
    """A key configuration that cannot be used; the message names the setting and the rule."""


class UnknownEncryptionKey(ValueError):
    """A payload was encrypted with a key this process was not given."""


@dataclasses.dataclass(frozen=True)
class EncryptionKey:
    key_id: str
    secret: bytes = dataclasses.field(repr=False)


def parse_keys(text: str) -> list[EncryptionKey]:
    """'id:base64key,id2:base64key2' -> keys, first one encrypting. Keys are 32 bytes (AES-256)."""
    keys: list[EncryptionKey] = []
    for position, item in enumerate(part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        where = f"CANCELFLOW_CODEC__KEYS entry {position + 1}"
        if not sep or not _KEY_ID.match(key_id):
            raise CodecKeyError(
                f"{where}: must look like 'key-id:base64key' with a key id of letters, digits, "
                "'.', '_' or '-'"
            )
        try:
            secret = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise CodecKeyError(f"{where} ('{key_id}'): the key is not valid base64") from None
        if len(secret) != 32:
            raise CodecKeyError(
                f"{where} ('{key_id}'): the key must be 32 bytes (AES-256), it is {len(secret)}"
            )
        if any(k.key_id == key_id for k in keys):
            raise CodecKeyError(f"{where}: key id '{key_id}' is listed twice")
        keys.append(EncryptionKey(key_id, secret))
    if not keys:
        raise CodecKeyError("CANCELFLOW_CODEC__KEYS: no key given")
    return keys


def format_keys(keys: Iterable[EncryptionKey]) -> str:
    return ",".join(f"{k.key_id}:{base64.b64encode(k.secret).decode('ascii')}" for k in keys)


def new_key(key_id: str) -> EncryptionKey:
    return EncryptionKey(key_id, AESGCM.generate_key(bit_length=256))


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: Sequence[EncryptionKey]) -> None:
        if not keys:
            raise CodecKeyError("EncryptionCodec needs at least one key")
        self._encrypting = keys[0]
        self._ciphers = {k.key_id: AESGCM(k.secret) for k in keys}

    @property
    def encrypting_key_id(self) -> str:
        return self._encrypting.key_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._encrypting.key_id]
        key_id = self._encrypting.key_id.encode("ascii")
        encoded: list[Payload] = []
        for payload in payloads:
            nonce = os.urandom(_NONCE_BYTES)
            # The key id is bound as associated data, so metadata cannot be swapped unnoticed.
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), key_id)
            encoded.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id},
                    data=nonce + sealed,
                )
            )
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded: list[Payload] = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                # Histories written before encryption was switched on stay readable.
                decoded.append(payload)
                continue
            key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode("ascii", "replace")
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise UnknownEncryptionKey(
                    f"payload encrypted with key '{key_id}', which is not among the configured "
                    f"keys ({', '.join(sorted(self._ciphers))}); add it to CANCELFLOW_CODEC__KEYS"
                )
            data = payload.data
            plain = cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], key_id.encode())
            inner = Payload()
            inner.ParseFromString(plain)
            decoded.append(inner)
        return decoded


def encrypting_converter(keys: Sequence[EncryptionKey]) -> DataConverter:
    """The pydantic converter with payloads and failure messages encrypted under keys."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keys),
        # Failure messages can quote data; move them into the encrypted attributes too.
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def configured_keys(settings: Settings) -> list[EncryptionKey] | None:
    """CANCELFLOW_CODEC__KEYS, else the local stack's key file under var_dir, else None.

    The key file lets every process of a `cancelflow dev` stack (worker, CLI in another
    shell, portal) share the dev key without exporting it; deployments set the variable.
    """
    if settings.codec.keys is not None and settings.codec.keys.get_secret_value().strip():
        return parse_keys(settings.codec.keys.get_secret_value())
    path = settings.var_dir / DEV_KEY_FILE
    if path.exists():
        return parse_keys(path.read_text(encoding="ascii").strip())
    return None


def payload_codec(settings: Settings) -> EncryptionCodec | None:
    keys = configured_keys(settings)
    return EncryptionCodec(keys) if keys else None


def data_converter(settings: Settings) -> DataConverter:
    """What every client and worker of this deployment uses: encrypting when keys are set."""
    keys = configured_keys(settings)
    return encrypting_converter(keys) if keys else pydantic_data_converter


def ensure_dev_keys(var_dir: Path) -> str:
    """The local stack's key ring under var/ (ignored by git), created on first start."""
    path = var_dir / DEV_KEY_FILE
    if path.exists():
        text = path.read_text(encoding="ascii").strip()
        parse_keys(text)
        return text
    var_dir.mkdir(parents=True, exist_ok=True)
    text = format_keys([new_key("dev-1")])
    # Created owner-only, so the key is never readable by other users of the machine.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text + "\n")
    return text
