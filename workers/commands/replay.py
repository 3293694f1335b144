"""`cancelflow replay`: archived real histories against the current workflow code.

The check to run before each deploy: a change that would break a case already running
(or one that ran) fails here with the case and the event, and the command exits non-zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from workers.commands.common import case_id_or_reference, fail, load_settings, run

if TYPE_CHECKING:
    from storage.archive import ArchivedRun
    from workers.settings import Settings

EXIT_NONDETERMINISM = 4
_SINCE = re.compile(r"^(?P<n>[0-9]{1,5})(?P<unit>[dh])$")
_EVENT_ID = re.compile(r"[Ee]vent(?:[ _]?[Ii][Dd])?[ :=]+(?P<id>[0-9]+)")
_SCHEDULED = re.compile(r"scheduled event '(?P<name>[^']+)'")
_PATCH = re.compile(r"patch marker encountered for change (?P<patch>[A-Za-z0-9_.-]+)")
_MESSAGE = re.compile(r'message: "(?P<text>[^"]*)"')


def parse_since(text: str) -> timedelta:
    match = _SINCE.match(text.strip())
    if match is None:
        fail(f"--since: '{text}' is not a duration like 7d or 12h (days or hours)")
    n = int(match.group("n"))
    return timedelta(days=n) if match.group("unit") == "d" else timedelta(hours=n)


@dataclass(frozen=True)
class ReplayFailure:
    case_id: str
    workflow_id: str
    run_id: str
    event: str
    error: str


@click.command("replay")
@click.option("--since", metavar="DURATION", help="Runs closed in the last DURATION (7d, 12h).")
@click.option(
    "--case",
    "case_id",
    metavar="CASE_ID|CF-REFERENCE",
    callback=case_id_or_reference,
    help="Every archived run of this case.",
)
def replay(since: str | None, case_id: str | None) -> None:
    """Replay archived histories with the current workflow code; exit 4 on nondeterminism."""
    if (since is None) == (case_id is None):
        fail("give exactly one of --since DURATION and --case CASE_ID")
    settings = load_settings()
    window = parse_since(since) if since else None
    runs, failures, erased = run(_replay(settings, window, case_id))
    if erased:
        click.echo(f"skipped {erased} run(s) of erased cases: their payloads no longer decode")
    if not runs and not erased:
        fail(
            f"no archived run of case '{case_id}'"
            if case_id
            else f"no archived run closed in the last {since}"
        )
    for f in failures:
        click.echo(
            f"NONDETERMINISM case {f.case_id} (workflow {f.workflow_id}, run {f.run_id}) "
            f"at {f.event}: {f.error}",
            err=True,
        )
    click.echo(f"replayed {runs} run(s): {runs - len(failures)} ok, {len(failures)} failed")
    if failures:
        raise click.exceptions.Exit(EXIT_NONDETERMINISM)


async def _replay(
    settings: Settings, window: timedelta | None, case_id: str | None
) -> tuple[int, list[ReplayFailure], int]:
    from storage.archive import ArchiveStore
    from workers.database import database_pool, database_url
    from workers.temporal_client import data_converter

    async with database_pool(database_url(settings)) as pool:
        store = ArchiveStore(pool)
        if case_id is not None:
            runs = await store.runs_of_case(case_id)
        else:
            assert window is not None
            runs = await store.runs_closed_since(datetime.now(UTC) - window)
        erased = await store.erasures.erased_among({r.case_id for r in runs})
    kept = [r for r in runs if r.case_id not in erased]
    return len(kept), await replay_runs(kept, data_converter(settings)), len(runs) - len(kept)


async def replay_runs(
    runs: list[ArchivedRun], converter: object, workflows: list[type] | None = None
) -> list[ReplayFailure]:
    """The runs that the given workflow code (default: the current one) cannot replay."""
    from temporalio.worker import Replayer

    from workflows.cancellation import CancellationWorkflow
    from workflows.sandbox import workflow_runner

    replayer = Replayer(
        workflows=workflows or [CancellationWorkflow],
        workflow_runner=workflow_runner(),
        data_converter=converter,  # type: ignore[arg-type]
    )
    failures: list[ReplayFailure] = []
    for archived in runs:
        result = await replayer.replay_workflow(
            archived.workflow_history(), raise_on_replay_failure=False
        )
        error = result.replay_failure
        if error is None:
            continue
        text = str(error)
        message = _MESSAGE.search(text)
        failures.append(
            ReplayFailure(
                case_id=archived.case_id,
                workflow_id=archived.workflow_id,
                run_id=archived.run_id,
                event=_event_named(archived, text),
                error=message.group("text") if message else text.splitlines()[0],
            )
        )
    return failures


def _event_named(archived: ArchivedRun, error: str) -> str:
    """The history event the replay tripped on, as far as the error names it."""
    found = _EVENT_ID.search(error)
    if found:
        return f"event {found.group('id')}"
    scheduled = _SCHEDULED.search(error)
    if scheduled:
        name = scheduled.group("name")
        for event in archived.workflow_history().events:
            attrs = event.activity_task_scheduled_event_attributes
            if event.HasField("activity_task_scheduled_event_attributes") and (
                attrs.activity_type.name == name
            ):
                return f"event {event.event_id} (ActivityTaskScheduled {name})"
    patch = _PATCH.search(error)
    if patch:
        wanted = patch.group("patch").encode()
        for event in archived.workflow_history().events:
            if not event.HasField("marker_recorded_event_attributes"):
                continue
            details = event.marker_recorded_event_attributes.details
            if any(wanted in p.data for d in details.values() for p in d.payloads):
                return f"event {event.event_id} (MarkerRecorded patch {patch.group('patch')})"
    return "an event the error does not name"
