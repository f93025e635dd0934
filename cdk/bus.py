"""The EventBridge bus with an archive, and one rule per `infra.rules.RuleSpec`."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.rules import RuleSpec

ARCHIVE_RETENTION = Duration.days(90)
_PATTERN_FIELDS = frozenset(inspect.signature(events.EventPattern).parameters)


class Bus(Construct):
    def __init__(self, scope: Construct, id: str, *, archive: bool = True) -> None:
        super().__init__(scope, id)
        self.bus = events.EventBus(self, "Bus", description="seatledger domain events")
        if not archive:  # the LocalStack variant's (cdk/variant.py)
            return
        # Everything published on the bus, for `seatledger bus replay` to a consumer after a fix.
        self.archive = self.bus.archive(
            "Archive",
            description="every seatledger event published on the bus",
            event_pattern=events.EventPattern(account=[Stack.of(self).account]),
            retention=ARCHIVE_RETENTION,
        )

    def route(self, spec: RuleSpec, queue: sqs.IQueue, dead_letters: sqs.IQueue) -> events.Rule:
        """`spec`'s pattern, verbatim, to `queue`; what EventBridge cannot deliver is parked in
        the consumer's own dead-letter queue, so one alarm covers both."""
        return events.Rule(
            self,
            spec.name,
            event_bus=self.bus,
            description=f"seatledger {spec.name}: events for {spec.handler}",
            event_pattern=event_pattern(spec.event_pattern),
            targets=[
                targets.SqsQueue(
                    queue, dead_letter_queue=dead_letters, max_event_age=Duration.hours(24)
                )
            ],
        )


def event_pattern(pattern: Mapping[str, Any]) -> events.EventPattern:
    """A JSON event pattern as CDK's `EventPattern` (``detail-type`` -> ``detail_type``)."""
    fields = {key.replace("-", "_"): value for key, value in pattern.items()}
    unknown = set(fields) - _PATTERN_FIELDS
    if unknown:
        raise ValueError(f"event pattern fields CDK cannot express: {sorted(unknown)}")
    return events.EventPattern(**fields)
