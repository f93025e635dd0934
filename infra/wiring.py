"""Builds the pipeline's parts from `Settings` and boto3's standard configuration.

Lambda handlers and the local stack both call these, so both run the very same objects.
"""

from __future__ import annotations

import os
from typing import Any

import boto3

from domain.application import Ticketing
from domain.payment import PaymentGateway
from infra.dynamodb.client import make_client
from infra.dynamodb.recorders import DynamoDBTrackingRecorder
from infra.gateway import DynamoDBChargeStore, SimulatedGateway
from infra.pipeline.dead_letters import DeadLetters
from infra.pipeline.log import LogReader
from infra.pipeline.reactor import Reactor
from infra.readmodels.catalog import VIEW_ROLES
from infra.readmodels.projector import Projector
from infra.settings import APP_NAME, Settings
from infra.tables import CHARGES
from projections.reactions import Reaction
from projections.views import VIEWS


def dynamodb() -> Any:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return make_client(os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None, region)


def ticketing(settings: Settings, gateway: PaymentGateway | None = None) -> Ticketing:
    env = {"PERSISTENCE_MODULE": "infra.dynamodb", "DYNAMODB_TABLE": settings.event_table}
    app = Ticketing(env, gateway=gateway)
    assert app.name == APP_NAME
    return app


def simulated_gateway(settings: Settings) -> SimulatedGateway:
    return SimulatedGateway(DynamoDBChargeStore(dynamodb(), CHARGES.name(settings)))


def log_reader(app: Ticketing) -> LogReader:
    return LogReader(app.recorder, app.name, app.mapper)


def projectors(settings: Settings, app: Ticketing) -> list[Projector]:
    reader = log_reader(app)
    return [
        Projector(dynamodb(), getattr(settings, VIEW_ROLES[view.name]), view, reader)
        for view in VIEWS
    ]


def reactor(reaction: Reaction, settings: Settings, app: Ticketing) -> Reactor:
    tracking = DynamoDBTrackingRecorder(dynamodb(), settings.event_table, reaction.name)
    return Reactor(reaction, app, tracking, log_reader(app), settings.accept_test_events)


def dead_letters(settings: Settings, source: str) -> DeadLetters:
    return DeadLetters(boto3.client("sqs"), settings.dead_letter_queue_url, source)
