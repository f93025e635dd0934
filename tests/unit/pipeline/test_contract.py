"""The bus contract: typed, generated from the domain events, and free of card tokens."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from domain.contract import (
    DETAILS,
    EVENT_TYPES,
    UnknownDetailType,
    parse_detail,
    to_detail,
    to_domain_event,
)
from domain.events import OrderAllocated, OrderPlaced, PriceBand, RowSeats, ShowCreated
from infra.publisher import MAX_REQUEST_BYTES, entry_detail

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def placed() -> OrderPlaced:
    return OrderPlaced(
        originator_id=uuid.uuid4(),
        originator_version=1,
        timestamp=NOW,
        originator_topic="domain.order:Order",
        show_id=uuid.uuid4(),
        customer_id="c",
        idempotency_key="k",
        seat_labels=["A-1"],
        amount_cents=100,
        card_token="tok_secret",
    )


def test_every_domain_event_has_a_detail_model() -> None:
    assert set(DETAILS) == set(EVENT_TYPES) and len(DETAILS) == 20


def test_the_card_token_never_reaches_the_bus() -> None:
    detail = to_detail("Ticketing", placed())
    assert "tok_secret" not in entry_detail(detail)
    assert (
        "card_token"
        not in DETAILS["OrderPlaced"].model_json_schema()["$defs"]["OrderPlacedPayload"][
            "properties"
        ]
    )


def test_a_detail_round_trips_and_names_its_aggregate_version() -> None:
    event = OrderAllocated(
        originator_id=uuid.uuid4(), originator_version=3, timestamp=NOW, amount_cents=100
    )
    detail = to_detail("Ticketing", event)
    parsed = parse_detail("OrderAllocated", entry_detail(detail))
    assert (parsed.aggregate_id, parsed.aggregate_version, parsed.schema_version) == (
        event.originator_id,
        3,
        1,
    )
    assert "notification_id" not in json.loads(entry_detail(detail))  # no global position
    assert parsed.event_id == to_detail("Ticketing", event).event_id  # stable
    assert to_domain_event(parsed) == event


def test_bad_details_are_refused_with_the_field() -> None:
    good = json.loads(entry_detail(to_detail("Ticketing", placed())))
    with pytest.raises(ValidationError, match="aggregate_version"):
        parse_detail("OrderPlaced", {**good, "aggregate_version": 0})
    with pytest.raises(ValidationError, match="card_token"):
        parse_detail("OrderPlaced", {**good, "payload": {**good["payload"], "card_token": "x"}})
    with pytest.raises(UnknownDetailType):
        parse_detail("SeatReserved", good)


def test_an_entry_too_big_for_eventbridge_goes_without_its_payload() -> None:
    rows = [RowSeats(row=f"R{i}", seats="1-999") for i in range(12_000)]
    show = ShowCreated(
        originator_id=uuid.uuid4(),
        originator_version=1,
        timestamp=NOW,
        originator_topic="domain.show:Show",
        name="Huge",
        seat_count=1,
        price_bands=[PriceBand(name="all", price_cents=1, rows=rows)],
    )
    text = entry_detail(to_detail("Ticketing", show))
    assert len(text) < MAX_REQUEST_BYTES
    assert json.loads(text)["payload"] is None
