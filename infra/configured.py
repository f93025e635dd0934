"""What a handler module builds once, on its first invocation, from its settings.

On Lambda the settings come from the function's environment. The local runners host several
functions in one process, and so one environment: they `configure` each module's own settings
(tables, dead-letter queue) before the first invocation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from infra.settings import Settings

T = TypeVar("T")


class Configured(Generic[T]):
    def __init__(self, build: Callable[..., T]) -> None:
        self._build = build  # (settings, **options) -> T
        self._settings: Settings | None = None
        self._options: dict[str, Any] = {}
        self._built: T | None = None
        self._lock = threading.Lock()

    def configure(self, settings: Settings, **options: Any) -> None:
        """Build from these settings (and options) from now on, not from the environment."""
        with self._lock:
            self._settings, self._options, self._built = settings, options, None

    def __call__(self) -> T:
        with self._lock:  # workers sharing a handler build it once
            if self._built is None:
                settings = self._settings or Settings.from_env()
                self._built = self._build(settings, **self._options)
            return self._built
