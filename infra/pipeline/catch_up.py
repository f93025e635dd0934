"""The scheduled catch-up: each consumer follows the index a minute behind the bus, so whatever
the bus did not deliver is applied all the same (see `infra.pipeline.follower`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from domain.application import Ticketing
from infra.settings import Settings
from infra.wiring import catch_up

GRACE_SECONDS = 60.0  # what the bus is still delivering is left to it


@dataclass
class CatchUp:
    settings: Settings
    app: Ticketing
    logger: logging.Logger | Any
    metrics: Metrics | None = None

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        """A schedule's event (`grace_seconds` may say how far behind) -> what each consumer
        was handed, and which stopped (each goes on from its position next time)."""
        grace = float(event.get("grace_seconds", GRACE_SECONDS))
        done = catch_up(self.settings, self.app, grace_seconds=grace, logger=self.logger)
        failed = {name: repr(e) for name, e in done.items() if isinstance(e, Exception)}
        handed = {name: n for name, n in done.items() if not isinstance(n, Exception)}
        if self.metrics is not None:
            self.metrics.add_metric("EventsCaughtUp", MetricUnit.Count, sum(handed.values()))
            self.metrics.add_metric("ConsumersStopped", MetricUnit.Count, len(failed))
        for name, error in failed.items():
            self.logger.warning("catch-up stopped; it goes on next time", extra={name: error})
        if any(handed.values()):
            self.logger.info("caught up", extra=handed)
        return {"handed": handed, "failed": failed}
