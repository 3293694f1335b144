"""The `cancelflow` command line.

Each command (or command group) lives in its own module under workers/commands/ and has one
line in COMMANDS below: its name, or its path under a group, and where it is defined. A
command's module is imported only when that command runs or its help is shown, so
`cancelflow --help` and `cancelflow cases status --help` do not pay for Temporal, the
database or the settings. A command module therefore imports only click at its top and its
dependencies inside the functions that use them.
Errors print as `error: ...` lines and a non-zero exit code, never a traceback
(CANCELFLOW_DEBUG=1 shows the traceback of an unexpected error).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import os
import sys
from functools import cached_property
from typing import Any

import click

# name (or "group name") -> "module:attribute" of the click command. A group's own commands
# (declared with @group.command in its module) need no line here.
COMMANDS: dict[str, str] = {
    "cases": "workers.commands.cases:cases",
    "cases list": "workers.commands.cases_show:list_cases_command",
    "cases show": "workers.commands.cases_show:show",
    "cases audit": "workers.commands.cases_show:audit",
    "cases respond": "workers.commands.cases_actions:respond",
    "cases withdraw": "workers.commands.cases_actions:withdraw",
    "cases snooze": "workers.commands.cases_actions:snooze",
    "cases erase": "workers.commands.cases_erase:erase",
    "cases resend": "workers.commands.cases_resend:resend",
    "merchants": "workers.commands.merchants:merchants",
    "merchants key": "workers.commands.merchants_keys:key",
    "merchants webhook": "workers.commands.merchants_webhooks:webhook",
    "merchants auto-record": "workers.commands.merchants_replies:auto_record",
    "temporal": "workers.commands.temporal:temporal",
    "archive": "workers.commands.archive:archive",
    "replay": "workers.commands.replay:replay",
    "bench": "workers.commands.bench:bench",
    "db": "workers.commands.db:db",
    "worker": "workers.commands.processes:worker",
    "dev": "workers.commands.processes:dev",
    "portal": "workers.commands.processes:portal",
    "mail-gateway": "workers.commands.processes:mail_gateway",
    "codec": "workers.commands.processes:codec",
    "codec export-erasures": "workers.commands.codec_erasures:export_erasures",
    "codec reapply-erasures": "workers.commands.codec_erasures:reapply_erasures",
    "triage": "workers.commands.triage:triage",
    "ops-console": "workers.commands.ops_console:ops_console",
}


def expected_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message alone tells a person what to do.

    Imported when an error is being handled, not at start: by then the command that raised
    it has loaded its module anyway.
    """
    from storage.db import MigrationError
    from storage.embedded import DevToolsMissing
    from workers.database import DatabaseUnavailable, SchemaNotCurrent
    from workers.dev import DevStackError
    from workers.observability.checks import StartupCheckFailed
    from workers.observability.ops_server import OpsServerError
    from workers.temporal_client import TemporalUnreachable

    return (
        TemporalUnreachable,
        DatabaseUnavailable,
        MigrationError,
        DevStackError,
        DevToolsMissing,
        SchemaNotCurrent,
        StartupCheckFailed,
        OpsServerError,
    )


def _children(path: tuple[str, ...]) -> dict[str, str]:
    """The COMMANDS entries directly under a group's path."""
    depth = len(path)
    return {
        words[-1]: target
        for name, target in COMMANDS.items()
        if len(words := tuple(name.split())) == depth + 1 and words[:depth] == path
    }


def _load(target: str, path: tuple[str, ...]) -> click.Command:
    module, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"COMMANDS[{' '.join(path)!r}] = {target!r} is not a click command")
    if isinstance(command, click.Group):
        for name, child in _children(path).items():
            command.commands.setdefault(name, _Deferred(name, child, (*path, name)))
    return command


class _Deferred(click.Command):
    """A COMMANDS entry inside a group loaded from its module: the real command is imported
    when it runs or its help is shown."""

    def __init__(self, name: str, target: str, path: tuple[str, ...]) -> None:
        super().__init__(name)
        self._target, self._path = target, path

    @cached_property
    def real(self) -> click.Command:
        return _load(self._target, self._path)

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.real.get_short_help_str(limit)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        return self.real.make_context(info_name, args, parent, **extra)


class CancelflowGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_children(())})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in (top := _children(())):
            self.commands[cmd_name] = _load(top[cmd_name], (cmd_name,))
        return self.commands.get(cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # A script that asked for JSON gets its refusals as JSON too, whichever command refused.
        ctx.meta["cancelflow.json"] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        from workers.commands.common import CliError

        try:
            return self._invoke(ctx)
        except click.ClickException as err:
            if not ctx.meta.get("cancelflow.json") or getattr(err, "as_json", False):
                raise
            lines = err.lines if isinstance(err, CliError) else [err.format_message()]
            raise CliError(*lines, exit_code=err.exit_code, as_json=True) from err

    def _invoke(self, ctx: click.Context) -> Any:
        from workers.commands.common import CliError

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except Exception as err:
            if isinstance(err, expected_errors()):
                raise CliError(str(err)) from err
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
    import structlog

    # A command's output is its stdout (`--json` is read by programs): log lines of the code
    # it runs (stores, clients) go to stderr, as every long-running process's do. Left as
    # it is when already configured: processes (`cancelflow worker`, ...) configure their own.
    if not structlog.is_configured():
        structlog.configure(logger_factory=_StderrLoggerFactory())


class _StderrLoggerFactory:
    """structlog.PrintLogger on the stderr of the moment (never a stream captured earlier)."""

    def __call__(self, *args: object) -> Any:
        import structlog

        return structlog.PrintLogger(sys.stderr)


def command_at(*path: str) -> click.Command | None:
    """The command `cancelflow PATH...` runs (loading its module), or None when there is none."""
    command: click.Command = cli
    for name in path:
        if not isinstance(command, click.Group):
            return None
        found = command.get_command(click.Context(command), name)
        if found is None:
            return None
        command = found.real if isinstance(found, _Deferred) else found
    return command


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
