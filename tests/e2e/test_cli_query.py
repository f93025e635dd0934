"""`seatledger query ...` against `make up`'s stack: the same answers as the HTTP API."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Api
from tests.e2e.test_cli_history import as_json, refused
from tests.e2e.test_ledger_api import final, new_show, order

UNKNOWN = "00000000-0000-4000-8000-0000000000fd"


def settled_show(api: Api, customer: str) -> tuple[str, str, str]:
    """A-1 wanted twice (first card declines), A-2 and B-1 never asked for."""
    show = new_show(api, ["A-1", "A-2", "B-1"], price=2500)
    a = order(api, show, customer, ["A-1"], "tok_chargeDeclined")
    b = order(api, show, customer, ["A-1"], "tok_visa")
    assert final(api, a)["status"] == "PAYMENT_FAILED"
    assert final(api, b)["status"] == "CONFIRMED"
    return show, a, b


def settled(order: dict[str, Any]) -> bool:
    return any(p["status"] in ("CAPTURED", "DECLINED") for p in order["payments"])


def settled_views(api: Api, show: str, orders: list[str]) -> dict[str, Any]:
    """The API's answers once the seat map and payments views have caught up too."""
    answers = {o: api.wait_for(f"/orders/{o}", settled, token=api.organizer) for o in orders}
    seats = api.wait_for(
        f"/shows/{show}/seats", lambda m: any(s["status"] == "SOLD" for s in m["seats"])
    )
    return {"seats": seats, **answers}


def test_query_seats_matches_the_apis_seat_map_free_seats_included(stack: Api) -> None:
    show, _, b = settled_show(stack, f"q-{uuid.uuid4().hex[:8]}")
    seat_map = settled_views(stack, show, [b])["seats"]
    mine = as_json(stack, "query", "seats", show)
    assert mine == seat_map
    assert {s["label"]: (s["status"], s["order_id"]) for s in mine["seats"]} == {
        "A-1": ("SOLD", b),
        "A-2": ("FREE", None),
        "B-1": ("FREE", None),
    }

    readable = stack.cli("query", "seats", show)
    assert readable.returncode == 0, readable.stderr
    assert "2 FREE, 1 SOLD" in readable.stdout and "25.00" in readable.stdout


def test_query_order_orders_and_payments_match_the_api(stack: Api) -> None:
    customer = f"q-{uuid.uuid4().hex[:8]}"
    show, a, b = settled_show(stack, customer)
    views = settled_views(stack, show, [a, b])
    for order_id in (a, b):
        api = views[order_id]
        mine = as_json(stack, "query", "order", order_id)
        fields = ("order_id", "show_id", "customer_id", "seats", "status", "amount_cents")
        assert {k: mine[k] for k in fields} == {k: api[k] for k in fields}
        assert "pk" not in mine

        payment = as_json(stack, "query", "payments", order_id)
        [expected] = api["payments"]
        for key in ("payment_id", "status", "amount_cents", "captured_cents"):
            assert payment[key] == expected[key], key
        assert [x["result"] for x in payment["attempts"]] == [
            x["result"] for x in expected["attempts"]
        ]
        assert payment["order_id"] == order_id

    listed = as_json(stack, "query", "orders", "--customer", customer)
    _, api_list = stack.call("GET", f"/customers/{customer}/orders", token=stack.token(customer))
    assert [o["order_id"] for o in listed] == [o["order_id"] for o in api_list["orders"]] == [a, b]
    assert [o["status"] for o in listed] == ["PAYMENT_FAILED", "CONFIRMED"]

    readable = stack.cli("query", "orders", "--customer", customer)
    assert readable.returncode == 0 and "CONFIRMED" in readable.stdout


def test_unknown_and_malformed_ids_are_clear_messages(stack: Api) -> None:
    assert "no show" in refused(stack, 3, "query", "seats", UNKNOWN)
    assert "no order" in refused(stack, 3, "query", "order", UNKNOWN)
    assert "no payment" in refused(stack, 3, "query", "payments", UNKNOWN)
    assert "not a valid" in refused(stack, 2, "query", "seats", "A-1")
    assert "not a valid" in refused(stack, 2, "query", "order", "123")
    refused(stack, 2, "query", "orders")  # --customer is required


def test_a_stopped_stack_is_a_clear_message(tmp_path: Path) -> None:
    nowhere = Api("http://127.0.0.1:1", tmp_path)
    for args in (
        ["query", "seats", UNKNOWN],
        ["query", "order", UNKNOWN],
        ["query", "orders", "--customer", "x"],
        ["query", "payments", UNKNOWN],
    ):
        assert "not running" in refused(nowhere, 4, *args)
