"""Lambda: API Gateway (REST, proxy) -> the ledger's HTTP API (see `infra.api.routes`)."""

from typing import Any

from aws_lambda_powertools import Logger

from infra.api.errors import refuse_non_json, refuse_unreadable
from infra.api.routes import build_resolver

logger = Logger(service="api")
resolver = build_resolver()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return refuse_non_json(event) or refuse_unreadable(event) or resolver.resolve(event, context)
