"""The reaction projections: which bus events each turns into domain commands.

The payment projection talks to the gateway: it charges (OrderAllocated -> StartPayment) and
refunds (a cancelled order, a payment past its deadline, a capture after it). The reallocation
projection settles seats once a payment is answered (confirm, or fail and pass the seats on),
rejects the orders that waited for a sold seat, and fails an order unpaid at its deadline
(OrderAllocated -> ExpireOrder, which the queue delivers again once the deadline is reached).
The commands come from `domain.policies.react`; each projection runs its own kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.commands import (
    Command,
    ConfirmOrder,
    ExpireOrder,
    FailOrder,
    RefundPayment,
    RejectOrder,
    StartPayment,
)
from domain.contract import EventDetail, to_domain_event
from domain.policies import react


@dataclass(frozen=True)
class Reaction:
    name: str
    detail_types: frozenset[str]
    runs: tuple[type[Command], ...]

    def commands(self, detail: EventDetail) -> list[Command]:
        if detail.detail_type not in self.detail_types:
            return []
        return [c for c in react(to_domain_event(detail)) if isinstance(c, self.runs)]


PAYMENT = Reaction(
    "payment",
    frozenset({"OrderAllocated", "OrderCancelled", "PaymentExpired", "PaymentCaptured"}),
    (StartPayment, RefundPayment),
)
REALLOCATION = Reaction(
    "reallocation",
    frozenset({"PaymentCaptured", "PaymentDeclined", "SeatSold", "OrderAllocated"}),
    (ConfirmOrder, FailOrder, RejectOrder, ExpireOrder),
)
REACTIONS = (PAYMENT, REALLOCATION)
