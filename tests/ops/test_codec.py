"""Payload encryption: round trip, key rotation, and what the server really stores."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from cases.client import case_state, start_case, submit_answer
from domain.answers import HasNowBeenCancelled
from domain.common import Channel
from tests.eventually import eventually
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker
from workers.codec import (
    ENCODING,
    KEY_ID_METADATA,
    CodecKeyError,
    EncryptionCodec,
    UnknownEncryptionKey,
    data_converter,
    ensure_dev_keys,
    format_keys,
    new_key,
    parse_keys,
)
from workers.settings import Settings
from workflows.cancellation import CaseInput

CUSTOMER_SECRETS = [b"anna.svensson@example.com", b"Svensson", b"Storgatan", b"C-778899"]


def _payload(text: str) -> Payload:
    return pydantic_data_converter.payload_converter.to_payloads([{"email": text}])[0]


async def test_round_trip_marks_key_and_hides_content() -> None:
    codec = EncryptionCodec([new_key("k1")])
    original = _payload("anna.svensson@example.com")
    [encrypted] = await codec.encode([original])
    assert encrypted.metadata["encoding"] == ENCODING
    assert encrypted.metadata[KEY_ID_METADATA] == b"k1"
    assert b"anna.svensson" not in encrypted.SerializeToString()
    assert await codec.decode([encrypted]) == [original]


async def test_rotation_old_key_decrypts_new_key_encrypts() -> None:
    old, new = new_key("2025-01"), new_key("2026-06")
    [written_before] = await EncryptionCodec([old]).encode([_payload("before rotation")])
    rotated = EncryptionCodec([new, old])
    assert await rotated.decode([written_before]) == [_payload("before rotation")]
    [written_after] = await rotated.encode([_payload("after rotation")])
    assert written_after.metadata[KEY_ID_METADATA] == b"2026-06"
    # A process that only knows the old key cannot read what the new key wrote, and says why.
    with pytest.raises(UnknownEncryptionKey, match="'2026-06'.*CANCELFLOW_CODEC__KEYS"):
        await EncryptionCodec([old]).decode([written_after])


async def test_tampered_key_id_is_detected() -> None:
    a, b = new_key("a"), new_key("b")
    [sealed] = await EncryptionCodec([a]).encode([_payload("x")])
    forged = Payload(metadata={**sealed.metadata, KEY_ID_METADATA: b"b"}, data=sealed.data)
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        await EncryptionCodec([a, b]).decode([forged])


async def test_unencrypted_payloads_still_decode() -> None:
    plain = _payload("written before encryption was enabled")
    assert await EncryptionCodec([new_key("k")]).decode([plain]) == [plain]


def test_key_configuration_errors_name_the_setting() -> None:
    good = format_keys([new_key("k1"), new_key("k2")])
    assert [k.key_id for k in parse_keys(good)] == ["k1", "k2"]
    with pytest.raises(CodecKeyError, match="entry 1.*key-id:base64key"):
        parse_keys("no-colon-here")
    with pytest.raises(CodecKeyError, match="'k1'.*32 bytes.*it is 5"):
        parse_keys("k1:" + base64.b64encode(b"short").decode())
    with pytest.raises(CodecKeyError, match="not valid base64"):
        parse_keys("k1:%%%")
    with pytest.raises(CodecKeyError, match="listed twice"):
        parse_keys(f"{good},{good}")


def test_settings_choose_the_converter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CANCELFLOW_CODEC__KEYS", raising=False)
    assert data_converter(Settings(var_dir=tmp_path)).payload_codec is None
    keys = ensure_dev_keys(tmp_path)
    assert ensure_dev_keys(tmp_path) == keys, "the dev key is made once and then reused"
    assert (tmp_path / "codec-keys").stat().st_mode & 0o077 == 0
    # Every process of the dev stack finds the key file under the same var_dir ...
    codec = data_converter(Settings(var_dir=tmp_path)).payload_codec
    assert isinstance(codec, EncryptionCodec) and codec.encrypting_key_id == "dev-1"
    # ... and a configured key ring takes precedence.
    monkeypatch.setenv("CANCELFLOW_CODEC__KEYS", format_keys([new_key("prod-7")]))
    codec = data_converter(Settings(var_dir=tmp_path)).payload_codec
    assert isinstance(codec, EncryptionCodec) and codec.encrypting_key_id == "prod-7"


async def _finished_case(client: Client) -> str:
    """Run one case to its end on client's converter; returns its workflow id."""
    acts = RecordingActivities(merchants={"acme": make_merchant()})
    request = make_request()
    async with running_worker(client, acts) as task_queue:
        started = await start_case(client, request, task_queue)
        await eventually(
            lambda: case_state(client, request.case_id), lambda s: s.status.value == "awaiting"
        )
        await submit_answer(
            client,
            request.case_id,
            HasNowBeenCancelled(
                access_until="2030-01-31",
                answered_at=datetime.now(UTC),
                channel=Channel.PORTAL,
                responded_by="Bo at Acme",
            ),
        )
        await started.handle.result()
    return started.handle.id


