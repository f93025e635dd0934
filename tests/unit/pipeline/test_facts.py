"""Rebuilds fold facts read straight from stored JSON; live consumers fold facts from the bus
envelope. Both must give the same view items, so the two readings must agree."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import cast

from domain.base import DomainEvent
from domain.contract import EVENT_TYPES, to_detail
from domain.runner import Runner
from infra.gateway import SimulatedGateway
from infra.mapping import PydanticMapper
from infra.pipeline.source import fact_of_stored
from projections.base import fact_of
from tests.apps import application
from tests.unit.every_event import run_every_kind_of_event


def test_stored_events_read_fast_give_the_facts_the_bus_envelope_gives() -> None:
    # GIVEN every kind of event
    app = run_every_kind_of_event(SimulatedGateway())
    stored = app.recorder.select_notifications(start=1, limit=1000)
    mapper = cast(PydanticMapper, app.mapper)
    seen = set()
    for n in stored:
        event = cast(DomainEvent, mapper.to_domain_event(n))
        # THEN the fast reading equals the envelope's, private fields (the card token) left out
        fast = fact_of_stored(mapper, n)
        assert fast == fact_of(to_detail("Ticketing", event)), n.topic
        assert "card_token" not in fast.payload
        seen.add(fast.detail_type)
    assert seen == set(EVENT_TYPES)


def test_an_old_stored_version_is_upcast_on_the_fast_reading_too() -> None:
    app = application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, gateway=SimulatedGateway())
    show = app.create_show(uuid.uuid4(), "Gig", seats=[{"label": "B-2", "price_cents": 900}])
    app.place_order(show, "erin", ["B-2"], "k", "tok_chargeDeclined")
    Runner(app).run_until_quiet()
    declined = next(
        n
        for n in app.recorder.select_notifications(start=1, limit=100)
        if n.topic.endswith(":PaymentDeclined")
    )
    state = json.loads(declined.state)
    del state["reason"]  # as PaymentDeclined v1 was stored
    state["class_version"] = 1
    v1 = replace(declined, state=json.dumps(state).encode())
    fact = fact_of_stored(cast(PydanticMapper, app.mapper), v1)
    assert fact.payload["reason"] == "card_declined"
