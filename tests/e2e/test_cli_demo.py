"""`seatledger demo` against `make up`'s stack: the double-booking story ends as it must."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.e2e.conftest import Api
from tests.e2e.test_cli_history import refused


def test_demo_sells_the_seat_once_to_b_and_charges_once(stack: Api) -> None:
    done = stack.cli("--json", "demo")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    alice, bob = summary["orders"]
    assert (alice["customer"], alice["status"]) == ("alice", "PAYMENT_FAILED")
    assert (bob["customer"], bob["status"]) == ("bob", "CONFIRMED")
    run = alice["customer_id"].removeprefix("alice-")  # fresh customers, with their own tokens
    assert (alice["customer_id"], bob["customer_id"]) == (f"alice-{run}", f"bob-{run}")
    seat = next(s for s in summary["seat_map"] if s["label"] == summary["seat"])
    assert (seat["status"], seat["order_id"]) == ("SOLD", bob["order_id"])
    assert [s["status"] for s in summary["seat_map"]].count("FREE") == 9

    captured = [c for c in summary["charges"] if c["result"] == "captured"]
    assert [(c["customer"], c["amount_cents"]) for c in captured] == [("bob", 5000)]
    assert [c["result"] for c in summary["charges"] if c["customer"] == "alice"] == ["declined"]
    # The gateway's own record agrees: one capture for this show's two payments.
    payments = {p["payment_id"] for o in (alice, bob) for p in o["payments"]}
    _, charges = stack.call("GET", "/dev/gateway/charges", token=stack.organizer)
    mine = [c for c in charges if c["key"] in payments]
    assert [c["result"] for c in mine].count("captured") == 1

    told = stack.cli("demo")  # the narrated form, on a fresh show of its own
    assert told.returncode == 0, told.stderr
    text = " ".join(told.stdout.split())
    shown = re.search(r"organizer creates show ([0-9a-f-]{36})", text)
    assert shown is not None and shown.group(1) != summary["show_id"]
    # New customers and orders: not the first run's, which a second run once answered with.
    again = re.findall(r"\((alice-\w+|bob-\w+)\) orders .*? order ([0-9a-f-]{36})", text)
    assert len(again) == 2
    assert not {c for c, _ in again} & {alice["customer_id"], bob["customer_id"]}
    assert not {o for _, o in again} & {alice["order_id"], bob["order_id"]}
    for words in (
        "PAYMENT_FAILED",
        "CONFIRMED",
        "captured",
        "9 other seats FREE",
        "sold once, to Bob; 1 captured charge (Bob)",
    ):
        assert words in text, words


def test_demo_says_clearly_when_it_cannot_reach_the_api(stack: Api) -> None:
    message = refused(stack, 4, "demo", "--api-url", "http://127.0.0.1:1")
    assert "cannot reach the ledger's API" in message


def test_a_stopped_stack_is_a_clear_message(tmp_path: Path) -> None:
    nowhere = Api("http://127.0.0.1:1", tmp_path)
    message = refused(nowhere, 4, "demo")
    assert "not running" in message and "make up" in message


def test_demo_with_aws_uses_the_given_api_token_and_skips_the_local_only_charges(
    stack: Api,
) -> None:
    assert "SEATLEDGER_TOKEN" in refused(stack, 2, "--aws", "demo", "--api-url", stack.url)
    done = stack.cli(
        "--json",
        "--aws",
        "demo",
        "--api-url",
        stack.url,
        env={"SEATLEDGER_TOKEN": stack.token("aws-demo", organizer=True)},
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [o["status"] for o in summary["orders"]] == ["PAYMENT_FAILED", "CONFIRMED"]
    assert {o["customer_id"] for o in summary["orders"]} == {"aws-demo"}  # the token's user
    assert summary["charges"] is None and "local stack only" in summary["charges_note"]


def test_demo_says_which_token_an_api_refused(stack: Api) -> None:
    customer = stack.token("not-an-organizer")
    done = stack.cli("demo", env={"SEATLEDGER_TOKEN": customer})
    assert done.returncode == 1
    message = " ".join(done.stderr.split())
    assert "answered 403" in message and "SEATLEDGER_TOKEN" in message
