"""Lambda: the event table's stream -> the EventBridge bus (see `infra.pipeline.forwarder`)."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from infra.configured import Configured
from infra.logs import CorrelatedFormatter
from infra.pipeline.forwarder import Forwarder
from infra.settings import Settings
from infra.wiring import dead_letters

logger = Logger(service="stream-forwarder", logger_formatter=CorrelatedFormatter())
tracer = Tracer(service="stream-forwarder")
metrics = Metrics(namespace="seatledger", service="stream-forwarder")


def build(settings: Settings, events: Any = None) -> Forwarder:
    """`events`: an EventBridge client (tests give a faulty one)."""
    return Forwarder(
        events or boto3.client("events"),
        settings.event_bus,
        dead_letters(settings, "stream-forwarder"),
        logger=logger,
        metrics=metrics,
    )


forwarder = Configured(build)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return forwarder().handle(event)
