"""The fault suite: real processes, real faults, counted losses and duplicates (issue 9).

`python -m tests.faults [--small] [--output docs/RELIABILITY.md]`; see README, "What is
guaranteed when processes die".
"""
