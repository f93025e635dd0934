"""Lambda: the read-model queue -> seat map, orders and payments views."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from infra.configured import Configured
from infra.logs import CorrelatedFormatter
from infra.pipeline.batch import ConsumerBatchProcessor
from infra.pipeline.consumer import QueueConsumer
from infra.settings import Settings
from infra.wiring import catalog_views, queue_consumer, ticketing

logger = Logger(service="read-models", logger_formatter=CorrelatedFormatter())
tracer = Tracer(service="read-models")
metrics = Metrics(namespace="seatledger", service="read-models")
processor = ConsumerBatchProcessor(logger=logger)


def build(settings: Settings) -> QueueConsumer:
    views = catalog_views(settings, ticketing(settings), logger)
    return queue_consumer("read-models", settings, views, metrics)


consumer = Configured(build)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=consumer().outcomes, processor=processor, context=context
    )
