"""Every domain event of the ticketing ledger. Names are public: keep them, version payloads.

Payloads are JSON-friendly (ids serialise as strings). Changing a payload incompatibly means
raising `class_version` and adding an `upcast_vN_vN+1` static method for stored events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.base import CreatedEvent, DomainEvent


class RowSeats(BaseModel):
    """Seat numbers of one row, compacted: ``"1-50,52,60-70"``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: str
    seats: str = Field(pattern=r"^\d+(-\d+)?(,\d+(-\d+)?)*$")


class PriceBand(BaseModel):
    """Seats sharing one price and section (`name`; empty for seats listed without one).

    Labels are ``<name>-<row>-<n>`` when `name_in_labels`, else ``<row>-<n>`` (or ``<n>`` for an
    empty row). Shows stored before sections were part of labels have it False: their labels
    stay ``A-1`` whatever the section.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    price_cents: int
    rows: list[RowSeats]
    name_in_labels: bool = False


class ShowCreated(CreatedEvent):
    name: str
    seat_count: int
    price_bands: list[PriceBand]
    starts_at: datetime | None = None  # orders may be cancelled until then


class SeatOpened(CreatedEvent):
    """A seat's first request brought its aggregate into being."""

    show_id: UUID
    label: str
    price_cents: int


class SeatRequested(DomainEvent):
    order_id: UUID


class SeatReleased(DomainEvent):
    order_id: UUID
    next_holder_id: UUID | None


class SeatSold(DomainEvent):
    order_id: UUID
    waiting_order_ids: list[UUID]


class SeatReturned(DomainEvent):
    """The buyer cancelled: the seat is free again (those turned away at the sale stay so)."""

    order_id: UUID


class OrderPlaced(CreatedEvent):
    private_fields: ClassVar[frozenset[str]] = frozenset({"card_token"})  # never on the bus

    show_id: UUID
    customer_id: str
    idempotency_key: str
    seat_labels: list[str]
    amount_cents: int
    card_token: str


class OrderSeatsHeld(DomainEvent):
    seat_labels: list[str]


class OrderAllocated(DomainEvent):
    amount_cents: int
    pay_by: datetime | None = None  # the payment deadline (none before deadlines existed)


class OrderConfirmed(DomainEvent):
    payment_id: UUID


class OrderPaymentFailed(DomainEvent):
    payment_id: UUID
    reason: Literal["declined", "deadline"] = "declined"


class OrderCancelled(DomainEvent):
    payment_id: UUID


class OrderRejected(DomainEvent):
    seat_label: str  # the seat sold to another order


class PaymentStarted(CreatedEvent):
    order_id: UUID
    amount_cents: int


class PaymentAttempted(DomainEvent):
    attempt: int


class PaymentTimedOut(DomainEvent):
    attempt: int


class PaymentCaptured(DomainEvent):
    order_id: UUID
    attempt: int
    late: bool = False  # after the deadline: refunded, never confirms the order


class PaymentExpired(DomainEvent):
    """The deadline passed with no answer: any charge under the key is refunded or voided."""

    order_id: UUID


class PaymentRefunded(DomainEvent):
    order_id: UUID
    amount_cents: int  # what the gateway gave back: 0 when nothing had been captured


class PaymentDeclined(DomainEvent):
    class_version: ClassVar[int] = 2

    order_id: UUID
    attempt: int
    reason: str  # v2: v1 events recorded no reason

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["reason"] = "card_declined"
