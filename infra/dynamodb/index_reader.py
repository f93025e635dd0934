"""Reading one partition of the ordered index, as the library reads a notification log."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing.persistence import Notification

from infra.dynamodb.client import call_with_retry
from infra.dynamodb.items import N, S, index_pk, unpack_page
from infra.dynamodb.reads import query_items
from infra.retry import Backoff


class IndexReader:
    def __init__(
        self,
        client: Any,
        index_table: str,
        app: str,
        partition: int = 0,
        backoff: Backoff | None = None,
    ) -> None:
        self.client = client
        self.index_table = index_table
        self.app = app
        self.partition = partition
        self.backoff = backoff or Backoff()
        self.pk = index_pk(app, partition)

    def pages(self, lo: int, desc: bool = False) -> Iterator[dict[str, Any]]:
        """Pages holding ids from `lo` on, oldest first (or up to `lo`, newest first)."""
        if desc:
            yield from query_items(
                self.client,
                self.backoff,
                TableName=self.index_table,
                KeyConditionExpression="pk = :pk AND sk <= :lo",
                ExpressionAttributeValues={":pk": S(self.pk), ":lo": N(lo)},
                ScanIndexForward=False,
                Limit=20,
            )
            return
        following = query_items(
            self.client,
            self.backoff,
            TableName=self.index_table,
            KeyConditionExpression="pk = :pk AND sk >= :lo",
            ExpressionAttributeValues={":pk": S(self.pk), ":lo": N(lo)},
            Limit=50,
        )
        first = next(following, None)
        if lo > 1 and (first is None or int(first["sk"]["N"]) != lo):
            yield from self._last_page_before(lo)  # `lo` may sit inside an earlier page
        if first is not None:
            yield first
            yield from following

    def _last_page_before(self, lo: int) -> list[dict[str, Any]]:
        page = call_with_retry(
            self.client.query,
            self.backoff,
            TableName=self.index_table,
            ConsistentRead=True,
            KeyConditionExpression="pk = :pk AND sk < :lo",
            ExpressionAttributeValues={":pk": S(self.pk), ":lo": N(lo)},
            ScanIndexForward=False,
            Limit=1,
        )
        items: list[dict[str, Any]] = page.get("Items", [])
        return items

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
        written_before_ms: int | None = None,
    ) -> list[Notification]:
        """As the library's; pages come only while ids run on densely (a page committed in one
        transaction with another may show first), and none written after `written_before_ms`."""
        lo = 1 if start is None else (start if inclusive_of_start else start + 1)
        lo = max(lo, 1)
        wanted = set(topics)
        found: list[Notification] = []
        expected: int | None = None
        for item in self.pages(lo):
            first_id = int(item["sk"]["N"])
            if expected is not None and first_id != expected:
                return found  # a hole: the page before it is not visible yet
            if written_before_ms is not None and int(item["at"]["N"]) > written_before_ms:
                return found
            expected = first_id + int(item["n"]["N"])
            for i, (originator_id, version, topic, state) in enumerate(unpack_page(item)):
                nid = first_id + i
                if nid < lo or (wanted and topic not in wanted):
                    continue
                if stop is not None and nid > stop:
                    return found
                found.append(Notification(originator_id, version, topic, state, id=nid))
                if len(found) >= limit:
                    return found
        return found

    def max_notification_id(self) -> int | None:
        page = call_with_retry(
            self.client.query,
            self.backoff,
            TableName=self.index_table,
            ConsistentRead=True,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": S(self.pk)},
            ScanIndexForward=False,
            Limit=1,
            ProjectionExpression="sk, n",
        )
        items = page.get("Items", [])
        if not items:
            return None
        return int(items[0]["sk"]["N"]) + int(items[0]["n"]["N"]) - 1

    def locate(self, wanted: set[tuple[Any, int]], below: int) -> dict[tuple[Any, int], int]:
        """The ids of events (originator, version) indexed at or below `below`, newest first;
        for a writer whose events another indexer got to first."""
        found: dict[tuple[Any, int], int] = {}
        for item in self.pages(below, desc=True):
            first_id = int(item["sk"]["N"])
            for i, (originator_id, version, _, _) in enumerate(unpack_page(item)):
                if (originator_id, version) in wanted:
                    found[(originator_id, version)] = first_id + i
            if len(found) == len(wanted):
                break
        return found
