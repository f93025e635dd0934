"""Lambda: API Gateway (REST, proxy) -> the ledger's HTTP API (see `infra.api.routes`)."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from infra.api.errors import refuse_non_json, refuse_unreadable
from infra.api.routes import build_resolver
from infra.logs import CorrelatedFormatter, correlated_request

logger = Logger(service="api", logger_formatter=CorrelatedFormatter())
tracer = Tracer(service="api")
resolver = build_resolver()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@correlated_request  # the request's X-Correlation-Id (or its request id), and in the answer
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return refuse_non_json(event) or refuse_unreadable(event) or resolver.resolve(event, context)