async def _stored_bytes(plain_client: Client, workflow_id: str) -> bytes:
    history = await plain_client.get_workflow_handle(workflow_id).fetch_history()
    return b"".join(event.SerializeToString() for event in history.events)


async def test_server_stores_no_customer_identifier_in_clear(
    dev_server_env: WorkflowEnvironment, encrypted_client: Client, codec_url: str
) -> None:
    plain_client = dev_server_env.client

    # Control: without the codec the identifiers are right there in the stored history.
    unprotected = await _stored_bytes(plain_client, await _finished_case(plain_client))
    assert all(secret in unprotected for secret in CUSTOMER_SECRETS)

    workflow_id = await _finished_case(encrypted_client)
    stored = await _stored_bytes(plain_client, workflow_id)
    leaked = [secret for secret in CUSTOMER_SECRETS if secret in stored]
    assert leaked == [], f"customer identifiers stored in clear text: {leaked}"

    # A client with the codec reads them back (the CLI's view) ...
    history = await encrypted_client.get_workflow_handle(workflow_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [case_input] = await encrypted_client.data_converter.decode(started.input.payloads, [CaseInput])
    assert case_input.request.customer.email == "anna.svensson@example.com"

    # ... and so does the codec endpoint the Temporal UI calls from the browser.
    body = json_format.MessageToJson(Payloads(payloads=started.input.payloads))
    async with httpx.AsyncClient(base_url=codec_url) as http:
        preflight = await http.options(
            "/decode",
            headers={
                "Origin": "http://localhost:8233",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-namespace",
            },
        )
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:8233"
        response = await http.post(
            "/decode",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Namespace": "default",
                "Origin": "http://localhost:8233",
            },
        )
    assert response.status_code == 200, response.text
    decoded = json_format.Parse(response.text, Payloads())
    assert b"anna.svensson@example.com" in decoded.payloads[0].data
    assert response.headers["access-control-allow-origin"] == "http://localhost:8233"


async def test_codec_endpoint_refuses_other_origins_and_bad_bodies(codec_url: str) -> None:
    async with httpx.AsyncClient(base_url=codec_url) as http:
        foreign = await http.options(
            "/decode",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in foreign.headers
        bad = await http.post("/decode", content=b"not json")
        assert bad.status_code == 400 and "Payloads" in bad.json()["error"]
        # The encode endpoint round-trips through decode (mounted under any prefix).
        body = json_format.MessageToJson(Payloads(payloads=[_payload("hello")]))
        token = codec_url.rsplit("/", 1)[-1]
        encoded = await http.post(
            "/some/prefix/encode", content=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert b"hello" not in encoded.content
        decoded = await http.post("/decode", content=encoded.content)
    assert json_format.Parse(decoded.text, Payloads()).payloads[0] == _payload("hello")


async def test_codec_calls_need_the_auth_token(codec_url: str) -> None:
    base, token = codec_url.rsplit("/", 1)
    body = json_format.MessageToJson(Payloads(payloads=[_payload("hello")]))
    async with httpx.AsyncClient(base_url=base) as http:
        for path in ("/decode", "/encode", "/wrong-token/decode", f"/{token}x/decode"):
            refused = await http.post(path, content=body)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"] == "Bearer"
        wrong = await http.post("/decode", content=body, headers={"Authorization": "Bearer x"})
        assert wrong.status_code == 401
        bearer = await http.post(
            "/decode", content=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert bearer.status_code == 200
        assert (await http.post(f"/{token}/decode", content=body)).status_code == 200


async def test_only_decode_is_offered_to_the_ui_origin(codec_url: str) -> None:
    ui = {"Origin": "http://localhost:8233", "Access-Control-Request-Method": "POST"}
    body = json_format.MessageToJson(Payloads(payloads=[_payload("hello")]))
    async with httpx.AsyncClient(base_url=codec_url) as http:
        decode = await http.options("/decode", headers=ui)
        assert decode.headers["access-control-allow-origin"] == "http://localhost:8233"
        encode = await http.options("/encode", headers=ui)
        assert encode.status_code == 403
        assert "access-control-allow-origin" not in encode.headers
        from_browser = await http.post("/encode", content=body, headers={"Origin": ui["Origin"]})
        assert from_browser.status_code == 403
        assert "access-control-allow-origin" not in from_browser.headers
