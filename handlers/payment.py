"""Lambda: the payment queue -> StartPayment (charges the card, once per order)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from infra.configured import Configured
from infra.logs import CorrelatedFormatter
from infra.pipeline.batch import ConsumerBatchProcessor
from infra.pipeline.consumer import QueueConsumer
from infra.settings import Settings
from infra.wiring import queue_consumer, reactor, simulated_gateway, ticketing
from projections.reactions import PAYMENT

logger = Logger(service="payment", logger_formatter=CorrelatedFormatter())
tracer = Tracer(service="payment")
metrics = Metrics(namespace="seatledger", service="payment")
processor = ConsumerBatchProcessor(logger=logger)


def build(settings: Settings) -> QueueConsumer:
    app = ticketing(settings, simulated_gateway(settings))
    return queue_consumer(
        "payment", settings, reactor(PAYMENT, settings, app, logger).apply, metrics
    )


consumer = Configured(build)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=consumer().outcomes, processor=processor, context=context
    )
