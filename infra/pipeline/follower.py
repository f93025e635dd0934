"""Follows the ordered index from a tracked position and hands its events to a consumer.

The bus is the fast path; the index is the complete one. Each consumer also follows the index,
a minute behind (the catch-up function, on a schedule), so that whatever it missed is applied:
a record the forwarder gave up on, a message parked in a dead-letter queue, the local stack's
queues lost with moto. Its position per index partition is a tracking record, moved only after a
page of events was applied. Consumers are exact per aggregate, so events they already applied
through the bus change nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Mapper, Tracking

from domain.contract import EventDetail
from domain.reactions import NotYetDue
from infra.dynamodb.index_reader import IndexReader
from infra.dynamodb.recorders import DynamoDBTrackingRecorder
from infra.pipeline.consumer import Handle
from infra.pipeline.dead_letters import PoisonInput
from infra.pipeline.deferrals import Deferrals, bus_event_body
from infra.pipeline.source import detail_of
from infra.retry import Backoff
from infra.untrusted import printable

log = logging.getLogger(__name__)
Park = Callable[[EventDetail, str], None]


def log_poison(detail: EventDetail, reason: str) -> None:
    """Where no dead-letter queue is configured: the event stays in the store and the index."""
    log.error(
        "skipping an event no consumer can apply: %s (%s)", detail.event_id, printable(reason)
    )


def log_name(application: str, partition: int) -> str:
    """The name a position in one index partition is tracked under."""
    return f"{application}#{partition}"


@dataclass
class Follower:
    readers: list[IndexReader]  # one per index partition
    tracking: DynamoDBTrackingRecorder  # owned by the consumer's name
    apply: Handle
    mapper: Mapper[UUID]
    deferrals: Deferrals | None = None  # where a command that came early is put off
    page: int = 200
    park: Park = log_poison  # poison input: kept aside with the reason, never retried forever
    # A failing page is tried again a few times (a gateway that timed out once, a throttled
    # call); then the run stops, and the next run goes on from the same position.
    backoff: Backoff = field(default_factory=lambda: Backoff(attempts=6, base=0.2, cap=5.0))

    def catch_up(self, grace_seconds: float = 0) -> int:
        """Apply what the index holds after each position, but for what was indexed in the
        last `grace_seconds` (the bus is still delivering it); returns events handed over."""
        cutoff = int((time.time() - grace_seconds) * 1000)
        return sum(self._follow(reader, cutoff) for reader in self.readers)

    def _follow(self, reader: IndexReader, cutoff: int) -> int:
        name = log_name(reader.app, reader.partition)
        position = self.tracking.max_tracking_id(name) or 0
        handed = 0
        while notifications := reader.select_notifications(
            position + 1, self.page, written_before_ms=cutoff
        ):
            details = [detail_of(self.mapper, reader.app, n) for n in notifications]
            self._apply(details)
            handed += len(details)
            position = notifications[-1].id
            try:
                self.tracking.insert_tracking(Tracking(name, position))
            except IntegrityError:  # another follower got further: carry on from there
                position = self.tracking.max_tracking_id(name) or position
        return handed

    def _apply(self, details: list[EventDetail]) -> None:
        """Apply them all, retrying the failed ones with backoff; raises the first failure of
        the last try. A consumer keeps an aggregate's order by failing what follows a failed
        event, so the failed ones, retried alone, are still in order."""
        sleeps = self.backoff.sleeps()
        while True:
            failed: list[tuple[EventDetail, Exception]] = []
            for detail, outcome in zip(details, self.apply(details), strict=True):
                if isinstance(outcome, PoisonInput):
                    self.park(detail, str(outcome))
                elif isinstance(outcome, NotYetDue) and self.deferrals is not None:
                    self.deferrals.defer(bus_event_body(detail), outcome.due, detail.event_id)
                elif outcome is not None:
                    failed.append((detail, outcome))
            if not failed:
                return
            try:
                time.sleep(next(sleeps))
            except StopIteration:
                raise failed[0][1] from None
            details = [detail for detail, _ in failed]


def readers_of(
    client: Any, index_table: str, application: str, partitions: int
) -> list[IndexReader]:
    return [IndexReader(client, index_table, application, p) for p in range(partitions)]
