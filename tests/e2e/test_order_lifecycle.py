"""An order's lifecycle through `make up`'s API: a payment deadline (a card network that never
answers, with a deadline of a few seconds set for a stack of its own), a cancellation with its
refund, and an Idempotency-Key reused with another payment token."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import Api, started_stack
from tests.e2e.test_ledger_api import final, new_show, order


@pytest.fixture(scope="module")
def quick_deadlines() -> Iterator[Api]:
    with started_stack({"PAYMENT_DEADLINE_SECONDS": "3"}) as api:
        yield api


def refunds(api: Api) -> dict[str, int]:
    status, body = api.call("GET", "/dev/gateway/refunds", token=api.organizer)
    assert status == 200, body
    return {r["key"]: r["amount_cents"] for r in body}


def test_an_unanswered_payment_fails_at_its_deadline_and_the_seat_passes_on(
    quick_deadlines: Api,
) -> None:
    api = quick_deadlines
    show = new_show(api, ["A-1"])
    ann = order(api, show, "ann", ["A-1"], "tok_noAnswer")
    bob = order(api, show, "bob", ["A-1"], "tok_visa")
    ann_order, bob_order = final(api, ann), final(api, bob)
    assert (ann_order["status"], ann_order["failure_reason"]) == ("PAYMENT_FAILED", "deadline")
    assert bob_order["status"] == "CONFIRMED"
    seats = api.wait_for(f"/shows/{show}/seats", lambda m: m["seats"][0]["status"] == "SOLD")
    assert seats["seats"][0]["order_id"] == bob
    # nothing was taken from Ann, and her key is closed: a late charge would be refused
    [ann_payment] = api.wait_for(f"/orders/{ann}", lambda o: o["payments"], token=api.token("ann"))[
        "payments"
    ]
    assert ann_payment["captured_cents"] == 0
    assert refunds(api)[ann_payment["payment_id"]] == 0


def test_a_confirmed_order_is_cancelled_by_its_customer_and_refunded_once(stack: Api) -> None:
    show = new_show(stack, ["A-1", "A-2"], price=2500)
    cat = order(stack, show, "cat", ["A-1"], "tok_visa")
    assert final(stack, cat)["status"] == "CONFIRMED"
    path = f"/orders/{cat}/cancel"
    # only Cat may cancel: another customer is told of no such order, an organizer refused
    assert stack.call("POST", path, token=stack.token("dan"))[0] == 404
    assert stack.call("POST", path, token=stack.organizer)[0] == 403
    assert stack.call("POST", path)[0] == 401
    for _ in range(2):  # a client retrying: the same answer, one refund
        status, body = stack.call("POST", path, token=stack.token("cat"))
        assert (status, body["status"]) == (202, "CANCELLED"), body
    # as curl sends it: no body, so no content type
    bare = urllib.request.Request(stack.url + path, method="POST")
    bare.add_header("Authorization", f"Bearer {stack.token('cat')}")
    with urllib.request.urlopen(bare, timeout=60) as answer:
        assert (answer.status, json.loads(answer.read())["status"]) == (202, "CANCELLED")
    done = stack.wait_for(
        f"/orders/{cat}",
        lambda o: o["payments"] and o["payments"][0]["refunded_cents"] == 2500,
        token=stack.token("cat"),
    )
    assert done["status"] == "CANCELLED"
    assert refunds(stack)[done["payments"][0]["payment_id"]] == 2500
    seats = stack.wait_for(f"/shows/{show}/seats", lambda m: m["seats"][0]["status"] == "FREE")
    assert seats["seats"][0]["order_id"] is None
    # the seat sells again
    eve = order(stack, show, "eve", ["A-1"], "tok_visa")
    assert final(stack, eve)["status"] == "CONFIRMED"
    # an order that is not confirmed cannot be cancelled
    lost = order(stack, show, "fay", ["A-1"], "tok_visa")
    status, body = stack.call("POST", f"/orders/{lost}/cancel", token=stack.token("fay"))
    assert status == 409 and "REJECTED" in body["detail"], body


def test_no_cancellation_once_the_show_has_started(stack: Api) -> None:
    started = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    status, body = stack.call(
        "POST",
        "/shows",
        {"name": "Tonight", "seats": [{"label": "A-1", "price_cents": 900}], "starts_at": started},
        token=stack.organizer,
    )
    assert status == 201, body
    show = stack.call("GET", f"/shows/{body['show_id']}")[1]
    assert datetime.fromisoformat(show["starts_at"]) == datetime.fromisoformat(started)
    gus = order(stack, body["show_id"], "gus", ["A-1"], "tok_visa")
    assert final(stack, gus)["status"] == "CONFIRMED"
    status, body = stack.call("POST", f"/orders/{gus}/cancel", token=stack.token("gus"))
    assert status == 409 and "started" in body["detail"], body


def test_the_same_key_with_another_payment_token_is_a_conflict(stack: Api) -> None:
    show = new_show(stack, ["A-1"])
    first = order(stack, show, "hal", ["A-1"], "tok_visa", key="hal-1")
    assert order(stack, show, "hal", ["A-1"], "tok_visa", key="hal-1") == first
    status, body = stack.call(
        "POST",
        f"/shows/{show}/orders",
        {"seats": ["A-1"], "payment_token": "tok_chargeDeclined"},
        {"Idempotency-Key": "hal-1"},
        token=stack.token("hal"),
    )
    assert status == 409 and "payment token" in body["detail"], body
