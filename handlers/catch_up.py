"""Lambda, on a schedule: each consumer follows the index a minute behind the bus, so whatever
the bus did not deliver is applied all the same (see `infra.pipeline.follower`)."""

import functools
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from domain.application import Ticketing
from infra.settings import Settings
from infra.wiring import catch_up, simulated_gateway, ticketing

GRACE_SECONDS = 60.0  # what the bus is still delivering is left to it


def make_handler(settings: Settings | None = None) -> Any:
    """The handler; settings from the environment unless given (as by the local runner)."""
    logger = Logger(service="catch-up")
    metrics = Metrics(namespace="seatledger", service="catch-up")

    @functools.cache
    def parts() -> tuple[Settings, Ticketing]:
        actual = settings or Settings.from_env()
        return actual, ticketing(actual, simulated_gateway(actual))

    @metrics.log_metrics
    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        grace = float(event.get("grace_seconds", GRACE_SECONDS))
        done = catch_up(*parts(), grace_seconds=grace)
        failed = {name: repr(e) for name, e in done.items() if isinstance(e, Exception)}
        handed = {name: n for name, n in done.items() if not isinstance(n, Exception)}
        metrics.add_metric("EventsCaughtUp", MetricUnit.Count, sum(handed.values()))
        metrics.add_metric("ConsumersStopped", MetricUnit.Count, len(failed))
        for name, error in failed.items():
            logger.warning("catch-up stopped; it goes on next time", extra={name: error})
        return {"handed": handed, "failed": failed}

    return handler


handler = make_handler()
