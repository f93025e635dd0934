"""Lambda events as AWS delivers them, for handler tests: API Gateway's REST proxy event (an
order placed, with an `X-Correlation-Id`), an SQS batch of one bus event, a DynamoDB stream
batch of one tip write, and EventBridge's scheduled event."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

CORRELATION_ID = "req-7f3a9c"  # the id every fixture carries


@cache
def _read(name: str) -> dict[str, Any]:
    return json.loads((Path(__file__).parent / f"{name}.json").read_text())  # type: ignore[no-any-return]


def load(name: str) -> dict[str, Any]:
    """A fresh copy of fixture `name` (file stem), free to change."""
    return copy.deepcopy(_read(name))
