"""Stored form of events: JSON, stable names, and upcasting of old versions."""

from __future__ import annotations

import inspect
import json
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from pydantic import ValidationError

from domain import events
from domain.base import DomainEvent
from domain.events import PaymentDeclined
from infra.gateway import SimulatedGateway
from tests.apps import application
from tests.unit.every_event import run_every_kind_of_event

EVENT_CLASSES = [
    cls
    for _, cls in inspect.getmembers(events, inspect.isclass)
    if issubclass(cls, DomainEvent) and cls.__module__ == events.__name__
]


def test_mapper_stores_events_as_plain_json_under_public_names() -> None:
    # GIVEN a run producing every kind of event
    app = run_every_kind_of_event(SimulatedGateway())
    stored = app.recorder.select_notifications(start=1, limit=1000)
    # THEN each is stored as `domain.events:<Name>`, as JSON of str, int, lists and null
    names = {n.topic for n in stored}
    assert names == {f"domain.events:{cls.__name__}" for cls in EVENT_CLASSES}
    for notification in stored:
        state = json.loads(notification.state)
        assert_json_scalars(state)
        event = app.mapper.to_domain_event(notification)
        assert state["class_version"] == type(event).class_version  # type: ignore[attr-defined]
        assert app.mapper.to_stored_event(event).state == notification.state


def assert_json_scalars(value: object) -> None:
    if isinstance(value, dict):
        for item in value.values():
            assert_json_scalars(item)
    elif isinstance(value, list):
        for item in value:
            assert_json_scalars(item)
    else:
        assert value is None or isinstance(value, str | int), value


def test_mapper_upcasts_payment_declined_v1_with_a_default_reason() -> None:
    # GIVEN a PaymentDeclined stored before v2 added `reason` (and no class_version)
    app = application()
    v1 = {"timestamp": "2024-05-01T10:00:00+00:00", "order_id": str(uuid4()), "attempt": 1}
    stored = StoredEvent(uuid4(), 3, "domain.events:PaymentDeclined", json.dumps(v1).encode())
    # WHEN it is read THEN it decodes as v2 with the default reason
    event = app.mapper.to_domain_event(stored)
    assert isinstance(event, PaymentDeclined) and event.reason == "card_declined"
    # ... and new events carry their version, so they are not upcast again
    restored = app.mapper.to_stored_event(event)
    assert json.loads(restored.state)["class_version"] == 2
    assert app.mapper.to_domain_event(restored) == event


def test_mapper_payment_declined_v1_needs_its_upcaster() -> None:
    v1 = {
        "originator_id": str(uuid4()),
        "originator_version": 3,
        "timestamp": "2024-05-01T10:00:00+00:00",
        "order_id": str(uuid4()),
        "attempt": 1,
    }
    with pytest.raises(ValidationError):
        PaymentDeclined.model_validate(v1)
