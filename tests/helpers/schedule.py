"""The order in which xdist hands the suite's files to its workers (`./run test`)."""

from __future__ import annotations

# The files that run a minute or more (--durations of a full run), longest first: xdist hands
# out files in collection order (`--no-loadscope-reorder`), and one of these handed out last
# keeps the whole run waiting on a single worker after the others are done.
LONG_FIRST = (
    "tests/faults/test_bulk_kill.py",
    "tests/faults/test_faults_small.py",
    "tests/production/test_production.py",
    "tests/portal/test_reply_form_walk.py",
    "tests/integration/test_dev_stack.py",
    "tests/portal/test_bulk_answers_api.py",
    "tests/archive/test_fallback.py",
    "tests/integrations/test_settings_walk.py",
    "tests/integrations/test_bulk_answers_browser.py",
    "tests/archive/test_reference_lookup.py",
    "tests/portal/test_hardening_outages.py",
)
_RANK = {path: place for place, path in enumerate(LONG_FIRST)}


def long_first(path: str) -> int:
    """Sort key of a test file (its path from the repository root): the long ones first."""
    return _RANK.get(path, len(_RANK))
