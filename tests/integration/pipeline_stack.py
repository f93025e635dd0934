"""A whole local pipeline per test: fresh tables on DynamoDB Local, bus and queues on moto."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

from domain.application import Ticketing
from infra.dynamodb.items import decode_id
from infra.dynamodb.reads import paged_items
from infra.gateway import Charge, DynamoDBChargeStore, Refund
from infra.mapping import PydanticMapper
from infra.pipeline.source import fact_of_stored
from infra.readmodels.catalog import VIEW_ROLES, ViewTables
from infra.readmodels.codec import from_ddb, to_ddb
from infra.readmodels.projector import fold
from infra.settings import Settings
from infra.wiring import dynamodb, ticketing
from local.aws import local_aws
from local.pipeline import LocalPipeline, Resources, Wrap, provision_all
from projections.views import VIEWS
from tests.conftest import fresh_table_name


def fresh_settings() -> Settings:
    return Settings.of(
        event_table=fresh_table_name("events"),
        index_table=fresh_table_name("index"),
        seat_map_table=fresh_table_name("seats"),
        orders_table=fresh_table_name("orders"),
        payments_table=fresh_table_name("payments"),
        seat_map_table_b=fresh_table_name("seats-b"),
        orders_table_b=fresh_table_name("orders-b"),
        payments_table_b=fresh_table_name("payments-b"),
        charges_table=fresh_table_name("charges"),
        event_bus="seatledger",
    )


def scan(table: str) -> list[dict[str, Any]]:
    items = paged_items(dynamodb().scan, TableName=table, ConsistentRead=True)
    return sorted((from_ddb(i) for i in items), key=lambda i: str(i["pk"]))


@dataclass
class Stack:
    settings: Settings
    resources: Resources
    pipeline: LocalPipeline
    app: Ticketing
    sqs: Any
    events: Any

    def views(self, tables: ViewTables | None = None) -> dict[str, list[dict[str, Any]]]:
        """Every item of each view's table: the live ones, or those the settings name."""
        chosen = tables or ViewTables.named_in(self.settings)
        return {name: scan(chosen.of(name)) for name in VIEW_ROLES}

    def rebuilt_views(self) -> dict[str, list[dict[str, Any]]]:
        """Every view folded in memory from the ordered index alone (not from the store, which
        the live consumers read), as the views' tables would hold it."""
        items: dict[str, dict[str, Any]] = {view.name: {} for view in VIEWS}
        mapper = cast(PydanticMapper, self.app.mapper)
        for notification in self.app.recorder.select_notifications(None, 1_000_000):
            fact = fact_of_stored(mapper, notification)
            for view in VIEWS:
                if fact.detail_type in view.detail_types:
                    key = view.key(fact)
                    items[view.name][key] = fold(view, items[view.name].get(key), [fact])
        return {
            name: sorted((from_ddb(to_ddb(i)) for i in found.values()), key=lambda i: str(i["pk"]))
            for name, found in items.items()
        }

    def indexed(self) -> list[tuple[Any, int]]:
        """(aggregate, version) of every event in the index, in index order."""
        notifications = self.app.recorder.select_notifications(None, 1_000_000)
        return [(n.originator_id, n.originator_version) for n in notifications]

    def stored(self, excluding: frozenset[Any] = frozenset()) -> set[tuple[Any, int]]:
        """(aggregate, version) of every event in the store's aggregates (but `excluding`)."""
        tips = paged_items(
            dynamodb().scan,
            TableName=self.settings.event_table,
            ConsistentRead=True,
            FilterExpression="kind = :tip",
            ExpressionAttributeValues={":tip": {"S": "tip"}},
            ProjectionExpression="oid",
        )
        found = set()
        for tip in tips:
            originator = decode_id(tip["oid"]["S"])
            if originator in excluding:
                continue
            found |= {
                (originator, e.originator_version)
                for e in self.app.recorder.select_events(originator)
            }
        return found

    def charges(self) -> list[Charge]:
        return DynamoDBChargeStore(dynamodb(), self.settings.charges_table).all()

    def refunds(self) -> list[Refund]:
        return DynamoDBChargeStore(dynamodb(), self.settings.charges_table).refunds()

    def dead_letters(self, queue_url: str) -> list[tuple[str, str]]:
        """(body, reason) of every message parked in a dead-letter queue."""
        found = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                VisibilityTimeout=60,
            ).get("Messages", [])
            if not messages:
                return found
            for m in messages:
                reason = m.get("MessageAttributes", {}).get("reason", {}).get("StringValue", "")
                found.append((m["Body"], reason))

    def put_bus_event(self, detail_type: str, detail: Any) -> None:
        self.events.put_events(
            Entries=[
                {
                    "Source": "seatledger.ticketing",
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail),
                    "EventBusName": self.settings.event_bus,
                }
            ]
        )


class Reachable(Protocol):
    """DynamoDB Local, or a relay in front of it."""

    @property
    def endpoint(self) -> str: ...


@contextmanager
def pipeline_stack(
    ddb: Reachable,
    checkpoint_dir: Path,
    *,
    events: Any = None,
    wrap: Wrap | None = None,
    **overrides: Any,
) -> Iterator[Stack]:
    settings = fresh_settings().with_(**overrides)
    saved = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
    os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = ddb.endpoint
    try:
        with local_aws(settings.event_bus) as aws:
            resources = provision_all(
                dynamodb(),
                aws.events,
                aws.sqs,
                settings,
                visibility_timeout=1,
                max_receive_count=5,
            )
            faulty = events(aws.events) if events else None
            pipeline = LocalPipeline(settings, resources, checkpoint_dir, aws.sqs, faulty, wrap)
            app = ticketing(settings)
            # The pipeline's settings: deadlines go to its reallocation queue.
            yield Stack(pipeline.settings, resources, pipeline, app, aws.sqs, aws.events)
    finally:
        if saved is None:
            os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", None)
        else:
            os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = saved
