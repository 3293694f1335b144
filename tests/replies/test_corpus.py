"""The reply reader against the labelled corpus: precision and coverage must meet the goals.

The corpus (corpus.txt) was written beside the reader; heldout.txt was written after the reader
and is scored apart, so the figure that says how it does on replies it has not seen is honest.
"""

from __future__ import annotations

import pytest

from tests.replies.corpus import PARTS, load
from tests.replies.scoring import score

PRECISION_GOAL = 0.98
COVERAGE_GOAL = 0.85


@pytest.mark.parametrize("name", PARTS)
def test_precision_and_coverage_meet_the_goals(name: str) -> None:
    entries = load(name)
    result = score(entries)
    print(result.report(name))
    assert result.precision >= PRECISION_GOAL, result.report(name)
    assert result.coverage >= COVERAGE_GOAL, result.report(name)


def test_the_corpus_covers_both_languages_every_style_and_every_answer() -> None:
    entries = [e for n in PARTS for e in load(n)]
    assert len(load("corpus.txt")) >= 200
    assert {e.language for e in entries} == {"en", "sv"}
    from tests.replies.corpus import STYLES

    assert {e.style for e in entries if not e.style.startswith("eml:")} == set(STYLES)
    outcomes = {e.expected_outcome for e in entries}
    assert outcomes == {
        None,
        "has_now_been_cancelled",
        "was_already_cancelled",
        "binding_contract",
        "no_subscription_found",
        "other_reason",
    }
