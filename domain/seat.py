"""A seat: the queue of orders that want it, in commit order, and who holds or bought it.

The seat is held by the first live order of its queue (live: not released). Because an order
enters all its seats' queues in one transaction, two orders sharing seats are queued in the
same relative order on every seat, so the oldest live order always holds all it wants.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from domain.base import Aggregate, DomainEvent
from domain.errors import InvalidTransition
from domain.events import SeatOpened, SeatReleased, SeatRequested, SeatReturned, SeatSold


def seat_id(show_id: UUID, label: str) -> UUID:
    return uuid5(show_id, f"seat:{label}")


class Seat(Aggregate):
    def __init__(self) -> None:
        self.show_id: UUID | None = None
        self.label = ""
        self.price_cents = 0
        self.queue: list[UUID] = []  # every order that requested the seat, in commit order
        self.released: set[UUID] = set()
        self.sold_to: UUID | None = None
        self.turned_away: set[UUID] = set()  # queued when it was sold: rejected, for good

    @classmethod
    def open(cls, show_id: UUID, label: str, price_cents: int) -> Seat:
        return cls._create(
            SeatOpened,
            id=seat_id(show_id, label),
            show_id=show_id,
            label=label,
            price_cents=price_cents,
        )

    @property
    def live(self) -> list[UUID]:
        return [o for o in self.queue if o not in self.released and o not in self.turned_away]

    @property
    def holder(self) -> UUID | None:
        if self.sold_to is not None:
            return self.sold_to
        live = self.live
        return live[0] if live else None

    @property
    def waiting(self) -> list[UUID]:
        return [o for o in self.live if o != self.holder]

    def request(self, order_id: UUID) -> bool:
        """Queue the order (once); True if it now holds the seat."""
        if self.sold_to is not None:
            raise InvalidTransition(f"Seat {self.label} is sold")
        if order_id not in self.queue:
            self.trigger_event(SeatRequested, order_id=order_id)
        return self.holder == order_id

    def release(self, order_id: UUID) -> UUID | None:
        """Drop the order from the queue; returns the order the seat passes to, if any."""
        if self.sold_to is not None or order_id not in self.live:
            return None
        was_holder = self.holder == order_id
        live = [o for o in self.live if o != order_id]
        next_holder = live[0] if was_holder and live else None
        self.trigger_event(SeatReleased, order_id=order_id, next_holder_id=next_holder)
        return next_holder

    def sell(self, order_id: UUID) -> None:
        if self.sold_to == order_id:
            return
        if self.holder != order_id or self.sold_to is not None:
            raise InvalidTransition(f"Seat {self.label} is not held by order {order_id}")
        self.trigger_event(SeatSold, order_id=order_id, waiting_order_ids=self.waiting)

    def give_back(self, order_id: UUID) -> None:
        """The buyer cancelled: free again, for orders placed from now on."""
        if self.sold_to != order_id:
            raise InvalidTransition(f"Seat {self.label} is not sold to order {order_id}")
        self.trigger_event(SeatReturned, order_id=order_id)

    def when(self, event: DomainEvent) -> None:
        match event:
            case SeatOpened():
                self.show_id = event.show_id
                self.label = event.label
                self.price_cents = event.price_cents
            case SeatRequested():
                self.queue.append(event.order_id)
            case SeatReleased():
                self.released.add(event.order_id)
            case SeatSold():
                self.sold_to = event.order_id
                self.turned_away.update(event.waiting_order_ids)
            case SeatReturned():
                self.sold_to = None
                self.released.add(event.order_id)
            case _:
                super().when(event)
