"""An order for 1-10 seats of one show, and its way to a final state."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid5

from domain.base import Aggregate, DomainEvent
from domain.errors import InvalidTransition
from domain.events import (
    OrderAllocated,
    OrderCancelled,
    OrderConfirmed,
    OrderPaymentFailed,
    OrderPlaced,
    OrderRejected,
    OrderSeatsHeld,
)


class OrderStatus(StrEnum):
    PENDING = "PENDING"  # waiting for at least one seat
    ALLOCATED = "ALLOCATED"  # holds every seat; payment may start
    CONFIRMED = "CONFIRMED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    REJECTED = "REJECTED"  # a seat it wanted was sold to another order
    CANCELLED = "CANCELLED"  # confirmed, then cancelled by its customer: refunded

    @property
    def is_final(self) -> bool:
        return self not in (OrderStatus.PENDING, OrderStatus.ALLOCATED)


def order_id_for(show_id: UUID, customer_id: str, idempotency_key: str) -> UUID:
    # JSON keeps ("a:b", "c") and ("a", "b:c") apart.
    return uuid5(show_id, json.dumps(["order", customer_id, idempotency_key]))


class Order(Aggregate):
    def __init__(self) -> None:
        self.show_id: UUID | None = None
        self.customer_id = ""
        self.idempotency_key = ""
        self.seat_labels: list[str] = []
        self.amount_cents = 0
        self.card_token = ""
        self.held: set[str] = set()
        self.status = OrderStatus.PENDING
        self.payment_id: UUID | None = None
        self.rejected_for = ""
        self.pay_by: datetime | None = None
        self.failure_reason = ""

    @classmethod
    def place(
        cls,
        show_id: UUID,
        customer_id: str,
        idempotency_key: str,
        seat_labels: list[str],
        amount_cents: int,
        card_token: str,
    ) -> Order:
        return cls._create(
            OrderPlaced,
            id=order_id_for(show_id, customer_id, idempotency_key),
            show_id=show_id,
            customer_id=customer_id,
            idempotency_key=idempotency_key,
            seat_labels=seat_labels,
            amount_cents=amount_cents,
            card_token=card_token,
        )

    def hold(self, labels: Iterable[str], pay_within: timedelta, now: datetime) -> None:
        """Hold these seats; holding them all allocates the order, to be paid within a time."""
        new = [label for label in labels if label not in self.held]
        if not new:
            return
        self._require(OrderStatus.PENDING)
        if not set(new) <= set(self.seat_labels):
            raise InvalidTransition(f"Order {self.id} did not ask for {new}")
        self.trigger_event(OrderSeatsHeld, seat_labels=new)
        if self.held == set(self.seat_labels):
            self.trigger_event(
                OrderAllocated, amount_cents=self.amount_cents, pay_by=now + pay_within
            )

    def confirm(self, payment_id: UUID) -> None:
        self._require(OrderStatus.ALLOCATED)
        self.trigger_event(OrderConfirmed, payment_id=payment_id)

    def fail_payment(self, payment_id: UUID) -> None:
        self._require(OrderStatus.ALLOCATED)
        self.trigger_event(OrderPaymentFailed, payment_id=payment_id)

    def past_deadline(self, now: datetime) -> bool:
        """Whether `now` is at or after the payment deadline (if the order has one)."""
        return self.pay_by is not None and now >= self.pay_by

    def is_overdue(self, now: datetime) -> bool:
        return self.status == OrderStatus.ALLOCATED and self.past_deadline(now)

    def expire(self, payment_id: UUID, now: datetime) -> None:
        """The payment deadline passed unanswered: the order fails and gives its seats up."""
        if not self.is_overdue(now):
            raise InvalidTransition(f"Order {self.id} is not past a payment deadline")
        self.trigger_event(OrderPaymentFailed, payment_id=payment_id, reason="deadline")

    def cancel(self, now: datetime, show_starts_at: datetime | None) -> None:
        self._require(OrderStatus.CONFIRMED)
        if show_starts_at is not None and now >= show_starts_at:
            raise InvalidTransition(f"Order {self.id}: the show has started, too late to cancel")
        assert self.payment_id is not None
        self.trigger_event(OrderCancelled, payment_id=self.payment_id)

    def reject(self, seat_label: str) -> None:
        # An allocated order holds all its seats, so none of them can be sold to another.
        self._require(OrderStatus.PENDING)
        self.trigger_event(OrderRejected, seat_label=seat_label)

    def _require(self, status: OrderStatus) -> None:
        if self.status != status:
            raise InvalidTransition(f"Order {self.id} is {self.status}, not {status}")

    def when(self, event: DomainEvent) -> None:
        match event:
            case OrderPlaced():
                self.show_id = event.show_id
                self.customer_id = event.customer_id
                self.idempotency_key = event.idempotency_key
                self.seat_labels = list(event.seat_labels)
                self.amount_cents = event.amount_cents
                self.card_token = event.card_token
            case OrderSeatsHeld():
                self.held.update(event.seat_labels)
            case OrderAllocated():
                self.status = OrderStatus.ALLOCATED
                self.pay_by = event.pay_by
            case OrderConfirmed():
                self.status = OrderStatus.CONFIRMED
                self.payment_id = event.payment_id
            case OrderPaymentFailed():
                self.status = OrderStatus.PAYMENT_FAILED
                self.payment_id = event.payment_id
                self.failure_reason = event.reason
            case OrderCancelled():
                self.status = OrderStatus.CANCELLED
            case OrderRejected():
                self.status = OrderStatus.REJECTED
                self.rejected_for = event.seat_label
            case _:
                super().when(event)
