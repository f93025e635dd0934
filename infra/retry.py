"""Retry timing shared by every AWS adapter."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from botocore.exceptions import ClientError


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@dataclass
class Backoff:
    """Bounded, jittered exponential backoff ("full jitter")."""

    attempts: int = 10
    base: float = 0.01
    cap: float = 1.0

    def sleeps(self) -> Iterator[float]:
        for attempt in range(self.attempts - 1):
            yield random.uniform(0, min(self.cap, self.base * 2**attempt))
