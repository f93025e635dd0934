"""`seatledger rebuild` against the running stack: readers see the same ledger before and after."""

from __future__ import annotations

import json

from tests.e2e.conftest import Api
from tests.e2e.test_ledger_api import final, new_show, order


def test_rebuild_swaps_in_rebuilt_views_that_answer_the_same(stack: Api) -> None:
    show = new_show(stack, ["R-1", "R-2"])
    orders = [
        order(stack, show, "rita", ["R-1"], "tok_chargeDeclined"),
        order(stack, show, "sam", ["R-1", "R-2"], "tok_visa"),
        order(stack, show, "tia", ["R-2"], "tok_visa"),
    ]
    assert [final(stack, o)["status"] for o in orders] == [
        "PAYMENT_FAILED",
        "CONFIRMED",
        "REJECTED",
    ]
    seats = stack.wait_for(
        f"/shows/{show}/seats", lambda m: all(s["status"] == "SOLD" for s in m["seats"])
    )
    before = [stack.call("GET", f"/orders/{o}", token=stack.organizer)[1] for o in orders]
    charges_before = stack.call("GET", "/dev/gateway/charges", token=stack.organizer)[1]

    done = stack.cli("--json", "rebuild")

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {r["view"] for r in report} == {"seat_map", "orders", "payments"}
    assert all(r["new_table"] != r["old_table"] and r["events"] > 0 for r in report)
    assert [stack.call("GET", f"/orders/{o}", token=stack.organizer)[1] for o in orders] == before
    assert stack.call("GET", f"/shows/{show}/seats")[1] == seats  # public: no token
    charges_after = stack.call("GET", "/dev/gateway/charges", token=stack.organizer)[1]
    assert charges_after == charges_before  # nobody charged


def test_rebuild_of_an_unknown_view_says_which_exist(stack: Api) -> None:
    done = stack.cli("rebuild", "--view", "nope")
    assert done.returncode == 2
    assert "seat_map, orders, payments" in done.stderr and "Traceback" not in done.stderr
