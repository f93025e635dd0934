"""The read models: seat map, orders and payments (one DynamoDB table each)."""

from __future__ import annotations

from typing import Any

from projections.base import Fact, Item, View

LISTING = "shows"  # every show item's `listing`: the key of the seat-map table's shows index


class SeatMap(View):
    """Per seat: FREE, HELD or SOLD, its holder and how many orders wait; per show: its layout.

    Seats nobody asked for have no item (they are FREE); the show item's price bands list them.
    Show items alone carry `listing` and `created_at`, the keys of the index of shows.
    A seat keeps a count of waiters, not their ids, so its item stays small however hot it is:
    the view is exact (no duplicates reach it), and `SeatReleased` names the next holder.
    """

    name = "seat_map"
    detail_types = frozenset(
        {"ShowCreated", "SeatOpened", "SeatRequested", "SeatReleased", "SeatSold", "SeatReturned"}
    )

    def key(self, fact: Fact) -> str:
        kind = "show" if fact.detail_type == "ShowCreated" else "seat"
        return f"{kind}#{fact.aggregate_id}"

    def apply(self, item: Item | None, fact: Fact) -> Item:
        p, kind = fact.payload, fact.detail_type
        if kind == "ShowCreated":
            return {
                "pk": self.key(fact),
                "show": str(fact.aggregate_id),
                "name": p["name"],
                "seat_count": p["seat_count"],
                "price_bands": p["price_bands"],
                "starts_at": p.get("starts_at"),
                "listing": LISTING,
                "created_at": fact.occurred_at,
            }
        if kind == "SeatOpened":
            item = {
                "pk": self.key(fact),
                "show_id": p["show_id"],
                "label": p["label"],
                "price_cents": p["price_cents"],
                "status": "FREE",
                "order_id": None,
                "queue_length": 0,
            }
        elif item is None:
            raise ValueError(f"{kind} for unopened seat {fact.aggregate_id}")
        else:
            item = {**item, **_seat_change(item, kind, p)}
        return {**item, "updated_at": fact.occurred_at}


def _seat_change(item: Item, kind: str, p: dict[str, Any]) -> Item:
    holder, waiting = item["order_id"], int(item["queue_length"])
    if kind == "SeatReturned":  # the buyer cancelled; those queued were turned away at the sale
        return {"status": "FREE", "order_id": None, "queue_length": 0}
    if kind == "SeatSold":
        return {"status": "SOLD", "order_id": p["order_id"], "queue_length": 0}
    if kind == "SeatRequested":
        if holder is None:
            return {"status": "HELD", "order_id": p["order_id"]}
        return {"queue_length": waiting + 1}
    # SeatReleased: the holder left (the seat passes to next_holder_id, if any), or a waiter did.
    if p["order_id"] != holder:
        return {"queue_length": waiting - 1}
    heir = p["next_holder_id"]
    if heir is None:
        return {"status": "FREE", "order_id": None, "queue_length": 0}
    return {"status": "HELD", "order_id": heir, "queue_length": waiting - 1}


_ORDER_STATUS = {
    "OrderAllocated": "ALLOCATED",
    "OrderConfirmed": "CONFIRMED",
    "OrderPaymentFailed": "PAYMENT_FAILED",
    "OrderRejected": "REJECTED",
    "OrderCancelled": "CANCELLED",
}


class Orders(View):
    """Per order: status, seats, amount, when each status was reached, the payment deadline,
    and why a payment failed (declined, or the deadline passed)."""

    name = "orders"
    detail_types = frozenset({"OrderPlaced", "OrderSeatsHeld", *_ORDER_STATUS})

    def key(self, fact: Fact) -> str:
        return f"order#{fact.aggregate_id}"

    def apply(self, item: Item | None, fact: Fact) -> Item:
        p, at = fact.payload, fact.occurred_at
        if fact.detail_type == "OrderPlaced":
            item = {
                "pk": self.key(fact),
                "order_id": str(fact.aggregate_id),
                "show_id": p["show_id"],
                "customer_id": p["customer_id"],
                "seats": p["seat_labels"],
                "amount_cents": p["amount_cents"],
                "held": [],
                "status": "PENDING",
                "placed_at": at,
                "status_times": {"PENDING": at},
                "payment_id": None,
                "rejected_seat": None,
                "pay_by": None,
                "failure_reason": None,
            }
        elif item is None:
            raise ValueError(f"{fact.detail_type} for order {fact.aggregate_id} before placed")
        else:
            item = dict(item)
            if fact.detail_type == "OrderSeatsHeld":
                item["held"] = [*item["held"], *p["seat_labels"]]
            else:
                status = _ORDER_STATUS[fact.detail_type]
                item["status"] = status
                item["status_times"] = {**item["status_times"], status: at}
                item["payment_id"] = p.get("payment_id", item["payment_id"])
                item["rejected_seat"] = p.get("seat_label", item["rejected_seat"])
                item["pay_by"] = p.get("pay_by", item.get("pay_by"))
                if status == "PAYMENT_FAILED":
                    item["failure_reason"] = p.get("reason", "declined")
        return {**item, "updated_at": at}


class Payments(View):
    """Per payment (one per order): each attempt, the gateway's answer, the captured amount,
    whether its deadline passed unanswered, and what was refunded."""

    name = "payments"
    detail_types = frozenset(
        {
            "PaymentStarted",
            "PaymentAttempted",
            "PaymentTimedOut",
            "PaymentCaptured",
            "PaymentDeclined",
            "PaymentExpired",
            "PaymentRefunded",
        }
    )

    def key(self, fact: Fact) -> str:
        return f"payment#{fact.aggregate_id}"

    def apply(self, item: Item | None, fact: Fact) -> Item:
        p, at = fact.payload, fact.occurred_at
        if fact.detail_type == "PaymentStarted":
            item = {
                "pk": self.key(fact),
                "payment_id": str(fact.aggregate_id),
                "order_id": p["order_id"],
                "amount_cents": p["amount_cents"],
                "status": "STARTED",
                "captured_cents": 0,
                "refunded_cents": 0,
                "attempts": [],
                "started_at": at,
            }
        elif item is None:
            raise ValueError(f"{fact.detail_type} for payment {fact.aggregate_id} before start")
        else:
            item = dict(item)
            attempts = [dict(a) for a in item["attempts"]]
            if fact.detail_type == "PaymentExpired":
                item["status"] = "EXPIRED"
            elif fact.detail_type == "PaymentRefunded":
                item["refunded_cents"] = p["amount_cents"]
            elif fact.detail_type == "PaymentAttempted":
                attempts.append({"attempt": p["attempt"], "at": at, "result": "PENDING"})
            else:
                result = fact.detail_type.removeprefix("Payment").upper()  # TIMEDOUT, ...
                for attempt in attempts:
                    if attempt["attempt"] == p["attempt"]:
                        attempt.update(result=result, answered_at=at, reason=p.get("reason"))
                if result != "TIMEDOUT":
                    item["status"] = result
                if result == "CAPTURED":
                    item["captured_cents"] = item["amount_cents"]
            item["attempts"] = attempts
        return {**item, "updated_at": at}


VIEWS: tuple[View, ...] = (SeatMap(), Orders(), Payments())
READ_MODEL_TYPES = frozenset().union(*(view.detail_types for view in VIEWS))
