"""Payment of one order: each attempt and its outcome. The gateway is a port (adapters: infra/)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import StrEnum
from uuid import UUID, uuid5

from domain.base import Aggregate, DomainEvent
from domain.errors import PaymentAlreadySettled, TransientError
from domain.events import (
    PaymentAttempted,
    PaymentCaptured,
    PaymentDeclined,
    PaymentExpired,
    PaymentRefunded,
    PaymentStarted,
    PaymentTimedOut,
)


class CaptureResult(StrEnum):
    CAPTURED = "captured"
    DECLINED = "declined"


class GatewayTimeout(TransientError):
    """No answer: the charge may or may not have happened; retry with the same key."""


class PaymentGateway(ABC):
    @abstractmethod
    def capture(self, idempotency_key: str, token: str, amount_cents: int) -> CaptureResult:
        """Charge once per key: a repeated key returns the first result and charges nothing.

        Raises GatewayTimeout when the outcome is unknown.
        """

    @abstractmethod
    def refund(self, idempotency_key: str) -> int:
        """Give back whatever was captured under the capture key, once, and close the key:
        a capture arriving later under it charges nothing. Returns the cents given back (0 if
        nothing had been captured); a repeat gives back nothing more and returns the same.
        """


def payment_id_for(order_id: UUID) -> UUID:
    return uuid5(order_id, "payment")


class Payment(Aggregate):
    def __init__(self) -> None:
        self.order_id: UUID | None = None
        self.amount_cents = 0
        self.attempts = 0
        self.result: CaptureResult | None = None
        self.expired = False
        self.captured_late = False  # captured after the deadline: refunded, never confirming
        self.refunded_cents: int | None = None  # None: no refund made

    @classmethod
    def start(cls, order_id: UUID, amount_cents: int) -> Payment:
        return cls._create(
            PaymentStarted,
            id=payment_id_for(order_id),
            order_id=order_id,
            amount_cents=amount_cents,
        )

    @property
    def gateway_key(self) -> str:
        return str(self.id)  # same key on every attempt: the gateway never charges twice

    def attempt(self) -> None:
        self._refuse_if_settled()
        self.trigger_event(PaymentAttempted, attempt=self.attempts + 1)

    def timed_out(self) -> None:
        self._refuse_if_settled()
        self.trigger_event(PaymentTimedOut, attempt=self.attempts)

    def record(
        self, result: CaptureResult, reason: str = "card_declined", *, late: bool = False
    ) -> None:
        """The gateway's answer; after a timeout it may come from a later call or a webhook.
        A capture after the order's deadline (`late`, or once expired) is to be refunded."""
        self._refuse_if_settled()
        if result is CaptureResult.CAPTURED:
            late = late or self.expired
            self.trigger_event(
                PaymentCaptured, order_id=self.order_id, attempt=self.attempts, late=late
            )
        else:
            self.trigger_event(
                PaymentDeclined, order_id=self.order_id, attempt=self.attempts, reason=reason
            )

    def expire(self) -> None:
        """The order's deadline passed before an answer; a later capture is to be refunded."""
        self._refuse_if_settled()
        if not self.expired:
            self.trigger_event(PaymentExpired, order_id=self.order_id)

    def refunded(self, amount_cents: int) -> None:
        if self.refunded_cents is None:
            self.trigger_event(PaymentRefunded, order_id=self.order_id, amount_cents=amount_cents)

    def _refuse_if_settled(self) -> None:
        if self.result is not None:
            raise PaymentAlreadySettled(f"Payment {self.id} is already {self.result}")

    def when(self, event: DomainEvent) -> None:
        match event:
            case PaymentStarted():
                self.order_id = event.order_id
                self.amount_cents = event.amount_cents
            case PaymentAttempted():
                self.attempts = event.attempt
            case PaymentTimedOut():
                pass  # unanswered: the next attempt uses the same gateway key
            case PaymentCaptured():
                self.result = CaptureResult.CAPTURED
                self.captured_late = event.late
            case PaymentDeclined():
                self.result = CaptureResult.DECLINED
            case PaymentExpired():
                self.expired = True
            case PaymentRefunded():
                self.refunded_cents = event.amount_cents
            case _:
                super().when(event)
