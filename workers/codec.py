"""Payload encryption: customer data in workflow histories is stored only as AES-GCM ciphertext.

Every payload the SDK sends to Temporal (inputs, results, signals, updates, queries, failure
messages) passes through EncryptionCodec. The key id travels in the payload's metadata, so
keys can be rotated: the first configured key encrypts, every configured key decrypts.
Search attributes are not payloads of this kind and stay readable; they carry no customer data.

A case's payloads are sealed under a data key of the case's own (CaseKeyCodec, issue 20): the
SDK hands the codec the workflow's id (serialization context), the key is made on first use and
kept wrapped by the ring in PostgreSQL (storage/case_keys.py), and the payload's metadata names
it (`case:<case id>`), so the UI's codec server and `cases audit` decode without context.
Erasing the case destroys the key: every copy of those payloads becomes unreadable.
"""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Self, cast

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)

from domain.archive import CASE_WORKFLOW_ID_PREFIX
from domain.webhooks import ALL_EVENT_TYPES, DELIVERY_WORKFLOW_ID_PREFIX
from storage.case_keys import CaseKeyErased
from workers.case_key_cache import CaseKeys as CaseKeys
from workers.recorded_payloads import recorded_data_converter

if TYPE_CHECKING:
    import asyncpg

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


class ErasedCaseKey(UnknownEncryptionKey):
    """A payload of a case whose personal data was erased: its key no longer exists."""

    def __init__(self, erased: CaseKeyErased) -> None:
        super().__init__(str(erased))
        self.case_id = erased.case_id
        self.erased_at = erased.erased_at


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
        key_id = self._encrypting.key_id
        return _seal(self._ciphers[key_id], key_id.encode("ascii"), payloads)

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
            decoded.append(_open(cipher, key_id.encode(), payload))
        return decoded


CASE_KEY_PREFIX = "case:"
_MAX_CONTEXTS = 10_000


def case_of_workflow(workflow_id: str | None) -> str | None:
    """The case whose personal data a workflow's payloads carry: the case itself, or one of its
    webhook deliveries (`webhook-evt_<case id>_<kind>_<round>_<number>`); None for the others
    (archiving, digest, erasure), whose payloads stay under the ring's key."""
    if not workflow_id:
        return None
    if workflow_id.startswith(CASE_WORKFLOW_ID_PREFIX):
        return workflow_id.removeprefix(CASE_WORKFLOW_ID_PREFIX) or None
    if workflow_id.startswith(DELIVERY_WORKFLOW_ID_PREFIX + "evt_"):
        head = workflow_id.removeprefix(DELIVERY_WORKFLOW_ID_PREFIX + "evt_").rsplit("_", 2)[0]
        for kind in ALL_EVENT_TYPES:
            suffix = "_" + kind.removeprefix("cancellation.")
            if head.endswith(suffix) and len(head) > len(suffix):
                return head.removesuffix(suffix)
    return None


class CaseKeyCodec(EncryptionCodec, WithSerializationContext):
    """Seals a case's payloads under the case's key, everything else under the ring's."""

    def __init__(
        self, keys: Sequence[EncryptionKey], case_keys: CaseKeys, case_id: str | None = None
    ) -> None:
        super().__init__(keys)
        self.case_keys = case_keys
        self.case_id = case_id
        # One codec per workflow id, shared by every copy (the SDK asks for one at each
        # activation and activity; a copy per call cost more than the payloads' own AES).
        self._by_workflow: dict[str | None, CaseKeyCodec] = {}

    def with_context(self, context: SerializationContext) -> Self:
        workflow_id = getattr(context, "workflow_id", None)
        found = self._by_workflow.get(workflow_id)
        if found is None:
            case_id = case_of_workflow(workflow_id)
            # A shallow copy shares the ciphers, the case keys and this table.
            found = self if case_id == self.case_id else copy.copy(self)
            found.case_id = case_id
            if len(self._by_workflow) >= _MAX_CONTEXTS:
                self._by_workflow.clear()
            self._by_workflow[workflow_id] = found
        return cast(Self, found)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if self.case_id is None or not payloads:
            return await super().encode(payloads)
        try:
            cipher = await self.case_keys.cipher(self.case_id, create=True)
        except CaseKeyErased as erased:
            raise ErasedCaseKey(erased) from None
        assert cipher is not None
        return _seal(cipher, (CASE_KEY_PREFIX + self.case_id).encode(), payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded: list[Payload] = []
        for payload in payloads:
            key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode("utf-8", "replace")
            if payload.metadata.get("encoding") != ENCODING or not key_id.startswith(
                CASE_KEY_PREFIX
            ):
                decoded += await super().decode([payload])
                continue
            case_id = key_id.removeprefix(CASE_KEY_PREFIX)
            try:
                cipher = await self.case_keys.cipher(case_id, create=False)
            except CaseKeyErased as erased:
                raise ErasedCaseKey(erased) from None
            if cipher is None:
                raise UnknownEncryptionKey(f"no key for case '{case_id}' in the case key store")
            decoded.append(_open(cipher, key_id.encode(), payload))
        return decoded


def _seal(cipher: AESGCM, key_id: bytes, payloads: Sequence[Payload]) -> list[Payload]:
    encoded: list[Payload] = []
    for payload in payloads:
        nonce = os.urandom(_NONCE_BYTES)
        # The key id is bound as associated data, so metadata cannot be swapped unnoticed.
        sealed = cipher.encrypt(nonce, payload.SerializeToString(), key_id)
        encoded.append(
            Payload(metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id}, data=nonce + sealed)
        )
    return encoded


