"""`cancelflow archive run|status|export|verify`: the case archive that outlives Temporal's
retention."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workers.commands.common import (
    case_id_argument,
    database,
    echo_json,
    fail,
    load_settings,
    run,
    temporal_client,
)

if TYPE_CHECKING:
    from google.protobuf.message import Message
    from temporalio.api.common.v1 import Payload
    from temporalio.api.history.v1 import History
    from temporalio.client import WorkflowHistory
    from temporalio.converter import PayloadCodec

    from storage.archive import ArchivedRun
    from storage.archive_chain import ChainReport
    from workers.settings import Settings
    from workflows.archiving import ArchivingResult


@click.group("archive")
def archive() -> None:
    """The case archive: closed cases' histories, kept after Temporal deletes them."""


@archive.command("run")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def run_now(as_json: bool) -> None:
    """Archive every closed run not yet archived, now (a worker runs the job).

    Runs that closed in the last settle_seconds (60) are left for the next run, so that a
    run Temporal's visibility does not list yet is not passed over; the output says so."""
    from workflows.archiving import ArchivingInput

    settings = load_settings()
    result, waiting = run(_run_now(settings))
    settle = ArchivingInput().settle_seconds
    if as_json:
        echo_json(
            result.model_dump(mode="json") | {"not_yet_archived": waiting, "settle_seconds": settle}
        )
        return
    click.echo(
        f"archived {result.written} run(s) ({result.already_archived} already archived), "
        f"purged {result.purged}; checkpoint {_when(result.checkpoint)}"
    )
    if waiting:
        click.echo(
            f"{waiting} closed run(s) not archived yet: runs that closed less than {settle} s "
            "ago (settle_seconds) are left for the next run; run it again after that, or let "
            "the schedule take them"
        )
    for gone in result.gone:
        click.echo(f"warning: {gone} was deleted from Temporal before it was archived", err=True)


