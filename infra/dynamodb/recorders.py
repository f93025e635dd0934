"""The `eventsourcing` recorders on DynamoDB (layout in `infra.dynamodb.items`).

The write path (`insert_events`) touches only the aggregates of a save. The notification log the
library reads (`select_notifications`, `max_notification_id`, `subscribe`) is the ordered index,
partition 0. It is built either inline, by each writer before `insert_events` returns (the
library's contract: ids returned, selectable at once), or from the table's stream by the
indexer (`infra.dynamodb.index`), after the commit, so that no save waits for any other.

One module for the library's recorder family (aggregate, snapshot, application, tracking,
process), as the library's own adapters keep them: they share a base and the factory's options.

Long: the library's recorder interfaces (aggregate, application, tracking) over one table.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    ListenNotifySubscription,
    Notification,
    ProcessRecorder,
    ProgrammingError,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)

from infra.dynamodb.client import call_with_retry
from infra.dynamodb.commit import Commit
from infra.dynamodb.index import Committed, GapNotFilled, Indexer
from infra.dynamodb.index_reader import IndexReader
from infra.dynamodb.items import TIP_SK, N, S, snapshot_pk, tracking_pk
from infra.dynamodb.reads import query_items, read_aggregate
from infra.retry import Backoff

GAP_WAIT_SECONDS = 5.0  # an inline writer waits this long for another writer's earlier versions

_inline: dict[tuple[int, str, str], tuple[threading.Lock, Indexer]] = {}
_inline_guard = threading.Lock()


def _shared_indexer(recorder: DynamoDBApplicationRecorder) -> tuple[threading.Lock, Indexer]:
    """One inline indexer per index per process: its writers take turns instead of racing
    each other for the same next id (writers in other processes still race, and retry)."""
    key = (id(recorder.client), recorder.index_table, recorder.app)
    with _inline_guard:
        if key not in _inline:
            indexer = Indexer(
                recorder.client,
                recorder.table,
                recorder.index_table,
                recorder.app,
                fill_gaps=False,
                backoff=recorder.backoff,
            )
            _inline[key] = (threading.Lock(), indexer)
        return _inline[key]


class DynamoDBRecorder:
    def __init__(self, client: Any, table: str, app: str, backoff: Backoff | None = None) -> None:
        self.client = client
        self.table = table
        self.app = app
        self.backoff = backoff or Backoff()


class DynamoDBAggregateRecorder(DynamoDBRecorder, AggregateRecorder):
    """Events per aggregate, and nothing else."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if stored_events:
            self._commit(stored_events, None).run()
        return None

    def _commit(self, events: Sequence[StoredEvent], tracking: Tracking | None) -> Commit:
        return Commit(
            client=self.client,
            table=self.table,
            app=self.app,
            events=events,
            tracking=tracking,
            backoff=self.backoff,
            owner=self.app,
        )

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


class DynamoDBApplicationRecorder(DynamoDBAggregateRecorder, ApplicationRecorder):
    """Adds the notification log: the ordered index (inline, or built from the stream)."""

    def __init__(
        self,
        client: Any,
        table: str,
        app: str,
        backoff: Backoff | None = None,
        *,
        index_table: str | None = None,
        inline_index: bool = True,
        partitions: int = 1,
        poll_interval: float = 0.2,
    ) -> None:
        super().__init__(client, table, app, backoff)
        if inline_index and partitions != 1:
            raise ProgrammingError("An inline index has one partition")
        self.index_table = index_table or f"{table}-index"
        self.inline_index = inline_index
        self.partitions = partitions
        self.index = IndexReader(client, self.index_table, app, 0, self.backoff)
        self.poll_interval = poll_interval
        self.listeners: set[threading.Event] = set()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        tracking: Tracking | None = kwargs.get("tracking")
        if not stored_events and tracking is None:
            return [] if self.inline_index else None
        if not self.inline_index:
            self._commit(stored_events, tracking).run()
            return None
        lock, indexer = _shared_indexer(self)
        with lock:
            commit = self._commit(stored_events, tracking)
            batches = commit.run()
            committed = [Committed(o, es, o in commit.created) for o, es in batches.items()]
            positions = self._index_inline(indexer, committed)
        for listener in list(self.listeners):
            listener.set()
        return self._ids(stored_events, positions)

    def _index_inline(
        self, indexer: Indexer, committed: list[Committed]
    ) -> dict[tuple[UUID | str, int], int]:
        # Another process may have committed earlier versions of one of our aggregates and not
        # indexed them yet: wait for it a while, then index them ourselves from the store.
        deadline = time.monotonic() + GAP_WAIT_SECONDS
        while True:
            indexer.fill_gaps = time.monotonic() > deadline
            try:
                found = indexer.index(committed)
                return {key: nid for key, (_, nid) in found.items()}
            except GapNotFilled:
                time.sleep(0.01)

    def _ids(
        self, events: Sequence[StoredEvent], positions: dict[tuple[UUID | str, int], int]
    ) -> list[int]:
        keys = [(e.originator_id, e.originator_version) for e in events]
        missing = {key for key in keys if key not in positions}
        if missing:  # indexed by a writer in another process that filled a gap with them
            head = self.index.max_notification_id() or 0
            positions = {**positions, **self.index.locate(missing, head)}
        return [positions[key] for key in keys]

    def _single_partition(self) -> IndexReader:
        if self.partitions != 1:
            raise ProgrammingError(
                f"The index has {self.partitions} partitions: read each with an IndexReader"
            )
        return self.index

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> list[Notification]:
        return self._single_partition().select_notifications(
            start, limit, stop, topics, inclusive_of_start=inclusive_of_start
        )

    def max_notification_id(self) -> int | None:
        return self._single_partition().max_notification_id()

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        self._single_partition()
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
    """Tracking positions per upstream log, owned by this recorder's application."""

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
    """Events and the tracking position in one transaction (and the index, as configured)."""


__all__ = [
    "TIP_SK",
    "DynamoDBAggregateRecorder",
    "DynamoDBApplicationRecorder",
    "DynamoDBProcessRecorder",
    "DynamoDBSnapshotRecorder",
    "DynamoDBSubscription",
    "DynamoDBTrackingRecorder",
]
