"""A simulated card gateway (the `PaymentGateway` port), with its own record of charges.

Test tokens: ``tok_visa`` captures, ``tok_chargeDeclined`` declines, ``tok_timeoutOnce``
captures but loses the answer of the first call for a key (raises `GatewayTimeout`), as a
real network would; any other token declines. One charge per idempotency key, ever: a
repeated key returns the first result. Each call takes ``SEATLEDGER_GATEWAY_LATENCY_MS``.
Charges live behind `ChargeStore`, so a multi-process version keeps them in a table
(`DynamoDBChargeStore`).
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from domain.payment import CaptureResult, GatewayTimeout, PaymentGateway
from infra.dynamodb.reads import paged_items

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
    """``latency_ms``: how long each call takes, as a real card network's does (300 ms or more)."""

    def __init__(self, store: ChargeStore | None = None, latency_ms: int = 0) -> None:
        self.store = store or InMemoryChargeStore()
        self.latency = latency_ms / 1000

    def capture(self, idempotency_key: str, token: str, amount_cents: int) -> CaptureResult:
        if self.latency:
            time.sleep(self.latency)
        result = OUTCOMES.get(token, CaptureResult.DECLINED)
        charge, new = self.store.add_if_absent(Charge(idempotency_key, token, amount_cents, result))
        if new and token == "tok_timeoutOnce":
            raise GatewayTimeout(f"No answer for {idempotency_key} (the card was charged)")
        return charge.result

    def charges(self) -> list[Charge]:
        return self.store.all()


class DynamoDBChargeStore(ChargeStore):
    """Charges in a table (``pk`` = idempotency key), shared by every process and worker."""

    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def add_if_absent(self, charge: Charge) -> tuple[Charge, bool]:
        item = {
            "pk": {"S": charge.key},
            "token": {"S": charge.token},
            "amount_cents": {"N": str(charge.amount_cents)},
            "result": {"S": charge.result.value},
            "at": {"N": str(time.time_ns())},
        }
        try:
            self.client.put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
            return charge, True
        except self.client.exceptions.ConditionalCheckFailedException:
            stored = self.client.get_item(
                TableName=self.table, Key={"pk": item["pk"]}, ConsistentRead=True
            )["Item"]
            return _charge(stored), False

    def all(self) -> list[Charge]:
        items = paged_items(self.client.scan, TableName=self.table, ConsistentRead=True)
        return [_charge(i) for i in sorted(items, key=lambda i: int(i["at"]["N"]))]


def _charge(item: dict[str, Any]) -> Charge:
    return Charge(
        item["pk"]["S"],
        item["token"]["S"],
        int(item["amount_cents"]["N"]),
        CaptureResult(item["result"]["S"]),
    )
