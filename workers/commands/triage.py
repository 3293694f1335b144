"""`cancelflow triage suggest/list/accept`: the reply reader on a message file, the cases waiting
for a person, and recording a reply's suggested answer in one step (docs/email-replies.md).

Only click is imported here: the work is in triage_run.py, loaded when a command runs.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from datetime import date


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    from workers.commands.common import date_option

    return date_option(ctx, param, value)


@click.group("triage")
def triage() -> None:
    """Email replies read into suggested answers: check one, list the waiting, accept one."""


@triage.command("suggest")
@click.argument("message_file", metavar="MESSAGE.eml", type=click.Path(dir_okay=False))
@click.option(
    "--received",
    metavar="YYYY-MM-DD",
    callback=_date,
    help="The day the reply arrived (default: its Date header).",
)
@click.option(
    "--language",
    type=click.Choice(["en", "sv"]),
    default="en",
    show_default=True,
    help="The merchant's language.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the suggestion as one JSON object.")
def suggest(message_file: str, received: date | None, language: str, as_json: bool) -> None:
    """What the reply reader makes of MESSAGE.eml (nothing is recorded)."""
    from workers.commands.triage_run import run_suggest

    run_suggest(message_file, received, language, as_json)


@triage.command("list")
@click.option("--limit", default=200, show_default=True, help="At most this many cases.")
@click.option("--json", "as_json", is_flag=True, help="Print the cases as JSON.")
def list_waiting(limit: int, as_json: bool) -> None:
    """Cases waiting for triage, the longest waiting first, each with its reply's suggestion."""
    from workers.commands.triage_run import run_list

    run_list(limit, as_json)


@triage.command("accept")
@click.argument("case_id")
@click.option(
    "--by",
    "accepted_by",
    default=getpass.getuser,
    show_default="your user name",
    help="The op accepting the suggestion (recorded as responded_by).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the receipt as JSON.")
def accept(case_id: str, accepted_by: str, as_json: bool) -> None:
    """Record the suggested answer of CASE_ID's email reply, as given by email.

    The same Update and validator as every answer; the reply's Message-ID is the reference.
    For a reply read differently, use `cancelflow cases respond CASE_ID ... --from-email`.
    """
    from workers.commands.triage_run import run_accept

    run_accept(case_id, accepted_by, as_json)
