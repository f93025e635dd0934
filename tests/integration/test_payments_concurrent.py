"""Payments run concurrently across orders: one order's card charge never waits for another's."""

from __future__ import annotations

import threading
import uuid

from domain.order import OrderStatus
from domain.payment import CaptureResult
from infra.gateway import SimulatedGateway
from infra.pipeline.source import detail_of
from infra.tables import ensure_tables
from infra.wiring import dynamodb, reactor, ticketing
from projections.reactions import PAYMENT
from tests.integration.pipeline_stack import fresh_settings

ORDERS = 8


class MeetingGateway(SimulatedGateway):
    """Each charge waits until all ORDERS charges are in flight at once: were the reaction
    charging one order after another, the first would wait in vain and fail."""

    def __init__(self) -> None:
        super().__init__()
        self.all_in_flight = threading.Barrier(ORDERS, timeout=20)

    def capture(self, idempotency_key: str, token: str, amount_cents: int) -> CaptureResult:
        self.all_in_flight.wait()
        return super().capture(idempotency_key, token, amount_cents)


def test_allocated_orders_of_one_batch_are_charged_at_the_same_time() -> None:
    settings = fresh_settings()
    ensure_tables(dynamodb(), settings)
    gateway = MeetingGateway()
    app = ticketing(settings, gateway)
    show = app.create_show(
        uuid.uuid4(), "Gig", seats=[{"label": f"A-{n}", "price_cents": 900} for n in range(1, 10)]
    )
    orders = [
        app.place_order(show, f"c{n}", [f"A-{n + 1}"], "k", "tok_visa") for n in range(ORDERS)
    ]
    allocated = [
        detail_of(app.mapper, app.name, e)
        for order in orders
        for e in app.recorder.select_events(order)
        if e.topic.endswith(":OrderAllocated")
    ]
    assert len(allocated) == ORDERS
    # WHEN the payment reaction gets them as one batch
    outcomes = reactor(PAYMENT, settings, app).apply(allocated)
    # THEN every charge met the others in flight, and each order was captured once
    assert outcomes == [None] * ORDERS
    assert not gateway.all_in_flight.broken
    assert sorted(c.result for c in gateway.charges()) == [CaptureResult.CAPTURED] * ORDERS
    assert all(app.get_order(o).status is OrderStatus.ALLOCATED for o in orders)
