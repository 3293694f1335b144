"""The `cancelflow` command line.

Each command group lives in its own module under workers/commands/ and is registered in
COMMANDS below: adding a group (or a command) is a module and one line here.
Errors print as `error: ...` lines and a non-zero exit code, never a traceback
(CANCELFLOW_DEBUG=1 shows the traceback of an unexpected error).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from typing import Any

import click

from storage.db import MigrationError
from storage.embedded import DevToolsMissing
from workers.commands import (
    archive,
    bench,
    cases,
    cases_actions,
    cases_show,
    db,
    merchants,
    merchants_keys,
    merchants_replies,
    merchants_webhooks,  # noqa: F401  (adds `merchants webhook ...`)
    processes,
    replay,
    temporal,
    triage,
)
from workers.commands.common import CliError
from workers.database import DatabaseUnavailable, SchemaNotCurrent
from workers.dev import DevStackError
from workers.observability.checks import StartupCheckFailed
from workers.observability.ops_server import OpsServerError
from workers.temporal_client import TemporalUnreachable

for _case_command in [*cases_show.COMMANDS, *cases_actions.COMMANDS]:
    cases.cases.add_command(_case_command)
merchants.merchants.add_command(merchants_keys.key)
merchants.merchants.add_command(merchants_replies.auto_record)

COMMANDS: list[click.Command] = [
    cases.cases,
    merchants.merchants,
    temporal.temporal,
    archive.archive,
    replay.replay,
    bench.bench,
    db.db,
    triage.triage,
    *processes.COMMANDS,
]

# Errors whose message alone tells a person what to do.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    TemporalUnreachable,
    DatabaseUnavailable,
    MigrationError,
    DevStackError,
    DevToolsMissing,
    SchemaNotCurrent,
    StartupCheckFailed,
    OpsServerError,
)


class CancelflowGroup(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # A script that asked for JSON gets its refusals as JSON too, whichever command refused.
        ctx.meta["cancelflow.json"] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self._invoke(ctx)
        except click.ClickException as err:
            if not ctx.meta.get("cancelflow.json") or getattr(err, "as_json", False):
                raise
            lines = err.lines if isinstance(err, CliError) else [err.format_message()]
            raise CliError(*lines, exit_code=err.exit_code, as_json=True) from err

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except EXPECTED_ERRORS as err:
            raise CliError(str(err)) from err
        except Exception as err:
            if os.environ.get("CANCELFLOW_DEBUG"):
                raise
            raise CliError(
                f"unexpected {type(err).__name__}: {err} "
                "(run with CANCELFLOW_DEBUG=1 for the traceback)"
            ) from err


@click.group(cls=CancelflowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cancelflow", prog_name="cancelflow")
def cli() -> None:
    """cancelflow: durable cancellation cases on Temporal."""


for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    exit_without_finalizing(run_cli(sys.argv[1:]))


def exit_without_finalizing(code: int) -> None:
    """End the process once everything Python owes the outside world is written.

    The Temporal client's native (Tokio) threads can call into Python while the interpreter
    finalizes, which aborts the process with SIGABRT ("PyGILState_Release: thread state must
    be current", temporalio/sdk-python#300): a command that succeeded would then exit -6. So
    the exit handlers (log and trace exporters) run and the standard streams are flushed
    here, while the interpreter is whole, and the process ends without finalizing.
    """
    atexit._run_exitfuncs()  # noqa: SLF001 - the handlers that finalization would have run
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away has already been answered with exit code 1.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def run_cli(args: list[str]) -> int:
    """Run one command; returns the exit code."""
    try:
        cli.main(args=args, prog_name="cancelflow", standalone_mode=False)
        sys.stdout.flush()  # a reader that went away shows here, not at interpreter exit
        code = 0
    except click.exceptions.Exit as stop:
        code = stop.exit_code
    except SystemExit as stop:
        # click ends a command whose reader went away (EPIPE) with sys.exit(1), even when
        # not standalone; the exit itself is ours to make.
        code = 0 if stop.code is None else stop.code if isinstance(stop.code, int) else 1
    except click.ClickException as err:
        err.show()
        code = err.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        code = 130
    except BrokenPipeError:
        # The reader went away (`cancelflow cases status X | head`): stop quietly with exit
        # code 1, as click does for a broken pipe it sees, and keep the interpreter's final
        # flush from failing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 1
    # The Temporal client's native objects must be dropped while the interpreter still runs:
    # dropped during shutdown (held by an exception chain), they abort the process.
    gc.collect()
    return code
