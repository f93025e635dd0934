"""Store pydantic events as JSON: the application's MAPPER_TOPIC and TRANSCODER_TOPIC.

A storage adapter with no I/O: it turns events into bytes and back, upcasting old class
versions. Whoever builds the application passes STORAGE_ENV (`infra.wiring`, the tests).
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

import msgspec
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

_IN_STORED_EVENT = {"originator_id", "originator_version"}


class JSONTranscoder(Transcoder):
    """Plain JSON (no type tags): pydantic already reduced events to JSON types."""

    def encode(self, obj: Any) -> bytes:
        return msgspec.json.encode(obj)

    def decode(self, data: bytes) -> Any:
        return msgspec.json.decode(data)


class PydanticMapper(Mapper[UUID]):
    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        model = cast(BaseModel, domain_event)
        state = model.model_dump(mode="json", exclude=_IN_STORED_EVENT)
        # Always written (the library omits 1), so bus consumers see every payload's version.
        state["class_version"] = getattr(type(model), "class_version", 1)
        data = self.transcoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(model)),
            state=data,
        )

    def state_of(self, stored_event: StoredEvent) -> tuple[type[BaseModel], dict[str, Any]]:
        """The event's class and its fields as stored, upcast to the current class version,
        not validated: for readers of many events that need JSON types, not objects."""
        cls = cast(type[BaseModel], resolve_topic(stored_event.topic))
        data = stored_event.state
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        state: dict[str, Any] = self.transcoder.decode(data)
        version = state.pop("class_version", 1)  # absent: stored before versioning
        while version < getattr(cls, "class_version", 1):
            getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
            version += 1
        return cls, state

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        cls, state = self.state_of(stored_event)
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        return cast(DomainEventProtocol[UUID], cls.model_validate(state))


# The application's settings that choose this mapper and transcoder (the library reads them).
STORAGE_ENV = {
    "MAPPER_TOPIC": get_topic(PydanticMapper),
    "TRANSCODER_TOPIC": get_topic(JSONTranscoder),
}
