"""The event store, read per aggregate as bus details: what consumers apply, never the bus.

A bus event is only a signal that an aggregate has a new version. Consumers read that
aggregate's events from the store (strongly consistent) and check that the event delivered is
the one stored; so a forged or altered bus event is refused, and never applied.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, Mapper, StoredEvent

from domain.base import DomainEvent
from domain.contract import EventDetail, hidden_fields, to_detail
from infra.mapping import JSONTranscoder, PydanticMapper
from infra.pipeline.dead_letters import PoisonInput
from projections.base import Fact, iso


def default_mapper() -> Mapper[UUID]:
    return PydanticMapper(transcoder=JSONTranscoder())


def detail_of(mapper: Mapper[UUID], application: str, stored: StoredEvent) -> EventDetail:
    return to_detail(application, cast(DomainEvent, mapper.to_domain_event(stored)))


def fact_of_stored(mapper: PydanticMapper, stored: StoredEvent) -> Fact:
    """The `Fact` `fact_of(detail_of(...))` gives, from the stored JSON without building the
    event and its envelope: many times faster, for rebuilds of millions of events."""
    cls, state = mapper.state_of(stored)
    hidden = hidden_fields(cast(type[DomainEvent], cls))
    return Fact(
        cls.__name__,
        cast(UUID, stored.originator_id),
        stored.originator_version,
        iso(state["timestamp"]),
        {k: v for k, v in state.items() if k not in hidden},
    )


class StoreSource:
    """One application's events, per aggregate, as `EventDetail`s in version order."""

    def __init__(self, recorder: Any, application: str, mapper: Mapper[UUID] | None = None):
        self.recorder = cast(AggregateRecorder, recorder)
        self.application = application
        self.mapper = cast(PydanticMapper, mapper or default_mapper())

    def history(self, aggregate_id: UUID) -> list[Fact]:
        """Every event of the aggregate, as views fold them."""
        return [fact_of_stored(self.mapper, e) for e in self.recorder.select_events(aggregate_id)]

    def at(self, aggregate_id: UUID, version: int) -> EventDetail | None:
        stored = self.recorder.select_events(aggregate_id, gt=version - 1, lte=version)
        return detail_of(self.mapper, self.application, stored[0]) if stored else None

    def check(self, delivered: EventDetail, stored: EventDetail | Fact | None) -> None:
        """PoisonInput unless `stored` (the store's event at the delivered version) is the
        event delivered."""
        if delivered.application != self.application:
            raise PoisonInput(
                f"event of {delivered.application!r}; this follows {self.application!r}"
            )
        where = f"{delivered.detail_type} {delivered.aggregate_id} v{delivered.aggregate_version}"
        if stored is None:
            raise PoisonInput(f"{where} is not in the store")
        if stored.detail_type != delivered.detail_type or (
            delivered.payload is not None and _payload(delivered) != _payload(stored)
        ):
            raise PoisonInput(f"{where} is not the event the store holds")


def _payload(event: EventDetail | Fact) -> dict[str, Any] | None:
    if isinstance(event, Fact):
        return event.payload
    return event.payload.model_dump(mode="json") if event.payload is not None else None
