"""Lambda: the reallocation queue -> confirm, fail (passing seats on) or reject orders."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from infra.configured import Configured
from infra.logs import CorrelatedFormatter
from infra.pipeline.batch import ConsumerBatchProcessor
from infra.pipeline.consumer import QueueConsumer
from infra.settings import Settings
from infra.wiring import queue_consumer, reactor, ticketing
from projections.reactions import REALLOCATION

logger = Logger(service="reallocation", logger_formatter=CorrelatedFormatter())
tracer = Tracer(service="reallocation")
metrics = Metrics(namespace="seatledger", service="reallocation")
processor = ConsumerBatchProcessor(logger=logger)


def build(settings: Settings) -> QueueConsumer:
    app = ticketing(settings)
    return queue_consumer(
        "reallocation", settings, reactor(REALLOCATION, settings, app, logger).apply, metrics
    )


consumer = Configured(build)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=consumer().outcomes, processor=processor, context=context
    )
