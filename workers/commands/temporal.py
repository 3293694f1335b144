"""`cancelflow temporal setup`: prepare a Temporal namespace for cancelflow."""

from __future__ import annotations

import click
from temporalio.client import Client
from temporalio.service import RPCError

from workers import temporal_namespace as sa
from workers.commands.common import fail, load_settings, run, temporal_client
from workers.settings import Settings


@click.group("temporal")
def temporal() -> None:
    """Prepare a Temporal cluster for cancelflow."""


@temporal.command("setup")
def setup() -> None:
    """Register the case search attributes in the namespace (safe to run again)."""
    settings = load_settings()
    for line in run(_setup(settings)):
        click.echo(line)


async def register_search_attributes(client: Client) -> list[str]:
    """Add the missing case search attributes; returns one line per attribute."""
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


async def _setup(settings: Settings) -> list[str]:
    client = await temporal_client(settings)
    try:
        lines = await register_search_attributes(client)
    except RPCError as err:
        fail(
            f"could not register search attributes in namespace {client.namespace}: {err.message}",
            "on Temporal Cloud add them with `tcld namespace search-attributes add` instead",
        )
    return [f"namespace {client.namespace}:"] + [f"  {line}" for line in lines]
