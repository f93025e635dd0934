"""The house's shape: the import contract holds (pyproject's [tool.importlinter])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from local.dynamodb import PROJECT_ROOT


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
