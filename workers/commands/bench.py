"""`cancelflow bench`: the benchmark of issue 12 (the same as `python -m bench`)."""

from __future__ import annotations

import click


@click.command("bench", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def bench(ctx: click.Context) -> None:
    """Measure the case against bare workflows of the same shape (see docs/BENCHMARKS.md).

    Options as `python -m bench --help`: --size tiny|full, --output docs/BENCHMARKS.md.
    """
    from bench.__main__ import main

    code = main(list(ctx.args))
    if code:
        raise click.exceptions.Exit(code)
