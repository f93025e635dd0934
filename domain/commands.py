"""Commands the reactions ask the application to execute (`Ticketing.execute`).

Pydantic models, so a queue can carry them as JSON. Each is idempotent: the application
re-checks current state and does nothing when the command is late, repeated or moot.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StartPayment(_Command):
    order_id: UUID


class ConfirmOrder(_Command):
    order_id: UUID
    payment_id: UUID


class FailOrder(_Command):
    order_id: UUID
    payment_id: UUID


class RejectOrder(_Command):
    order_id: UUID


class ExpireOrder(_Command):
    """Sent when an order is allocated; takes effect once its payment deadline has passed."""

    order_id: UUID


class RefundPayment(_Command):
    payment_id: UUID


Command = StartPayment | ConfirmOrder | FailOrder | RejectOrder | ExpireOrder | RefundPayment
