"""Keeps one view exact under duplicate, late and out-of-order delivery.

The view's table holds, per upstream log, the position the view has applied, and every change
is one transaction: the changed items plus the position, on condition that the position is
still the one the change was computed from. So:

- an event at or below the position is a duplicate and changes nothing;
- otherwise the view catches up from the store's log, in order, up to and past the event: the
  bus event is only the signal (its payload is never trusted, so a forged one changes nothing);
- two workers racing on one view: one wins, the other re-reads and finds its work done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from domain.contract import EventDetail
from infra.dynamodb.client import AMBIGUOUS_ERRORS, TRANSIENT_CODES, UNSENT_ERRORS, call_with_retry
from infra.pipeline.dead_letters import PoisonInput
from infra.pipeline.log import LogReader, next_batch
from infra.readmodels.codec import from_ddb, to_ddb
from infra.retry import Backoff, error_code
from projections.base import Item, View

TRACKING = "tracking#"


class _Moved(Exception):
    """Another writer changed the position since it was read."""


@dataclass
class Projector:
    client: Any  # low-level DynamoDB client
    table: str
    view: View
    log: LogReader
    chunk: int = 40  # events per transaction: each changes one item, plus the position
    backoff: Backoff = field(default_factory=lambda: Backoff(attempts=12, base=0.01, cap=0.5))
    sleep: Callable[[float], None] = time.sleep
    _position: int | None = None  # cached: never above the stored one, so safe to trust for skips

    def handle(self, detail: EventDetail) -> int:
        """Bring the view up to `detail` (if it concerns the view); returns events applied."""
        if detail.detail_type not in self.view.detail_types or detail.test:
            return 0
        if detail.application != self.log.application:
            raise PoisonInput(
                f"{self.view.name} follows {self.log.application!r}, not {detail.application!r}"
            )
        applied, sleeps = 0, self.backoff.sleeps()
        while True:
            position = self.position()
            if detail.notification_id <= position:
                return applied
            batch = next_batch(self.log, detail, position, self.view.detail_types, self.chunk)
            if self._try_commit(position, batch):
                applied += len(batch)
                sleeps = self.backoff.sleeps()
                continue
            delay = next(sleeps, None)
            if delay is None:
                raise RuntimeError(f"{self.view.name}: could not apply {detail.notification_id}")
            self.sleep(delay)

    def catch_up(self) -> int:
        """Apply everything the log holds after the position (a rebuild, from 0); returns count."""
        applied = 0
        while batch := self.log.after(self.position(), self.view.detail_types, self.chunk):
            applied += self.catch_up_once(batch)
        return applied

    def catch_up_once(self, batch: list[EventDetail]) -> int:
        """Apply `batch`, read from the log right after the position; 0 if it did not commit
        (the position moved, or the write raced another): the caller reads the log again."""
        if self._try_commit(self.position(), batch):
            return len(batch)
        self.sleep(next(self.backoff.sleeps(), 0.05))
        return 0

    def _try_commit(self, position: int, batch: list[EventDetail]) -> bool:
        """Commit, or False when another try may succeed (the position is then re-read)."""
        try:
            self._commit(position, batch)
            return True
        except _Moved:
            pass
        except ClientError as e:
            if error_code(e) not in TRANSIENT_CODES | {"TransactionCanceledException"}:
                raise
        except (*AMBIGUOUS_ERRORS, *UNSENT_ERRORS):
            pass  # it may have been applied: the position will tell
        self._position = None
        return False

    def position(self) -> int:
        if self._position is None:
            item = call_with_retry(
                self.client.get_item,
                self.backoff,
                TableName=self.table,
                ConsistentRead=True,
                Key={"pk": {"S": TRACKING + self.log.application}},
            ).get("Item")
            self._position = int(item["n"]["N"]) if item else 0
        return self._position

    def _commit(self, position: int, batch: list[EventDetail]) -> None:
        items = self._read({self.view.key(d) for d in batch})
        changed: dict[str, Item] = {}
        for detail in batch:
            key = self.view.key(detail)
            changed[key] = items[key] = self.view.apply(items.get(key), detail)
        last = batch[-1].notification_id
        condition = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if position == 0
            else {
                "ConditionExpression": "n = :p",
                "ExpressionAttributeValues": {":p": {"N": str(position)}},
            }
        )
        tracking = {"pk": TRACKING + self.log.application, "n": last}
        writes = [{"Put": {"TableName": self.table, "Item": to_ddb(i)}} for i in changed.values()]
        writes.append({"Put": {"TableName": self.table, "Item": to_ddb(tracking), **condition}})
        try:
            self.client.transact_write_items(TransactItems=writes)
        except ClientError as e:
            reasons = e.response.get("CancellationReasons") or []
            if reasons and reasons[-1].get("Code") == "ConditionalCheckFailed":
                raise _Moved() from e
            raise
        self._position = last

    def _read(self, keys: set[str]) -> dict[str, Item]:
        found: dict[str, Item] = {}
        request = {
            self.table: {"Keys": [{"pk": {"S": k}} for k in sorted(keys)], "ConsistentRead": True}
        }
        while request:
            answer = call_with_retry(self.client.batch_get_item, self.backoff, RequestItems=request)
            for raw in answer["Responses"].get(self.table, []):
                item = from_ddb(raw)
                found[item["pk"]] = item
            request = answer.get("UnprocessedKeys") or {}
        return found
