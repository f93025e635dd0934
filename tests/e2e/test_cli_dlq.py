"""`seatledger dlq` and `status` against `make up`'s stack: poison sent straight to a rule's
queue is parked with its reason, shown in full, sent back (and parked again: it is still
poison), and counted by `status`."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3

from tests.e2e.conftest import Api
from tests.e2e.test_cli_history import as_json, refused
from tests.e2e.test_ledger_api import new_show, order


def sqs_of(stack: Api) -> Any:
    env = json.loads((stack.data_dir / "stack.json").read_text())["env"]
    return boto3.client(
        "sqs",
        endpoint_url=env["AWS_ENDPOINT_URL_SQS"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def queue_url(stack: Api, rule: str) -> str:
    resources = json.loads((stack.data_dir / "resources.json").read_text())
    return str(resources["provisioned"]["queues"][rule]["url"])


def until(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        time.sleep(0.2)
    return found


def parked(stack: Api, marker: str) -> list[dict[str, Any]]:
    return [m for m in as_json(stack, "dlq", "show", "payment") if marker in str(m["body"])]


def test_poison_is_listed_with_its_reason_shown_in_full_and_redriven(stack: Api) -> None:
    marker = f"poison-{uuid.uuid4().hex}"
    body = "not JSON: " + "x" * 100 + marker  # longer than a listing shows
    sqs_of(stack).send_message(QueueUrl=queue_url(stack, "payment"), MessageBody=body)

    [first] = until(lambda: parked(stack, marker), "the poison parked")
    assert first["body"] == body and "not JSON" in first["reason"]
    listed = as_json(stack, "dlq", "list")
    mine = [m for m in listed if m["message_id"] == first["message_id"]]
    assert [(m["queue"], m["reason"]) for m in mine] == [("payment", first["reason"])]
    table = stack.cli("dlq", "list", "payment")
    assert table.returncode == 0 and first["message_id"] in table.stdout
    assert marker not in table.stdout  # the listing shortens bodies...
    shown = stack.cli("dlq", "show", "payment")
    assert shown.returncode == 0 and body in shown.stdout  # ...`show` prints them whole
    assert any(q["queue"] == "payment" and q["parked"] >= 1 for q in status(stack)["queues"])

    sent = as_json(stack, "dlq", "redrive", "payment")
    assert sent["queue"] == "payment" and sent["redriven"] >= 1
    assert sent["to"] == queue_url(stack, "payment")
    # Back in its queue, handled again, and parked again: it is still poison.
    again = until(
        lambda: [m for m in parked(stack, marker) if m["message_id"] != first["message_id"]],
        "the redriven poison parked again",
    )
    assert [m["body"] for m in again] == [body]
    assert all(m["message_id"] != first["message_id"] for m in parked(stack, marker))


def test_dlq_refuses_unknown_queues_and_stream_records(stack: Api) -> None:
    assert "no queue 'nope'" in refused(stack, 2, "dlq", "list", "nope")
    assert "cannot be sent back" in refused(stack, 2, "dlq", "redrive", "indexer")
    refused(stack, 2, "dlq", "redrive")  # which queue: never all at once


def status(stack: Api) -> dict[str, Any]:
    return dict(as_json(stack, "status"))


def test_status_shows_each_consumers_position_and_the_queues(stack: Api) -> None:
    before = status(stack)
    consumers = {(c["consumer"], c["partition"]) for c in before["consumers"]}
    assert consumers == {("read-models", 0), ("payment", 0), ("reallocation", 0)}
    for c in before["consumers"]:
        assert 0 <= c["position"] <= c["head"] and c["lag"] == c["head"] - c["position"]
    queues = {q["queue"]: q for q in before["queues"]}
    assert set(queues) == {"payment", "reallocation", "read-models", "stream-forwarder", "indexer"}
    assert all(isinstance(queues[r]["waiting"], int) for r in ("payment", "read-models"))
    assert queues["indexer"]["waiting"] is None  # an on-failure queue: nothing to drain

    show = new_show(stack, ["S-1"])
    order(stack, show, "status-a", ["S-1"], "tok_visa")
    head = before["consumers"][0]["head"]
    until(lambda: status(stack)["consumers"][0]["head"] > head, "the index head moving on")

    readable = stack.cli("status")
    assert readable.returncode == 0
    for words in ("read-models", "reallocation", "stream-forwarder", "lag", "parked"):
        assert words in readable.stdout
