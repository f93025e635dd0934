"""The store's notification log, read as bus details: the single source consumers catch up from."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification

from domain.base import DomainEvent
from domain.contract import EventDetail, to_detail
from domain.mapping import JSONTranscoder, PydanticMapper
from infra.pipeline.dead_letters import PoisonInput


def default_mapper() -> Mapper[UUID]:
    return PydanticMapper(transcoder=JSONTranscoder())


def topic_of(detail_type: str) -> str:
    return f"domain.events:{detail_type}"


def detail_of(mapper: Mapper[UUID], application: str, notification: Notification) -> EventDetail:
    event = cast(DomainEvent, mapper.to_domain_event(notification))
    return to_detail(application, notification.id, event)


class LogReader:
    """Reads one application's log, filtered to detail-types, as `EventDetail`s in log order."""

    def __init__(self, recorder: Any, application: str, mapper: Mapper[UUID] | None = None):
        self.recorder = cast(ApplicationRecorder, recorder)
        self.application = application
        self.mapper = mapper or default_mapper()

    def after(
        self, position: int, detail_types: Collection[str], limit: int = 100
    ) -> list[EventDetail]:
        notifications = self.recorder.select_notifications(
            start=position + 1, limit=limit, topics=[topic_of(t) for t in sorted(detail_types)]
        )
        return [detail_of(self.mapper, self.application, n) for n in notifications]

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0


def next_batch(
    log: LogReader, detail: EventDetail, position: int, types: Collection[str], limit: int
) -> list[EventDetail]:
    """What to apply after `position` to reach `detail`: read from the store's log, in log order
    (may run past it). The delivered event must be in the log, as delivered."""
    n = detail.notification_id
    batch = log.after(position, types, limit)
    if len(batch) < limit or batch[-1].notification_id >= n:  # the batch reaches n
        stored = next((d for d in batch if d.notification_id == n), None)
        if stored is None:
            raise PoisonInput(f"notification {n} ({detail.detail_type}) is not in the log")
        if stored.event_id != detail.event_id:
            raise PoisonInput(f"notification {n} in the log is not the event delivered")
    return batch
