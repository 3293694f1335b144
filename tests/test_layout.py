"""How the suite is laid out, so a newcomer finds what a test uses (README, Tests): shared
helpers in tests/helpers/, fixtures (and pytest hooks) alone in the conftest files, and no
test module importing another test module or a conftest."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers.python_source import parsed

TESTS = Path(__file__).resolve().parent


def _modules_imported(path: Path) -> set[str]:
    package = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(parsed(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _is_test_or_conftest(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return module.startswith("tests.") and (last == "conftest" or last.startswith("test_"))


def test_no_module_imports_a_test_module_or_a_conftest() -> None:
    offenders = {
        str(path.relative_to(TESTS.parent)): sorted(filter(_is_test_or_conftest, imported))
        for path in TESTS.rglob("*.py")
        if (imported := _modules_imported(path)) and any(map(_is_test_or_conftest, imported))
    }
    assert offenders == {}


def _is_fixture_or_hook(node: ast.stmt) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        decorated = any("fixture" in ast.unparse(d) for d in node.decorator_list)
        return decorated or node.name.startswith("pytest_")
    return False


def _is_allowed_statement(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True  # the docstring
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        # pytest configuration only (pytestmark, the SLOW paths the hook reads).
        return all(isinstance(t, ast.Name) and t.id in {"pytestmark", "SLOW"} for t in targets)
    return _is_fixture_or_hook(node)


def test_conftest_files_hold_fixtures_only() -> None:
    offenders = {
        f"{path.relative_to(TESTS.parent)}:{node.lineno}": ast.unparse(node).splitlines()[0]
        for path in TESTS.rglob("conftest.py")
        for node in ast.parse(path.read_text()).body
        if not _is_allowed_statement(node)
    }
    assert offenders == {}
