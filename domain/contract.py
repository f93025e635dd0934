"""The bus contract: one typed envelope per domain event, generated from `domain.events`.

An EventBridge entry carries ``source`` = SOURCE, ``detail-type`` = the event's class name and
``detail`` = an `EventDetail`: which aggregate and version the event is, a stable event id, and
its payload (the event's own fields, minus private ones such as the card token). Consumers key
their work on (aggregate_id, aggregate_version): each view records the version it has applied,
so a redelivered or late event changes nothing, and a gap is filled from the store. Nothing
here is a global position: events of different aggregates have no order on the bus. (The bus's
limits are the publisher's: `infra.publisher.entry_detail` leaves out a payload too large for
an entry, ``payload: null``; consumers read events from the store.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from domain import events
from domain.base import CreatedEvent, DomainEvent

SOURCE = "seatledger.ticketing"
MAX_JSON_INT = 2**53  # exact in every JSON reader, JavaScript's included
CORRELATION_ID_PATTERN = r"^[!-~]{1,100}$"  # short, visible ASCII: safe in logs and headers
_ENVELOPE_FIELDS = set(CreatedEvent.model_fields)  # originator id/version/topic, timestamp


class EventDetail(BaseModel):
    """The ``detail`` of every ticketing event on the bus."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application: str = Field(
        min_length=1, max_length=100, description="The application whose store holds the event"
    )
    aggregate_id: UUID
    aggregate_version: int = Field(
        ge=1, le=MAX_JSON_INT, description="Position in the aggregate's history, dense from 1"
    )
    event_id: UUID = Field(description="Stable id of this event: uuid5(aggregate, version)")
    occurred_at: datetime = Field(description="ISO 8601, with its offset")
    schema_version: int = Field(ge=1, le=1000, description="The payload's class_version")
    test: bool = Field(
        default=False,
        description="Published by hand: never applied to views; reactions ignore it unless "
        "told to accept test events",
    )
    correlation_id: str | None = Field(
        default=None,
        pattern=CORRELATION_ID_PATTERN,
        description="The request this event came of (its API call's X-Correlation-Id), if any",
    )
    payload: BaseModel | None = None

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _a_time_not_a_number(cls, value: Any) -> Any:
        if not isinstance(value, str | datetime):  # pydantic would read a number as epoch time
            raise ValueError("must be an ISO 8601 date and time")
        return value

    @property
    def detail_type(self) -> str:
        return type(self).__name__.removesuffix("Detail")


def hidden_fields(cls: type[DomainEvent]) -> set[str]:
    """Fields of an event that are not its bus payload: the envelope's, and private ones."""
    return _ENVELOPE_FIELDS | set(getattr(cls, "private_fields", ()))


def _payload_model(cls: type[DomainEvent]) -> type[BaseModel]:
    hidden = hidden_fields(cls)
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in cls.model_fields.items()
        if name not in hidden
    }
    config = ConfigDict(frozen=True, extra="forbid")
    return create_model(f"{cls.__name__}Payload", __config__=config, **fields)


def _detail_model(name: str, payload: type[BaseModel]) -> type[EventDetail]:
    optional: Any = payload | None
    return create_model(f"{name}Detail", __base__=EventDetail, payload=(optional, None))


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    name: obj
    for name, obj in vars(events).items()
    if isinstance(obj, type) and issubclass(obj, DomainEvent) and obj.__module__ == events.__name__
}
PAYLOADS = {name: _payload_model(cls) for name, cls in EVENT_TYPES.items()}
DETAILS = {name: _detail_model(name, payload) for name, payload in PAYLOADS.items()}


class UnknownDetailType(ValueError):
    pass


def event_id_for(aggregate_id: UUID, version: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"seatledger:{aggregate_id}:{version}")


def to_detail(application: str, event: DomainEvent) -> EventDetail:
    name = type(event).__name__
    if name not in DETAILS:
        raise UnknownDetailType(f"{name} is not a ticketing event")
    payload = PAYLOADS[name].model_validate(
        event.model_dump(exclude=hidden_fields(type(event)), mode="json")
    )
    return DETAILS[name](
        application=application,
        aggregate_id=event.originator_id,
        aggregate_version=event.originator_version,
        event_id=event_id_for(event.originator_id, event.originator_version),
        occurred_at=event.timestamp,
        schema_version=getattr(type(event), "class_version", 1),
        payload=payload,
    )


def parse_detail(detail_type: str, detail: Any) -> EventDetail:
    """Validate a ``detail`` (dict or JSON text) against its type's model."""
    model = DETAILS.get(detail_type)
    if model is None:
        raise UnknownDetailType(f"Unknown detail-type {detail_type!r}")
    if isinstance(detail, str | bytes):
        return model.model_validate_json(detail)
    return model.model_validate(detail)


def to_domain_event(detail: EventDetail) -> DomainEvent:
    """The domain event a detail describes (not for events with private fields or no payload)."""
    cls = EVENT_TYPES[detail.detail_type]
    if (
        detail.payload is None
        or getattr(cls, "private_fields", None)
        or issubclass(cls, CreatedEvent)
    ):
        raise ValueError(f"{detail.detail_type} cannot be rebuilt from its bus payload")
    state = {
        **detail.payload.model_dump(mode="json"),
        "originator_id": detail.aggregate_id,
        "originator_version": detail.aggregate_version,
        "timestamp": detail.occurred_at,
    }
    return cls.model_validate(state)


def json_schemas() -> dict[str, dict[str, Any]]:
    """Each detail-type's JSON Schema (for the schema registry and for `publish` checks)."""
    return {name: model.model_json_schema() for name, model in DETAILS.items()}
