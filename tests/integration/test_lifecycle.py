"""An order's lifecycle through the whole local pipeline (DynamoDB Local, moto's bus, queues
and scheduler): a payment that never answers fails at its deadline and the seat passes on; a
confirmed order is cancelled, refunded once, and its seat sold again."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from domain.order import OrderStatus
from domain.payment import CaptureResult, payment_id_for
from infra.gateway import Refund
from local.dynamodb import DynamoDBLocal
from tests.integration.pipeline_stack import Stack, pipeline_stack


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.1)
    return found


def settled(stack: Stack, *orders: uuid.UUID) -> bool:
    return all(stack.app.get_order(o).status.is_final for o in orders)


def test_an_unanswered_payment_fails_at_its_deadline_and_the_seat_passes_on(
    dynamodb_local: DynamoDBLocal, tmp_path: Path
) -> None:
    with pipeline_stack(dynamodb_local, tmp_path, payment_deadline_seconds=2) as stack:
        app = stack.app
        show = app.create_show(uuid.uuid4(), "Gig", seats=[{"label": "A-1", "price_cents": 900}])
        # GIVEN Ann's card network never answers, and Bob waits for the same seat
        ann = app.place_order(show, "ann", ["A-1"], "k", "tok_noAnswer")
        bob = app.place_order(show, "bob", ["A-1"], "k", "tok_visa")
        stack.pipeline.start()
        # WHEN her deadline passes THEN her order fails for it, and Bob gets the seat and pays
        wait_for("both orders final", lambda: settled(stack, ann, bob))
        stack.pipeline.stop()
        stack.pipeline.run_until_quiet()
        ann_order = app.get_order(ann)
        assert (ann_order.status, ann_order.failure_reason) == (
            OrderStatus.PAYMENT_FAILED,
            "deadline",
        )
        assert app.get_order(bob).status is OrderStatus.CONFIRMED
        assert [(c.key, c.result) for c in stack.charges()] == [
            (str(payment_id_for(bob)), CaptureResult.CAPTURED)
        ]
        # her key is closed: a charge arriving now would be refused
        assert stack.refunds() == [Refund(str(payment_id_for(ann)), 0)]
        orders = {o["order_id"]: o for o in stack.views()["orders"]}
        assert orders[str(ann)]["failure_reason"] == "deadline"
        assert stack.views() == stack.rebuilt_views()


def test_a_cancelled_order_is_refunded_once_and_its_seat_sold_again(
    dynamodb_local: DynamoDBLocal, tmp_path: Path
) -> None:
    with pipeline_stack(dynamodb_local, tmp_path) as stack:
        app = stack.app
        show = app.create_show(uuid.uuid4(), "Gig", seats=[{"label": "A-1", "price_cents": 900}])
        ann = app.place_order(show, "ann", ["A-1"], "k", "tok_visa")
        stack.pipeline.start()
        wait_for("Ann's order confirmed", lambda: settled(stack, ann))
        # WHEN Ann cancels (twice: a client retrying)
        app.cancel_order(ann)
        app.cancel_order(ann)
        # THEN she is refunded once, and Cat can buy the seat
        wait_for("the refund", stack.refunds)
        cat = app.place_order(show, "cat", ["A-1"], "k", "tok_visa")
        wait_for("Cat's order final", lambda: settled(stack, cat))
        stack.pipeline.stop()
        stack.pipeline.run_until_quiet()
        assert app.get_order(ann).status is OrderStatus.CANCELLED
        assert app.get_order(cat).status is OrderStatus.CONFIRMED
        assert stack.refunds() == [Refund(str(payment_id_for(ann)), 900)]
        views = stack.views()
        payment = next(p for p in views["payments"] if p["order_id"] == str(ann))
        assert (payment["captured_cents"], payment["refunded_cents"]) == (900, 900)
        seat = next(s for s in views["seat_map"] if s.get("label") == "A-1")
        assert (seat["status"], seat["order_id"]) == ("SOLD", str(cat))
        assert views == stack.rebuilt_views()
