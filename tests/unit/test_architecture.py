"""The house's shape: the import contract holds (pyproject's [tool.importlinter]), no module
imports itself round a cycle, each setting's name is written once, and modules stay short or
say why they are not."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import grimp

from local.dynamodb import PROJECT_ROOT

PACKAGES = ("domain", "projections", "infra", "handlers", "local", "cli", "cdk")
LONG = 220  # lines, about 200; a longer module says why in its docstring ("Long: ...")


def test_the_import_contract_holds() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_each_settings_name_is_written_once() -> None:
    """An environment variable's name appears as a string in one place: the settings model that
    reads it (or the persistence module's factory, which the model takes it from)."""
    import ast

    from infra.settings import ENV_VARS
    from local.settings import StackSettings

    names = set(ENV_VARS.values()) | {
        str(f.validation_alias) for f in StackSettings.model_fields.values()
    }
    homes = {"infra/settings.py", "local/settings.py", "infra/dynamodb/__init__.py"}
    found = []
    for package in ("domain", "projections", "infra", "handlers", "local", "cli", "cdk"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            where = str(path.relative_to(PROJECT_ROOT))
            if where in homes:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and node.value in names:
                    found.append(f"{where}:{node.lineno} {node.value}")
    assert found == []


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert _cycles(graph) == []


def test_long_modules_say_why() -> None:
    unexplained = []
    for package in PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            text = path.read_text()
            if text.count("\n") <= LONG:
                continue
            doc = ast.get_docstring(ast.parse(text)) or ""
            if not re.search(r"\bLong( because|:| for)", doc):
                unexplained.append(f"{path.relative_to(PROJECT_ROOT)} ({text.count(chr(10))})")
    assert unexplained == []
