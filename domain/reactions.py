"""How the application executes reaction commands (base of `Ticketing`).

Every handler re-reads current state and does nothing when its command is late, repeated or
moot, so a queue may deliver commands twice or out of order. Each saves at most the order,
its seats (10) and the orders those seats pass to (10): well within one store transaction.

Long: every command handler of the reactions, so that the rules by which a seat passes on are
read in one place.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.base import A, Aggregate
from domain.errors import TransientError, UnknownPayment
from domain.order import Order, OrderStatus
from domain.payment import (
    CaptureResult,
    GatewayTimeout,
    Payment,
    PaymentGateway,
    payment_id_for,
)
from domain.seat import Seat, seat_id

T = TypeVar("T")
PAYMENT_DEADLINE = timedelta(seconds=600)


class NotYetDue(TransientError):
    """A deadline command came early: deliver it again at `due`."""

    def __init__(self, message: str, due: datetime) -> None:
        super().__init__(message)
        self.due = due


def utc_now() -> datetime:
    return datetime.now(UTC)


class Reactions(Application[UUID]):
    gateway: PaymentGateway | None = None
    save_attempts = 100  # 50 buyers racing for one seat each lose at most 49 times
    conflicts = 0  # saves retried because another writer got there first (for benchmarks)
    payment_deadline = PAYMENT_DEADLINE  # how long an allocated order has to be paid
    clock: Callable[[], datetime] = staticmethod(utc_now)

    def record_payment_outcome(
        self, payment_id: UUID, result: CaptureResult, reason: str = "card_declined"
    ) -> None:
        """Record what the gateway answered; a repeated answer changes nothing."""

        def attempt() -> None:
            payment = self._find(Payment, payment_id)
            if payment is None:
                raise UnknownPayment(f"No payment {payment_id}")
            if payment.result is not None:
                return
            payment.record(result, reason, late=self._past_deadline(payment))
            self.save(payment)

        self._retry(attempt)

    def _past_deadline(self, payment: Payment) -> bool:
        """Whether an answer arriving now comes after the order's payment deadline."""
        if payment.expired:
            return True
        order = self._find(Order, payment.order_id) if payment.order_id else None
        return order is not None and order.past_deadline(self.clock())

    def _start_payment(self, order_id: UUID) -> None:
        if self.gateway is None:
            raise RuntimeError("Ticketing was built without a payment gateway")
        opened = self._retry(lambda: self._open_attempt(order_id))
        if opened is None:
            return
        payment, order = opened
        try:
            # The payment id is the gateway key: a redelivered command never charges twice.
            key, card = payment.gateway_key, order.card_token
            result = self.gateway.capture(key, card, payment.amount_cents)
        except GatewayTimeout:
            self._retry(lambda: self._record_timeout(payment.id))
            raise  # the command is retried later, with the same key
        try:  # on the payment just saved: no second read in the usual case
            # An answer after the deadline does not stand, however the charge began.
            payment.record(result, late=order.past_deadline(self.clock()))
            self.save(payment)
        except IntegrityError:  # another attempt recorded something meanwhile: read again
            self.record_payment_outcome(payment.id, result)

    def _open_attempt(self, order_id: UUID) -> tuple[Payment, Order] | None:
        order = self._find(Order, order_id)
        if order is None or order.status != OrderStatus.ALLOCATED:
            return None  # only an order holding all its seats is charged
        if order.is_overdue(self.clock()):
            return None  # too late to charge: ExpireOrder fails it
        payment = self._find(Payment, payment_id_for(order.id)) or Payment.start(
            order.id, order.amount_cents
        )
        if payment.result is not None:
            return None
        payment.attempt()  # recorded before the charge, so a crash leaves a trace
        self.save(payment)
        return payment, order

    def _record_timeout(self, payment_id: UUID) -> None:
        payment = self._find(Payment, payment_id)
        if payment is not None and payment.result is None:
            payment.timed_out()
            self.save(payment)

    def _settled(self, order_id: UUID, payment_id: UUID, result: CaptureResult) -> Order | None:
        """The order, if it is ALLOCATED and this payment of it ended with `result`."""
        order, payment = self._find(Order, order_id), self._find(Payment, payment_id)
        if order is None or order.status != OrderStatus.ALLOCATED:
            return None
        if payment is None or payment.order_id != order.id or payment.result is not result:
            return None
        if payment.captured_late:
            return None  # a capture after the deadline never confirms: ExpireOrder fails it
        return order

    def _confirm(self, order_id: UUID, payment_id: UUID) -> None:
        order = self._settled(order_id, payment_id, CaptureResult.CAPTURED)
        if order is None:
            return
        seats = self._seats_of(order)
        for seat in seats:
            seat.sell(order.id)
        order.confirm(payment_id)
        self.save(order, *seats)

    def _fail(self, order_id: UUID, payment_id: UUID) -> None:
        order = self._settled(order_id, payment_id, CaptureResult.DECLINED)
        if order is None:
            return
        order.fail_payment(payment_id)
        self.save(order, *self._release(order, self._seats_of(order)))

    def _expire(self, order_id: UUID) -> None:
        """Past its deadline with no answer, an order fails and its seats pass on; its payment
        (started here if the charge has not begun) is marked so no later capture stands."""
        order = self._find(Order, order_id)
        if order is None or order.status != OrderStatus.ALLOCATED or order.pay_by is None:
            return
        now = self.clock()
        if not order.is_overdue(now):
            raise NotYetDue(f"Order {order.id} has until {order.pay_by}", order.pay_by)
        payment = self._find(Payment, payment_id_for(order.id)) or Payment.start(
            order.id, order.amount_cents
        )
        if payment.result is not None and not payment.captured_late:
            return  # answered in time: ConfirmOrder or FailOrder settles the order
        if payment.result is None:
            payment.expire()
        order.expire(payment.id, now)
        self.save(order, payment, *self._release(order, self._seats_of(order)))

    def _refund(self, payment_id: UUID) -> None:
        """Give back an expired payment's capture, or a cancelled order's (once: the gateway
        refunds a key once, and the payment records it)."""
        payment = self._find(Payment, payment_id)
        if payment is None or payment.refunded_cents is not None or payment.order_id is None:
            return
        order = self._find(Order, payment.order_id)
        owed = payment.expired or payment.captured_late
        if not owed and (order is None or order.status != OrderStatus.CANCELLED):
            return
        if self.gateway is None:
            raise RuntimeError("Ticketing was built without a payment gateway")
        amount = self.gateway.refund(payment.gateway_key)

        def record() -> None:
            fresh = self._find(Payment, payment_id)
            assert fresh is not None
            fresh.refunded(amount)
            self.save(fresh)

        self._retry(record)

    def _reject(self, order_id: UUID) -> None:
        order = self._find(Order, order_id)
        if order is None or order.status != OrderStatus.PENDING:
            return
        seats = self._seats_of(order)
        lost = [
            s.label
            for s in seats
            if (s.sold_to is not None and s.sold_to != order.id) or order.id in s.turned_away
        ]
        if not lost:
            return  # nothing it wants was sold to another order: keep waiting
        order.reject(lost[0])
        self.save(order, *self._release(order, seats))

    def _release(self, order: Order, seats: list[Seat]) -> list[Aggregate]:
        """Take the order off its seats' queues; each held seat passes to its next order."""
        changed: list[Aggregate] = []
        heirs: dict[UUID, Order] = {}
        for seat in seats:
            heir_id = seat.release(order.id)
            if seat.pending_events:
                changed.append(seat)
            if heir_id is not None:
                heir = heirs.get(heir_id) or self._find(Order, heir_id)
                if heir is None:
                    raise AssertionError(f"Seat {seat.label} queues unknown order {heir_id}")
                heirs[heir_id] = heir
                # May make it ALLOCATED, in this same save.
                heir.hold([seat.label], self.payment_deadline, self.clock())
        return [*changed, *heirs.values()]

    def _seats_of(self, order: Order) -> list[Seat]:
        assert order.show_id is not None
        seats = [self._find(Seat, seat_id(order.show_id, label)) for label in order.seat_labels]
        if any(seat is None for seat in seats):
            raise AssertionError(f"Order {order.id} was saved without its seats")
        return [seat for seat in seats if seat is not None]

    def _find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def _retry(self, operation: Callable[[], T]) -> T:
        for attempt in range(1, self.save_attempts + 1):
            try:
                return operation()
            except IntegrityError:
                self.conflicts += 1  # a statistic: a lost increment under a race is harmless
                if attempt == self.save_attempts:
                    raise
                # Jittered backoff spreads racing writers out instead of colliding again.
                time.sleep(random.uniform(0, min(0.2, 0.001 * 2**attempt)))
        raise AssertionError("unreachable")
