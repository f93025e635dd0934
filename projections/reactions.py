"""The reaction projections: which bus events each turns into domain commands.

The payment projection charges (OrderAllocated -> StartPayment); the reallocation projection
settles seats once a payment is answered (confirm, or fail and pass the seats on) and rejects
the orders that waited for a sold seat. The commands come from `domain.policies.react`.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.commands import Command
from domain.contract import EventDetail, to_domain_event
from domain.policies import react


@dataclass(frozen=True)
class Reaction:
    name: str
    detail_types: frozenset[str]

    def commands(self, detail: EventDetail) -> list[Command]:
        if detail.detail_type not in self.detail_types:
            return []
        return react(to_domain_event(detail))


PAYMENT = Reaction("payment", frozenset({"OrderAllocated"}))
REALLOCATION = Reaction(
    "reallocation", frozenset({"PaymentCaptured", "PaymentDeclined", "SeatSold"})
)
REACTIONS = (PAYMENT, REALLOCATION)
