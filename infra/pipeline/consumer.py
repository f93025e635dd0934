"""What every queue handler shares: parse the bus events, park poison input, report failures.

A handler gets a whole batch at once, so it can work per aggregate (one read of the store for
several events of one aggregate) and in parallel across aggregates. A message that can never
be processed (not JSON, not our source, unknown detail-type, a detail that breaks its schema,
an event the store does not hold) is parked in the dead-letter queue with the reason and counts
as handled, so it neither blocks nor is lost. Any other error fails just that message (a
partial batch response); SQS redelivers it, and after `maxReceiveCount` receives its redrive
policy moves it to the same dead-letter queue. A message whose command came before its time
(`NotYetDue`) is put off until then (`deferrals`) and counts as handled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from domain.contract import SOURCE, EventDetail, UnknownDetailType, parse_detail
from domain.reactions import NotYetDue
from infra.pipeline.dead_letters import DeadLetters, PoisonInput
from infra.pipeline.deferrals import Deferrals

Outcome = Exception | None  # None: done
Handle = Callable[[list[EventDetail]], list[Outcome]]  # one outcome per detail, in order


def parse_message(body: str) -> EventDetail:
    """The detail of an EventBridge event delivered to SQS; PoisonInput when it is not one."""
    try:
        event = json.loads(body)
    except ValueError as e:
        raise PoisonInput(f"body is not JSON: {e}") from e
    if not isinstance(event, dict) or event.get("source") != SOURCE:
        raise PoisonInput(f"not an event of source {SOURCE!r}")
    try:
        return parse_detail(str(event.get("detail-type")), event.get("detail"))
    except (ValidationError, UnknownDetailType) as e:
        raise PoisonInput(f"detail does not match its schema: {e}") from e


class QueueConsumer:
    def __init__(
        self,
        handle: Handle,
        dead_letters: DeadLetters,
        metrics: Metrics,
        deferrals: Deferrals | None = None,
    ) -> None:
        self.handle = handle
        self.dead_letters = dead_letters
        self.metrics = metrics
        self.deferrals = deferrals

    def outcomes(self, records: list[dict[str, Any]]) -> dict[str, Outcome]:
        """Each message's outcome, by message id; poison is parked (and so done)."""
        outcome: dict[str, Outcome] = {}
        details: list[tuple[str, EventDetail]] = []
        event_ids: dict[str, UUID] = {}
        for record in records:
            try:
                details.append((record["messageId"], parse_message(record["body"])))
            except PoisonInput as e:
                outcome[record["messageId"]] = e
        if details:
            event_ids = {mid: d.event_id for mid, d in details}
            results = self.handle([d for _, d in details])
            outcome.update((mid, result) for (mid, _), result in zip(details, results, strict=True))
        bodies = {r["messageId"]: r["body"] for r in records}
        for mid, result in outcome.items():
            if isinstance(result, PoisonInput):
                self.dead_letters.park(bodies[mid], str(result))
                self.metrics.add_metric("PoisonMessages", MetricUnit.Count, 1)
                outcome[mid] = None
            elif isinstance(result, NotYetDue) and self.deferrals is not None:
                try:
                    self.deferrals.defer(bodies[mid], result.due, event_ids[mid])
                except Exception as e:  # noqa: BLE001 - this message fails, the batch goes on
                    outcome[mid] = e
                    continue
                self.metrics.add_metric("Deferred", MetricUnit.Count, 1)
                outcome[mid] = None
        done = sum(1 for result in outcome.values() if result is None)
        self.metrics.add_metric("MessagesHandled", MetricUnit.Count, done)
        return outcome
