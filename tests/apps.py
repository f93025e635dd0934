"""The application as the tests build it: with the storage mapper the deployed one uses
(`infra.wiring.ticketing` builds the deployed one from its settings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.application import Ticketing
from infra.mapping import STORAGE_ENV


def application(env: Mapping[str, str] | None = None, **kwargs: Any) -> Ticketing:
    return Ticketing({**STORAGE_ENV, **(env or {})}, **kwargs)
