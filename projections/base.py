"""What every read-model view is: a fold of the events it cares about into items.

Pure functions over plain JSON-like dicts; `infra.readmodels` stores the items in DynamoDB,
each view in its own table, with its log position in the same transaction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from domain.contract import EventDetail

Item = dict[str, Any]


class View(ABC):
    name: str
    detail_types: frozenset[str]

    @abstractmethod
    def key(self, detail: EventDetail) -> str:
        """The ``pk`` of the one item this event changes."""

    @abstractmethod
    def apply(self, item: Item | None, detail: EventDetail) -> Item:
        """The item after the event (``item`` is None when it does not exist yet)."""


def payload_of(detail: EventDetail) -> dict[str, Any]:
    if detail.payload is None:
        raise ValueError(
            f"{detail.detail_type} {detail.aggregate_id} v{detail.aggregate_version} "
            "came without its payload"
        )
    return detail.payload.model_dump(mode="json")


def stamp(detail: EventDetail) -> str:
    return detail.occurred_at.isoformat()
