"""`python -m tests.faults [--small] [--output docs/RELIABILITY.md] [--keep DIR]`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from tests.faults.run import SIZES, ok, run, table, write


def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults", description=__doc__)
    parser.add_argument("--small", action="store_true", help="the CI size (under a minute)")
    parser.add_argument("--output", type=Path, help="write the table into this Markdown file")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (logs)")
    parser.add_argument(
        "--only", action="append", metavar="TEST", help="run only this test (repeatable)"
    )
    options = parser.parse_args(args)
    size = SIZES["small" if options.small else "full"]
    rows = asyncio.run(run(size, options.keep, keep=options.keep is not None, only=options.only))
    text = table(rows, size)
    print(text)
    if options.output:
        write(options.output, text)
    if not ok(rows):
        print("error: something was lost, a test broke, or an API answered 5xx", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
