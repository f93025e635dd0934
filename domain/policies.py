"""Reactions: which commands follow a domain event. Pure functions, no I/O.

A captured payment confirms its order; the confirmation sells the seats, and each `SeatSold`
names the orders still queued for that seat, which are then rejected. (The payment event alone
cannot say who waits: that is only known when the seats are sold, in the same transaction.)
"""

from __future__ import annotations

from domain.base import DomainEvent
from domain.commands import (
    Command,
    ConfirmOrder,
    ExpireOrder,
    FailOrder,
    RefundPayment,
    RejectOrder,
    StartPayment,
)
from domain.events import (
    OrderAllocated,
    OrderCancelled,
    PaymentCaptured,
    PaymentDeclined,
    PaymentExpired,
    SeatSold,
)


def react(event: DomainEvent) -> list[Command]:
    match event:
        case OrderAllocated():
            return [StartPayment(order_id=event.originator_id), *_deadline(event)]
        case PaymentCaptured() if event.late:  # the order fails at its deadline (ExpireOrder)
            return [RefundPayment(payment_id=event.originator_id)]
        case PaymentCaptured():
            return [ConfirmOrder(order_id=event.order_id, payment_id=event.originator_id)]
        case PaymentExpired():  # a charge may be on its way: refund it, or close the key
            return [RefundPayment(payment_id=event.originator_id)]
        case OrderCancelled():
            return [RefundPayment(payment_id=event.payment_id)]
        case PaymentDeclined():
            return [FailOrder(order_id=event.order_id, payment_id=event.originator_id)]
        case SeatSold():
            return [RejectOrder(order_id=order_id) for order_id in event.waiting_order_ids]
        case _:
            return []


def _deadline(event: OrderAllocated) -> list[Command]:
    return [] if event.pay_by is None else [ExpireOrder(order_id=event.originator_id)]
