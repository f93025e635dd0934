"""The seed story through the stack as deployed on LocalStack: every hop is LocalStack's (API
Gateway proxy, the stream's event source mappings, EventBridge rules, SQS mappings) and every
function runs from its deployed code and layers."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.deploy.conftest import Deployment, timed
from tests.deploy.deploy import client
from tests.deploy.hops import CATCH_UP, HOPS
from tests.problems import kind

pytestmark = pytest.mark.deploy

SETTLE_SECONDS = 120  # cold starts of five functions and the pollers, on a busy 2-core machine


def wait_for(
    deployment: Deployment, what: str, read: Callable[[], Any], done: Callable[[Any], bool]
) -> Any:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            report = deployment.pipeline.report(f"{what} not within {SETTLE_SECONDS} s")
            raise AssertionError(f"{report}\nlast seen: {value}")
        time.sleep(0.5)


def charges(deployment: Deployment) -> list[dict[str, str]]:
    """The simulated gateway's record of every charge (its table, as the payment function
    names it)."""
    pipeline = deployment.pipeline
    table = pipeline.environment(pipeline.functions["payment"])["CHARGES_TABLE"]
    items = client(deployment.localstack.endpoint, "dynamodb").scan(TableName=table)["Items"]
    return [{name: next(iter(v.values())) for name, v in item.items()} for item in items]


def test_a_declines_so_b_gets_the_seat_and_is_charged_once(deployment: Deployment) -> None:
    call = deployment.call
    show = str(uuid.uuid4())
    with timed("story"):
        seats = [{"label": "A-1", "price_cents": 5000}]
        status, created = call(
            "POST",
            "/shows",
            {"show_id": show, "name": "Cup final", "seats": seats},
            caller="olga",
            organizer=True,
        )
        assert status == 201, created
        a = place(deployment, show, "alice", "tok_chargeDeclined")
        b = place(deployment, show, "bob", "tok_visa")

        def order_of(buyer: str, order_id: str) -> Callable[[], Any]:
            return lambda: call("GET", f"/orders/{order_id}", caller=buyer)[1]

        failed = wait_for(
            deployment,
            "alice's order PAYMENT_FAILED",
            order_of("alice", a),
            lambda o: o.get("status") == "PAYMENT_FAILED",
        )
        confirmed = wait_for(
            deployment,
            "bob's order CONFIRMED",
            order_of("bob", b),
            lambda o: o.get("status") == "CONFIRMED",
        )
        seat_map = wait_for(
            deployment,
            "seat A-1 SOLD on the seat map",
            lambda: call("GET", f"/shows/{show}/seats")[1],
            lambda m: m.get("seats", [{}])[0].get("status") == "SOLD",
        )["seats"]
    assert (failed["customer_id"], confirmed["customer_id"]) == ("alice", "bob")
    assert (seat_map[0]["label"], seat_map[0]["order_id"]) == ("A-1", b)
    assert [p["status"] for p in confirmed["payments"]] == ["CAPTURED"]
    by_payment = {c["pk"]: c for c in charges(deployment)}
    (bobs,) = confirmed["payments"]
    (alices,) = failed["payments"]
    assert by_payment[bobs["payment_id"]]["result"] == "captured"
    assert by_payment[alices["payment_id"]]["result"] == "declined"
    assert len(by_payment) == 2  # one charge each: bob's captured once, alice's declined
    # Each hop carried its part (none left it all to the catch-up), and none failed.
    pipeline = deployment.pipeline
    assert not any(pipeline.record(hop).failed for hop in HOPS), pipeline.report("a hop failed")


def test_the_api_refuses_a_request_without_a_valid_token(deployment: Deployment) -> None:
    """The variant's API function checks tokens as the Cognito authorizer does on AWS."""
    path = f"/orders/{uuid.uuid4()}"
    assert deployment.call("GET", path)[0] == 401
    forged = deployment.token("mallory")[:-4] + "AAAA"  # the signature no longer matches
    status, body = deployment.call("GET", path, headers={"Authorization": f"Bearer {forged}"})
    assert (status, kind(body)) == (401, "unauthorized")


def test_the_schedule_runs_the_catch_up(deployment: Deployment) -> None:
    """The schedule rule invokes the catch-up function, which follows the index for every
    consumer without one stopping."""
    deadline = time.monotonic() + 90  # the rule fires every minute from its creation
    record = deployment.pipeline.record(CATCH_UP)
    while record.invocations == 0 and time.monotonic() < deadline:
        time.sleep(2)
        record = deployment.pipeline.record(CATCH_UP)
    assert record.invocations and not record.failed, deployment.pipeline.report(
        "the catch-up did not run cleanly", (CATCH_UP,)
    )
    runs = [json.loads(line) for line in record.log if '"ConsumersStopped"' in line]
    assert runs and all(run["ConsumersStopped"] == [0.0] for run in runs), record.tail()


def place(deployment: Deployment, show: str, buyer: str, card: str) -> str:
    status, placed = deployment.call(
        "POST",
        f"/shows/{show}/orders",
        {"seats": ["A-1"], "payment_token": card},
        caller=buyer,
        headers={"Idempotency-Key": f"{buyer}-1"},
    )
    assert status == 202, placed
    return str(placed["order_id"])
