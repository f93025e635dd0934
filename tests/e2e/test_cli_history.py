"""`seatledger history` and `seatledger log` against `make up`'s stack, as a user runs them."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.payment import payment_id_for
from domain.seat import seat_id
from tests.e2e.conftest import Api
from tests.e2e.test_ledger_api import final, new_show, order

TOKENS = ("tok_visa", "tok_chargeDeclined", "card_token")


def as_json(api: Api, *args: str) -> Any:
    done = api.cli("--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def refused(api: Api, code: int, *args: str) -> str:
    """Run a command that must fail cleanly; returns its message (on one line: Rich wraps it)."""
    done = api.cli(*args)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    return " ".join(done.stderr.split())


def double_booking(api: Api) -> tuple[str, str, str]:
    show = new_show(api, ["A-1", "A-2"])
    a = order(api, show, "hist-a", ["A-1"], "tok_chargeDeclined")
    b = order(api, show, "hist-b", ["A-1"], "tok_visa")
    assert final(api, a)["status"] == "PAYMENT_FAILED"
    assert final(api, b)["status"] == "CONFIRMED"
    return show, a, b


def test_history_lists_events_in_order_and_travels_in_time(stack: Api) -> None:
    show, a, b = double_booking(stack)
    done = stack.cli("--json", "history", a)
    assert done.returncode == 0, done.stderr
    assert not any(t in done.stdout for t in TOKENS)  # the card token never leaves the store
    head = json.loads(done.stdout)
    assert head["aggregate_type"] == "Order" and head["aggregate_id"] == a
    versions = [e["version"] for e in head["events"]]
    assert versions == list(range(1, len(versions) + 1)) == list(range(1, head["head_version"] + 1))
    assert [e["type"] for e in head["events"]] == [
        "OrderPlaced",
        "OrderSeatsHeld",
        "OrderAllocated",
        "OrderPaymentFailed",
    ]
    assert head["events"][0]["payload"]["customer_id"] == "hist-a"
    assert head["state"]["status"] == "PAYMENT_FAILED"
    assert head["state"]["payment_id"] == str(payment_id_for(UUID(a)))

    placed = as_json(stack, "history", a, "--at-version", "1")
    assert placed["events"] == head["events"]  # all events; the state is the one that travels
    assert placed["state"]["version"] == 1
    assert (placed["state"]["status"], placed["state"]["held"]) == ("PENDING", [])
    assert placed["state"]["payment_id"] is None

    seat = str(seat_id(UUID(show), "A-1"))
    sold = as_json(stack, "history", seat)
    assert sold["events"][-1]["type"] == "SeatSold" and sold["state"]["sold_to"] == b
    bob_queued = next(
        e["version"]
        for e in sold["events"]
        if e["type"] == "SeatRequested" and e["payload"]["order_id"] == b
    )
    queued = as_json(stack, "history", seat, "--at-version", str(bob_queued))
    assert queued["aggregate_type"] == "Seat" and queued["state"]["version"] == bob_queued
    assert (queued["state"]["queue"], queued["state"]["sold_to"]) == ([a, b], None)

    table = stack.cli("history", a)  # the readable form: tables, and no token either
    assert table.returncode == 0 and "OrderPaymentFailed" in table.stdout
    assert not any(t in table.stdout for t in TOKENS)


def test_history_refuses_unknown_and_malformed_ids_and_versions(stack: Api) -> None:
    _, a, _ = double_booking(stack)
    assert "no aggregate" in refused(stack, 3, "history", "00000000-0000-4000-8000-0000000000ff")
    assert "not a valid" in refused(stack, 2, "history", "not-an-id")
    assert "head is version 4" in refused(stack, 3, "history", a, "--at-version", "9")
    refused(stack, 2, "history", a, "--at-version", "0")


def test_log_lists_only_the_shows_events_from_a_position(stack: Api) -> None:
    show, a, b = double_booking(stack)
    other = new_show(stack, ["A-1"])
    stranger = order(stack, other, "hist-c", ["A-1"], "tok_visa")
    final(stack, stranger)

    done = stack.cli("--json", "log", show)
    assert done.returncode == 0, done.stderr
    assert not any(t in done.stdout for t in TOKENS)
    events = json.loads(done.stdout)
    mine = {
        show,
        a,
        b,
        str(seat_id(UUID(show), "A-1")),
        str(payment_id_for(UUID(a))),
        str(payment_id_for(UUID(b))),
    }
    assert {e["aggregate_id"] for e in events} == mine
    assert other not in done.stdout and stranger not in done.stdout
    ids = [e["position"] for e in events]
    assert ids == sorted(set(ids))
    types = [e["type"] for e in events]
    assert types[0] == "ShowCreated"
    assert types.count("PaymentCaptured") == 1 and types.count("PaymentDeclined") == 1
    assert types.count("SeatSold") == 1

    middle = ids[len(ids) // 2]
    assert as_json(stack, "log", show, "--from", str(middle)) == events[len(ids) // 2 :]
    assert "no show" in refused(stack, 3, "log", "00000000-0000-4000-8000-0000000000fe")
    refused(stack, 2, "log", "nope")


def test_log_follow_prints_new_events_until_ctrl_c(stack: Api) -> None:
    show = new_show(stack, ["F-1"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "seatledger"), "--json", "log", show, "--follow"],
        env={**env, "SEATLEDGER_DATA_DIR": str(stack.data_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as at a terminal: a background job (CI's, say) starts with SIGINT ignored,
        # which Python keeps, and the follower would never see the Ctrl-C.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: queue.Queue[str] = queue.Queue()

    def read_lines() -> None:
        for line in process.stdout or []:
            lines.put(line)

    def next_event(timeout: float = 30.0) -> dict[str, Any]:
        return json.loads(lines.get(timeout=timeout))  # type: ignore[no-any-return]

    try:
        threading.Thread(target=read_lines, daemon=True).start()
        assert next_event()["type"] == "ShowCreated"  # what was there when it started
        placed = order(stack, show, "follower", ["F-1"], "tok_visa")
        seen: list[str] = []
        deadline = time.monotonic() + 30
        while "OrderConfirmed" not in seen:  # new events arrive while it runs
            assert time.monotonic() < deadline, seen
            event = next_event()
            assert event["aggregate_id"] in {
                placed,
                str(seat_id(UUID(show), "F-1")),
                str(payment_id_for(UUID(placed))),
            }
            seen.append(event["type"])
        assert seen[0] == "OrderPlaced"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()  # say what it was doing, not just that it hung
            _, err = process.communicate()
            raise AssertionError(
                f"log --follow ignored Ctrl-C; its stderr: {err[-3000:]}"
            ) from None
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_a_stopped_stack_is_a_clear_message(tmp_path: Path) -> None:
    nowhere = Api("http://127.0.0.1:1", tmp_path)  # no stack.json there
    for args in (
        ["history", "00000000-0000-4000-8000-000000000001"],
        ["log", "00000000-0000-4000-8000-000000000001"],
    ):
        message = refused(nowhere, 4, *args)
        assert "not running" in message and "make up" in message
