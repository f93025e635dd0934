"""The pipeline's queues as operators see them: each consumer's queue and dead-letter queue, found
in the local stack's resources.json or in the CloudFormation stack's `Queues` output."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from cli.common import DATA_DIR, Exit, fail
from infra.settings import ENV_VARS

STACK_VAR = "SEATLEDGER_STACK"  # the deployed CloudFormation stack (cdk.app.STACK_NAME)
STACK_NAME = "SeatLedger"
# CloudFormation outputs -> the settings the operator commands read (see infra.settings).
TABLE_OUTPUTS = {
    "EventTableName": ENV_VARS["event_table"],
    "IndexTableName": ENV_VARS["index_table"],
}
DEPTHS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
PEEK_SECONDS = 30  # how long a listed message stays hidden at most (they are let go at once)


@dataclass(frozen=True)
class Queues:
    name: str  # a rule (payment, reallocation, read-models) or a function (indexer...)
    dead_letters: str  # URL of its dead-letter (or on-failure) queue
    source: str | None = None  # URL of the queue its dead letters go back to, if any


def local_queues() -> list[Queues]:
    """From the file `make up` writes (plain JSON: the CLI does not import moto)."""
    try:
        data = json.loads((DATA_DIR / "resources.json").read_text())
    except (OSError, ValueError):
        fail(Exit.UNREACHABLE, "the local stack's resources.json is missing: start `make up`")
    found = [Queues(n, q["dlq_url"], q["url"]) for n, q in data["provisioned"]["queues"].items()]
    found += [
        Queues("stream-forwarder", data["forwarder_dlq_url"]),
        Queues("indexer", data["indexer_dlq_url"]),
    ]
    return found


def stack_outputs(name: str) -> dict[str, str]:
    import boto3

    try:
        stack = boto3.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as e:
        fail(Exit.NOT_FOUND, f"no CloudFormation stack {name!r} ({STACK_VAR}): {e}")
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def aws_queues() -> list[Queues]:
    """From the deployed stack's outputs; its table names become the commands' settings."""
    name = os.environ.get(STACK_VAR) or STACK_NAME
    outputs = stack_outputs(name)
    for output, variable in TABLE_OUTPUTS.items():
        if output in outputs:
            os.environ.setdefault(variable, outputs[output])
    if "Queues" not in outputs:
        fail(Exit.NOT_FOUND, f"stack {name} has no Queues output: deploy this version first")
    queues = json.loads(outputs["Queues"])
    return [Queues(n, q["dead_letters"], q.get("queue")) for n, q in queues.items()]


def pick(queues: list[Queues], name: str | None) -> list[Queues]:
    """All queues, or the one called `name` (the rule's or function's name, or a queue URL)."""
    if name is None:
        return queues
    chosen = [q for q in queues if name in (q.name, q.dead_letters, q.dead_letters.rsplit("/")[-1])]
    if not chosen:
        fail(Exit.USAGE, f"no queue {name!r}; queues: {', '.join(q.name for q in queues)}")
    return chosen


def depth(sqs: Any, url: str) -> dict[str, int]:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=DEPTHS)["Attributes"]
    return {"waiting": int(attrs[DEPTHS[0]]), "in_flight": int(attrs[DEPTHS[1]])}


def received(sqs: Any, url: str, hide: int) -> Iterator[dict[str, Any]]:
    """Every message waiting, each once: hidden for `hide` seconds as it is received."""
    while True:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=hide,
            WaitTimeSeconds=1,  # long polling: short polls may miss messages on AWS
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            return
        yield from batch


def peek(sqs: Any, url: str, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` messages, read and then let go (visible again at once)."""
    found: list[dict[str, Any]] = []
    for message in received(sqs, url, PEEK_SECONDS):
        found.append(message)
        if len(found) >= limit:
            break
    for i in range(0, len(found), 10):
        sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for n, m in enumerate(found[i : i + 10])
            ],
        )
    return found


def reason_of(message: dict[str, Any]) -> str:
    """Why a message was parked: a handler's reason, EventBridge's error, a stream batch's
    condition, or (no reason given) the source queue's redrive policy."""
    attrs = {k: v.get("StringValue", "") for k, v in message.get("MessageAttributes", {}).items()}
    if "reason" in attrs:
        return str(attrs["reason"])
    if "ERROR_CODE" in attrs:  # EventBridge could not deliver to the rule's queue
        return f"{attrs['ERROR_CODE']}: {attrs.get('ERROR_MESSAGE', '')}".strip(": ")
    try:
        body = json.loads(message.get("Body", ""))
    except ValueError:
        body = None
    if isinstance(body, dict):
        context = body.get("requestContext", body)  # Lambda's stream record, or the local one
        if "condition" in context:
            why = body.get("reason") or body.get("responseContext", {}).get("functionError")
            return f"{context['condition']}: {why}" if why else str(context["condition"])
    count = message.get("Attributes", {}).get("ApproximateReceiveCount")
    received_text = f" (received {count} times)" if count else ""
    return f"failed every delivery allowed by its queue's redrive policy{received_text}"


def redrive(sqs: Any, queue: Queues, hide: int = 60) -> int:
    """Send each parked message back to its source queue; returns how many went.

    Sent first, then deleted: a failure in between leaves a duplicate (consumers apply each
    event once), never a loss. Messages parked after it began (the same poison, back again)
    are left for the next run, so it ends."""
    assert queue.source is not None
    began, moved, later = time.time() * 1000, 0, []
    for message in received(sqs, queue.dead_letters, hide):
        if int(message.get("Attributes", {}).get("SentTimestamp", 0)) > began:
            later.append(message)
            continue
        sqs.send_message(QueueUrl=queue.source, MessageBody=message["Body"])
        sqs.delete_message(QueueUrl=queue.dead_letters, ReceiptHandle=message["ReceiptHandle"])
        moved += 1
    for message in later:
        sqs.change_message_visibility(
            QueueUrl=queue.dead_letters, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return moved
