"""The one follower: from its position in each index partition, every page through its sink,
the position moved only after the page was applied; poison parked, early commands put off."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Notification
from eventsourcing.popo import POPOTrackingRecorder

from domain.contract import EventDetail
from domain.reactions import NotYetDue
from infra.dynamodb.index_reader import IndexReader
from infra.gateway import SimulatedGateway
from infra.pipeline.consumer import Outcome
from infra.pipeline.dead_letters import PoisonInput
from infra.pipeline.deferrals import Deferrals
from infra.pipeline.follower import (
    Follower,
    Positions,
    ReactionSink,
    Sink,
    TrackedPositions,
    ViewSink,
)
from infra.retry import Backoff
from tests.unit.every_event import run_every_kind_of_event

APP = run_every_kind_of_event(SimulatedGateway())
STORED = APP.recorder.select_notifications(start=1, limit=10_000)


class ListedIndex(IndexReader):
    """One index partition holding `notifications` (renumbered densely from 1)."""

    def __init__(self, notifications: list[Notification], partition: int = 0) -> None:
        super().__init__(None, "index", APP.name, partition)
        self.held = [replace(n, id=i) for i, n in enumerate(notifications, start=1)]
        self.reads: list[int] = []

    def select_notifications(
        self, start: int | None, limit: int, *args: Any, **kwargs: Any
    ) -> list[Notification]:
        self.reads.append(start or 1)
        return [n for n in self.held if n.id >= (start or 1)][:limit]


class Pages(Sink):
    """Records each page; fails or refuses the events it is told to, once each."""

    def __init__(self, fail: dict[int, Exception] | None = None) -> None:
        self.pages: list[list[tuple[UUID, int]]] = []
        self.fail = fail or {}

    def apply(self, details: list[EventDetail]) -> list[Outcome]:
        self.pages.append([(d.aggregate_id, d.aggregate_version) for d in details])
        return [self._one(d) for d in details]

    def _one(self, detail: EventDetail) -> Outcome:
        return self.fail.pop(self._index(detail), None)

    def _index(self, detail: EventDetail) -> int:
        return next(
            i
            for i, n in enumerate(STORED)
            if (n.originator_id, n.originator_version)
            == (detail.aggregate_id, detail.aggregate_version)
        )

    def applied(self) -> list[tuple[UUID, int]]:
        return [event for page in self.pages for event in page]


class Kept(Positions):
    """Positions in a dict, as a store would keep them."""

    def __init__(self, **start: int) -> None:
        self.kept = {int(p): n for p, n in start.items()}

    def at(self, application: str, partition: int) -> int:
        return self.kept.get(partition, 0)

    def reach(self, application: str, partition: int, position: int) -> int:
        self.kept[partition] = position
        return position


def events(notifications: list[Notification]) -> list[tuple[UUID, int]]:
    return [(UUID(str(n.originator_id)), n.originator_version) for n in notifications]


def test_it_resumes_from_its_position_and_applies_each_page_through_its_sink() -> None:
    # GIVEN a partition of the index, and a position already past its first five events
    index, sink, tracking = ListedIndex(STORED), Pages(), POPOTrackingRecorder()
    positions = TrackedPositions(tracking)
    positions.reach(APP.name, 0, 5)
    follower = Follower([index], positions, sink, APP.mapper, page=4)
    # WHEN it catches up
    handed = follower.catch_up()
    # THEN it applied every event after the position, once, in order, a page at a time
    assert handed == len(STORED) - 5
    assert sink.applied() == events(STORED[5:])
    assert all(len(page) <= 4 for page in sink.pages)
    assert positions.at(APP.name, 0) == len(STORED)
    # ... and again, nothing: it goes on from where it stopped
    assert follower.catch_up() == 0 and sink.applied() == events(STORED[5:])


def test_a_failed_page_keeps_its_position_and_the_next_run_goes_on_from_it() -> None:
    # GIVEN a sink that fails on the 7th event, and a follower that tries once
    sink, positions = Pages(fail={6: RuntimeError("throttled")}), Kept()
    follower = Follower([ListedIndex(STORED)], positions, sink, APP.mapper, page=3)
    follower.backoff = Backoff(attempts=1)
    # WHEN it catches up, it stops at that page, its position at the page before
    with pytest.raises(RuntimeError, match="throttled"):
        follower.catch_up()
    assert positions.at(APP.name, 0) == 6
    # THEN the next run applies that page and the rest
    assert follower.catch_up() == len(STORED) - 6
    first, retried = sink.pages[:3], sink.pages[3:]
    assert [e for page in first for e in page] == events(STORED[:9])
    assert [e for page in retried for e in page] == events(STORED[6:])  # from the failed page


def test_each_partition_goes_on_from_its_own_position() -> None:
    evens, odds = ListedIndex(STORED[::2], 0), ListedIndex(STORED[1::2], 1)
    sink, positions = Pages(), Kept(**{"0": 2, "1": 3})
    Follower([evens, odds], positions, sink, APP.mapper, page=50).catch_up()
    assert evens.reads[0] == 3 and odds.reads[0] == 4
    assert sink.applied() == events(STORED[::2][2:]) + events(STORED[1::2][3:])
    assert positions.kept == {0: len(evens.held), 1: len(odds.held)}


def test_poison_is_parked_and_passed() -> None:
    parked: list[tuple[UUID, str]] = []
    sink, positions = Pages(fail={2: PoisonInput("not the event the store holds")}), Kept()
    follower = Follower([ListedIndex(STORED[:5])], positions, sink, APP.mapper)
    follower.park = lambda detail, reason: parked.append((detail.aggregate_id, reason))
    assert follower.catch_up() == 5
    assert parked == [(events(STORED)[2][0], "not the event the store holds")]
    assert positions.at(APP.name, 0) == 5


class Deferred(Deferrals):
    def __init__(self) -> None:
        super().__init__(None, "group", "arn:queue", "arn:role")
        self.put_off: list[tuple[UUID, datetime]] = []

    def defer(self, body: str, due: datetime, event_id: UUID) -> None:
        self.put_off.append((event_id, due))


def test_the_reaction_sink_puts_off_a_command_that_came_early() -> None:
    due = datetime(2027, 1, 1, tzinfo=UTC)

    def reaction(details: list[EventDetail]) -> list[Outcome]:
        return [NotYetDue("deadline", due) if i == 1 else None for i in range(len(details))]

    deferrals = Deferred()
    follower = Follower(
        [ListedIndex(STORED[:3])], Kept(), ReactionSink(reaction, deferrals), APP.mapper
    )
    assert follower.catch_up() == 3
    assert [d for _, d in deferrals.put_off] == [due]


def test_the_view_sink_counts_the_events_of_its_view() -> None:
    wanted = {"ShowCreated"}
    sink = ViewSink(lambda details: [None] * len(details), wanted)
    Follower([ListedIndex(STORED)], Kept(), sink, APP.mapper).catch_up()
    assert sink.applied == sum(1 for n in STORED if n.topic.endswith(":ShowCreated"))
