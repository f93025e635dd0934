"""DynamoDB persistence for `eventsourcing`: ``PERSISTENCE_MODULE=infra.dynamodb``.

Settings (read through the application's environment, so ``APPNAME_KEY`` overrides ``KEY``):

- ``DYNAMODB_TABLE``: the event table, default ``seatledger-events``.
- ``DYNAMODB_INDEX_TABLE``: the ordered index, default ``<DYNAMODB_TABLE>-index``.
- ``DYNAMODB_INDEX``: ``inline`` (default) or ``stream``. Inline, ``insert_events`` indexes its
  own events before it returns their ids, as the library's contract asks: writers of one
  application take turns for the index's next id. Stream, ``insert_events`` writes only the
  aggregates and returns no ids; the indexer (`infra.dynamodb.index`, run on the table's stream)
  builds the index after the commit, and no save waits for another.
- ``DYNAMODB_INDEX_PARTITIONS``: index partitions (stream only; default 1), each with its own
  dense ids and one writer.
- ``CREATE_TABLE``: create the tables when missing (default yes).
- ``AWS_ENDPOINT_URL_DYNAMODB`` / ``AWS_REGION``: boto3's own settings; the same code talks to
  AWS or DynamoDB Local.
- ``DYNAMODB_POLL_INTERVAL``: seconds between subscription polls for other writers (0.2).

Guarantees:

- ``insert_events`` is one conditional write for one aggregate, else one ``TransactWriteItems``:
  all aggregates and the tracking position of a call commit together or not at all. A version at
  or below an aggregate's head raises ``IntegrityError`` and writes nothing (appends only: a
  version cannot fill a gap).
- The index holds every committed event once, each aggregate's in version order; its ids are
  dense per partition and never filled in later.
- Throttling and ``TransactionConflict`` are retried with bounded, jittered exponential backoff.
  A write whose answer was lost (timeout) is retried as it was; if the retry conflicts, the
  aggregates are read back to tell our own applied write from another writer's.

Limits (checked before sending, raising ``DataError`` with the reason):

- At most 49 aggregates in one save (two items each when a full tip is moved, within
  DynamoDB's 100 transaction items, less the tracking item).
- An aggregate's new events in one save: under 400 KB (one DynamoDB item). One event: the same.
- All of a save's events: under 4 MB (DynamoDB's limit per transaction).
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
)
from eventsourcing.utils import Environment, resolve_topic, strtobool

from infra.dynamodb.client import ensure_table, make_client
from infra.dynamodb.recorders import (
    DynamoDBAggregateRecorder,
    DynamoDBApplicationRecorder,
    DynamoDBProcessRecorder,
    DynamoDBSnapshotRecorder,
    DynamoDBTrackingRecorder,
)

DEFAULT_TABLE = "seatledger-events"


class DynamoDBFactory(InfrastructureFactory[DynamoDBTrackingRecorder]):
    DYNAMODB_TABLE = "DYNAMODB_TABLE"
    CREATE_TABLE = "CREATE_TABLE"
    DYNAMODB_POLL_INTERVAL = "DYNAMODB_POLL_INTERVAL"
    DYNAMODB_INDEX = "DYNAMODB_INDEX"
    DYNAMODB_INDEX_TABLE = "DYNAMODB_INDEX_TABLE"
    DYNAMODB_INDEX_PARTITIONS = "DYNAMODB_INDEX_PARTITIONS"

    def __init__(self, env: Environment | Any) -> None:
        super().__init__(env)
        self.table = self.env.get(self.DYNAMODB_TABLE) or DEFAULT_TABLE
        self.app = self.env.name or "default"
        self.client = make_client(
            self.env.get("AWS_ENDPOINT_URL_DYNAMODB") or None,
            self.env.get("AWS_REGION") or self.env.get("AWS_DEFAULT_REGION") or None,
        )
        self.poll_interval = float(self.env.get(self.DYNAMODB_POLL_INTERVAL) or 0.2)
        self.index_table = self.env.get(self.DYNAMODB_INDEX_TABLE) or f"{self.table}-index"
        mode = (self.env.get(self.DYNAMODB_INDEX) or "inline").lower()
        if mode not in ("inline", "stream"):
            raise ValueError(f"DYNAMODB_INDEX is 'inline' or 'stream', not {mode!r}")
        self.inline_index = mode == "inline"
        self.partitions = int(self.env.get(self.DYNAMODB_INDEX_PARTITIONS) or 1)

    def _ready(self) -> None:
        if strtobool(self.env.get(self.CREATE_TABLE) or "yes"):
            ensure_table(self.client, self.table)
            ensure_table(self.client, self.index_table, stream=False)

    def _index_options(self) -> dict[str, Any]:
        return {
            "index_table": self.index_table,
            "inline_index": self.inline_index,
            "partitions": self.partitions,
            "poll_interval": self.poll_interval,
        }

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        self._ready()
        if purpose == "snapshots":
            return DynamoDBSnapshotRecorder(self.client, self.table, self.app)
        return DynamoDBAggregateRecorder(self.client, self.table, self.app)

    def application_recorder(self) -> ApplicationRecorder:
        self._ready()
        return DynamoDBApplicationRecorder(
            self.client, self.table, self.app, **self._index_options()
        )

    def tracking_recorder(
        self, tracking_recorder_class: type[DynamoDBTrackingRecorder] | None = None
    ) -> DynamoDBTrackingRecorder:
        self._ready()
        if tracking_recorder_class is None:
            topic = self.env.get(self.TRACKING_RECORDER_TOPIC)
            tracking_recorder_class = resolve_topic(topic) if topic else DynamoDBTrackingRecorder
        assert tracking_recorder_class is not None
        return tracking_recorder_class(self.client, self.table, self.app)

    def process_recorder(self) -> ProcessRecorder:
        self._ready()
        return DynamoDBProcessRecorder(self.client, self.table, self.app, **self._index_options())


Factory = DynamoDBFactory
