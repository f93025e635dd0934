"""The log lines handlers write, captured as their formatter writes them (JSON), by service."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from infra.logs import CorrelatedFormatter


class Lines:
    def __init__(self) -> None:
        self._lines: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def add(self, service: str, line: dict[str, Any]) -> None:
        with self._lock:
            self._lines.append((service, line))

    def of(self, service: str) -> list[dict[str, Any]]:
        with self._lock:
            return [line for name, line in self._lines if name == service]


class _Capture(logging.Handler):
    def __init__(self, lines: Lines, service: str) -> None:
        super().__init__()
        self.setFormatter(CorrelatedFormatter(text=False))
        self.lines, self.service = lines, service

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.add(self.service, json.loads(self.format(record)))


@contextmanager
def captured(*services: str) -> Iterator[Lines]:
    """Every line the Powertools loggers of `services` write (their loggers' names)."""
    lines = Lines()
    handlers = [(logging.getLogger(name), _Capture(lines, name)) for name in services]
    for logger, handler in handlers:
        logger.addHandler(handler)
    try:
        yield lines
    finally:
        for logger, handler in handlers:
            logger.removeHandler(handler)
