"""A simulated card gateway (the `PaymentGateway` port), with its own record of charges.

Test tokens: ``tok_visa`` captures, ``tok_chargeDeclined`` declines, ``tok_timeoutOnce``
captures but loses the answer of the first call for a key (raises `GatewayTimeout`), as a
real network would; ``tok_noAnswer`` never answers and charges nothing; any other token
declines. One charge per idempotency key, ever: a repeated key returns the first result. A
refund gives back a key's capture once and closes the key (a later capture under it is
declined, charging nothing). Each call takes ``SEATLEDGER_GATEWAY_LATENCY_MS``. Charges and
refunds live behind `ChargeStore`, so a multi-process version keeps them in a table
(`DynamoDBChargeStore`).

Long: the simulated card network and its charge store: charging once per key needs both in view.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Tracer
from eventsourcing.persistence import OperationalError

from domain.payment import CaptureResult, GatewayTimeout, PaymentGateway
from infra.dynamodb.client import call_with_retry
from infra.dynamodb.commit import TRANSIENT_REASONS
from infra.dynamodb.reads import paged_items
from infra.retry import Backoff

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


@dataclass(frozen=True)
class Refund:
    key: str  # the capture's key
    amount_cents: int  # 0: nothing was captured; the key is closed all the same


class ChargeStore(ABC):
    @abstractmethod
    def add_if_absent(self, charge: Charge) -> tuple[Charge, bool]:
        """Atomically keep the first charge of a key; returns it and whether it is new. Under
        a refunded (closed) key nothing is kept: a declined charge is returned, not new."""

    @abstractmethod
    def refund_once(self, key: str) -> Refund:
        """Atomically give back the key's capture (if any) and close the key; a repeat
        returns the first refund."""

    @abstractmethod
    def all(self) -> list[Charge]:
        """Every charge, in the order made."""

    @abstractmethod
    def refunds(self) -> list[Refund]:
        """Every refund, in the order made."""


def _refused(charge: Charge) -> Charge:
    return Charge(charge.key, charge.token, charge.amount_cents, CaptureResult.DECLINED)


class InMemoryChargeStore(ChargeStore):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._charges: dict[str, Charge] = {}
        self._refunds: dict[str, Refund] = {}

    def add_if_absent(self, charge: Charge) -> tuple[Charge, bool]:
        with self._lock:
            existing = self._charges.get(charge.key)
            if existing is not None:
                return existing, False
            if charge.key in self._refunds:
                return _refused(charge), False
            self._charges[charge.key] = charge
            return charge, True

    def refund_once(self, key: str) -> Refund:
        with self._lock:
            if key not in self._refunds:
                charge = self._charges.get(key)
                captured = charge is not None and charge.result is CaptureResult.CAPTURED
                amount = charge.amount_cents if charge is not None and captured else 0
                self._refunds[key] = Refund(key, amount)
            return self._refunds[key]

    def all(self) -> list[Charge]:
        with self._lock:
            return list(self._charges.values())

    def refunds(self) -> list[Refund]:
        with self._lock:
            return list(self._refunds.values())


# Tracer instances share one configuration: this is the handler's (disabled off Lambda).
tracer = Tracer()


class SimulatedGateway(PaymentGateway):
    """``latency_ms``: how long each call takes, as a real card network's does (300 ms or more)."""

    def __init__(self, store: ChargeStore | None = None, latency_ms: int = 0) -> None:
        self.store = store or InMemoryChargeStore()
        self.latency = latency_ms / 1000

    def capture(self, idempotency_key: str, token: str, amount_cents: int) -> CaptureResult:
        # A subsegment of its own: the card network's time apart from DynamoDB's (no token in it).
        with tracer.provider.in_subsegment("## payment gateway capture") as subsegment:
            subsegment.put_annotation("payment_id", idempotency_key)
            result = self._capture(idempotency_key, token, amount_cents)
            subsegment.put_annotation("result", result.value)
            return result

    def _capture(self, idempotency_key: str, token: str, amount_cents: int) -> CaptureResult:
        if self.latency:
            time.sleep(self.latency)
        if token == "tok_noAnswer":
            raise GatewayTimeout(f"No answer for {idempotency_key} (nothing was charged)")
        result = OUTCOMES.get(token, CaptureResult.DECLINED)
        charge, new = self.store.add_if_absent(Charge(idempotency_key, token, amount_cents, result))
        if new and token == "tok_timeoutOnce":
            raise GatewayTimeout(f"No answer for {idempotency_key} (the card was charged)")
        return charge.result

    def refund(self, idempotency_key: str) -> int:
        with tracer.provider.in_subsegment("## payment gateway refund") as subsegment:
            subsegment.put_annotation("payment_id", idempotency_key)
            if self.latency:
                time.sleep(self.latency)
            return self.store.refund_once(idempotency_key).amount_cents

    def charges(self) -> list[Charge]:
        return self.store.all()

    def refunds(self) -> list[Refund]:
        return self.store.refunds()


