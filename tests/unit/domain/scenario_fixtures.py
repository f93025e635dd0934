"""Fixtures shared by the scenario suites: subclasses provide `make_app` for their store."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import pytest

from domain.application import Ticketing
from domain.order import OrderStatus
from domain.runner import Runner
from infra.gateway import SimulatedGateway

MakeApp = Callable[[SimulatedGateway], Ticketing]
PRICES = {"A-1": 4000, "A-2": 4000, "A-3": 4000, "B-1": 2500, "B-2": 2500}


class ScenarioFixtures:
    @pytest.fixture
    def gateway(self) -> SimulatedGateway:
        return SimulatedGateway()

    @pytest.fixture
    def app(self, make_app: MakeApp, gateway: SimulatedGateway) -> Ticketing:
        return make_app(gateway)

    @pytest.fixture
    def runner(self, app: Ticketing) -> Runner:
        return Runner(app)

    @pytest.fixture
    def show(self, app: Ticketing) -> UUID:
        seats = [{"label": label, "price_cents": price} for label, price in PRICES.items()]
        return app.create_show(uuid4(), "Hamlet", seats=seats)

    def status(self, app: Ticketing, order_id: UUID) -> OrderStatus:
        return app.get_order(order_id).status
