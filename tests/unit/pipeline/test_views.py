"""The read-model folds, event by event (pure: no table involved)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from domain.base import DomainEvent
from domain.contract import EventDetail, to_detail
from domain.events import SeatOpened, SeatReleased, SeatRequested, SeatSold
from projections.base import Item, fact_of
from projections.views import SeatMap

NOW = datetime(2026, 11, 23, tzinfo=UTC)
SEAT, SHOW = uuid.uuid4(), uuid.uuid4()
A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def detail(cls: type[DomainEvent], version: int, **fields: Any) -> EventDetail:
    extra = {"originator_topic": "domain.seat:Seat"} if cls is SeatOpened else {}
    event = cls(originator_id=SEAT, originator_version=version, timestamp=NOW, **extra, **fields)
    return to_detail("Ticketing", event)


def fold(*details: EventDetail) -> Item:
    view, item = SeatMap(), None
    for d in details:
        item = view.apply(item, fact_of(d))
    assert item is not None
    return item


def seen(item: Item) -> tuple[str, str | None, int]:
    return item["status"], item["order_id"], item["queue_length"]


def test_seat_goes_free_held_queued_passed_on_and_sold() -> None:
    opened = detail(SeatOpened, 1, show_id=SHOW, label="A-1", price_cents=10)
    assert seen(fold(opened)) == ("FREE", None, 0)
    a = detail(SeatRequested, 2, order_id=A)
    b = detail(SeatRequested, 3, order_id=B)
    c = detail(SeatRequested, 4, order_id=C)
    assert seen(fold(opened, a, b, c)) == ("HELD", str(A), 2)
    released = detail(SeatReleased, 5, order_id=A, next_holder_id=B)
    assert seen(fold(opened, a, b, c, released)) == ("HELD", str(B), 1)
    sold = detail(SeatSold, 6, order_id=B, waiting_order_ids=[C])
    assert seen(fold(opened, a, b, c, released, sold)) == ("SOLD", str(B), 0)