async def _run_now(settings: Settings) -> tuple[ArchivingResult, int]:
    """The job's result, and how many closed runs it left (closed within settle_seconds)."""
    from temporalio.common import WorkflowIDConflictPolicy

    from cases.client import TemporalArchiveSource
    from storage.archive import ArchiveStore
    from storage.archive_source import unarchived_runs
    from workflows.archiving import ARCHIVE_SCHEDULE_ID, ArchivingInput
    from workflows.archiving import ArchivingWorkflow as _Archiving

    client = await temporal_client(settings)
    # A run already going (another `archive run`) is joined rather than doubled.
    result = await client.execute_workflow(
        _Archiving.run,
        ArchivingInput(batch_size=settings.archive.batch_size),
        id=f"{ARCHIVE_SCHEDULE_ID}-manual",
        task_queue=settings.temporal.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    async with database(settings) as pool:
        waiting = await unarchived_runs(TemporalArchiveSource(client), ArchiveStore(pool))
    return result, len(waiting)


@archive.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """How far the archive lags behind Temporal, and what it holds."""
    settings = load_settings()
    data = run(_status(settings))
    if as_json:
        echo_json(data)
        return
    click.echo(f"archived runs    {data['runs']} ({data['cases']} cases)")
    click.echo(f"oldest / newest  {data['oldest_close_time']} / {data['newest_close_time']}")
    click.echo(f"checkpoint       {data['checkpoint']}")
    click.echo(
        f"lag              {data['lag_seconds']:.0f} s "
        f"({data['unarchived_runs']} closed run(s) not yet archived)"
    )
    click.echo(f"retention        {settings.archive.retention_years} years")


async def _status(settings: Settings) -> dict[str, Any]:
    from cases.client import TemporalArchiveSource
    from storage.archive import ArchiveStore
    from storage.archive_source import archive_lag

    client = await temporal_client(settings)
    async with database(settings) as pool:
        store = ArchiveStore(pool)
        counts = await store.counts()
        lag = await archive_lag(TemporalArchiveSource(client), store)
    return {
        "runs": counts.runs,
        "cases": counts.cases,
        "oldest_close_time": _when(counts.oldest_close_time),
        "newest_close_time": _when(counts.newest_close_time),
        "checkpoint": _when(counts.checkpoint),
        "unarchived_runs": lag.unarchived_runs,
        "oldest_unarchived_close_time": _when(lag.oldest_unarchived_close_time),
        "lag_seconds": lag.lag.total_seconds(),
        "retention_years": settings.archive.retention_years,
    }


def _when(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat() if at else None


@archive.command("export")
@case_id_argument()
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write to this file (default stdout)."
)
def export(case_id: str, output: str | None) -> None:
    """Write case CASE_ID's complete archived record as JSON, decrypted with the codec keys.

    The output holds the customer's identifiers in clear: hand it only to whom the request
    (customer, regulator) entitles.
    """
    from workers.codec import payload_codec

    settings = load_settings()
    codec = payload_codec(settings)
    record = run(_export(settings, case_id, codec))
    text = json.dumps(record, indent=2, ensure_ascii=False, default=str)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {len(record['runs'])} run(s) of case {case_id} to {output}")
    else:
        click.echo(text)


async def _export(settings: Settings, case_id: str, codec: PayloadCodec | None) -> dict[str, Any]:
    from storage.archive import ArchiveStore

    async with database(settings) as pool:
        store = ArchiveStore(pool)
        runs = await store.runs_of_case(case_id)
        erased = await store.erasures.get(case_id)
    if not runs:
        fail(f"case '{case_id}' is not in the archive (see `cancelflow archive status`)")
    if erased is not None:
        # Nothing is decrypted, not even payloads from before per-case keys (docs/privacy.md).
        codec = None
    return {
        "case_id": case_id,
        "exported_at": datetime.now(UTC).isoformat(),
        "decrypted": codec is not None,
        **(
            {
                "erased": {
                    "erased_at": erased.erased_at.isoformat(),
                    "erased_by": erased.erased_by,
                    "reason": erased.reason,
                    "trigger": erased.trigger.value,
                }
            }
            if erased is not None
            else {}
        ),
        "runs": [await _run_record(r, codec) for r in runs],
    }


async def _run_record(run_: ArchivedRun, codec: PayloadCodec | None) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict
    from temporalio.api.history.v1 import History

    history = History.FromString(run_.history)
    if codec is not None:
        await decode_payloads(history, codec)
    return {
        "workflow_id": run_.workflow_id,
        "run_id": run_.run_id,
        "merchant_id": run_.merchant_id,
        "round": run_.round,
        "final_status": run_.final_status,
        "workflow_status": run_.workflow_status,
        "start_time": _when(run_.start_time),
        "close_time": _when(run_.close_time),
        "event_count": run_.event_count,
        "history": _readable(MessageToDict(history)),
    }


def _payloads_in(message: Message) -> list[Payload]:
    """Every Payload anywhere in message (inputs, results, failures, headers, memo)."""
    from google.protobuf.message import Message
    from temporalio.api.common.v1 import Payload

    found: list[Payload] = []
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        is_map = field.message_type.GetOptions().map_entry
        # A single message, or a repeated field / map of them.
        items = value.values() if is_map else [value] if isinstance(value, Message) else value
        for item in items:
            if isinstance(item, Payload):
                found.append(item)
            elif isinstance(item, Message):
                found += _payloads_in(item)
    return found


async def decode_payloads(history: History, codec: PayloadCodec) -> None:
    """Decrypt the history's payloads in place (a payload the keys cannot open stays as is)."""
    for payload in _payloads_in(history):
        try:
            [decoded] = await codec.decode([payload])
        except Exception:  # noqa: BLE001 - one unreadable payload must not hide the record
            continue
        payload.CopyFrom(decoded)


def _readable(value: Any) -> Any:
    """JSON payloads shown as their JSON values instead of base64."""
    if isinstance(value, dict):
        encoding = value.get("metadata", {}).get("encoding") if "data" in value else None
        if isinstance(encoding, str):
            kind = base64.b64decode(encoding).decode("utf-8", "replace")
            if kind == "json/plain":
                data = base64.b64decode(value["data"])
                return {"encoding": kind, "value": json.loads(data)}
        return {k: _readable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_readable(v) for v in value]
    return value


@archive.command("verify")
@click.option("--case", "case_id", metavar="CASE_ID", help="Only this case's chain.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(case_id: str | None, as_json: bool) -> None:
    """Recompute the archive's hash chain from the archived bytes: exit 0 when every run is
    as it was archived, 1 naming the first run that breaks it (bytes changed, a run removed,
    runs reordered)."""
    from ops.terminal import visible

    report = run(_verify(load_settings(), case_id))
    if as_json:
        echo_json(
            {
                "ok": report.ok,
                "runs": report.runs,
                "days": report.days,
                "breaks": [dataclasses.asdict(b) for b in report.breaks],
            }
        )
    elif report.ok:
        scope = f"case {visible(case_id)}" if case_id else f"the archive ({report.days} day(s))"
        click.echo(f"chain intact: {report.runs} run(s) of {scope} verified")
    else:
        first = report.breaks[0]
        where = f"run {visible(first.run)}" if first.run else "the day heads"
        click.echo(
            f"chain broken at {where}: {first.problem}"
            + (f" ({len(report.breaks) - 1} more break(s))" if len(report.breaks) > 1 else ""),
            err=True,
        )
    if not report.ok:
        raise SystemExit(1)


async def _verify(settings: Settings, case_id: str | None) -> ChainReport:
    from storage.archive_chain import verify_chain

    async with database(settings) as pool:
        return await verify_chain(pool, case_id)


class ArchiveOnDemand:
    """The archive for commands that read it only when Temporal no longer has a case: the
    database is opened on the first read, so reading a live case needs no database."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def histories_of_case(self, case_id: str) -> list[tuple[str, WorkflowHistory]]:
        from storage.archive import ArchiveStore

        async with database(self._settings) as pool:
            return await ArchiveStore(pool).histories_of_case(case_id)

    async def merchant_of_case(self, case_id: str) -> str | None:
        from storage.archive import ArchiveStore

        async with database(self._settings) as pool:
            return await ArchiveStore(pool).merchant_of_case(case_id)
