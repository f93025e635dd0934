"""What every read-model view is: a fold of the events it cares about into items.

Pure functions over plain JSON-like dicts; `infra.readmodels` stores the items in DynamoDB, one
item per aggregate, each recording the aggregate version it has applied.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.contract import EventDetail

Item = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Fact:
    """One event as a view folds it: plain JSON types, whether it came from the bus envelope
    (`fact_of`) or straight from stored bytes (a rebuild's fast path)."""

    detail_type: str
    aggregate_id: UUID
    aggregate_version: int
    occurred_at: str  # ISO 8601, as `datetime.isoformat` writes it
    payload: dict[str, Any]


def fact_of(detail: EventDetail) -> Fact:
    if detail.payload is None:
        raise ValueError(
            f"{detail.detail_type} {detail.aggregate_id} v{detail.aggregate_version} "
            "came without its payload"
        )
    return Fact(
        detail.detail_type,
        detail.aggregate_id,
        detail.aggregate_version,
        detail.occurred_at.isoformat(),
        detail.payload.model_dump(mode="json"),
    )


def iso(value: str) -> str:
    """A stored time in the form `fact_of` gives it."""
    return datetime.fromisoformat(value).isoformat()


class View(ABC):
    name: str
    detail_types: frozenset[str]

    @abstractmethod
    def key(self, fact: Fact) -> str:
        """The ``pk`` of the one item this event changes: its aggregate's."""

    @abstractmethod
    def apply(self, item: Item | None, fact: Fact) -> Item:
        """The item after the event (``item`` is None when it does not exist yet)."""
