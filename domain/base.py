"""Pydantic domain events that drive `eventsourcing` aggregates.

Events are declared once, at module level, with stable public names (a bus contract is generated
from them). An aggregate changes state only in `when(event)`, so folding stored events and
triggering new ones run the same code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from pydantic import BaseModel, ConfigDict


class DomainEvent(BaseModel, CanMutateAggregate[UUID]):
    model_config = ConfigDict(frozen=True, extra="forbid")

    class_version: ClassVar[int] = 1

    originator_id: UUID
    originator_version: int
    timestamp: datetime

    def apply(self, aggregate: Any) -> None:
        aggregate.when(self)


class CreatedEvent(DomainEvent, CanInitAggregate[UUID]):
    originator_topic: str


class Aggregate(BaseAggregate[UUID]):
    def when(self, event: DomainEvent) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not handle {type(event).__name__}")


A = TypeVar("A", bound=Aggregate)
