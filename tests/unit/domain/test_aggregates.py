"""Seat, Order and Payment rules, on the aggregates alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidTransition, PaymentAlreadySettled
from domain.events import OrderAllocated, SeatReleased, SeatSold
from domain.order import Order, OrderStatus, order_id_for
from domain.payment import CaptureResult, Payment
from domain.seat import Seat, seat_id

SHOW = uuid4()
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TEN_MINUTES = timedelta(minutes=10)


def hold(order: Order, labels: list[str]) -> None:
    order.hold(labels, TEN_MINUTES, NOW)


def test_seat_id_is_derived_from_show_and_label() -> None:
    assert Seat.open(SHOW, "A-1", 100).id == seat_id(SHOW, "A-1") != seat_id(SHOW, "A-2")
    assert seat_id(SHOW, "A-1") != seat_id(uuid4(), "A-1")


def test_seat_is_held_by_the_first_live_order_in_its_queue() -> None:
    # GIVEN three orders queued on a seat
    seat = Seat.open(SHOW, "A-1", 100)
    o1, o2, o3 = uuid4(), uuid4(), uuid4()
    assert [seat.request(o) for o in (o1, o2, o3)] == [True, False, False]
    assert seat.request(o2) is False and seat.queue == [o1, o2, o3]  # queued once
    # WHEN a waiter leaves, then the holder THEN the seat passes to the next live order
    assert seat.release(o2) is None
    assert seat.release(o1) == o3
    assert seat.holder == o3 and seat.waiting == []
    assert seat.release(o1) is None  # releasing twice changes nothing
    assert [type(e) for e in seat.collect_events()].count(SeatReleased) == 2


def test_seat_sold_only_to_its_holder_and_lists_the_waiting() -> None:
    seat = Seat.open(SHOW, "A-1", 100)
    o1, o2 = uuid4(), uuid4()
    seat.request(o1)
    seat.request(o2)
    with pytest.raises(InvalidTransition):
        seat.sell(o2)
    seat.sell(o1)
    seat.sell(o1)  # idempotent
    sold = [e for e in seat.collect_events() if isinstance(e, SeatSold)]
    assert [(e.order_id, e.waiting_order_ids) for e in sold] == [(o1, [o2])]
    with pytest.raises(InvalidTransition):
        seat.request(uuid4())
    assert seat.release(o2) is None and seat.holder == o1


def place(labels: list[str]) -> Order:
    return Order.place(SHOW, "ann", "key", labels, 100 * len(labels), "tok_visa")


def test_order_id_is_derived_from_show_customer_and_key() -> None:
    assert place(["A-1"]).id == order_id_for(SHOW, "ann", "key")
    assert order_id_for(SHOW, "a:b", "c") != order_id_for(SHOW, "a", "b:c")


def test_order_allocated_once_it_holds_every_seat() -> None:
    order = place(["A-1", "A-2"])
    hold(order, ["A-1"])
    assert (order.status, order.held) == (OrderStatus.PENDING, {"A-1"})
    hold(order, ["A-1", "A-2"])
    hold(order, ["A-2"])  # already held: nothing new
    assert (order.status, order.held) == (OrderStatus.ALLOCATED, {"A-1", "A-2"})
    assert [type(e) for e in order.collect_events()].count(OrderAllocated) == 1


def test_order_refuses_transitions_its_state_does_not_allow() -> None:
    order = place(["A-1"])
    with pytest.raises(InvalidTransition):
        order.confirm(uuid4())  # not allocated
    with pytest.raises(InvalidTransition):
        hold(order, ["B-1"])  # not asked for
    hold(order, ["A-1"])
    with pytest.raises(InvalidTransition):
        order.reject("A-1")  # an allocated order holds its seats: none can be sold away
    order.confirm(uuid4())
    with pytest.raises(InvalidTransition):
        order.fail_payment(uuid4())
    assert order.status == OrderStatus.CONFIRMED


def test_payment_records_attempts_and_refuses_a_second_capture() -> None:
    payment = Payment.start(uuid4(), 2500)
    payment.attempt()
    payment.timed_out()
    payment.attempt()
    payment.record(CaptureResult.CAPTURED)
    assert (payment.attempts, payment.result) == (2, CaptureResult.CAPTURED)
    for again in (payment.attempt, lambda: payment.record(CaptureResult.CAPTURED)):
        with pytest.raises(PaymentAlreadySettled):
            again()


def test_an_allocated_order_must_be_paid_by_its_deadline() -> None:
    order = place(["A-1"])
    hold(order, ["A-1"])
    assert order.pay_by == NOW + TEN_MINUTES
    with pytest.raises(InvalidTransition):
        order.expire(uuid4(), NOW + TEN_MINUTES - timedelta(seconds=1))  # not yet
    order.expire(uuid4(), NOW + TEN_MINUTES)
    assert (order.status, order.failure_reason) == (OrderStatus.PAYMENT_FAILED, "deadline")
    assert order.status.is_final


def test_a_capture_after_the_deadline_is_late() -> None:
    payment = Payment.start(uuid4(), 100)
    payment.attempt()
    payment.expire()
    payment.expire()  # once
    payment.record(CaptureResult.CAPTURED)
    events = payment.collect_events()
    assert [type(e).__name__ for e in events][-2:] == ["PaymentExpired", "PaymentCaptured"]
    assert events[-1].late is True
    payment.refunded(100)
    payment.refunded(100)  # once
    assert payment.refunded_cents == 100 and len(payment.collect_events()) == 1


def test_a_confirmed_order_is_cancelled_before_the_show_starts_only() -> None:
    order = place(["A-1"])
    with pytest.raises(InvalidTransition):
        order.cancel(NOW, None)  # not confirmed
    hold(order, ["A-1"])
    order.confirm(uuid4())
    with pytest.raises(InvalidTransition):
        order.cancel(NOW, NOW)  # the show has started
    order.cancel(NOW, NOW + timedelta(days=1))
    assert order.status == OrderStatus.CANCELLED and order.status.is_final


def test_a_returned_seat_is_free_and_its_turned_away_orders_stay_out() -> None:
    # GIVEN a seat sold to o1 while o2 waited
    seat = Seat.open(SHOW, "A-1", 100)
    o1, o2, o3 = uuid4(), uuid4(), uuid4()
    seat.request(o1)
    seat.request(o2)
    seat.sell(o1)
    # WHEN o1 gives it back THEN nobody holds it: o2 was turned away at the sale
    with pytest.raises(InvalidTransition):
        seat.give_back(o2)
    seat.give_back(o1)
    assert (seat.sold_to, seat.holder, o2 in seat.turned_away) == (None, None, True)
    # AND a new order gets it
    assert seat.request(o3) is True