def _open(cipher: AESGCM, key_id: bytes, payload: Payload) -> Payload:
    data = payload.data
    inner = Payload()
    inner.ParseFromString(cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], key_id))
    return inner


@dataclasses.dataclass(frozen=True)
class CaseKeyConverter(DataConverter):
    """The data converter of CaseKeyCodec, keeping one copy per workflow id: the SDK asks
    for one at every command and activation, and DataConverter.with_context builds a new
    converter each time (new payload and failure converters, then replaced), about as much
    work as the payloads' own AES. Only the codec reads the context, and only its
    workflow id, so the copy for a workflow id serves each context of that workflow."""

    _by_workflow: dict[str | None, DataConverter] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def with_context(self, context: SerializationContext) -> Self:
        workflow_id = getattr(context, "workflow_id", None)
        found = self._by_workflow.get(workflow_id)
        if found is not None:
            return cast(Self, found)
        made = super().with_context(context)
        if (
            made.payload_converter is self.payload_converter
            and made.failure_converter is self.failure_converter
        ):  # else a context-aware converter reads more of the context: nothing to share
            if len(self._by_workflow) >= _MAX_CONTEXTS:
                self._by_workflow.clear()
            self._by_workflow[workflow_id] = made
        return made


def encrypting_converter(
    keys: Sequence[EncryptionKey], case_keys: CaseKeys | None = None
) -> DataConverter:
    """The pydantic converter with payloads and failure messages encrypted under keys; with
    case_keys, each case's payloads under the case's own key."""
    # Failure messages can quote data; move them into the encrypted attributes too.
    failures = DefaultFailureConverterWithEncodedAttributes
    if case_keys is None:
        return dataclasses.replace(
            recorded_data_converter,
            payload_codec=EncryptionCodec(keys),
            failure_converter_class=failures,
        )
    return CaseKeyConverter(
        payload_converter_class=recorded_data_converter.payload_converter_class,
        payload_codec=CaseKeyCodec(keys, case_keys),
        failure_converter_class=failures,
        external_storage=recorded_data_converter.external_storage,
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


_CASE_KEYS: dict[tuple[str, str, str | None], CaseKeys] = {}


def case_keys_for(settings: Settings, keys: Sequence[EncryptionKey]) -> CaseKeys | None:
    """The process's case keys (one cache and pool per database and ring), or None when
    CANCELFLOW_CODEC__CASE_KEYS is off. The database is found at the first payload."""
    if not settings.codec.case_keys:
        return None
    memo = (format_keys(keys), str(settings.var_dir), settings.database_url)
    if memo not in _CASE_KEYS:

        async def pool() -> asyncpg.Pool:
            from storage.db import create_pool
            from workers.database import database_url

            return await create_pool(database_url(settings), min_size=1, max_size=4)

        async def listen() -> asyncpg.Connection:
            # Its own connection, outside the pool: it stays open to hear erasures.
            import asyncpg

            from workers.database import database_url

            return await asyncpg.connect(database_url(settings), timeout=10)

        _CASE_KEYS[memo] = CaseKeys(keys, pool, listen=listen)
    return _CASE_KEYS[memo]


def payload_codec(settings: Settings) -> EncryptionCodec | None:
    keys = configured_keys(settings)
    if not keys:
        return None
    case_keys = case_keys_for(settings, keys)
    return EncryptionCodec(keys) if case_keys is None else CaseKeyCodec(keys, case_keys)


def data_converter(settings: Settings) -> DataConverter:
    """What every client and worker of this deployment uses: encrypting when keys are set."""
    keys = configured_keys(settings)
    return (
        encrypting_converter(keys, case_keys_for(settings, keys))
        if keys
        else recorded_data_converter
    )


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
