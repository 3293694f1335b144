"""A key per case: each case's payloads sealed under its own key, kept wrapped in PostgreSQL;
destroying it makes every copy unreadable; nothing readable outside the payloads names the
customer."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from temporalio.api.history.v1 import History

from cases.client import case_state, start_case, submit_answer
from domain.answers import HasNowBeenCancelled
from domain.case import CaseStatus
from domain.common import Channel
from domain.erasure import personal_actor
from domain.webhooks import DELIVERY_WORKFLOW_ID_PREFIX, EventType, event_id_for
from storage.case_keys import CaseKeyErased, CaseKeyStore, RingKey
from tests.eventually import eventually
from tests.helpers.cli import cancelflow
from tests.helpers.privacy import (
    IDENTIFIERS,
    Running,
    data_payloads,
    key_ids,
    new_case_id,
    readable_identifiers,
    request,
)
from workers.codec import (
    CaseKeyCodec,
    CaseKeys,
    EncryptionCodec,
    EncryptionKey,
    ErasedCaseKey,
    case_of_workflow,
    format_keys,
    new_key,
)
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES


def ring(*keys: EncryptionKey) -> list[RingKey]:
    return [RingKey(k.key_id, k.secret) for k in keys]


async def test_a_case_key_is_made_once_wrapped_and_destroyed_for_good(pool: asyncpg.Pool) -> None:
    old, new = new_key("ring-1"), new_key("ring-2")
    store = CaseKeyStore(pool, ring(old))
    assert await store.key_of("c-1", create=False) is None
    first = await store.key_of("c-1", create=True)
    assert first is not None and len(first) == 32
    assert await store.key_of("c-1", create=True) == first
    # Stored only wrapped: the key's bytes are nowhere in the table.
    wrapped = await pool.fetchval("SELECT wrapped_key FROM case_keys WHERE case_id = 'c-1'")
    assert first not in wrapped

    # Rotation: the new ring key first, the old one still listed, then every key re-wrapped.
    rotated = CaseKeyStore(pool, ring(new, old))
    assert await rotated.key_of("c-1", create=False) == first
    assert await rotated.rewrap() == 1
    assert await CaseKeyStore(pool, ring(new)).key_of("c-1", create=False) == first

    erased_at = await store.erase("c-1")
    assert await store.erase("c-1") == erased_at  # erasing twice changes nothing
    with pytest.raises(CaseKeyErased, match="erased on"):
        await store.key_of("c-1", create=True)  # never made again
    assert await pool.fetchval("SELECT wrapped_key FROM case_keys WHERE case_id = 'c-1'") is None
    # A case that never had a key gets a tombstone, so none is made for it later.
    await store.erase("c-legacy")
    with pytest.raises(CaseKeyErased):
        await store.key_of("c-legacy", create=True)


def test_the_case_is_named_by_its_workflows_ids() -> None:
    assert case_of_workflow("case-abc_1") == "abc_1"
    for kind in EventType:
        for case_id in ("abc_1", "my_reminder_case", "x.y-z"):
            event_id = event_id_for(case_id, kind, round=2, number=3)
            assert case_of_workflow(DELIVERY_WORKFLOW_ID_PREFIX + event_id) == case_id
    assert case_of_workflow("cancelflow-case-archive") is None
    assert case_of_workflow("erasure-abc") is None
    assert case_of_workflow(None) is None


async def test_a_cases_history_is_sealed_under_its_own_key_and_unreadable_once_it_is_destroyed(
    running: Running, codec_keys: list[EncryptionKey], case_keys: CaseKeys
) -> None:
    client, settings = running.client, running.stack.settings
    case_id = new_case_id()
    started = await start_case(client, request(case_id), settings.temporal.task_queue)
    await eventually(
        lambda: case_state(client, case_id),
        lambda state: state.status is CaseStatus.AWAITING,
        what="the merchant request to go out",
    )
    await submit_answer(
        client,
        case_id,
        HasNowBeenCancelled(
            answered_at=datetime.now(UTC),
            channel=Channel.OPS,
            responded_by="ops-test",
            access_until=date.today() + timedelta(days=10),
        ),
    )
    final = await asyncio.wait_for(started.handle.result(), timeout=30)
    assert final.status is CaseStatus.CLOSED

    history = History(events=[e async for e in started.handle.fetch_history_events()])
    assert list(data_payloads(history)), "the history has payloads"
    assert key_ids(history) == {f"case:{case_id}"}, "every payload under the case's key"

    # Nothing outside the payloads names the customer: ids, search attributes, memo, identity,
    # failure texts; checked on the whole history's bytes, and on every search attribute.
    assert readable_identifiers(history.SerializeToString(), IDENTIFIERS) == []
    description = await started.handle.describe()
    for key in ALL_SEARCH_ATTRIBUTES:
        value = description.typed_search_attributes.get(key)
        assert readable_identifiers(str(value).encode(), IDENTIFIERS) == [], key.name
    assert readable_identifiers(str(await description.memo()).encode(), IDENTIFIERS) == []
    assert readable_identifiers(description.id.encode(), IDENTIFIERS) == []

    # A process without the serialization context (codec server, `cases audit`) reads it by
    # the key named in the metadata; one holding only the ring's key cannot.
    context_free = CaseKeyCodec(codec_keys, case_keys)
    started_input = history.events[0].workflow_execution_started_event_attributes.input.payloads
    [clear] = await context_free.decode(started_input)
    assert b"erika.personal-77@example.org" in clear.data
    with pytest.raises(Exception):  # noqa: B017 - the ring's key alone opens nothing
        await EncryptionCodec(codec_keys).decode(started_input)

    await case_keys.erase(case_id)
    fresh = CaseKeyCodec(codec_keys, CaseKeys(codec_keys, case_keys._make_pool))  # noqa: SLF001
    for payload in data_payloads(history):
        with pytest.raises(ErasedCaseKey, match="erased on"):
            await fresh.decode([payload])


async def test_rotating_the_ring_with_the_rewrap_command(
    pool: asyncpg.Pool, cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = new_key("ring-old"), new_key("ring-new")
    first = await CaseKeyStore(pool, ring(old)).key_of("rot-1", create=True)
    monkeypatch.setenv("CANCELFLOW_CODEC__KEYS", format_keys([new, old]))
    result = await cancelflow("codec", "rewrap-case-keys")
    assert result.exit_code == 0, result.output
    assert "re-wrapped 1 case key(s) under ring key 'ring-new'" in result.output
    # The old ring key is no longer needed.
    assert await CaseKeyStore(pool, ring(new)).key_of("rot-1", create=False) == first


def test_which_actors_name_a_person() -> None:
    assert personal_actor("anna.staff@merchant.example")
    assert not personal_actor("16029@vm") and not personal_actor("4242@worker-1.cluster.local")
    assert not personal_actor("ops:anna") and not personal_actor("customer")
