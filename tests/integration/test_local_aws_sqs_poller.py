"""The SQS poller against moto's SQS: deletes, redelivery after the visibility timeout, DLQ."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser.models import SqsModel

from local.aws import LocalAws, QueueRef, RuleSpec, local_aws, provision
from local.runners.sqs_poller import PollResult, SqsPoller, sqs_client

MAX_RECEIVES = 2
VISIBILITY = 1  # seconds; a failed message is back after this


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAws]:
    with local_aws("sqs-tests", max_receive_count=MAX_RECEIVES, visibility_timeout=VISIBILITY) as a:
        yield a


@pytest.fixture
def queue(aws: LocalAws) -> QueueRef:
    name = f"q-{uuid.uuid4().hex[:8]}"
    rule = RuleSpec(name, {"source": [name]}, name)
    done = provision(
        aws.events,
        aws.sqs,
        "sqs-tests",
        [rule],
        max_receive_count=MAX_RECEIVES,
        visibility_timeout=VISIBILITY,
    )
    return done.queues[name]


class Handler:
    """A Powertools partial-batch handler; bodies listed in `fail` fail, `raises` fails all."""

    def __init__(self, fail: set[str] | None = None, raises: bool = False) -> None:
        self.fail, self.raises = fail or set(), raises
        self.events: list[dict[str, Any]] = []
        self.processor = BatchProcessor(event_type=EventType.SQS)

    def record(self, record: SQSRecord) -> None:
        if record.body in self.fail:
            raise ValueError(f"cannot process {record.body}")

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        if self.raises:
            raise RuntimeError("handler crashed")
        return process_partial_response(event, self.record, self.processor, context)

    def bodies(self, call: int) -> list[str]:
        return [r["body"] for r in self.events[call]["Records"]]


def send(sqs: Any, queue: QueueRef, *bodies: str) -> None:
    for body in bodies:
        sqs.send_message(QueueUrl=queue.url, MessageBody=body)


def counts(sqs: Any, url: str) -> tuple[int, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(attrs[names[0]]), int(attrs[names[1]])


def test_sqs_poller_deletes_the_messages_the_handler_processed(
    aws: LocalAws, queue: QueueRef
) -> None:
    # GIVEN three messages, one with message attributes
    send(aws.sqs, queue, "a", "b")
    attributes = {
        "kind": {"DataType": "String", "StringValue": "seat"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }
    aws.sqs.send_message(QueueUrl=queue.url, MessageBody="c", MessageAttributes=attributes)
    handler = Handler()
    # WHEN polled once (the client finds moto through AWS_ENDPOINT_URL_SQS)
    result = SqsPoller(sqs_client(), queue.url, handler).poll_once()
    # THEN all were handled in one Lambda-shaped event and deleted
    assert result == PollResult(received=3, deleted=3, failed=0)
    assert counts(aws.sqs, queue.url) == (0, 0)
    event = handler.events[0]
    SqsModel.model_validate(event)
    records = {r["body"]: r for r in event["Records"]}
    assert set(records) == {"a", "b", "c"}
    for body, r in records.items():
        assert r["eventSource"] == "aws:sqs" and r["eventSourceARN"] == queue.arn
        assert r["awsRegion"] == "us-east-1" and r["attributes"]["ApproximateReceiveCount"] == "1"
        assert r["md5OfBody"] == hashlib.md5(body.encode()).hexdigest()
    assert records["c"]["messageAttributes"] == {
        "kind": {
            "stringValue": "seat",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "blob": {
            "binaryValue": "AAE=",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }


def test_sqs_poller_leaves_failed_messages_for_redelivery(aws: LocalAws, queue: QueueRef) -> None:
    # GIVEN a handler that fails message "b" once
    send(aws.sqs, queue, "a", "b", "c")
    handler = Handler(fail={"b"})
    poller = SqsPoller(sqs_client(), queue.url, handler)
    # WHEN polled
    assert poller.poll_once() == PollResult(received=3, deleted=2, failed=1)
    # THEN only "b" is left, in flight until its visibility timeout ends
    assert counts(aws.sqs, queue.url) == (0, 1)
    time.sleep(VISIBILITY + 0.2)
    handler.fail.clear()
    assert poller.poll_once() == PollResult(received=1, deleted=1, failed=0)
    assert handler.bodies(1) == ["b"]
    assert handler.events[1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert counts(aws.sqs, queue.url) == (0, 0)


def test_sqs_poller_deletes_nothing_when_the_handler_raises(aws: LocalAws, queue: QueueRef) -> None:
    send(aws.sqs, queue, "a", "b")
    handler = Handler(raises=True)
    poller = SqsPoller(sqs_client(), queue.url, handler)
    assert poller.poll_once() == PollResult(received=2, deleted=0, failed=2)
    time.sleep(VISIBILITY + 0.2)
    handler.raises = False
    assert poller.poll_once() == PollResult(received=2, deleted=2, failed=0)
    assert sorted(handler.bodies(1)) == ["a", "b"]


def test_sqs_poller_leaves_a_message_failing_past_max_receive_count_to_the_dlq(
    aws: LocalAws, queue: QueueRef
) -> None:
    # GIVEN a message its handler always fails
    send(aws.sqs, queue, json.dumps({"poison": True}))
    handler = Handler(fail={json.dumps({"poison": True})})
    poller = SqsPoller(sqs_client(), queue.url, handler)
    # WHEN polled past the visibility timeout, more times than maxReceiveCount
    for _ in range(MAX_RECEIVES):
        poller.poll_once()
        time.sleep(VISIBILITY + 0.2)
    assert poller.poll_once().received == 0  # SQS moves it on this receive
    # THEN it was handled maxReceiveCount times and then moved to the dead-letter queue
    assert len(handler.events) == MAX_RECEIVES
    assert counts(aws.sqs, queue.url) == (0, 0)
    dead = aws.sqs.receive_message(QueueUrl=queue.dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == [json.dumps({"poison": True})]


def test_sqs_poller_run_handles_messages_until_stopped(aws: LocalAws, queue: QueueRef) -> None:
    handler = Handler()
    stop = threading.Event()
    thread = threading.Thread(target=SqsPoller(sqs_client(), queue.url, handler).run, args=(stop,))
    thread.start()
    try:
        send(aws.sqs, queue, "a", "b")
        deadline = time.monotonic() + 10
        while counts(aws.sqs, queue.url) != (0, 0) or not handler.events:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert sorted(r["body"] for e in handler.events for r in e["Records"]) == ["a", "b"]
    assert not thread.is_alive()
