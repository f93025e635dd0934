"""Where a consumer's catch-up comes from: the store's log, never the delivered payload."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.contract import EventDetail, to_detail
from domain.events import OrderAllocated
from infra.pipeline.dead_letters import PoisonInput
from infra.pipeline.log import LogReader, next_batch

NOW = datetime(2026, 11, 23, tzinfo=UTC)
ORDER = uuid.uuid4()


def allocated(n: int, version: int, amount: int = 100) -> EventDetail:
    event = OrderAllocated(
        originator_id=ORDER, originator_version=version, timestamp=NOW, amount_cents=amount
    )
    return to_detail("Ticketing", n, event)


class FakeLog(LogReader):
    """The log as a list (a fake of our own port, for the ordering rules alone)."""

    def __init__(self, details: list[EventDetail]) -> None:
        self.details, self.application = details, "Ticketing"

    def after(self, position: int, detail_types: Collection[str], limit: int = 100) -> Any:
        return [d for d in self.details if d.notification_id > position][:limit]


LOG = FakeLog([allocated(3, 2), allocated(7, 3), allocated(9, 4)])


def test_a_gap_is_filled_from_the_log_in_order() -> None:
    batch = next_batch(LOG, allocated(9, 4), 0, {"OrderAllocated"}, 10)
    assert [d.notification_id for d in batch] == [3, 7, 9]


def test_the_next_event_also_comes_from_the_log_not_from_its_payload() -> None:
    forged = allocated(3, 2, amount=1)  # same position, same id, another payload
    batch = next_batch(LOG, forged, 0, {"OrderAllocated"}, 10)
    assert batch[0].payload is not None
    assert batch[0].payload.model_dump()["amount_cents"] == 100


def test_an_event_the_log_does_not_hold_is_poison() -> None:
    with pytest.raises(PoisonInput, match="not in the log"):
        next_batch(LOG, allocated(8, 9), 0, {"OrderAllocated"}, 10)
    with pytest.raises(PoisonInput, match="not the event delivered"):
        next_batch(LOG, allocated(7, 5), 3, {"OrderAllocated"}, 10)


def test_a_long_gap_is_read_a_page_at_a_time() -> None:
    assert [d.notification_id for d in next_batch(LOG, allocated(9, 4), 0, set(), 2)] == [3, 7]
