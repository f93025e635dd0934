"""Where input that can never be processed is parked, with the reason, instead of blocking."""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger(__name__)
MAX_BODY = 250_000  # an SQS message holds 256 KB; the reason and metadata need room too


class PoisonInput(ValueError):
    """This input can never be processed: retrying will not help."""


class DeadLetters:
    def __init__(self, sqs: Any, queue_url: str, source: str) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.source = source

    def park(self, body: str, reason: str) -> None:
        """Keep the input and why it failed; raises if it cannot be kept (so it is retried)."""
        if not self.queue_url:
            raise RuntimeError(f"no dead-letter queue configured; cannot park input: {reason}")
        if len(body.encode()) > MAX_BODY:
            body = json.dumps({"truncated": True, "head": body[: MAX_BODY // 2]})
        self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=body,
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": reason[:1000] or "unknown"},
                "source": {"DataType": "String", "StringValue": self.source},
            },
        )
        logger.warning("parked poison input from %s: %s", self.source, reason)
