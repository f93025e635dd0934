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
