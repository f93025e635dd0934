"""The ticketing application: use cases, and the commands the reactions ask for.

Each use case and command is one atomic save of every aggregate it changes, retried from a
fresh read when another writer got there first (`IntegrityError`). Persistence is chosen by
PERSISTENCE_MODULE (in-memory by default, `infra.dynamodb` in production).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, assert_never
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.commands import (
    Command,
    ConfirmOrder,
    ExpireOrder,
    FailOrder,
    RefundPayment,
    RejectOrder,
    StartPayment,
)
from domain.errors import (
    DuplicateSeats,
    EmptyOrder,
    IdempotencyKeyReused,
    ShowAlreadyExists,
    TooManySeats,
    UnknownOrder,
    UnknownShow,
)
from domain.layout import SeatSpec, SectionSpec, bands_from
from domain.order import Order, OrderStatus, order_id_for
from domain.payment import Payment, PaymentGateway, payment_id_for
from domain.reactions import Reactions
from domain.seat import Seat, seat_id
from domain.show import Show

MAX_SEATS_PER_ORDER = 10
SHOW_CACHE_SIZE = 32
SEAT_LOCK_STRIPES = 256


class Ticketing(Reactions):
    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        gateway: PaymentGateway | None = None,
        payment_deadline: timedelta | None = None,
    ) -> None:
        super().__init__(env)
        self.gateway = gateway
        if payment_deadline is not None:
            self.payment_deadline = payment_deadline
        self._shows: dict[UUID, Show] = {}  # safe to keep: shows never change once created
        self._shows_lock = threading.Lock()
        # Writers in this process take turns per seat instead of racing and retrying; across
        # processes the store's version check still decides.
        self._seat_locks = [threading.Lock() for _ in range(SEAT_LOCK_STRIPES)]

    def create_show(
        self,
        show_id: UUID,
        name: str,
        *,
        seats: Sequence[SeatSpec | Mapping[str, Any]] | None = None,
        sections: Sequence[SectionSpec | Mapping[str, Any]] | None = None,
        starts_at: datetime | None = None,
    ) -> UUID:
        bands, count = bands_from(seats, sections)
        try:
            self.save(Show.create(show_id, name, bands, count, starts_at))
        except IntegrityError:
            raise ShowAlreadyExists(f"Show {show_id} already exists") from None
        return show_id

    def place_order(
        self,
        show_id: UUID,
        customer_id: str,
        seat_labels: Sequence[str],
        idempotency_key: str,
        card_token: str,
    ) -> UUID:
        """Queue the order on each seat, in one save; the same key returns the same order."""
        labels = _checked_labels(seat_labels)
        show = self.get_show(show_id)
        prices = {label: show.price_of(label) for label in labels}
        order_id = order_id_for(show_id, customer_id, idempotency_key)

        def attempt() -> UUID:
            existing = self._find(Order, order_id)
            if existing is not None:
                if sorted(existing.seat_labels) != sorted(labels):
                    raise IdempotencyKeyReused(f"Key {idempotency_key!r} was used for other seats")
                if existing.card_token != card_token:
                    raise IdempotencyKeyReused(
                        f"Key {idempotency_key!r} was used with another payment token"
                    )
                return existing.id
            order = Order.place(
                show_id, customer_id, idempotency_key, labels, sum(prices.values()), card_token
            )
            seats = [
                self._find(Seat, seat_id(show_id, label)) or Seat.open(show_id, label, price)
                for label, price in prices.items()
            ]
            sold = [seat.label for seat in seats if seat.sold_to is not None]
            if sold:  # sold seats stay sold: refuse at once, without queueing
                order.reject(sold[0])
                self.save(order)
                return order.id
            held = [seat.label for seat in seats if seat.request(order.id)]
            order.hold(held, self.payment_deadline, self.clock())
            self.save(order, *seats)
            return order.id

        stripes = sorted({hash(seat_id(show_id, label)) % SEAT_LOCK_STRIPES for label in labels})
        with contextlib.ExitStack() as held:
            for stripe in stripes:  # always in the same order: no deadlock
                held.enter_context(self._seat_locks[stripe])
            return self._retry(attempt)

    def execute(self, command: Command) -> None:
        """Run one reaction command as its own atomic save; repeats and late runs are no-ops."""
        match command:
            case StartPayment():
                self._start_payment(command.order_id)
            case ConfirmOrder():
                self._retry(lambda: self._confirm(command.order_id, command.payment_id))
            case FailOrder():
                self._retry(lambda: self._fail(command.order_id, command.payment_id))
            case RejectOrder():
                self._retry(lambda: self._reject(command.order_id))
            case ExpireOrder():
                self._retry(lambda: self._expire(command.order_id))
            case RefundPayment():
                self._refund(command.payment_id)
            case _:
                assert_never(command)

    def cancel_order(self, order_id: UUID) -> None:
        """Cancel a confirmed order before its show starts: its seats are free again at once,
        and the refund follows (`RefundPayment`, on `OrderCancelled`). A repeat is a no-op."""

        def attempt() -> None:
            order = self.get_order(order_id)
            if order.status == OrderStatus.CANCELLED:
                return
            assert order.show_id is not None
            order.cancel(self.clock(), self.get_show(order.show_id).starts_at)
            seats = self._seats_of(order)
            for seat in seats:
                seat.give_back(order.id)
            self.save(order, *seats)

        self._retry(attempt)

    def get_show(self, show_id: UUID) -> Show:
        with self._shows_lock:
            show = self._shows.get(show_id)
        if show is None:
            show = self._find(Show, show_id)
            if show is None:
                raise UnknownShow(f"No show {show_id}")
            with self._shows_lock:
                if len(self._shows) >= SHOW_CACHE_SIZE:
                    del self._shows[next(iter(self._shows))]
                self._shows[show_id] = show
        return show

    def get_order(self, order_id: UUID) -> Order:
        order = self._find(Order, order_id)
        if order is None:
            raise UnknownOrder(f"No order {order_id}")
        return order

    def find_seat(self, show_id: UUID, label: str) -> Seat | None:
        """The seat, or None while nobody has asked for it (raises UnknownSeat if no such seat)."""
        self.get_show(show_id).price_of(label)
        return self._find(Seat, seat_id(show_id, label))

    def find_payment(self, order_id: UUID) -> Payment | None:
        return self._find(Payment, payment_id_for(order_id))


def _checked_labels(seat_labels: Sequence[str]) -> list[str]:
    if isinstance(seat_labels, str):
        raise TypeError("seat_labels must be a list of labels, not one string")
    labels = list(seat_labels)
    if not labels:
        raise EmptyOrder("An order needs at least one seat")
    if len(labels) > MAX_SEATS_PER_ORDER:
        raise TooManySeats(f"At most {MAX_SEATS_PER_ORDER} seats per order, got {len(labels)}")
    if len(set(labels)) != len(labels):
        twice = sorted({label for label in labels if labels.count(label) > 1})
        raise DuplicateSeats(f"Seats listed twice: {twice}")
    return labels