class DynamoDBChargeStore(ChargeStore):
    """Charges in a table (``pk`` = idempotency key), refunds beside them (``refund#<key>``),
    shared by every process and worker. A capture and a refund of one key are decided in
    transactions that check each other's item, so they serialise whichever comes first."""

    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table
        self.backoff = Backoff()

    def add_if_absent(self, charge: Charge) -> tuple[Charge, bool]:
        item = {
            "pk": {"S": charge.key},
            "token": {"S": charge.token},
            "amount_cents": {"N": str(charge.amount_cents)},
            "result": {"S": charge.result.value},
            "at": {"N": str(time.time_ns())},
        }
        sleeps = self.backoff.sleeps()
        while True:
            try:
                self._write(
                    [
                        {"Put": self._absent(item)},
                        {"ConditionCheck": self._absent({"pk": {"S": REFUND + charge.key}})},
                    ]
                )
                return charge, True
            except self.client.exceptions.TransactionCanceledException as e:
                reasons = _reasons(e)
                if reasons[:1] == ["ConditionalCheckFailed"]:  # charged before
                    stored = self._get(charge.key)
                    assert stored is not None
                    return _charge(stored), False
                if reasons[1:2] == ["ConditionalCheckFailed"]:  # the key was refunded first
                    return _refused(charge), False
                _again(sleeps, e)  # a transaction on the same items at once: decide again

    def refund_once(self, key: str) -> Refund:
        sleeps = self.backoff.sleeps()
        while True:
            done = self._get(REFUND + key)
            if done is not None:
                return _refund(done)
            charge = self._get(key)
            captured = charge is not None and charge["result"]["S"] == CaptureResult.CAPTURED
            amount = int(charge["amount_cents"]["N"]) if charge and captured else 0
            refund = {
                "pk": {"S": REFUND + key},
                "kind": {"S": "refund"},
                "amount_cents": {"N": str(amount)},
                "at": {"N": str(time.time_ns())},
            }
            check = "attribute_exists(pk)" if charge else "attribute_not_exists(pk)"
            try:
                self._write(
                    [
                        {"Put": self._absent(refund)},
                        {
                            "ConditionCheck": {
                                "TableName": self.table,
                                "Key": {"pk": {"S": key}},
                                "ConditionExpression": check,
                            }
                        },
                    ]
                )
                return _refund(refund)
            except self.client.exceptions.TransactionCanceledException as e:
                if "ConditionalCheckFailed" not in _reasons(e):
                    _again(sleeps, e)
                # else a capture or refund of this key came first: decide again

    def all(self) -> list[Charge]:
        items = [i for i in self._scan() if "kind" not in i]
        return [_charge(i) for i in sorted(items, key=lambda i: int(i["at"]["N"]))]

    def refunds(self) -> list[Refund]:
        items = [i for i in self._scan() if i.get("kind", {}).get("S") == "refund"]
        return [_refund(i) for i in sorted(items, key=lambda i: int(i["at"]["N"]))]

    def _write(self, items: list[dict[str, Any]]) -> None:
        # Throttling is retried here; a condition that fails is for the caller to decide.
        call_with_retry(self.client.transact_write_items, self.backoff, TransactItems=items)

    def _absent(self, item: dict[str, Any]) -> dict[str, Any]:
        condition = "attribute_not_exists(pk)"
        if set(item) == {"pk"}:
            return {"TableName": self.table, "Key": item, "ConditionExpression": condition}
        return {"TableName": self.table, "Item": item, "ConditionExpression": condition}

    def _get(self, pk: str) -> dict[str, Any] | None:
        answer = call_with_retry(
            self.client.get_item,
            self.backoff,
            TableName=self.table,
            Key={"pk": {"S": pk}},
            ConsistentRead=True,
        )
        item: dict[str, Any] | None = answer.get("Item")
        return item

    def _scan(self) -> list[dict[str, Any]]:
        scan = self.client.scan
        return list(paged_items(scan, self.backoff, TableName=self.table, ConsistentRead=True))


REFUND = "refund#"


def _reasons(error: Any) -> list[str | None]:
    return [r.get("Code") for r in error.response.get("CancellationReasons", [])]


def _again(sleeps: Iterator[float], error: Any) -> None:
    """Wait before deciding again after a transient cancellation; raise anything else."""
    if not set(_reasons(error)) - {"None", None} <= TRANSIENT_REASONS:
        raise error
    try:
        time.sleep(next(sleeps))
    except StopIteration:
        raise OperationalError(f"The charge table stays busy: {error}") from error


def _charge(item: dict[str, Any]) -> Charge:
    return Charge(
        item["pk"]["S"],
        item["token"]["S"],
        int(item["amount_cents"]["N"]),
        CaptureResult(item["result"]["S"]),
    )


def _refund(item: dict[str, Any]) -> Refund:
    return Refund(item["pk"]["S"].removeprefix(REFUND), int(item["amount_cents"]["N"]))
