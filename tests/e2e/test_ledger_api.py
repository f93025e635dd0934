"""The ledger through its HTTP API, on `make up`'s stack: what a buyer and an organiser see,
each with their own token (from `seatledger token`)."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.e2e.conftest import Api
from tests.problems import kind

FINAL = {"CONFIRMED", "PAYMENT_FAILED", "REJECTED", "CANCELLED"}


def new_show(api: Api, labels: list[str], price: int = 4000) -> str:
    status, body = api.call(
        "POST",
        "/shows",
        {"name": "E2E", "seats": [{"label": label, "price_cents": price} for label in labels]},
        token=api.organizer,
    )
    assert status == 201, body
    return str(body["show_id"])


def order(api: Api, show: str, customer: str, seats: list[str], card: str, key: str = "") -> str:
    """`customer` orders, with a token of their own: the order is in the token's name."""
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}  # required
    status, body = api.call(
        "POST",
        f"/shows/{show}/orders",
        {"seats": seats, "payment_token": card},
        headers,
        token=api.token(customer),
    )
    assert status == 202, body
    return str(body["order_id"])


def final(api: Api, order_id: str, token: str | None = None) -> dict[str, Any]:
    """The order once final, read by `token` (default: an organizer, who may read any)."""
    done = api.wait_for(
        f"/orders/{order_id}", lambda o: o["status"] in FINAL, token=token or api.organizer
    )
    return done  # type: ignore[no-any-return]


def charges(api: Api, order_ids: set[str]) -> list[dict[str, Any]]:
    status, body = api.call("GET", "/dev/gateway/charges", token=api.organizer)
    assert status == 200
    payments = {}
    for order_id in order_ids:
        _, o = api.call("GET", f"/orders/{order_id}", token=api.organizer)
        for p in o["payments"]:
            payments[p["payment_id"]] = order_id
    return [dict(c, order_id=payments[c["key"]]) for c in body if c["key"] in payments]


def test_double_booking_a_declines_so_b_gets_the_seat_and_is_charged_once(stack: Api) -> None:
    show = new_show(stack, ["A-1"])
    a = order(stack, show, "alice", ["A-1"], "tok_chargeDeclined", key="a1")
    b = order(stack, show, "bob", ["A-1"], "tok_visa", key="b1")
    assert order(stack, show, "bob", ["A-1"], "tok_visa", key="b1") == b  # same key, same order

    failed = final(stack, a, token=stack.token("alice"))  # each buyer reads their own
    assert (failed["status"], failed["customer_id"]) == ("PAYMENT_FAILED", "alice")
    confirmed = final(stack, b, token=stack.token("bob"))
    assert confirmed["status"] == "CONFIRMED" and confirmed["amount_cents"] == 4000
    assert confirmed["customer_id"] == "bob"
    assert [p["status"] for p in confirmed["payments"]] == ["CAPTURED"]
    seats = stack.wait_for(f"/shows/{show}/seats", lambda m: m["seats"][0]["status"] == "SOLD")[
        "seats"
    ]
    assert (seats[0]["order_id"], seats[0]["queue_length"]) == (b, 0)
    captured = [c for c in charges(stack, {a, b}) if c["result"] == "captured"]
    assert [(c["order_id"], c["amount_cents"]) for c in captured] == [(b, 4000)]


def test_a_multi_seat_order_waits_for_a_held_seat_then_gets_both(stack: Api) -> None:
    show = new_show(stack, ["B-1", "B-2"])
    first = order(stack, show, "carol", ["B-1"], "tok_chargeDeclined")
    both = order(stack, show, "dave", ["B-1", "B-2"], "tok_visa")
    _, placed = stack.call("GET", f"/orders/{both}", token=stack.token("dave"))
    assert placed["status"] != "REJECTED"  # it waits while carol holds B-1

    assert final(stack, first)["status"] == "PAYMENT_FAILED"
    done = final(stack, both)
    assert done["status"] == "CONFIRMED" and done["amount_cents"] == 8000
    seat_map = stack.wait_for(
        f"/shows/{show}/seats", lambda m: all(s["status"] == "SOLD" for s in m["seats"])
    )
    assert {s["order_id"] for s in seat_map["seats"]} == {both}
    _, mine = stack.call("GET", "/customers/me/orders", token=stack.token("dave"))
    assert both in [o["order_id"] for o in mine["orders"]]


def test_fifty_buyers_of_one_seat_one_confirmed_the_rest_rejected(stack: Api) -> None:
    show = new_show(stack, ["C-1"])
    with ThreadPoolExecutor(max_workers=25) as pool:
        orders = list(
            pool.map(lambda i: order(stack, show, f"fan{i}", ["C-1"], "tok_visa"), range(50))
        )
    assert len(set(orders)) == 50
    outcomes = Counter(final(stack, o)["status"] for o in orders)
    assert outcomes == {"CONFIRMED": 1, "REJECTED": 49}
    captured = [c for c in charges(stack, set(orders)) if c["result"] == "captured"]
    assert len(captured) == 1


def test_client_mistakes_get_a_4xx_with_a_reason(stack: Api) -> None:
    show = new_show(stack, ["D-1", "D-2"])
    cases = [
        (
            "POST",
            f"/shows/{show}/orders",
            {"seats": ["Z-9"], "payment_token": "t"},
            422,
        ),
        (
            "POST",
            f"/shows/{uuid.uuid4()}/orders",
            {"seats": ["D-1"], "payment_token": "t"},
            404,
        ),
        (
            "POST",
            f"/shows/{show}/orders",
            {"seats": ["D-1", "D-1"], "payment_token": "t"},
            422,
        ),
        (
            "POST",
            f"/shows/{show}/orders",
            {"seats": [], "payment_token": "t"},
            422,
        ),
        (
            "POST",
            "/shows",
            {"show_id": show, "name": "again", "seats": [{"label": "D-1", "price_cents": 1}]},
            409,
        ),
        ("POST", "/shows", {"name": "bad", "seats": [{"label": "nope", "price_cents": 1}]}, 422),
        ("GET", f"/orders/{uuid.uuid4()}", None, 404),
        ("GET", "/orders/not-a-uuid", None, 422),
        ("GET", "/no/such/route", None, 404),
        # The customer is the token's subject: a body naming one is refused.
        (
            "POST",
            f"/shows/{show}/orders",
            {"customer_id": "x", "seats": ["D-1"], "payment_token": "t"},
            422,
        ),
    ]
    for method, path, body, expected in cases:
        key = {"Idempotency-Key": str(uuid.uuid4())}
        status, answer = stack.call(method, path, body, key, token=stack.organizer)
        assert status == expected, (path, body, answer)
        assert answer["detail"], answer
    status, answer = stack.call(
        "POST", "/shows", {"name": "x"}, {"Content-Type": "text/plain"}, token=stack.organizer
    )
    assert (status, kind(answer)) == (415, "unsupported-media-type"), answer
    order(stack, show, "erin", ["D-1"], "tok_visa", key="same")
    status, answer = stack.call(
        "POST",
        f"/shows/{show}/orders",
        {"seats": ["D-2"], "payment_token": "tok_visa"},
        {"Idempotency-Key": "same"},
        token=stack.token("erin"),
    )
    assert (status, kind(answer)) == (409, "idempotency-key-reused"), answer
