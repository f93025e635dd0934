"""DynamoDB persistence for `eventsourcing`: ``PERSISTENCE_MODULE=infra.dynamodb``.

Settings (read through the application's environment, so ``APPNAME_KEY`` overrides ``KEY``):

- ``DYNAMODB_TABLE``: table name, default ``seatledger-events``.
- ``CREATE_TABLE``: create the table when missing (default yes).
- ``AWS_ENDPOINT_URL_DYNAMODB`` / ``AWS_REGION``: boto3's own settings; the same code talks to
  AWS or DynamoDB Local.
- ``DYNAMODB_POLL_INTERVAL``: seconds between subscription polls for other writers (0.2).

Guarantees:

- ``insert_events`` is one ``TransactWriteItems``: all aggregates, log pages and the tracking
  position of a call commit together or not at all. A version at or below an aggregate's head
  raises ``IntegrityError`` and writes nothing (appends only: a version cannot fill a gap).
- Each application has its own notification log (partition ``<app>#L``). Ids are dense and
  rise in commit order: a page is written at the next id only if absent, and a writer learns
  the next id only from a commit. Writers in one process queue on a lock per log; writers in
  other processes lose the race, re-read the head and retry.
- Throttling, ``TransactionConflict`` and a moved log head are retried with bounded, jittered
  exponential backoff. A write whose answer was lost (timeout) is retried as it was; if the retry
  conflicts, the store is read back (every write is stamped with a token) to tell our own
  applied write from another writer's before any conflict is reported.

Limits (checked before sending, raising ``DataError`` with the reason):

- At most 49 aggregates in one save (two items each when a full tip is moved, within
  DynamoDB's 100 transaction items, less the log pages and the tracking item).
- An aggregate's new events in one save: under 400 KB (one DynamoDB item). One event: the same.
- All of a save's events: under 2 MB (each event is written twice, to the aggregate and the log,
  within DynamoDB's 4 MB per transaction). Log pages hold up to 300 KB each.
- One log takes roughly one commit per round trip (about 500 commits/s on AWS): shard logs by
  application name (for example one per show) to scale.
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

    def __init__(self, env: Environment | Any) -> None:
        super().__init__(env)
        self.table = self.env.get(self.DYNAMODB_TABLE) or DEFAULT_TABLE
        self.app = self.env.name or "default"
        self.client = make_client(
            self.env.get("AWS_ENDPOINT_URL_DYNAMODB") or None,
            self.env.get("AWS_REGION") or self.env.get("AWS_DEFAULT_REGION") or None,
        )
        self.poll_interval = float(self.env.get(self.DYNAMODB_POLL_INTERVAL) or 0.2)

    def _ready(self) -> None:
        if strtobool(self.env.get(self.CREATE_TABLE) or "yes"):
            ensure_table(self.client, self.table)

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        self._ready()
        if purpose == "snapshots":
            return DynamoDBSnapshotRecorder(self.client, self.table, self.app)
        return DynamoDBAggregateRecorder(self.client, self.table, self.app)

    def application_recorder(self) -> ApplicationRecorder:
        self._ready()
        return DynamoDBApplicationRecorder(
            self.client, self.table, self.app, poll_interval=self.poll_interval
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
        return DynamoDBProcessRecorder(
            self.client, self.table, self.app, poll_interval=self.poll_interval
        )


Factory = DynamoDBFactory
