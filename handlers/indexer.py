"""Lambda: the event table's stream -> the ordered index (see `infra.pipeline.indexing`)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from infra.configured import Configured
from infra.logs import CorrelatedFormatter
from infra.pipeline.indexing import StreamIndexer
from infra.settings import Settings
from infra.wiring import dead_letters, indexer

logger = Logger(service="indexer", logger_formatter=CorrelatedFormatter())
tracer = Tracer(service="indexer")
metrics = Metrics(namespace="seatledger", service="indexer")


def build(settings: Settings) -> StreamIndexer:
    return StreamIndexer(indexer(settings), dead_letters(settings, "indexer"), metrics)


stream_indexer = Configured(build)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return stream_indexer().handle(event)
