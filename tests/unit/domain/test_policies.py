"""Reaction policies: event in, commands out, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from domain.commands import ConfirmOrder, FailOrder, RejectOrder, StartPayment
from domain.events import (
    OrderAllocated,
    OrderSeatsHeld,
    PaymentCaptured,
    PaymentDeclined,
    SeatRequested,
    SeatSold,
)
from domain.policies import react

ORDER, OTHER, PAYMENT, SEAT = uuid4(), uuid4(), uuid4(), uuid4()
NOW = datetime.now(UTC)


def test_react_allocated_order_starts_its_payment() -> None:
    event = OrderAllocated(originator_id=ORDER, originator_version=3, timestamp=NOW, amount_cents=1)
    assert react(event) == [StartPayment(order_id=ORDER)]


def test_react_payment_outcome_confirms_or_fails_the_order() -> None:
    common: dict[str, Any] = {
        "originator_id": PAYMENT,
        "originator_version": 3,
        "timestamp": NOW,
        "order_id": ORDER,
        "attempt": 1,
    }
    assert react(PaymentCaptured(**common)) == [ConfirmOrder(order_id=ORDER, payment_id=PAYMENT)]
    assert react(PaymentDeclined(**common, reason="x")) == [
        FailOrder(order_id=ORDER, payment_id=PAYMENT)
    ]


def test_react_sold_seat_rejects_each_waiting_order() -> None:
    event = SeatSold(
        originator_id=SEAT,
        originator_version=4,
        timestamp=NOW,
        order_id=ORDER,
        waiting_order_ids=[OTHER, ORDER],
    )
    assert react(event) == [RejectOrder(order_id=OTHER), RejectOrder(order_id=ORDER)]


def test_react_other_events_need_nothing() -> None:
    assert (
        react(
            SeatRequested(originator_id=SEAT, originator_version=2, timestamp=NOW, order_id=ORDER)
        )
        == []
    )
    assert (
        react(
            OrderSeatsHeld(
                originator_id=ORDER, originator_version=2, timestamp=NOW, seat_labels=["A-1"]
            )
        )
        == []
    )
