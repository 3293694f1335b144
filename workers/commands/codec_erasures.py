"""`cancelflow codec export-erasures` and `codec reapply-erasures`: keeping database backups
without undoing erasures (docs/privacy.md). The log holds no personal data."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from workers.commands.common import fail, load_settings, run


@click.command("export-erasures")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="only erasures after this instant (UTC unless it says otherwise)",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="append to this file (JSON lines) instead of printing",
)
def export_erasures(since: datetime | None, output: Path | None) -> None:
    """Print every erasure record as a JSON line: the log to keep where database backups are
    not restored from, for `codec reapply-erasures` after a restore."""
    from datetime import UTC

    from storage.erasures import ErasureStore
    from workers.commands.common import database

    settings = load_settings()
    after = since.replace(tzinfo=since.tzinfo or UTC) if since is not None else None

    async def export() -> list[str]:
        async with database(settings) as pool:
            records = await ErasureStore(pool).since(after)
        return [json.dumps(r.to_json(), sort_keys=True) for r in records]

    lines = run(export())
    if output is None:
        for line in lines:
            click.echo(line)
        return
    with output.open("a", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)
    click.echo(f"{len(lines)} erasure(s) appended to {output}", err=True)


@click.command("reapply-erasures")
@click.option(
    "--log",
    "logs",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="an erasure log from `codec export-erasures` (repeatable)",
)
def reapply_erasures(logs: tuple[Path, ...]) -> None:
    """After restoring the database from a backup, before any other process reads it: erase
    again every case the restored database or a log names (its key destroyed, its rows
    struck, a missing record put back). Idempotent."""
    from storage.erasure_log import reapply_erasures as reapply
    from storage.erasures import ErasureRecord
    from workers.commands.common import database

    settings = load_settings()
    records: list[ErasureRecord] = []
    for path in logs:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(ErasureRecord.from_json(json.loads(line)))
            except (ValueError, TypeError, KeyError) as err:
                fail(f"{path}:{number}: not an erasure record ({type(err).__name__})")

    async def again() -> tuple[int, int]:
        async with database(settings) as pool:
            done = await reapply(pool, records)
        return done.struck, done.recorded

    struck, recorded = run(again())
    click.echo(
        f"re-applied {struck} erasure(s): keys destroyed and rows struck again; "
        f"{recorded} record(s) put back from the log"
    )
