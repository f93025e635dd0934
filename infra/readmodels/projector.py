"""Keeps one view exact per aggregate, under duplicate, late and out-of-order delivery.

Each view item belongs to one aggregate and records the aggregate version it has applied
(``version``). For the events of a batch, per aggregate:

- at or below the item's version: a duplicate or a late event; nothing changes;
- above it: the aggregate's events after that version are read from the store, strongly
  consistent, and applied in order (this fills any gap; the bus payload is never applied), and
  the item is written on condition that its version is still the one read;
- two workers racing on one item: one wins, the other re-reads and finds its work done.

Different aggregates are independent: they are worked on in parallel, and no position is
shared by every event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from domain.contract import EventDetail
from infra.dynamodb.client import call_with_retry
from infra.pipeline.consumer import Outcome
from infra.pipeline.dead_letters import PoisonInput
from infra.pipeline.source import StoreSource
from infra.readmodels.codec import from_ddb, to_ddb
from infra.retry import Backoff, error_code
from projections.base import Fact, Item, View

POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="projector")


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
    sleep: Callable[[float], None] = time.sleep

    def apply(self, details: list[EventDetail]) -> list[Outcome]:
        """Bring the view up to each detail it concerns; one outcome per detail."""
        groups: dict[str, list[int]] = {}
        outcome: list[Outcome] = [None] * len(details)
        for i, detail in enumerate(details):
            if detail.detail_type in self.view.detail_types and not detail.test:
                groups.setdefault(key_of(self.view, detail), []).append(i)
        if not groups:
            return outcome
        items = self._read(set(groups))
        work = {
            key: POOL.submit(self._bring_up, items.get(key), [details[i] for i in indexes])
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

    def _bring_up(self, item: Item | None, delivered: list[EventDetail]) -> list[Outcome]:
        """Apply the store's events to one item up to (at least) every delivered version."""
        sleeps = self.backoff.sleeps()
        while True:
            version = int(item["version"]) if item else 0
            if all(d.aggregate_version <= version for d in delivered):
                return [None] * len(delivered)
            aggregate_id = delivered[0].aggregate_id
            events = self.source.after(aggregate_id, version)
            stored = {d.aggregate_version: d for d in events}
            results: list[Outcome] = []
            for d in delivered:
                try:
                    if d.aggregate_version > version:
                        self.source.check(d, stored.get(d.aggregate_version))
                    results.append(None)
                except PoisonInput as e:
                    results.append(e)
            new = fold(self.view, item, events)
            if new is None or new == item or self._put(new, version):
                return results
            delay = next(sleeps, None)  # another worker moved the item: read it again
            if delay is None:
                raise RuntimeError(f"{self.view.name}: item of {aggregate_id} kept moving")
            self.sleep(delay)
            item = self._read({new["pk"]}).get(new["pk"])

    def _put(self, item: Item, old_version: int) -> bool:
        condition = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if old_version == 0
            else {
                "ConditionExpression": "version = :old",
                "ExpressionAttributeValues": {":old": {"N": str(old_version)}},
            }
        )
        try:
            call_with_retry(
                self.client.put_item,
                self.backoff,
                TableName=self.table,
                Item=to_ddb(item),
                **condition,
            )
            return True
        except ClientError as e:
            if error_code(e) == "ConditionalCheckFailedException":
                return False
            raise

    def _read(self, keys: set[str]) -> dict[str, Item]:
        found: dict[str, Item] = {}
        wanted = sorted(keys)
        for start in range(0, len(wanted), 100):  # BatchGetItem's limit
            request: dict[str, Any] = {
                self.table: {
                    "Keys": [{"pk": {"S": k}} for k in wanted[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            while request:
                answer = call_with_retry(
                    self.client.batch_get_item, self.backoff, RequestItems=request
                )
                for raw in answer["Responses"].get(self.table, []):
                    item = from_ddb(raw)
                    found[item["pk"]] = item
                request = answer.get("UnprocessedKeys") or {}
        return found
