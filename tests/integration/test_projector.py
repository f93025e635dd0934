"""Two workers of one view racing on one item: the newer fold stands, whatever the order."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from domain.commands import FailOrder, StartPayment
from domain.payment import payment_id_for
from infra.gateway import SimulatedGateway
from infra.pipeline.source import StoreSource, detail_of
from infra.readmodels.codec import from_ddb
from infra.readmodels.projector import Projector
from infra.tables import ensure_tables
from infra.wiring import dynamodb, source, ticketing
from projections.base import Fact
from projections.views import Orders
from tests.integration.pipeline_stack import fresh_settings


class PausedAfterRead(StoreSource):
    """Reads the store, then waits to be let go before the caller may write."""

    def __init__(self, inner: StoreSource) -> None:
        super().__init__(inner.recorder, inner.application, inner.mapper)
        self.read, self.go = threading.Event(), threading.Event()

    def history(self, aggregate_id: uuid.UUID) -> list[Fact]:
        found = super().history(aggregate_id)
        self.read.set()
        assert self.go.wait(30)
        return found


def test_a_slow_worker_never_writes_an_older_fold_over_a_newer_one() -> None:
    settings = fresh_settings()
    ensure_tables(dynamodb(), settings)
    app = ticketing(settings, SimulatedGateway())
    show = app.create_show(uuid.uuid4(), "Gig", seats=[{"label": "A-1", "price_cents": 900}])
    order = app.place_order(show, "ann", ["A-1"], "k", "tok_chargeDeclined")
    stored = source(app)
    first = detail_of(stored.mapper, app.name, app.recorder.select_events(order)[0])

    # GIVEN a worker that has read the order while it was ALLOCATED, and is slow to write
    paused = PausedAfterRead(stored)
    slow = Projector(dynamodb(), settings.orders_table, Orders(), paused)
    outcome: list[Any] = []
    worker = threading.Thread(target=lambda: outcome.extend(slow.apply([first])))
    worker.start()
    assert paused.read.wait(30)
    # WHEN the order fails its payment and another worker applies that first
    app.execute(StartPayment(order_id=order))
    app.execute(FailOrder(order_id=order, payment_id=payment_id_for(order)))
    events = app.recorder.select_events(order)
    last = detail_of(stored.mapper, app.name, events[-1])
    fast = Projector(dynamodb(), settings.orders_table, Orders(), stored)
    assert fast.apply([last]) == [None]
    paused.go.set()
    worker.join(timeout=30)
    # THEN the slow worker's older fold did not overwrite the newer item
    assert outcome == [None]
    item = dynamodb().get_item(
        TableName=settings.orders_table, Key={"pk": {"S": f"order#{order}"}}, ConsistentRead=True
    )["Item"]
    assert (from_ddb(item)["status"], from_ddb(item)["version"]) == (
        "PAYMENT_FAILED",
        len(events),
    )
