"""`python -m bench [--size tiny|full] [--output docs/BENCHMARKS.md]` (also `cancelflow bench`)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from pathlib import Path

import structlog

from bench.bytecode import precompile
from bench.run import SIZES, run


def parse(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="The case against bare workflows of the same shape."
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument(
        "--output", type=Path, default=None, help="write the results block into this Markdown file"
    )
    parser.add_argument(
        "--from-source",
        action="store_true",
        help="do not precompile bytecode first (production precompiles; see bench/bytecode.py)",
    )
    for field in dataclasses.fields(SIZES["full"]):
        if field.name != "name":
            parser.add_argument(
                f"--{field.name.replace('_', '-')}",
                type=type(getattr(SIZES["full"], field.name)),
                default=None,
            )
    return parser.parse_args(args)


def quiet_logs() -> None:
    """The portal runs in this process: its per-request info lines (thousands of `api.answer`)
    would bury the bench's own progress, so only its warnings and errors are shown."""
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    logging.getLogger().setLevel(logging.WARNING)


def main(args: list[str]) -> int:
    options = parse(args)
    size = SIZES[options.size]
    overrides = {
        f.name: getattr(options, f.name)
        for f in dataclasses.fields(size)
        if f.name != "name" and getattr(options, f.name, None) is not None
    }
    if overrides:
        size = dataclasses.replace(size, name=f"{size.name} (adjusted)", **overrides)
    quiet_logs()
    bytecode = precompile(from_source=options.from_source)
    print(f"bench: {size.name}; bytecode {bytecode}", file=sys.stderr, flush=True)
    report = asyncio.run(run(size, options.output, bytecode=bytecode, progress=sys.stderr))
    print(report.text())
    if not report.honest:
        print(
            "error: the honesty checks failed; these figures do not measure the case",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
