"""The case-key data converter keeps one copy per workflow (workers/codec.py,
CaseKeyConverter): every context of a case still seals under that case's key, and no other."""

from __future__ import annotations

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    WorkflowSerializationContext,
)

from workers.codec import CaseKeys, EncryptionKey, encrypting_converter

CLEAR = Payload(metadata={"encoding": b"json/plain"}, data=b'"someone@example.com"')


def _activity(workflow_id: str, activity_id: str) -> ActivitySerializationContext:
    return ActivitySerializationContext(
        namespace="default",
        activity_id=activity_id,
        activity_type="notify_customer",
        activity_task_queue="cancellations",
        workflow_id=workflow_id,
        workflow_type="CancellationWorkflow",
        is_local=False,
    )


async def _key_of(converter: DataConverter) -> bytes:
    assert converter.payload_codec is not None
    [sealed] = await converter.payload_codec.encode([CLEAR])
    assert b"someone@" not in sealed.data
    return sealed.metadata["encryption-key-id"]


async def test_each_context_of_a_case_seals_under_that_case_and_shares_one_converter(
    codec_keys: list[EncryptionKey], case_keys: CaseKeys
) -> None:
    converter = encrypting_converter(codec_keys, case_keys)
    in_case = converter.with_context(WorkflowSerializationContext("default", "case-cc-1"))
    in_its_activity = converter.with_context(_activity("case-cc-1", "3"))
    other_case = converter.with_context(WorkflowSerializationContext("default", "case-cc-2"))
    not_a_case = converter.with_context(WorkflowSerializationContext("default", "archive-day"))

    assert in_its_activity is in_case
    assert await _key_of(in_case) == b"case:cc-1"
    assert await _key_of(in_its_activity) == b"case:cc-1"
    assert await _key_of(other_case) == b"case:cc-2"
    assert await _key_of(not_a_case) == codec_keys[0].key_id.encode()
    # The first copy handed out is not changed by the ones made after it.
    assert await _key_of(in_case) == b"case:cc-1"
