"""Stream -> the ordered index: what each tip's record added, indexed; undecodable records parked.

A batch is all or nothing: retried whole, it is harmless, since the marks drop what is indexed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from infra.dynamodb.index import Committed, Indexer
from infra.dynamodb.stream import committed
from infra.pipeline.dead_letters import DeadLetters


@dataclass
class StreamIndexer:
    indexer: Indexer
    dead_letters: DeadLetters

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
