"""The pipeline end to end: DynamoDB Local stream -> forwarder -> moto bus -> queues -> handlers."""

from __future__ import annotations

import uuid
from pathlib import Path

from domain.payment import CaptureResult, payment_id_for
from local.dynamodb import DynamoDBLocal
from tests.integration.pipeline_stack import pipeline_stack


def test_double_booking_a_declines_b_gets_the_seat_and_one_charge(
    dynamodb_local: DynamoDBLocal, tmp_path: Path
) -> None:
    with pipeline_stack(dynamodb_local, tmp_path) as stack:
        show = stack.app.create_show(
            uuid.uuid4(), "Final", seats=[{"label": "A-1", "price_cents": 5000}]
        )
        a = stack.app.place_order(show, "alice", ["A-1"], "k1", "tok_chargeDeclined")
        b = stack.app.place_order(show, "bob", ["A-1"], "k1", "tok_visa")

        stack.pipeline.run_until_quiet()

        assert stack.app.get_order(a).status == "PAYMENT_FAILED"
        assert stack.app.get_order(b).status == "CONFIRMED"
        captured = [c for c in stack.charges() if c.result is CaptureResult.CAPTURED]
        assert [(c.key, c.amount_cents) for c in captured] == [(str(payment_id_for(b)), 5000)]

        views = stack.views()
        orders = {o["order_id"]: o for o in views["orders"] if "order_id" in o}
        assert orders[str(a)]["status"] == "PAYMENT_FAILED"
        assert orders[str(b)]["status"] == "CONFIRMED"
        seats = [s for s in views["seat_map"] if s.get("label") == "A-1"]
        assert [(s["status"], s["order_id"], s["queue_length"]) for s in seats] == [
            ("SOLD", str(b), 0)
        ]
        payments = {p["order_id"]: p for p in views["payments"] if "order_id" in p}
        assert payments[str(a)]["status"] == "DECLINED"
        assert payments[str(b)]["status"] == "CAPTURED"
        assert payments[str(b)]["captured_cents"] == 5000
        assert views == stack.rebuilt_views()
