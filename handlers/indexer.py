"""Lambda: the event table's stream -> the ordered index (see `infra.pipeline.indexing`)."""

import functools
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from infra.pipeline.indexing import StreamIndexer
from infra.settings import Settings
from infra.wiring import dead_letters, indexer


def make_handler(settings: Settings | None = None) -> Any:
    """The handler; settings from the environment unless given (as by the local runners)."""
    logger = Logger(service="indexer")
    metrics = Metrics(namespace="seatledger", service="indexer")

    @functools.cache
    def stream_indexer() -> StreamIndexer:
        actual = settings or Settings.from_env()
        return StreamIndexer(indexer(actual), dead_letters(actual, "indexer"))

    @metrics.log_metrics
    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        indexed = stream_indexer().index(event.get("Records") or [])
        metrics.add_metric("EventsIndexed", MetricUnit.Count, indexed)
        return {"batchItemFailures": []}

    return handler


handler = make_handler()
