"""Keeps one view exact per aggregate, under duplicate, late and out-of-order delivery.

Each view item belongs to one aggregate and records the aggregate version it reflects
(``version``). For the events of a batch, per aggregate, the aggregate's events are read from
the store (strongly consistent: one query for the tip, and its archive items if it has grown
past one), folded from the first, and the item is written on condition that the stored item is
older. So:

- a duplicate or late event changes nothing (the item is already at or past its version);
- a gap is filled: the fold holds every stored event, never the bus payload;
- two workers racing on one item: the one with the newer fold wins, whatever the order.

Different aggregates are independent: they are worked on in parallel, and no position is
shared by every event.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError

from domain.contract import EventDetail
from infra.correlation import correlated
from infra.dynamodb.client import call_with_retry
from infra.pipeline.consumer import Outcome
from infra.pipeline.dead_letters import PoisonInput
from infra.pipeline.source import StoreSource
from infra.readmodels.codec import to_ddb
from infra.retry import Backoff, error_code
from projections.base import Fact, Item, View

POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="projector")
logger = logging.getLogger(__name__)


def fold(view: View, item: Item | None, events: Iterable[Fact]) -> Item | None:
    """The item after `events` (all of one aggregate, in version order, above its version)."""
    for fact in events:
        if fact.detail_type in view.detail_types:
            item = view.apply(item, fact)
        if item is not None:
            item = {**item, "version": fact.aggregate_version}
    return item


def key_of(view: View, detail: EventDetail) -> str:
    """The view item a bus event concerns (its payload is not needed for that)."""
    return view.key(Fact(detail.detail_type, detail.aggregate_id, 0, "", {}))


@dataclass
class Projector:
    client: Any  # low-level DynamoDB client
    table: str
    view: View
    source: StoreSource
    backoff: Backoff = field(default_factory=lambda: Backoff(attempts=12, base=0.01, cap=0.5))
    logger: logging.Logger | Any = field(default_factory=lambda: logger)  # the handler's logger

    def apply(self, details: list[EventDetail]) -> list[Outcome]:
        """Bring the view up to each detail it concerns; one outcome per detail."""
        groups: dict[str, list[int]] = {}
        outcome: list[Outcome] = [None] * len(details)
        for i, detail in enumerate(details):
            if detail.detail_type in self.view.detail_types and not detail.test:
                groups.setdefault(key_of(self.view, detail), []).append(i)
        work = {
            key: POOL.submit(self._bring_up, [details[i] for i in indexes])
            for key, indexes in groups.items()
        }
        for key, future in work.items():
            try:
                results = future.result()
            except Exception as e:  # the whole group is retried
                results = [e] * len(groups[key])
            for i, result in zip(groups[key], results, strict=True):
                outcome[i] = result
        return outcome

    def refresh(self, aggregate_id: UUID) -> list[Fact]:
        """Fold the aggregate's stored events into its item; returns the events."""
        events = self.source.history(aggregate_id)
        item = fold(self.view, None, events)
        if item is not None:
            self._put(item)
        return events

    def _bring_up(self, delivered: list[EventDetail]) -> list[Outcome]:
        """Bring one aggregate's item up; check each delivered event against the store."""
        with correlated(delivered[-1].correlation_id):
            return self._bring_up_now(delivered)

    def _bring_up_now(self, delivered: list[EventDetail]) -> list[Outcome]:
        events = self.refresh(delivered[0].aggregate_id)
        last = delivered[-1]
        self.logger.info(
            "%s view: %s %s v%d (store at v%d)",
            self.view.name,
            last.detail_type,
            last.aggregate_id,
            last.aggregate_version,
            events[-1].aggregate_version if events else 0,
        )
        stored = {fact.aggregate_version: fact for fact in events}
        results: list[Outcome] = []
        for detail in delivered:
            try:
                self.source.check(detail, stored.get(detail.aggregate_version))
                results.append(None)
            except PoisonInput as e:
                results.append(e)
        return results

    def _put(self, item: Item) -> None:
        """Write the item unless the stored one is as new (a duplicate, or a later fold)."""
        try:
            call_with_retry(
                self.client.put_item,
                self.backoff,
                TableName=self.table,
                Item=to_ddb(item),
                ConditionExpression="attribute_not_exists(pk) OR version < :new",
                ExpressionAttributeValues={":new": {"N": str(item["version"])}},
            )
        except ClientError as e:
            if error_code(e) != "ConditionalCheckFailedException":
                raise
