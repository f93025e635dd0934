"""Lambda, on a schedule: each consumer follows the index a minute behind the bus, so whatever
the bus did not deliver is applied all the same (see `infra.pipeline.catch_up`)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from infra.configured import Configured
from infra.logs import CorrelatedFormatter
from infra.pipeline.catch_up import CatchUp
from infra.settings import Settings
from infra.wiring import simulated_gateway, ticketing

logger = Logger(service="catch-up", logger_formatter=CorrelatedFormatter())
tracer = Tracer(service="catch-up")
metrics = Metrics(namespace="seatledger", service="catch-up")


def build(settings: Settings) -> CatchUp:
    return CatchUp(settings, ticketing(settings, simulated_gateway(settings)), logger, metrics)


catch_up = Configured(build)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return catch_up().handle(event)
