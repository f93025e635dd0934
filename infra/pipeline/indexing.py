"""Stream -> the ordered index: what each tip's record added, indexed; undecodable records parked.

A batch is all or nothing: retried whole, it is harmless, since the marks drop what is indexed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from infra.dynamodb.index import Committed, Indexer
from infra.dynamodb.stream import committed
from infra.pipeline.dead_letters import DeadLetters


@dataclass
class StreamIndexer:
    indexer: Indexer
    dead_letters: DeadLetters
    metrics: Metrics | None = None

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        """A Lambda stream event, indexed whole (or raised, to be retried whole)."""
        indexed = self.index(event.get("Records") or [])
        if self.metrics is not None:
            self.metrics.add_metric("EventsIndexed", MetricUnit.Count, indexed)
        return {"batchItemFailures": []}

    def index(self, records: list[dict[str, Any]]) -> int:
        """Index the events of `records` not indexed yet; returns how many were indexed."""
        batches: list[Committed] = []
        for record in records:
            try:
                decoded = committed(record)
            except Exception as e:  # a corrupt item: retrying cannot help; keep it, with why
                self.dead_letters.park(json.dumps(record), f"undecodable stream record: {e!r}")
                continue
            if decoded and decoded[0] == self.indexer.app:
                batches.append(decoded[1])
        return len(self.indexer.index(batches))
