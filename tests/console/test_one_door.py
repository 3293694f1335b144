"""Acts that reach a case without going through its validator: 0. The console reaches cases
only through cases/client.py's functions, whose Updates run the case's validators; it holds
no workflow handle and sends no signal of its own (read from its source, as import_rules)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers.python_source import parsed

CONSOLE = Path(__file__).resolve().parents[2] / "console"
# What the console may call on cases/client.py: reads, and the Updates with validators.
ALLOWED_FROM_CLIENT = {
    "AnswerRejected",
    "CaseHistoryNotFound",
    "CaseListing",
    "CaseNotFound",
    "HistorySource",
    "case_state",
    "list_cases",
    "resend_request",
    "settled_state",
    "snooze_case",
    "submit_answer",
    "withdraw_case",
}
# Client calls that would change a case past its validators.
FORBIDDEN_CALLS = {
    "signal",
    "execute_update",
    "start_update",
    "get_workflow_handle",
    "get_workflow_handle_for",
    "start_workflow",
    "terminate",  # (a handle.cancel needs a handle, which get_workflow_handle gives)
    "signal_email_reply",
}


def test_the_console_acts_only_through_the_cases_door() -> None:
    sources = sorted(CONSOLE.rglob("*.py"))
    assert len(sources) >= 10
    imported: set[str] = set()
    for path in sources:
        tree = parsed(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("workflows.cancellation"), path
                assert node.module != "temporalio.client" or all(
                    a.name == "Client" for a in node.names
                ), path
                if node.module == "cases.client":
                    imported |= {a.name for a in node.names}
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in FORBIDDEN_CALLS, f"{path}:{node.lineno}"
    assert imported <= ALLOWED_FROM_CLIENT, imported - ALLOWED_FROM_CLIENT
    assert {"submit_answer", "snooze_case", "withdraw_case"} <= imported
