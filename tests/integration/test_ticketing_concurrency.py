"""Fifty buyers race for one seat on DynamoDB Local: one allocation, the rest queued in order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID, uuid4

from domain.events import SeatRequested
from domain.order import OrderStatus
from domain.seat import seat_id
from infra.gateway import SimulatedGateway
from tests.apps import application
from tests.integration.test_ticketing_scenarios import dynamodb_env

BUYERS = 50


def test_place_order_50_concurrent_buyers_of_one_seat_lose_nothing() -> None:
    # GIVEN a show, and one application per buyer (as separate processes would have)
    env = dynamodb_env()
    apps = [application(env=env, gateway=SimulatedGateway()) for _ in range(BUYERS)]
    show = apps[0].create_show(uuid4(), "Gig", seats=[{"label": "A-1", "price_cents": 9900}])
    start = threading.Barrier(BUYERS)

    def buy(i: int) -> UUID:
        start.wait()
        return apps[i].place_order(show, f"customer-{i}", ["A-1"], "k", "tok_visa")

    # WHEN all of them order the same seat at once
    with ThreadPoolExecutor(BUYERS) as pool:
        placed = list(pool.map(buy, range(BUYERS)))

    # THEN every order is queued exactly once, and only the first in the queue holds the seat
    app = apps[0]
    seat = app.find_seat(show, "A-1")
    assert seat is not None
    assert sorted(seat.queue) == sorted(placed) and len(set(placed)) == BUYERS
    statuses = {o: app.get_order(o).status for o in placed}
    assert [o for o, s in statuses.items() if s == OrderStatus.ALLOCATED] == [seat.queue[0]]
    assert sum(s == OrderStatus.PENDING for s in statuses.values()) == BUYERS - 1
    # ... and the queue is the commit order of the seat's saves, as the index records them
    committed = [
        app.mapper.to_domain_event(n)
        for n in app.recorder.select_notifications(start=1, limit=10_000)
        if n.originator_id == seat_id(show, "A-1")
    ]
    assert [e.order_id for e in committed if isinstance(e, SeatRequested)] == seat.queue
