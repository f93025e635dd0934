"""Lambda: the event table's stream -> the ordered index (see `infra.dynamodb.index`)."""

import functools
import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from infra.dynamodb.index import Committed, Indexer
from infra.dynamodb.stream import committed
from infra.pipeline.dead_letters import DeadLetters
from infra.settings import APP_NAME, Settings
from infra.wiring import dead_letters, indexer


def make_handler(settings: Settings | None = None) -> Any:
    """The handler; settings from the environment unless given (as by the local runners)."""
    logger = Logger(service="indexer")
    metrics = Metrics(namespace="seatledger", service="indexer")

    @functools.cache
    def parts() -> tuple[Indexer, DeadLetters]:
        actual = settings or Settings.from_env()
        return indexer(actual), dead_letters(actual, "indexer")

    def batches(records: list[dict[str, Any]]) -> list[Committed]:
        found = []
        for record in records:
            try:
                decoded = committed(record)
            except Exception as e:  # a corrupt item: retrying cannot help; keep it, with why
                parts()[1].park(json.dumps(record), f"undecodable stream record: {e!r}")
                continue
            if decoded and decoded[0] == APP_NAME:
                found.append(decoded[1])
        return found

    @metrics.log_metrics
    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        # All or nothing: a retried batch is harmless, since the marks drop what is indexed.
        indexed = parts()[0].index(batches(event.get("Records") or []))
        metrics.add_metric("EventsIndexed", MetricUnit.Count, len(indexed))
        return {"batchItemFailures": []}

    return handler


handler = make_handler()
