"""EventBridge, SQS and EventBridge Scheduler on this machine: moto in server mode,
provisioned from plain data.

    with local_aws("seatledger", [RuleSpec("seats", {"source": ["seatledger"]}, "seats")]) as aws:
        aws.provisioned.queues["seats"].url

Inside the block ``AWS_ENDPOINT_URL_EVENTBRIDGE``, ``_SQS`` and ``_SCHEDULER`` point at moto,
so any boto3 client created there (handlers included) talks to it with no code change.

Long: moto's server and what it must hold, with each workaround for a moto fault beside what it
fixes.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from infra.rules import RuleSpec

__all__ = ["RuleSpec", "local_aws", "provision"]

ENDPOINT_VARS = (
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_SCHEDULER",
)
# The query protocol's code (moto) and the JSON protocol's.
MISSING_QUEUE_CODES = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}

# moto (5.2) drops "account" from events it sends to targets without an input transformer.
# This transformer rebuilds the envelope AWS sends, so local consumers parse what AWS sends.
_PATHS = ("id", "detail-type", "source", "account", "time", "region", "resources", "detail")
ENVELOPE = {
    "InputPathsMap": {name: f"$.{name}" for name in _PATHS},  # "detail" last: moto fills in order
    "InputTemplate": '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", '
    '"source": "<source>", "account": "<account>", "time": "<time>", "region": "<region>", '
    '"resources": <resources>, "detail": <detail>}',
}


@dataclass(frozen=True)
class QueueRef:
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


@dataclass(frozen=True)
class Provisioned:
    bus_name: str
    bus_arn: str
    archive_arn: str
    queues: dict[str, QueueRef]  # by rule name


def speed_up_moto() -> None:
    """moto is written for tests, not for an on-sale. Three of its hot spots, each patched to
    return exactly what moto returns, in the process that runs moto's server:

    - it compiles the same JSONPath expressions (a yacc table build each) for every event an
      input transformer handles;
    - it takes the time through two datetime conversions, once per message per check, and
      checks every message of a queue for each message it sends or hands out;
    - it counts every message of a queue to find the queue's retention period, and scans the
      queue twice, a function call per message, to delete one (here once, under the queue's
      lock, replacing the list as moto does).

    And one race: a receive reads a queue's in-flight set while another worker's receive
    changes it ("Set changed size during iteration", a 500); it is read again until whole.
    """
    import jsonpath_ng.ext
    import moto.core.utils
    import moto.sqs.models
    from moto.sqs.exceptions import ReceiptHandleIsInvalid

    parse = jsonpath_ng.ext.parse  # type: ignore[attr-defined]
    if hasattr(parse, "cache_info"):
        return
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(parse)  # type: ignore[attr-defined]
    slow_unix_time = moto.core.utils.unix_time

    def unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else slow_unix_time(dt)

    def unix_time_millis(dt: Any = None) -> float:
        return unix_time(dt) * 1000.0

    def retained(backend: Any, queue_name: str, message: Any) -> bool:
        period = int(backend.get_queue(queue_name).message_retention_period)
        return bool(period + message.sent_timestamp / 1000 > time.time())

    def visible(queue: Any) -> list[Any]:  # Queue.messages: visible and not delayed, in order
        now = time.time() * 1000
        return [m for m in queue._messages if now > m.visible_at and not now < m.delayed_until]

    def delete(queue: Any, receipt_handle: str) -> None:  # Queue.delete_message
        with queue._messages_lock:  # other workers delete from the same queue meanwhile
            if receipt_handle in queue.deleted_messages:
                return  # already deleted: moto accepts it again
            found = next(
                (
                    m
                    for m in queue._messages
                    if m.receipt_handle == receipt_handle
                    or receipt_handle in m._old_receipt_handles
                ),
                None,
            )
            if found is None:
                raise ReceiptHandleIsInvalid()
            queue.pending_messages.discard(found)
            queue.deleted_messages.update(found.all_receipt_handles)
            queue._messages = [m for m in queue._messages if m is not found]

    def pending_groups(queue: Any) -> set[str]:  # Queue.pending_message_groups
        while True:
            try:
                pending = list(queue._pending_messages)
            except RuntimeError:  # changed while being copied: copy again
                continue
            return {m.group_id for m in pending if m.group_id is not None}

    moto.sqs.models.Queue.pending_message_groups = property(pending_groups)  # type: ignore[assignment,method-assign]
    moto.sqs.models.Queue.messages = property(visible)  # type: ignore[assignment,method-assign]
    moto.sqs.models.Queue.delete_message = delete  # type: ignore[method-assign,assignment]
    for module in (moto.core.utils, moto.sqs.models):
        module.unix_time = unix_time  # type: ignore[attr-defined]
        module.unix_time_millis = unix_time_millis  # type: ignore[attr-defined]
    moto.sqs.models.SQSBackend.is_message_valid_based_on_retention_period = retained  # type: ignore[method-assign,assignment]


class MotoServer:
    """moto's threaded server on a free loopback port.

    All servers in a process share moto's state; it is reset when the last one stops.
    """

    _running = 0

    def __init__(self) -> None:
        self._server: ThreadedMotoServer | None = None
        self.endpoint = ""

    def start(self) -> MotoServer:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request
        speed_up_moto()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        MotoServer._running += 1
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self

    def reset(self) -> None:
        urllib.request.urlopen(
            urllib.request.Request(f"{self.endpoint}/moto-api/reset", b"", method="POST")
        )

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            MotoServer._running -= 1
            if MotoServer._running == 0:
                self.reset()
            server.stop()


def _exists(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ResourceAlreadyExistsException"


def _queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") not in MISSING_QUEUE_CODES:
            raise
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return str(url), str(arn["QueueArn"])


def provision(
    events: Any,
    sqs: Any,
    bus_name: str,
    rules: Sequence[RuleSpec],
    *,
    archive_name: str | None = None,
    max_receive_count: int = 5,
    visibility_timeout: int = 30,
) -> Provisioned:
    """Create what is missing: the bus, its archive, and per rule a queue with its DLQ."""
    try:
        bus_arn = events.create_event_bus(Name=bus_name)["EventBusArn"]
    except ClientError as e:
        if not _exists(e):
            raise
        bus_arn = events.describe_event_bus(Name=bus_name)["Arn"]
    archive_name = archive_name or f"{bus_name}-archive"
    try:
        archive_arn = events.create_archive(ArchiveName=archive_name, EventSourceArn=bus_arn)[
            "ArchiveArn"
        ]
    except ClientError as e:
        if not _exists(e):
            raise
        archive_arn = events.describe_archive(ArchiveName=archive_name)["ArchiveArn"]
    queues = {}
    for rule in rules:
        dlq_url, dlq_arn = _queue(sqs, f"{rule.queue_name}-dlq", {})
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
        attributes = {
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(redrive),
        }
        url, arn = _queue(sqs, rule.queue_name, attributes)
        # put_rule and put_targets replace what exists: running twice changes nothing.
        events.put_rule(
            Name=rule.name, EventBusName=bus_name, EventPattern=json.dumps(rule.event_pattern)
        )
        target = {"Id": "queue", "Arn": arn, "InputTransformer": ENVELOPE}
        events.put_targets(Rule=rule.name, EventBusName=bus_name, Targets=[target])
        queues[rule.name] = QueueRef(url, arn, dlq_url, dlq_arn)
    return Provisioned(bus_name, str(bus_arn), str(archive_arn), queues)


@dataclass(frozen=True)
class LocalAws:
    endpoint: str
    provisioned: Provisioned
    events: Any
    sqs: Any


@contextmanager
def local_aws(
    bus_name: str = "seatledger", rules: Sequence[RuleSpec] = (), **options: Any
) -> Iterator[LocalAws]:
    """moto started, the endpoint variables set and the resources provisioned, for a block."""
    server = MotoServer().start()
    saved = {name: os.environ.get(name) for name in ENDPOINT_VARS}
    os.environ.update(dict.fromkeys(ENDPOINT_VARS, server.endpoint))
    try:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        events = boto3.client("events", region_name=region)
        sqs = boto3.client("sqs", region_name=region)
        provisioned = provision(events, sqs, bus_name, rules, **options)
        yield LocalAws(server.endpoint, provisioned, events, sqs)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()
