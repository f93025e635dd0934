"""The scenario suite on the in-memory store (the library default, POPO)."""

from __future__ import annotations

import pytest

from domain.application import Ticketing
from infra.gateway import SimulatedGateway
from tests.apps import application
from tests.unit.domain.scenarios import MakeApp, TicketingScenarios


class TestTicketingInMemory(TicketingScenarios):
    @pytest.fixture
    def make_app(self) -> MakeApp:
        def make(gateway: SimulatedGateway) -> Ticketing:
            return application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, gateway=gateway)

        return make
