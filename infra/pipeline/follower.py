"""The follower: follows the ordered index from a position and applies each event exactly once.

The bus is the fast path; the index is the complete one. This is the one loop that reads the
index from where it stopped, hands each page to a sink and then moves its position on:

- the scheduled catch-up (`infra.pipeline.catch_up`) runs one per consumer, a minute behind the
  bus, so whatever the bus missed is applied (a record the forwarder gave up on, a message
  parked in a dead-letter queue, the local stack's queues lost with moto); its positions are
  tracking records (`TrackedPositions`);
- a rebuild (`infra.readmodels.rebuild`) catches its shadow tables up with it; their positions are
  items of the shadow table itself.

Two ports: `Positions` (where the position per index partition is kept) and `Sink` (what is
done with a page): `ViewSink` brings views (read model tables kept by projections) up,
`ReactionSink` runs a reaction's commands and puts off those that came early. Consumers are
exact per aggregate, so an event applied twice (through the bus, then here) changes nothing;
a position moves only after its page was applied, so a run that stops resumes from it.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Mapper, Tracking, TrackingRecorder

from domain.contract import EventDetail
from domain.reactions import NotYetDue
from infra.dynamodb.index_reader import IndexReader
from infra.pipeline.consumer import Handle, Outcome
from infra.pipeline.dead_letters import PoisonInput
from infra.pipeline.deferrals import Deferrals, bus_event_body
from infra.pipeline.source import detail_of
from infra.retry import Backoff
from infra.untrusted import printable

logger = logging.getLogger(__name__)
Park = Callable[[EventDetail, str], None]


def log_poison(detail: EventDetail, reason: str) -> None:
    """Where no dead-letter queue is configured: the event stays in the store and the index."""
    logger.error(
        "skipping an event no consumer can apply: %s (%s)", detail.event_id, printable(reason)
    )


def refuse_poison(detail: EventDetail, reason: str) -> None:
    """Stop at poison instead of skipping it (a rebuild must not leave an event out)."""
    raise PoisonInput(f"{detail.event_id}: {reason}")


def log_name(application: str, partition: int) -> str:
    """The name a position in one index partition is tracked under."""
    return f"{application}#{partition}"


class Positions(ABC):
    """Port: the follower's position in each index partition (every id up to it is applied)."""

    @abstractmethod
    def at(self, application: str, partition: int) -> int:
        """The position; 0 before the first event."""

    @abstractmethod
    def reach(self, application: str, partition: int, position: int) -> int:
        """Record `position` as applied; returns the position to go on from."""


@dataclass
class TrackedPositions(Positions):
    """Positions as tracking records of the consumer that owns `tracking`."""

    tracking: TrackingRecorder

    def at(self, application: str, partition: int) -> int:
        return self.tracking.max_tracking_id(log_name(application, partition)) or 0

    def reach(self, application: str, partition: int, position: int) -> int:
        name = log_name(application, partition)
        try:
            self.tracking.insert_tracking(Tracking(name, position))
        except IntegrityError:  # another follower got further: carry on from there
            return self.tracking.max_tracking_id(name) or position
        return position


class Sink(ABC):
    """Port: applies a page of events; one outcome per event, in order (None: applied)."""

    @abstractmethod
    def apply(self, details: list[EventDetail]) -> list[Outcome]: ...


@dataclass
class ViewSink(Sink):
    """Views brought up to each event (projectors, exact per aggregate); counts the events of
    `detail_types` applied (every event, without them)."""

    views: Handle
    detail_types: Collection[str] | None = None
    applied: int = 0

    def apply(self, details: list[EventDetail]) -> list[Outcome]:
        outcomes = self.views(details)
        types = self.detail_types
        self.applied += sum(
            1
            for detail, outcome in zip(details, outcomes, strict=True)
            if outcome is None and (types is None or detail.detail_type in types)
        )
        return outcomes


@dataclass
class ReactionSink(Sink):
    """A reaction's commands run for each event (`Reactor.apply`); a command that came before
    its time (`NotYetDue`) is put off to its due time (`deferrals`) and counts as applied."""

    reaction: Handle
    deferrals: Deferrals | None = None

    def apply(self, details: list[EventDetail]) -> list[Outcome]:
        outcomes = self.reaction(details)
        if self.deferrals is None:
            return outcomes
        for i, (detail, outcome) in enumerate(zip(details, outcomes, strict=True)):
            if isinstance(outcome, NotYetDue):
                self.deferrals.defer(bus_event_body(detail), outcome.due, detail.event_id)
                outcomes[i] = None
        return outcomes


@dataclass
class Follower:
    readers: list[IndexReader]  # one per index partition, each with its own position
    positions: Positions
    sink: Sink
    mapper: Mapper[UUID]
    page: int = 200
    park: Park = log_poison  # poison input: kept aside with the reason, never retried forever
    # A failing page is tried again a few times (a gateway that timed out once, a throttled
    # call); then the run stops, and the next run goes on from the same position.
    backoff: Backoff = field(default_factory=lambda: Backoff(attempts=6, base=0.2, cap=5.0))

    def catch_up(self, grace_seconds: float | None = 0) -> int:
        """Apply what the index holds after each position, but for what was indexed in the
        last `grace_seconds` (the bus is still delivering it; None: up to the head); returns
        events handed over."""
        cutoff = None if grace_seconds is None else int((time.time() - grace_seconds) * 1000)
        return sum(self._follow(reader, cutoff) for reader in self.readers)

    def _follow(self, reader: IndexReader, cutoff: int | None) -> int:
        position = self.positions.at(reader.app, reader.partition)
        handed = 0
        while notifications := reader.select_notifications(
            position + 1, self.page, written_before_ms=cutoff
        ):
            details = [detail_of(self.mapper, reader.app, n) for n in notifications]
            self._apply(details)
            handed += len(details)
            position = self.positions.reach(reader.app, reader.partition, notifications[-1].id)
        return handed

    def _apply(self, details: list[EventDetail]) -> None:
        """Apply them all, retrying the failed ones with backoff; raises the first failure of
        the last try. A consumer keeps an aggregate's order by failing what follows a failed
        event, so the failed ones, retried alone, are still in order."""
        sleeps = self.backoff.sleeps()
        while True:
            failed: list[tuple[EventDetail, Exception]] = []
            for detail, outcome in zip(details, self.sink.apply(details), strict=True):
                if isinstance(outcome, PoisonInput):
                    self.park(detail, str(outcome))
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
