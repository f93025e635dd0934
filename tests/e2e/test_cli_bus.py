"""`seatledger publish`, `schemas export` and `bus replay` against `make up`'s stack.

A throwaway rule on the local bus sends every test event to a probe queue: it shows what
reached the bus (and what did not) the way any other consumer would see it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from cli.bus import example
from domain.contract import SOURCE
from domain.seat import seat_id
from tests.e2e.conftest import Api
from tests.e2e.test_ledger_api import final, new_show, order

PROBE = "cli-bus-probe"


class Probe:
    def __init__(self, stack: Api) -> None:
        env = json.loads((stack.data_dir / "stack.json").read_text())["env"]
        keys = {
            "region_name": env["AWS_REGION"],
            "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
        }
        self.events = boto3.client(
            "events", endpoint_url=env["AWS_ENDPOINT_URL_EVENTBRIDGE"], **keys
        )
        self.sqs = boto3.client("sqs", endpoint_url=env["AWS_ENDPOINT_URL_SQS"], **keys)
        self.url = self.sqs.create_queue(QueueName=PROBE)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
        pattern = {"source": [SOURCE], "detail": {"test": [True]}}
        self.events.put_rule(
            Name=PROBE, EventBusName="seatledger", EventPattern=json.dumps(pattern)
        )
        self.events.put_targets(
            Rule=PROBE,
            EventBusName="seatledger",
            Targets=[{"Id": "probe", "Arn": arn["Attributes"]["QueueArn"]}],
        )
        self.seen: list[dict[str, Any]] = []

    def close(self) -> None:
        self.events.remove_targets(Rule=PROBE, EventBusName="seatledger", Ids=["probe"])
        self.events.delete_rule(Name=PROBE, EventBusName="seatledger")
        self.sqs.delete_queue(QueueUrl=self.url)

    def wait_for(self, event_id: str, replay: str | None = None, timeout: float = 15) -> Any:
        """The bus event whose detail has `event_id` (delivered by `replay`, if given)."""
        deadline = time.monotonic() + timeout
        while True:
            for e in self.seen:
                if e["detail"]["event_id"] == event_id and e.get("replay-name") == replay:
                    return e
            if time.monotonic() > deadline:
                raise AssertionError(f"{event_id} never reached the probe")
            answer = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            for m in answer.get("Messages", []):
                self.seen.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture(scope="module")
def probe(stack: Api) -> Iterator[Probe]:
    p = Probe(stack)
    yield p
    p.close()


def publish(stack: Api, detail_type: str, detail: dict[str, Any], *extra: str) -> Any:
    done = stack.cli("--json", "publish", detail_type, "--detail", json.dumps(detail), *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def stack_log(stack: Api) -> str:
    return (stack.data_dir / "stack.log").read_text()


def test_a_test_event_reaches_the_bus_and_changes_nothing(stack: Api, probe: Probe) -> None:
    show = new_show(stack, ["A-1", "A-2"])
    bob = order(stack, show, "bob", ["A-1"], "tok_visa")
    assert final(stack, bob)["status"] == "CONFIRMED"
    # The seat map is its own view: wait for it too, or "before" may catch it mid-update.
    stack.wait_for(f"/shows/{show}/seats", lambda m: m["seats"][0]["status"] == "SOLD")
    before = [
        stack.call("GET", p, token=stack.organizer)[1]
        for p in (f"/shows/{show}/seats", "/dev/gateway/charges")
    ]

    # Harmful if acted on: A-2 sold to Bob, and a new order to charge.
    sold = {
        **example("SeatSold"),
        "aggregate_id": str(seat_id(uuid.UUID(show), "A-2")),
        "payload": {"order_id": bob, "waiting_order_ids": []},
    }
    allocated = example("OrderAllocated")
    for detail_type, detail in (("SeatSold", sold), ("OrderAllocated", allocated)):
        del detail["test"]  # publish marks it
        answer = publish(stack, detail_type, detail)
        assert answer["sent"] is True and answer["test"] is True
        on_bus = probe.wait_for(detail["event_id"])
        assert on_bus["id"] == answer["event_id"]  # the id printed is EventBridge's
        assert on_bus["detail-type"] == detail_type and on_bus["detail"]["test"] is True

    deadline = time.monotonic() + 15  # the reactions got them too, and said so
    while f"ignoring test event {allocated['event_id']}" not in stack_log(stack):
        assert time.monotonic() < deadline, "the payment reaction never saw the test event"
        time.sleep(0.2)
    time.sleep(1)
    after = [
        stack.call("GET", p, token=stack.organizer)[1]
        for p in (f"/shows/{show}/seats", "/dev/gateway/charges")
    ]
    assert after == before


def test_the_readable_output_names_the_event_id(stack: Api, probe: Probe, tmp_path: Path) -> None:
    path = tmp_path / "detail.json"
    detail = example("PaymentStarted")
    path.write_text(json.dumps(detail))
    done = stack.cli("publish", "PaymentStarted", "--detail", f"@{path}")
    assert done.returncode == 0, done.stderr
    event = probe.wait_for(detail["event_id"])
    assert "published test event PaymentStarted" in done.stdout
    assert event["id"] in done.stdout.replace("\n", "")


def test_an_example_piped_back_in_is_published(stack: Api, probe: Probe) -> None:
    shown = stack.cli("publish", "OrderConfirmed", "--example")
    assert shown.returncode == 0, shown.stderr
    done = stack.cli("--json", "publish", "OrderConfirmed", "--detail", "@-", stdin=shown.stdout)
    assert done.returncode == 0, done.stderr
    assert (
        probe.wait_for(json.loads(shown.stdout)["event_id"])["id"]
        == json.loads(done.stdout)["event_id"]
    )


def test_refused_details_are_never_sent(stack: Api, probe: Probe, tmp_path: Path) -> None:
    bad = {**example("OrderAllocated"), "payload": {"amount_cents": "lots"}}
    del bad["aggregate_version"]
    done = stack.cli("publish", "OrderAllocated", "--detail", json.dumps(bad))
    assert done.returncode == 5
    assert "aggregate_version" in done.stderr and "payload.amount_cents" in done.stderr
    assert "nothing was sent" in done.stderr

    as_json = stack.cli("--json", "publish", "OrderAllocated", "--detail", json.dumps(bad))
    assert as_json.returncode == 5
    assert {e["field"] for e in json.loads(as_json.stdout)["errors"]} == {
        "aggregate_version",
        "payload.amount_cents",
    }

    not_test = {**example("OrderAllocated"), "test": False}
    assert stack.cli("publish", "OrderAllocated", "--detail", json.dumps(not_test)).returncode == 5

    dry = example("OrderAllocated")
    shown = stack.cli(
        "--json", "publish", "OrderAllocated", "--detail", json.dumps(dry), "--dry-run"
    )
    assert shown.returncode == 0, shown.stderr
    entry = json.loads(shown.stdout)["entry"]
    assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == (
        SOURCE,
        "OrderAllocated",
        "seatledger",
    )
    assert entry["Detail"]["test"] is True and json.loads(shown.stdout)["sent"] is False

    # Events reach the probe in the order they were put: once this one is there, the others
    # would have been too.
    sentinel = example("OrderAllocated")
    publish(stack, "OrderAllocated", sentinel)
    probe.wait_for(sentinel["event_id"])
    refused = {bad["event_id"], not_test["event_id"], dry["event_id"]}
    assert not [e for e in probe.seen if e["detail"]["event_id"] in refused]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["SeatReserved", "--detail", "{}"], "unknown detail-type 'SeatReserved'; known:"),
        (["OrderAllocated", "--detail", '{"application": '], "--detail is not valid JSON"),
        (["OrderAllocated", "--detail", "@/no/such/file.json"], "cannot read /no/such/file.json"),
        (["OrderAllocated", "--detail", "[1, 2]"], "must be a JSON object"),
        # Held out (issue 15): a RecursionError traceback, and a read until memory ran out.
        (["OrderAllocated", "--detail", "[" * 5000 + "]" * 5000], "nested deeper than 32"),
        (["OrderAllocated", "--detail", "@/dev/zero"], "/dev/zero is over 262144 bytes"),
        (["OrderAllocated", "--detail", '{"a": ' + "9" * 5000 + "}"], "5000 digits"),
    ],
)
def test_user_mistakes_get_a_message_not_a_traceback(
    stack: Api, args: list[str], message: str
) -> None:
    done = stack.cli("publish", *args)
    assert done.returncode == 5
    assert message in " ".join(done.stderr.split()) and "Traceback" not in done.stderr
    if "SeatReserved" in args:
        assert "OrderPlaced" in done.stderr


def test_schemas_export_writes_a_file_per_detail_type(stack: Api, tmp_path: Path) -> None:
    done = stack.cli("schemas", "export", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(files) == 20 and "seatledger.ticketing@OrderPlaced.json" in files
    assert "seatledger.ticketing@OrderPlaced.json" in done.stdout


def test_bus_replay_delivers_the_archive_to_the_chosen_rule(stack: Api, probe: Probe) -> None:
    start = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    show = new_show(stack, ["B-1"])
    alice = order(stack, show, "alice", ["B-1"], "tok_visa")
    assert final(stack, alice)["status"] == "CONFIRMED"
    test_event = example("OrderAllocated")
    publish(stack, "OrderAllocated", test_event)
    probe.wait_for(test_event["event_id"])

    done = stack.cli("--json", "bus", "replay", "--from", start, "--rule", PROBE)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["state"] == "COMPLETED" and report["rule"] == PROBE
    assert report["rule_arn"].endswith(f"/{PROBE}") and report["from"].startswith(start[:19])
    assert report["archive"] == "seatledger-archive" and report["archive_events"] >= 8
    replayed = probe.wait_for(test_event["event_id"], replay=report["replay"])
    assert replayed["detail"]["test"] is True

    # To the read models (the default): they already hold every event, so nothing changes,
    # and nobody is charged again.
    views = [f"/shows/{show}/seats", f"/orders/{alice}", "/dev/gateway/charges"]
    stack.wait_for(views[0], lambda m: m["seats"][0]["status"] == "SOLD")  # views settled
    stack.wait_for(
        views[1],
        lambda o: [p["status"] for p in o["payments"]] == ["CAPTURED"],
        token=stack.organizer,
    )
    before = [stack.call("GET", p, token=stack.organizer)[1] for p in views]
    done = stack.cli("bus", "replay", "--from", start)
    assert done.returncode == 0, done.stderr
    assert "COMPLETED" in done.stdout and "read-models" in done.stdout
    time.sleep(2)
    assert [stack.call("GET", p, token=stack.organizer)[1] for p in views] == before


def test_bus_replay_mistakes(stack: Api) -> None:
    done = stack.cli("bus", "replay", "--from", "2026-01-01", "--rule", "nope")
    assert done.returncode == 3 and "no rule 'nope'" in done.stderr and "read-models" in done.stderr
    done = stack.cli("bus", "replay", "--from", "last tuesday")
    assert done.returncode == 2 and "ISO 8601" in done.stderr
    done = stack.cli("bus", "replay", "--from", "2026-01-02", "--to", "2026-01-01")
    assert done.returncode == 2 and "before" in done.stderr


def test_without_a_running_stack_it_says_so(tmp_path: Path) -> None:
    env = {**os.environ, "SEATLEDGER_DATA_DIR": str(tmp_path)}
    detail = json.dumps(example("OrderAllocated"))
    for args in (
        ["publish", "OrderAllocated", "--detail", detail],
        ["bus", "replay", "--from", "2026-01-01"],
    ):
        done = subprocess.run(
            [str(Path(sys.executable).parent / "seatledger"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 4, done.stderr
        assert "the local stack is not running" in done.stderr
        assert "Traceback" not in done.stderr
