"""`cancelflow bench`: the benchmark of issue 12 (the same as `python -m bench`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("bench", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def bench(ctx: click.Context) -> None:
    """Measure the case against bare workflows of the same shape (see docs/BENCHMARKS.md).

    Options as `python -m bench --help`: --size tiny|full, --output docs/BENCHMARKS.md.
    """
    # bench/ (and the tests' helpers it uses) are not in the wheel: they are found beside this
    # package in a checkout, as an editable install (`./run install`) has it.
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "bench" / "__main__.py").is_file() and str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    try:
        from bench.__main__ import main
    except ModuleNotFoundError as err:
        if err.name not in ("bench", "tests", "tests.helpers", "tests.helpers.servers"):
            raise
        raise click.ClickException(
            "the benchmark runs from a source checkout with the dev and test extras "
            "(`./run install`, then `cancelflow bench` there); it is not part of a production "
            "install"
        ) from None

    code = main(list(ctx.args))
    if code:
        raise click.exceptions.Exit(code)
