"""The case page's reading of a case without the stack: its timeline, read on from the runs
it had already read, is `cases audit`'s; its outcome words are domain/outcomes.py's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from cases.history_source import CaseHistories, ClosedRunCache, run_closed
from console.case_view import TimelineCache
from console.i18n import Translator
from domain.common import SUPPORTED_LOCALES
from domain.outcomes import GROUP_LABELS, OUTCOMES, answer_fields
from ops.audit import timeline_of_runs

HISTORIES = Path(__file__).resolve().parents[1] / "replay" / "histories"
SAVED = sorted({p.name.split(".run")[0] for p in HISTORIES.glob("*.run*.json")})


def _runs(name: str) -> list[list[HistoryEvent]]:
    paths = sorted(HISTORIES.glob(f"{name}.run*.json"))
    return [list(WorkflowHistory.from_json(name, p.read_text()).events) for p in paths]


def _histories(name: str, runs: list[list[HistoryEvent]]) -> CaseHistories:
    return CaseHistories(
        name,
        [f"run{i}" for i in range(1, len(runs) + 1)],
        [WorkflowHistory(name, events) for events in runs],
        0,
    )


async def _plain(name: str, runs: list[list[HistoryEvent]]) -> object:
    ids = [f"run{i}" for i in range(1, len(runs) + 1)]
    return (await timeline_of_runs(pydantic_data_converter, name, runs, ids)).to_json()


@pytest.mark.parametrize("name", SAVED)
async def test_a_timeline_read_on_as_its_case_grows_is_the_audits(name: str) -> None:
    """Event by event, as a page opened after every step would see the case: each read goes
    on from the runs that had ended, and reads as the whole history read afresh."""
    runs = _runs(name)
    cache = TimelineCache()
    for run in range(len(runs)):
        for cut in range(1, len(runs[run]) + 1):
            seen = [*runs[:run], runs[run][:cut]]
            shown = await cache.timeline(pydantic_data_converter, name, _histories(name, seen))
            assert shown.to_json() == await _plain(name, seen), (run, cut)
    again = await cache.timeline(pydantic_data_converter, name, _histories(name, runs))
    assert again.to_json() == await _plain(name, runs)


async def test_an_erased_case_is_forgotten() -> None:
    runs = _runs("has-now-been-cancelled")
    cache = TimelineCache()
    first = await cache.timeline(pydantic_data_converter, "c", _histories("c", runs))
    assert await cache.timeline(pydantic_data_converter, "c", _histories("c", runs)) is first
    cache.forget("c")
    assert await cache.timeline(pydantic_data_converter, "c", _histories("c", runs)) is not first


async def test_nothing_decoded_is_kept_past_its_time() -> None:
    runs = _runs("has-now-been-cancelled")
    cache = TimelineCache(ttl=0.0)
    first = await cache.timeline(pydantic_data_converter, "c", _histories("c", runs))
    assert await cache.timeline(pydantic_data_converter, "c", _histories("c", runs)) is not first


def test_only_ended_runs_are_kept_and_within_their_bound() -> None:
    runs = _runs("reminders-escalation-answer")
    assert all(run_closed(run) for run in runs)
    size = sum(e.ByteSize() for e in runs[0])
    cache = ClosedRunCache(max_bytes=size)
    cache.put("w", "open", runs[0][:-1])
    assert cache.get("w", "open") is None
    cache.put("w", "a", runs[0])
    assert cache.get("w", "a") == runs[0]
    cache.put("w", "b", runs[0])  # over the bound: the least recently used goes
    assert cache.get("w", "a") is None and cache.get("w", "b") == runs[0]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_console_names_outcomes_and_fields_as_the_domain_does(locale: str) -> None:
    t = Translator(locale)  # type: ignore[arg-type]
    for outcome, spec in OUTCOMES.items():
        assert t("outcome_" + outcome.value) == spec.label[locale]  # type: ignore[index]
    for field in answer_fields():
        assert t("field_" + field.name) == field.text.label[locale]  # type: ignore[index]


def test_the_console_keeps_no_copy_of_the_outcome_words() -> None:
    source = (Path(__file__).resolve().parents[2] / "console" / "i18n.py").read_text()
    words = [w for spec in OUTCOMES.values() for w in spec.label.values()]
    words += [w for labels in GROUP_LABELS.values() for w in labels.values()]
    words += [w for f in answer_fields() for w in f.text.label.values()]
    assert [w for w in words if json.dumps(w, ensure_ascii=False) in source] == []
