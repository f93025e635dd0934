"""Scenarios of shows and order placing, for every event store."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.application import Ticketing
from domain.errors import (
    DuplicateSeats,
    EmptyOrder,
    IdempotencyKeyReused,
    ShowAlreadyExists,
    TooManySeats,
    UnknownSeat,
    UnknownShow,
)
from domain.order import OrderStatus
from domain.runner import Runner
from tests.unit.domain.scenario_fixtures import ScenarioFixtures


class OrderingScenarios(ScenarioFixtures):
    def test_create_show_refuses_an_existing_show_id(self, app: Ticketing, show: UUID) -> None:
        # GIVEN a show WHEN a show is created with the same id THEN it is refused
        with pytest.raises(ShowAlreadyExists):
            app.create_show(show, "Other", seats=[{"label": "Z-1", "price_cents": 1}])
        assert app.get_show(show).name == "Hamlet"

    def test_create_show_of_50000_seats_writes_one_event_and_sells_any_seat(
        self, app: Ticketing, runner: Runner
    ) -> None:
        # GIVEN 50,000 seats listed one by one, prices alternating seat by seat (worst case)
        rows = [a + b for a in "ABCDEFGHIJ" for b in "ABCDEFGHIJKLMNOPQRST"]
        seats = [
            {"label": f"{row}-{n}", "price_cents": 1000 + 500 * (n % 2)}
            for row in rows
            for n in range(1, 251)
        ]
        written = app.recorder.max_notification_id() or 0
        # WHEN the show is created THEN one event is written, and the last seat can be bought
        show = app.create_show(uuid4(), "Stadium", seats=seats)
        assert app.recorder.max_notification_id() == written + 1
        app._shows.clear()  # read it back from the store
        order_id = app.place_order(show, "ann", ["JT-250", "AA-1"], "k", "tok_visa")
        runner.run_until_quiet()
        order = app.get_order(order_id)
        assert (order.status, order.amount_cents) == (OrderStatus.CONFIRMED, 1000 + 1500)

    def test_place_order_allocates_free_seats_at_once(self, app: Ticketing, show: UUID) -> None:
        # GIVEN free seats WHEN a customer orders two THEN the order holds both, priced by seat
        order_id = app.place_order(show, "ann", ["A-1", "B-1"], "k1", "tok_visa")
        order = app.get_order(order_id)
        assert order.status == OrderStatus.ALLOCATED
        assert order.amount_cents == 4000 + 2500
        seat = app.find_seat(show, "A-1")
        assert seat is not None and seat.holder == order_id
        assert app.find_seat(show, "A-2") is None  # untouched seats are never written

    def test_place_order_queues_behind_the_first_order(self, app: Ticketing, show: UUID) -> None:
        # GIVEN a held seat WHEN others order it THEN they wait, in the order received
        first = app.place_order(show, "ann", ["A-1"], "k", "tok_visa")
        second = app.place_order(show, "bob", ["A-1", "A-2"], "k", "tok_visa")
        third = app.place_order(show, "cat", ["A-1"], "k", "tok_visa")
        assert [self.status(app, o) for o in (first, second, third)] == [
            OrderStatus.ALLOCATED,
            OrderStatus.PENDING,
            OrderStatus.PENDING,
        ]
        seat = app.find_seat(show, "A-1")
        assert seat is not None and seat.queue == [first, second, third]
        assert app.get_order(second).held == {"A-2"}

    def test_place_order_is_idempotent_per_key(self, app: Ticketing, show: UUID) -> None:
        # GIVEN an order WHEN the client retries with the same key THEN nothing new is written
        order_id = app.place_order(show, "ann", ["A-1"], "key-1", "tok_visa")
        written = app.recorder.max_notification_id()
        assert app.place_order(show, "ann", ["A-1"], "key-1", "tok_visa") == order_id
        assert app.recorder.max_notification_id() == written
        # ... while another key, or another customer with that key, is another order
        assert app.place_order(show, "ann", ["A-2"], "key-2", "tok_visa") != order_id
        assert app.place_order(show, "bob", ["A-3"], "key-1", "tok_visa") != order_id

    def test_place_order_refuses_a_key_reused_for_other_seats(
        self, app: Ticketing, show: UUID
    ) -> None:
        app.place_order(show, "ann", ["A-1"], "key-1", "tok_visa")
        with pytest.raises(IdempotencyKeyReused):
            app.place_order(show, "ann", ["A-2"], "key-1", "tok_visa")

    @pytest.mark.parametrize(
        ("labels", "error"),
        [
            ([], EmptyOrder),
            ([f"A-{n}" for n in range(1, 12)], TooManySeats),
            (["A-1", "B-1", "A-1"], DuplicateSeats),
            (["A-1", "Z-9"], UnknownSeat),
        ],
    )
    def test_place_order_refuses_bad_requests(
        self, app: Ticketing, show: UUID, labels: list[str], error: type[Exception]
    ) -> None:
        written = app.recorder.max_notification_id()
        with pytest.raises(error):
            app.place_order(show, "ann", labels, "k", "tok_visa")
        assert app.recorder.max_notification_id() == written

    def test_place_order_refuses_an_unknown_show(self, app: Ticketing) -> None:
        with pytest.raises(UnknownShow):
            app.place_order(uuid4(), "ann", ["A-1"], "k", "tok_visa")
