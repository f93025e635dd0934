"""Builds the pipeline's parts from `Settings` and boto3's standard configuration.

Lambda handlers and the local stack both call these, so both run the very same objects.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import boto3

from domain.application import Ticketing
from domain.contract import EventDetail
from domain.payment import PaymentGateway
from infra.dynamodb import DynamoDBFactory
from infra.dynamodb.client import make_client
from infra.dynamodb.index import Indexer
from infra.dynamodb.recorders import DynamoDBTrackingRecorder
from infra.gateway import DynamoDBChargeStore, SimulatedGateway
from infra.mapping import STORAGE_ENV
from infra.pipeline.consumer import Handle, Outcome, QueueConsumer
from infra.pipeline.dead_letters import DeadLetters
from infra.pipeline.deferrals import Deferrals
from infra.pipeline.follower import (
    Follower,
    ReactionSink,
    Sink,
    TrackedPositions,
    ViewSink,
    readers_of,
)
from infra.pipeline.reactor import Reactor
from infra.pipeline.source import StoreSource
from infra.readmodels.catalog import Catalog, ViewTables
from infra.readmodels.projector import Projector
from infra.settings import APP_NAME, Settings
from infra.tables import CHARGES
from projections.reactions import REACTIONS, Reaction
from projections.views import VIEWS


def dynamodb() -> Any:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return make_client(os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None, region)


def ticketing(settings: Settings, gateway: PaymentGateway | None = None) -> Ticketing:
    """The application, writing only its aggregates; the indexer builds the index from the
    table's stream (Lambda, or the local stack's stream poller)."""
    env = {
        "PERSISTENCE_MODULE": "infra.dynamodb",
        DynamoDBFactory.DYNAMODB_INDEX: "stream",
        **settings.environment("event_table", "index_table", "index_partitions"),
    }
    deadline = timedelta(seconds=settings.payment_deadline_seconds)
    app = Ticketing({**STORAGE_ENV, **env}, gateway=gateway, payment_deadline=deadline)
    assert app.name == APP_NAME
    return app


def simulated_gateway(settings: Settings) -> SimulatedGateway:
    store = DynamoDBChargeStore(dynamodb(), CHARGES.name(settings))
    return SimulatedGateway(store, settings.gateway_latency_ms)


def source(app: Ticketing) -> StoreSource:
    return StoreSource(app.recorder, app.name, app.mapper)


def reactor(reaction: Reaction, settings: Settings, app: Ticketing, logger: Any = None) -> Reactor:
    return Reactor(reaction, app, source(app), settings.accept_test_events, **_logger(logger))


def _logger(logger: Any) -> dict[str, Any]:
    """The handler's logger, where one is given (else the module's own)."""
    return {"logger": logger} if logger is not None else {}


def follower(name: str, settings: Settings, app: Ticketing, sink: Sink) -> Follower:
    """Catches the consumer `name` up from the index into `sink`, from the positions it tracks
    (see `infra.pipeline.follower`)."""
    readers = readers_of(dynamodb(), settings.index_table, app.name, settings.index_partitions)
    tracking = DynamoDBTrackingRecorder(dynamodb(), settings.event_table, name)
    found = Follower(readers, TrackedPositions(tracking), sink, app.mapper)
    if settings.dead_letter_queue_url:
        parked = dead_letters(settings, name)
        found.park = lambda detail, reason: parked.park(detail.model_dump_json(), reason)
    return found


def indexer(settings: Settings) -> Indexer:
    return Indexer(
        dynamodb(),
        settings.event_table,
        settings.index_table,
        APP_NAME,
        partitions=settings.index_partitions,
    )


def deferrals(settings: Settings) -> Deferrals:
    return Deferrals(
        boto3.client("scheduler"),
        settings.scheduler_group,
        settings.deadline_queue_arn,
        settings.scheduler_role_arn,
    )


def queue_consumer(name: str, settings: Settings, handle: Handle, metrics: Any) -> QueueConsumer:
    """The consumer of rule `name`'s queue: `handle` applies its events."""
    return QueueConsumer(handle, dead_letters(settings, name), metrics, deferrals(settings))


def dead_letters(settings: Settings, source: str) -> DeadLetters:
    return DeadLetters(boto3.client("sqs"), settings.dead_letter_queue_url, source)


def views_handle(
    tables: ViewTables,
    app: Ticketing,
    following: dict[str, str] | None = None,
    logger: Any = None,
) -> Handle:
    """Every view's projector as one consumer (each event concerns one view), and one for each
    shadow table a rebuild asks the consumers to keep up (`following`: view -> table)."""
    by_name = {view.name: view for view in VIEWS}
    targets = [(view, tables.of(view.name)) for view in VIEWS]
    targets += [(by_name[name], table) for name, table in (following or {}).items()]
    views = [
        Projector(dynamodb(), table, view, source(app), **_logger(logger))
        for view, table in targets
    ]

    def handle(details: list[EventDetail]) -> list[Outcome]:
        outcome: list[Outcome] = [None] * len(details)
        for view in views:
            for i, result in enumerate(view.apply(details)):
                outcome[i] = outcome[i] or result
        return outcome

    return handle


def catalog_views(settings: Settings, app: Ticketing, logger: Any = None) -> Handle:
    """The views as the catalog has them: live tables, and the shadows a rebuild asks to keep
    up; followed as it changes (a rebuild swapping a table in)."""
    catalog = Catalog(dynamodb(), settings)
    tables = catalog.tables()
    views = views_handle(tables[0], app, tables[1], logger)

    def handle(details: list[EventDetail]) -> list[Outcome]:
        nonlocal tables, views
        if (now := catalog.tables()) != tables:
            tables, views = now, views_handle(now[0], app, now[1], logger)
        return views(details)

    return handle


def catch_up(
    settings: Settings, app: Ticketing, grace_seconds: float = 0, logger: Any = None
) -> dict[str, Any]:
    """Every consumer follows the index from its position, but for what was indexed in the last
    `grace_seconds`: per consumer, events handed over, or the error that stopped it (it goes on
    from its position next time)."""
    consumers: dict[str, Sink] = {"read-models": ViewSink(catalog_views(settings, app, logger))}
    consumers.update(
        (r.name, ReactionSink(reactor(r, settings, app, logger).apply, deferrals(settings)))
        for r in REACTIONS
    )
    done: dict[str, Any] = {}
    for name, sink in consumers.items():
        try:
            done[name] = follower(name, settings, app, sink).catch_up(grace_seconds)
        except Exception as e:  # noqa: BLE001 - reported; the others still catch up
            done[name] = e
    return done
