"""The `eventsourcing` recorders on one DynamoDB table (layout in `infra.dynamodb.items`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    ListenNotifySubscription,
    Notification,
    ProcessRecorder,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)

from infra.dynamodb.client import call_with_retry
from infra.dynamodb.commit import Commit
from infra.dynamodb.items import (
    TIP_SK,
    N,
    S,
    log_pk,
    snapshot_pk,
    tracking_pk,
    unpack_page,
)
from infra.dynamodb.reads import query_items, read_aggregate
from infra.retry import Backoff

_heads: dict[tuple[int, str, str], LogHead] = {}
_heads_guard = threading.Lock()


def shared_head(recorder: DynamoDBApplicationRecorder) -> LogHead:
    """One head per log per process: its writers queue on one lock and share the cached next id,
    instead of racing each other for the same id."""
    key = (id(recorder.client), recorder.table, recorder.app)
    with _heads_guard:
        if key not in _heads:
            _heads[key] = LogHead(recorder)
        return _heads[key]


class DynamoDBRecorder:
    def __init__(self, client: Any, table: str, app: str, backoff: Backoff | None = None) -> None:
        self.client = client
        self.table = table
        self.app = app
        self.backoff = backoff or Backoff()


class DynamoDBAggregateRecorder(DynamoDBRecorder, AggregateRecorder):
    """Events per aggregate; no notification log."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if stored_events:
            self._commit(stored_events, None, None)
        return None

    def _commit(
        self, events: Sequence[StoredEvent], tracking: Tracking | None, head: LogHead | None
    ) -> list[int]:
        return Commit(
            client=self.client,
            table=self.table,
            app=self.app,
            events=events,
            tracking=tracking,
            head=head,
            backoff=self.backoff,
            owner=self.app,
        ).run()

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[StoredEvent]:
        return read_aggregate(
            self.client,
            self.table,
            self.app,
            originator_id,
            gt=gt,
            lte=lte,
            desc=desc,
            limit=limit,
            backoff=self.backoff,
        )


class DynamoDBSnapshotRecorder(DynamoDBRecorder, AggregateRecorder):
    """Snapshots: one item per version (a snapshot may be taken below a later one)."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        keys = {(str(e.originator_id), e.originator_version) for e in stored_events}
        if len(keys) != len(stored_events):
            raise IntegrityError("Snapshot version repeated in one insert")
        puts = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        "pk": S(snapshot_pk(self.app, e.originator_id)),
                        "sk": N(e.originator_version),
                        "t": S(e.topic),
                        "s": {"B": e.state},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for e in stored_events
        ]
        for start in range(0, len(puts), 100):
            try:
                call_with_retry(
                    self.client.transact_write_items,
                    self.backoff,
                    TransactItems=puts[start : start + 100],
                )
            except self.client.exceptions.TransactionCanceledException as e:
                raise IntegrityError(f"Snapshot already recorded: {e}") from e

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[StoredEvent]:
        condition = "pk = :pk"
        values: dict[str, Any] = {":pk": S(snapshot_pk(self.app, originator_id))}
        if gt is not None and lte is not None:
            condition += " AND sk BETWEEN :lo AND :hi"
            values.update({":lo": N(gt + 1), ":hi": N(lte)})
        elif gt is not None:
            condition += " AND sk > :lo"
            values[":lo"] = N(gt)
        elif lte is not None:
            condition += " AND sk <= :hi"
            values[":hi"] = N(lte)
        extra = {"Limit": limit} if limit else {}
        items = query_items(
            self.client,
            self.backoff,
            TableName=self.table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ScanIndexForward=not desc,
            **extra,
        )
        found = [
            StoredEvent(originator_id, int(i["sk"]["N"]), i["t"]["S"], bytes(i["s"]["B"]))
            for i in items
        ]
        return found[:limit] if limit else found


class LogHead:
    """The next notification id of one log: cached, and corrected when a write finds it taken."""

    def __init__(self, recorder: DynamoDBApplicationRecorder) -> None:
        self._recorder = recorder
        self._next: int | None = None
        self.lock = threading.Lock()

    def next_id(self) -> int:
        if self._next is None:
            self.refresh()
        assert self._next is not None
        return self._next

    def refresh(self) -> None:
        self._next = (self._recorder.max_notification_id() or 0) + 1

    def advance(self, next_id: int) -> None:
        self._next = next_id


class DynamoDBApplicationRecorder(DynamoDBAggregateRecorder, ApplicationRecorder):
    """Adds the application's notification log: dense ids, in commit order."""

    def __init__(
        self,
        client: Any,
        table: str,
        app: str,
        backoff: Backoff | None = None,
        poll_interval: float = 0.2,
    ) -> None:
        super().__init__(client, table, app, backoff)
        self.head = shared_head(self)
        self.poll_interval = poll_interval
        self.listeners: set[threading.Event] = set()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        tracking: Tracking | None = kwargs.get("tracking")
        if not stored_events and tracking is None:
            return []
        with self.head.lock:
            ids = self._commit(stored_events, tracking, self.head)
        for listener in list(self.listeners):
            listener.set()
        return ids

    def _pages(self, lo: int) -> Iterator[dict[str, Any]]:
        """Log pages holding ids from `lo` on, oldest first."""
        pk = {":pk": S(log_pk(self.app))}
        following = query_items(
            self.client,
            self.backoff,
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk >= :lo",
            ExpressionAttributeValues={**pk, ":lo": N(lo)},
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
            TableName=self.table,
            ConsistentRead=True,
            KeyConditionExpression="pk = :pk AND sk < :lo",
            ExpressionAttributeValues={":pk": S(log_pk(self.app)), ":lo": N(lo)},
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
    ) -> list[Notification]:
        lo = 1 if start is None else (start if inclusive_of_start else start + 1)
        lo = max(lo, 1)
        wanted = set(topics)
        found: list[Notification] = []
        for item in self._pages(lo):
            first_id = int(item["sk"]["N"])
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
            TableName=self.table,
            ConsistentRead=True,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": S(log_pk(self.app))},
            ScanIndexForward=False,
            Limit=1,
            ProjectionExpression="sk, n",
        )
        items = page.get("Items", [])
        if not items:
            return None
        return int(items[0]["sk"]["N"]) + int(items[0]["n"]["N"]) - 1

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return DynamoDBSubscription(self, gt=gt, topics=topics)


