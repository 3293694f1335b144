"""`cancelflow temporal setup`: prepare a Temporal namespace for cancelflow."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import click

from workers.commands.common import fail, load_settings, run, temporal_client

if TYPE_CHECKING:
    from temporalio.client import Client

    from workers.settings import Settings


@click.group("temporal")
def temporal() -> None:
    """Prepare a Temporal cluster for cancelflow."""


@temporal.command("setup")
@click.option(
    "--retention",
    metavar="DURATION",
    help="How long Temporal keeps a closed case's history, e.g. 30d (the archive keeps it "
    "for years). Temporal Cloud: set it with tcld or the Cloud UI instead.",
)
def setup(retention: str | None) -> None:
    """Register the case search attributes in the namespace (safe to run again)."""
    from workers import temporal_namespace as sa

    settings = load_settings()
    try:
        ttl = None if retention is None else sa.parse_retention(retention)
    except ValueError as err:
        fail(str(err))
    for line in run(_setup(settings, ttl)):
        click.echo(line)


async def register_search_attributes(client: Client) -> list[str]:
    """Add the missing case search attributes; returns one line per attribute."""
    from workers import temporal_namespace as sa

    try:
        added = await sa.register_search_attributes(client)
    except sa.SearchAttributeConflict as err:
        fail(str(err))
    keys = {key.name: key for key in sa.ALL_SEARCH_ATTRIBUTES}
    return [
        f"{name} ({sa.type_name(keys[name])}): "
        + ("registered" if was_added else "already registered")
        for name, was_added in added.items()
    ]


async def _setup(settings: Settings, retention: timedelta | None) -> list[str]:
    from temporalio.service import RPCError

    from workers import temporal_namespace as sa

    client = await temporal_client(settings)
    try:
        lines = await register_search_attributes(client)
    except RPCError as err:
        fail(
            f"could not register search attributes in namespace {client.namespace}: {err.message}",
            "on Temporal Cloud add them with `tcld namespace search-attributes add` instead",
        )
    if retention is not None:
        try:
            await sa.set_namespace_retention(client, retention)
        except RPCError as err:
            fail(
                f"could not set the retention of namespace {client.namespace}: {err.message}",
                "on Temporal Cloud: tcld namespace retention set --namespace NS --retention-days N",
            )
    kept = await sa.namespace_retention(client)
    lines.append(f"retention: closed cases kept {kept.days} days in Temporal")
    return [f"namespace {client.namespace}:"] + [f"  {line}" for line in lines]
