"""Lambda: the event table's stream -> the EventBridge bus (see `infra.pipeline.forwarder`)."""

import functools
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from infra.pipeline.forwarder import Forwarder
from infra.settings import Settings
from infra.wiring import dead_letters


def make_handler(settings: Settings | None = None, events: Any = None) -> Any:
    """The handler; settings from the environment unless given (as by the local runners)."""
    logger = Logger(service="stream-forwarder")
    metrics = Metrics(namespace="seatledger", service="stream-forwarder")

    @functools.cache
    def forwarder() -> Forwarder:
        actual = settings or Settings.from_env()
        return Forwarder(
            events or boto3.client("events"),
            actual.event_bus,
            dead_letters(actual, "stream-forwarder"),
        )

    @metrics.log_metrics
    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event.get("Records") or []
        failed = forwarder().forward(records)
        metrics.add_metric("RecordsForwarded", MetricUnit.Count, len(records) - len(failed))
        if failed:
            logger.warning("records not forwarded, to be retried", extra={"first": failed[0]})
        return {"batchItemFailures": [{"itemIdentifier": seq} for seq in failed]}

    return handler


handler = make_handler()
