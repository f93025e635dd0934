"""Lambda's SQS event source mapping, run locally (against moto or SQS).

As in AWS (with ``ReportBatchItemFailures``): messages the handler does not report as failed
are deleted; failed ones stay in flight until their visibility timeout ends, then come back,
and the queue's redrive policy moves them to its dead-letter queue after ``maxReceiveCount``
receives. A handler error or an invalid response deletes nothing.
"""

from __future__ import annotations

import base64
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.runners.lambda_runtime import Handler, WholeBatchFailure, failed_items, invoke

Message = dict[str, Any]

logger = logging.getLogger(__name__)


def sqs_client() -> Any:
    """Endpoint from ``AWS_ENDPOINT_URL_SQS`` (boto3's own setting)."""
    return boto3.client("sqs")


@dataclass(frozen=True)
class PollResult:
    received: int
    deleted: int
    failed: int


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    # Lambda spells message attributes in camelCase, always lists both (empty) list fields,
    # and sends binary values as base64.
    out: dict[str, Any] = {
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": [_b64(v) for v in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = _b64(value["BinaryValue"])
    return out


def lambda_record(message: Message, queue_arn: str) -> dict[str, Any]:
    """One received message as it appears in a Lambda SQS event."""
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _attribute(v) for name, v in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


@dataclass
class SqsPoller:
    sqs: Any
    queue_url: str
    handler: Handler
    batch_size: int = 10
    wait_seconds: int = 1  # long polling in `run`
    function_name: str = "queue-handler"
    _queue_arn: str = field(init=False, default="")

    @property
    def queue_arn(self) -> str:
        if not self._queue_arn:
            attrs = self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
            )
            self._queue_arn = attrs["Attributes"]["QueueArn"]
        return self._queue_arn

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once(self.wait_seconds)
            except Exception as e:  # the queue service is unreachable: keep polling
                if not stop.is_set():  # services stopping with us are not news
                    logger.warning("queue poll failed, retrying: %r", e)
                stop.wait(1.0)

    def poll_once(self, wait_seconds: int = 0) -> PollResult:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return PollResult(0, 0, 0)
        event = {"Records": [lambda_record(m, self.queue_arn) for m in messages]}
        ids = [m["MessageId"] for m in messages]
        try:
            failed = failed_items(invoke(self.handler, event, self.function_name), ids)
        except WholeBatchFailure:
            return PollResult(len(messages), 0, len(messages))
        done = [m for m in messages if m["MessageId"] not in failed]
        self._delete(done)
        return PollResult(len(messages), len(done), len(failed))

    def _delete(self, messages: list[Message]) -> None:
        if not messages:
            return
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        answer = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        if answer.get("Failed"):
            # As in AWS, such a message comes back once its visibility timeout ends.
            logger.warning("could not delete processed messages: %s", answer["Failed"])
