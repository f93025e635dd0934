"""Queue and schedule handlers on the events AWS sends them (`tests/events/`), against a stack."""

from __future__ import annotations

import uuid
from pathlib import Path

from handlers import catch_up, payment
from local.dynamodb import DynamoDBLocal
from local.runners.lambda_runtime import LocalContext
from tests.events import load
from tests.integration.pipeline_stack import pipeline_stack


def test_a_bus_event_the_store_does_not_hold_is_parked_not_retried(
    dynamodb_local: DynamoDBLocal, tmp_path: Path
) -> None:
    with pipeline_stack(dynamodb_local, tmp_path) as stack:  # configures the handlers
        batch = load("sqs_bus_batch")
        answer = payment.handler(batch, LocalContext("payment"))
        assert answer == {"batchItemFailures": []}
        dlq = stack.resources.provisioned.queues["payment"].dlq_url
        ((body, reason),) = stack.dead_letters(dlq)
        assert body == batch["Records"][0]["body"] and "not in the store" in reason


def test_the_scheduled_catch_up_leaves_the_last_minute_to_the_bus(
    dynamodb_local: DynamoDBLocal, tmp_path: Path
) -> None:
    with pipeline_stack(dynamodb_local, tmp_path) as stack:
        catch_up.catch_up.configure(stack.settings)
        show = stack.app.create_show(
            uuid.uuid4(), "Final", seats=[{"label": "A-1", "price_cents": 5000}]
        )
        order = stack.app.place_order(show, "alice", ["A-1"], "k1", "tok_visa")
        assert stack.pipeline.drain_index() > 0  # indexed, but nothing delivered by the bus

        answer = catch_up.handler(load("scheduled_event"), LocalContext("catch-up"))
        assert answer["failed"] == {}
        assert set(answer["handed"].values()) == {0}  # just indexed: the bus's to deliver

        later = {**load("scheduled_event"), "grace_seconds": 0}  # as after downtime
        answer = catch_up.handler(later, LocalContext("catch-up"))
        assert answer["failed"] == {} and answer["handed"]["payment"] > 0
        orders = [o for o in stack.views()["orders"] if o.get("order_id") == str(order)]
        assert [o["status"] for o in orders] == ["ALLOCATED"]
