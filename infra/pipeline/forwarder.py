"""Stream -> bus: each aggregate's new events in a DynamoDB stream batch become PutEvents entries.

Only tips carry new events (one stream record per save of an aggregate, in version order per
aggregate; see `infra.dynamodb.stream`). Entries of a batch are published together, each
aggregate's in version order, failed entries alone retried (`infra.publisher`). Records whose
entries still fail are reported, so the event source mapping retries from the first of them:
nothing is dropped, nothing before it is skipped, and what follows may be published again
(consumers ignore duplicates). A record that can never be decoded, or whose entries EventBridge
refuses for good (too large, malformed), is parked with the reason instead of blocking the shard.
Each entry's detail carries the correlation id its tip was written with (`cid`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from eventsourcing.persistence import Mapper

from domain.contract import SOURCE
from infra.correlation import correlated, valid
from infra.dynamodb.stream import committed
from infra.pipeline.dead_letters import DeadLetters
from infra.pipeline.source import default_mapper, detail_of
from infra.publisher import PERMANENT_CODES, FailedEntry, PublishError, entry_detail, publish
from infra.retry import Backoff


@dataclass
class Forwarder:
    events: Any  # boto3 EventBridge client
    bus_name: str
    dead_letters: DeadLetters
    mapper: Mapper[UUID] | None = None
    _mapper: Mapper[UUID] = field(init=False)
    backoff: Backoff | None = None
    sleep: Callable[[float], None] | None = None
    logger: logging.Logger | Any = field(default_factory=lambda: logging.getLogger(__name__))
    metrics: Metrics | None = None

    def __post_init__(self) -> None:
        self._mapper = self.mapper or default_mapper()  # once, not per record

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        """A Lambda stream event -> its partial batch response (the first failed record on)."""
        records = event.get("Records") or []
        failed = self.forward(records)
        if self.metrics is not None:
            self.metrics.add_metric(
                "RecordsForwarded", MetricUnit.Count, len(records) - len(failed)
            )
        if failed:
            self.logger.warning("records not forwarded, to be retried", extra={"first": failed[0]})
        return {"batchItemFailures": [{"itemIdentifier": seq} for seq in failed]}

    def entries(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        found = committed(record)
        if found is None:  # not a tip: no events to publish
            return []
        app, batch = found
        cid = valid(record["dynamodb"]["NewImage"].get("cid", {}).get("S"))
        details = [
            detail_of(self._mapper, app, e).model_copy(update={"correlation_id": cid})
            for e in batch.events
        ]
        return [
            {
                "Source": SOURCE,
                "DetailType": d.detail_type,
                "Detail": entry_detail(d),
                "EventBusName": self.bus_name,
                "Time": d.occurred_at,
            }
            for d in details
        ]

    def forward(self, records: list[dict[str, Any]]) -> list[str]:
        """Publish a batch; returns the sequence numbers of records to report as failed."""
        entries: list[dict[str, Any]] = []
        owner: list[int] = []  # record index of each entry
        for index, record in enumerate(records):
            try:
                built = self.entries(record)
            except Exception as e:  # undecodable: retrying cannot help
                self.dead_letters.park(json.dumps(record), f"undecodable stream record: {e!r}")
                continue
            entries += built
            owner += [index] * len(built)
        failed: list[FailedEntry] = []
        try:
            options = {"sleep": self.sleep} if self.sleep else {}
            publish(self.events, entries, self.backoff, **options)
        except PublishError as e:
            failed = e.failed
        self._report([e for i, e in enumerate(entries) if i not in {f.index for f in failed}])
        retry = {owner[f.index] for f in failed if f.code not in PERMANENT_CODES}
        refused: dict[int, list[str]] = {}
        for f in failed:
            if owner[f.index] not in retry:
                refused.setdefault(owner[f.index], []).append(str(f))
        for index, reasons in refused.items():  # retrying cannot help: keep it, with why
            self.dead_letters.park(json.dumps(records[index]), "; ".join(reasons))
        if retry:
            return [r["dynamodb"]["SequenceNumber"] for r in records[min(retry) :]]
        return []

    def _report(self, published: list[dict[str, Any]]) -> None:
        """One log line per event published, under its correlation id. Orders confirmed are
        counted here, where every confirmation passes (a retried batch may count one twice)."""
        confirmed = 0
        for entry in published:
            detail = json.loads(entry["Detail"])
            with correlated(detail.get("correlation_id")):
                self.logger.info(
                    "forwarded %s %s v%s",
                    entry["DetailType"],
                    detail["aggregate_id"],
                    detail["aggregate_version"],
                )
            confirmed += entry["DetailType"] == "OrderConfirmed"
        if confirmed and self.metrics is not None:
            self.metrics.add_metric("OrdersConfirmed", MetricUnit.Count, confirmed)
