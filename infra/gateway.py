"""A simulated card gateway (the `PaymentGateway` port), with its own record of charges.

Test tokens: ``tok_visa`` captures, ``tok_chargeDeclined`` declines, ``tok_timeoutOnce``
captures but loses the answer of the first call for a key (raises `GatewayTimeout`), as a
real network would; any other token declines. One charge per idempotency key, ever: a
repeated key returns the first result. Charges live behind `ChargeStore`, so a multi-process
version can keep them in a file or a table.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

from domain.payment import CaptureResult, GatewayTimeout, PaymentGateway

OUTCOMES = {
    "tok_visa": CaptureResult.CAPTURED,
    "tok_chargeDeclined": CaptureResult.DECLINED,
    "tok_timeoutOnce": CaptureResult.CAPTURED,
}


@dataclass(frozen=True)
class Charge:
    key: str
    token: str
    amount_cents: int
    result: CaptureResult


class ChargeStore(ABC):
    @abstractmethod
    def add_if_absent(self, charge: Charge) -> tuple[Charge, bool]:
        """Atomically keep the first charge of a key; returns it and whether it is new."""

    @abstractmethod
    def all(self) -> list[Charge]:
        """Every charge, in the order made."""


class InMemoryChargeStore(ChargeStore):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._charges: dict[str, Charge] = {}

    def add_if_absent(self, charge: Charge) -> tuple[Charge, bool]:
        with self._lock:
            existing = self._charges.get(charge.key)
            if existing is not None:
                return existing, False
            self._charges[charge.key] = charge
            return charge, True

    def all(self) -> list[Charge]:
        with self._lock:
            return list(self._charges.values())


class SimulatedGateway(PaymentGateway):
    def __init__(self, store: ChargeStore | None = None) -> None:
        self.store = store or InMemoryChargeStore()

    def capture(self, idempotency_key: str, token: str, amount_cents: int) -> CaptureResult:
        result = OUTCOMES.get(token, CaptureResult.DECLINED)
        charge, new = self.store.add_if_absent(Charge(idempotency_key, token, amount_cents, result))
        if new and token == "tok_timeoutOnce":
            raise GatewayTimeout(f"No answer for {idempotency_key} (the card was charged)")
        return charge.result

    def charges(self) -> list[Charge]:
        return self.store.all()
