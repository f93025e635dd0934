"""SQS queues as the ledger wants them all: SSE, TLS only, long enough retention."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

MAX_RECEIVES = 5  # deliveries before a message is parked in the dead-letter queue


def secure_queue(
    scope: Construct,
    id: str,
    *,
    visibility_timeout: Duration | None = None,
    dead_letters: sqs.IQueue | None = None,
) -> sqs.Queue:
    """SQS-managed SSE rather than KMS: EventBridge cannot send to a queue under aws/sqs."""
    return sqs.Queue(
        scope,
        id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        # Parked messages wait for a person: keep them the longest SQS allows.
        retention_period=Duration.days(14 if dead_letters is None else 4),
        visibility_timeout=visibility_timeout,
        dead_letter_queue=(
            None
            if dead_letters is None
            else sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=MAX_RECEIVES)
        ),
    )
