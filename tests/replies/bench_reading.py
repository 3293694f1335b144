"""Benchmark (not a test): reading time per reply, and the date grammar against dateparser.

    python -m tests.replies.bench_reading [ROUNDS]

Prints p50/p95/max milliseconds per reply over the corpus (one core, this process), and for
the date phrases merchants write: how many each of the grammar and dateparser (languages
en, sv) read right, and their time per phrase. Speed is compared in the same run.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date, datetime

from domain.replies.dates import find_dates
from domain.replies.reader import read_reply
from tests.replies.corpus import PARTS, load

RECEIVED = date(2027, 3, 3)
# (phrase, the date a careful op reads; the direction is "next" unless it says "last")
PHRASES: list[tuple[str, date | None]] = [
    ("access until 2027-03-31", date(2027, 3, 31)),
    ("active until 31/3", date(2027, 3, 31)),
    ("valid until 31.03.2027", date(2027, 3, 31)),
    ("access until 31 March", date(2027, 3, 31)),
    ("access until March 31st", date(2027, 3, 31)),
    ("tillgång till 31 mars", date(2027, 3, 31)),
    ("till och med den 6:e mars", date(2027, 3, 6)),
    ("tillgång t.o.m. 15 april", date(2027, 4, 15)),
    ("fram till 1 maj 2027", date(2027, 5, 1)),
    ("gäller till sista augusti", date(2027, 8, 31)),
    ("uppsagt idag", RECEIVED),
    ("cancelled today", RECEIVED),
    ("until the end of the month", date(2027, 3, 31)),
    ("till slutet av månaden", date(2027, 3, 31)),
    ("tel 08-123 45 67, order 12345", None),
    ("ticket #558213, call 1-800-555-0199", None),
    ("the 14th of March", date(2027, 3, 14)),
    ("June 1, 2027", date(2027, 6, 1)),
    ("den 30:e september", date(2027, 9, 30)),
    ("5 januari", date(2027, 1, 5) if False else date(2028, 1, 5)),
]


def _grammar(phrase: str) -> date | None:
    found = find_dates(phrase, RECEIVED)
    return found[0].resolve(RECEIVED, "next") if found else None


def _dateparser(phrase: str) -> date | None:
    from dateparser.search import search_dates

    found = search_dates(
        phrase,
        languages=["en", "sv"],
        settings={"RELATIVE_BASE": datetime(2027, 3, 3), "PREFER_DATES_FROM": "future"},
    )
    return found[0][1].date() if found else None


def _time_phrases(reader: object) -> tuple[int, float, float]:
    right = 0
    times = []
    for phrase, expected in PHRASES:
        start = time.perf_counter()
        got = reader(phrase)  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
        right += got == expected
    return right, statistics.median(times), max(times)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    entries = [e for n in PARTS for e in load(n)]
    raws = [(e.raw(), e.received, e.locale) for e in entries]
    read_reply(*raws[0])  # first call compiles the patterns
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for raw, received, language in raws:
            start, start_cpu = time.perf_counter(), time.thread_time()
            read_reply(raw, received, language)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
    for name, times in (("wall", wall), ("cpu (this thread)", cpu)):
        times.sort()
        p95 = times[int(len(times) * 0.95)]
        print(
            f"reading {len(raws)} replies x {rounds}, {name}: p50 {statistics.median(times):.2f} "
            f"ms, p95 {p95:.2f} ms, max {times[-1]:.2f} ms (goal p95 <= 50 ms on one core)"
        )
    start = time.perf_counter()
    _dateparser("warm up 31 March")
    print(f"dateparser first call: {(time.perf_counter() - start) * 1000:.0f} ms")
    for name, reader in (("grammar", _grammar), ("dateparser", _dateparser)):
        right, median, worst = _time_phrases(reader)
        print(
            f"{name:<10} {right}/{len(PHRASES)} phrases right, median {median:.3f} ms, "
            f"max {worst:.3f} ms per phrase"
        )


if __name__ == "__main__":
    main()