class DynamoDBSubscription(ListenNotifySubscription[DynamoDBApplicationRecorder]):
    """Pulls new notifications when this process writes, and polls for other writers."""

    def __init__(
        self,
        recorder: DynamoDBApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._stopping = threading.Event()
        recorder.listeners.add(self._has_been_notified)
        self._poller = threading.Thread(target=self._poll, daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stopping.wait(self._recorder.poll_interval):
            self._has_been_notified.set()

    def stop(self) -> None:
        super().stop()
        self._stopping.set()
        self._recorder.listeners.discard(self._has_been_notified)


class DynamoDBTrackingRecorder(DynamoDBRecorder, TrackingRecorder):
    """Tracking positions per upstream application, owned by this recorder's application."""

    def insert_tracking(self, tracking: Tracking) -> None:
        try:
            call_with_retry(
                self.client.update_item,
                self.backoff,
                TableName=self.table,
                Key={"pk": S(tracking_pk(self.app, tracking.application_name)), "sk": N(0)},
                UpdateExpression="SET n = :n",
                ConditionExpression="attribute_not_exists(n) OR n < :n",
                ExpressionAttributeValues={":n": N(tracking.notification_id)},
            )
        except self.client.exceptions.ConditionalCheckFailedException as e:
            raise IntegrityError(f"Tracking position {tracking} is not above the stored one") from e

    def max_tracking_id(self, application_name: str) -> int | None:
        item = call_with_retry(
            self.client.get_item,
            self.backoff,
            TableName=self.table,
            ConsistentRead=True,
            Key={"pk": S(tracking_pk(self.app, application_name)), "sk": N(0)},
        ).get("Item")
        return int(item["n"]["N"]) if item else None


class DynamoDBProcessRecorder(
    DynamoDBTrackingRecorder, DynamoDBApplicationRecorder, ProcessRecorder
):
    """Events, notification log and tracking position in one transaction."""


__all__ = [
    "TIP_SK",
    "DynamoDBAggregateRecorder",
    "DynamoDBApplicationRecorder",
    "DynamoDBProcessRecorder",
    "DynamoDBSnapshotRecorder",
    "DynamoDBSubscription",
    "DynamoDBTrackingRecorder",
]
