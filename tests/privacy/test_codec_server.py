"""The UI's codec server reads a case's payloads by the key their metadata names, with no
context, and says so plainly once the case is erased."""

from __future__ import annotations

import httpx
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import WorkflowSerializationContext

from tests.helpers.servers import free_port
from workers.codec import CaseKeyCodec, CaseKeys, EncryptionKey
from workers.codec_server import running_codec_server, ui_origins


async def test_the_codec_server_decodes_a_case_until_it_is_erased(
    codec_keys: list[EncryptionKey], case_keys: CaseKeys
) -> None:
    codec = CaseKeyCodec(codec_keys, case_keys)
    in_case = codec.with_context(WorkflowSerializationContext("default", "case-cs-1"))
    [sealed] = await in_case.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"x@y"')])
    assert sealed.metadata["encryption-key-id"] == b"case:cs-1"
    body = json_format.MessageToJson(Payloads(payloads=[sealed]))
    async with running_codec_server(
        CaseKeyCodec(codec_keys, case_keys), "127.0.0.1", free_port(), ui_origins(8233), "tok"
    ) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            clear = await http.post("/decode", content=body)
            assert clear.status_code == 200, clear.text
            assert json_format.Parse(clear.text, Payloads()).payloads[0].data == b'"x@y"'
            await case_keys.erase("cs-1")
            erased = await http.post("/decode", content=body)
    assert erased.status_code == 400
    assert "case 'cs-1' was erased on" in erased.json()["error"]
