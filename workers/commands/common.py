"""What every cancelflow command shares: settings, async running, JSON files, clear errors."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    # Commands import this module at their top, and `--help` must not pay for these: each
    # function below imports what it runs.
    import asyncpg
    from pydantic import ValidationError
    from temporalio.client import Client

    from workers.settings import Settings

T = TypeVar("T")
FC = TypeVar("FC", bound=Callable[..., Any])

EXIT_ERROR = 1
EXIT_REJECTED = 3
"""The case refused the request (e.g. a conflicting answer); the input itself was fine."""


class CliError(click.ClickException):
    """An error a person can act on: printed as `error: ...` lines, never a traceback."""

    exit_code = EXIT_ERROR

    def __init__(self, *lines: str, exit_code: int | None = None, as_json: bool = False) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)
        self.as_json = as_json
        if exit_code is not None:
            self.exit_code = exit_code  # type: ignore[misc]  # per-instance code, e.g. 3

    def show(self, file: Any = None) -> None:
        if self.as_json:
            # On stdout, where the command's JSON result would have been.
            echo_json({"error": self.lines, "exit_code": self.exit_code})
            return
        for line in self.lines:
            click.echo(f"error: {line}", err=True)


def fail(*lines: str, exit_code: int = EXIT_ERROR) -> NoReturn:
    raise CliError(*lines, exit_code=exit_code)


def validation_failure(what: str, error: ValidationError, prefix: str = "") -> CliError:
    """One line per problem, each naming the field and the rule."""
    from domain.common import describe_validation_error

    problems = describe_validation_error(error)
    lines = [f"{what} is not valid ({len(problems)} problem{'s' if len(problems) > 1 else ''}):"]
    lines += [f"  {prefix}{p['field']}: {p['message']}" for p in problems]
    return CliError(*lines)


def load_settings(ctx: click.Context | None = None) -> Settings:
    """Settings from the environment, read once per invocation."""
    from pydantic import ValidationError

    from workers.settings import SettingsRefused, settings_for_process

    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    if not isinstance(root.obj, dict):
        root.obj = {}
    if "settings" not in root.obj:
        try:
            # `cancelflow dev` makes its own secrets; every other process refuses unsafe ones.
            development = ctx.command.name == "dev"
            root.obj["settings"] = settings_for_process(development=development)
        except SettingsRefused as err:
            raise CliError(*err.lines) from err
        except ValidationError as err:
            raise validation_failure("the configuration (CANCELFLOW_* variables)", err) from err
    settings: Settings = root.obj["settings"]
    return settings


def database(settings: Settings) -> AbstractAsyncContextManager[asyncpg.Pool]:
    """A pool on the configured (or running embedded) database; closed on exit.

    A configured database (DATABASE_URL) is only checked: its schema changes through
    `cancelflow db migrate` alone, so an operator's CLI needs no DDL rights. The development
    stack's embedded database is brought up to date here, as `cancelflow dev` does.
    """
    from workers.database import database_pool, database_url

    schema: Literal["migrate", "check"] = "check" if settings.database_url else "migrate"
    return database_pool(database_url(settings), schema=schema)


async def temporal_client(settings: Settings) -> Client:
    """The Temporal client of a command; an unreachable server or bad profile is a clear error."""
    from workers.temporal_client import TemporalUnreachable, connect

    try:
        return await connect(settings)
    except TemporalUnreachable as err:
        raise CliError(str(err)) from err
    except OSError as err:
        # A certificate or key path (TEMPORAL_TLS_*, or the profile's tls section) unreadable.
        fail(
            f"Temporal client configuration: cannot read {err.filename or 'a file'}: "
            f"{err.strerror or err}",
            "check TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, "
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH and the profile's tls paths",
        )
    except RuntimeError as err:
        if type(err).__name__ != "ConfigError":  # the SDK's envconfig error (from its bridge)
            raise
        fail(
            f"Temporal client configuration: {err}",
            "check TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE (`temporal config list` shows "
            "the profiles)",
        )


def case_id_or_reference(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A click callback: the case id, also when the operator typed the CF-… reference."""
    from domain.reply_token import CASE_REFERENCE_PATTERN

    if not isinstance(value, str) or not CASE_REFERENCE_PATTERN.fullmatch(value.strip().upper()):
        return value

    async def resolve() -> str:
        from cases.client import resolve_case_id

        settings = load_settings(ctx)
        client = await temporal_client(settings)
        try:
            return await resolve_case_id(client, value, _ArchivedReferences(settings))
        except (OSError, RuntimeError, click.ClickException) as err:
            # No archive to ask (no database): Temporal's answer alone, and the command
            # reports an unknown case as it would for the id.
            reason = err.format_message() if isinstance(err, click.ClickException) else err
            click.echo(f"note: the archive was not searched for {value}: {reason}", err=True)
            return await resolve_case_id(client, value)

    return run(resolve())


class _ArchivedReferences:
    """The archive, opened only when Temporal has no case with the reference."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def cases_with_reference(self, reference: str) -> list[str]:
        from storage.archive import ArchiveStore

        async with database(self._settings) as pool:
            return await ArchiveStore(pool).cases_with_reference(reference)


def case_id_argument() -> Callable[[FC], FC]:
    """The CASE_ID argument of every command that reads or changes one case."""
    return click.argument("case_id", metavar="CASE_ID|CF-REFERENCE", callback=case_id_or_reference)


def ops_user() -> str:
    """Who acts when a command is not told: the operator's login, as ops:<name>."""
    return f"ops:{getpass.getuser()}"


def by_option(help: str) -> Callable[[FC], FC]:
    """The --by option of the commands that record who asked for an act."""
    return click.option(
        "--by",
        "requested_by",
        default=ops_user,
        show_default="ops:<your user name>",
        help=help,
    )


def case_not_found(case_id: str) -> CliError:
    from workflows.cancellation import workflow_id_for

    return CliError(f"no case '{case_id}' (workflow {workflow_id_for(case_id)} not found)")


def date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """A click callback: the option's date, or the same refusal the API gives."""
    # Imported here: `--help` loads no domain module (tests/workers/test_cli_loading.py).
    from domain.wording import ISO_DATE_RULE, read_iso_date

    if value is None:
        return None
    name = f"--{(param.name or '').replace('_', '-')}"
    parsed = read_iso_date(value.strip())
    if parsed is None:
        fail(f"{name}: {ISO_DATE_RULE} (got {value!r})")
    return parsed


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def read_json(path: str) -> Any:
    """The JSON document in a file ('-' reads standard input)."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except (OSError, UnicodeDecodeError) as err:
        fail(f"{path}: cannot be read: {err}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        fail(f"{path}: not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}")


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
