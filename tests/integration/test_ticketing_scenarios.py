"""The ticketing scenario suite on DynamoDB Local (PERSISTENCE_MODULE=infra.dynamodb)."""

from __future__ import annotations

import pytest

from domain.application import Ticketing
from infra.dynamodb import DynamoDBFactory
from infra.gateway import SimulatedGateway
from local.dynamodb import DynamoDBLocal
from tests.apps import application
from tests.conftest import fresh_table_name
from tests.unit.domain.scenarios import MakeApp, TicketingScenarios


def dynamodb_env() -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "infra.dynamodb",
        "DYNAMODB_TABLE": fresh_table_name("ticketing"),
        "CREATE_TABLE": "y",
    }


class TestTicketingOnDynamoDB(TicketingScenarios):
    @pytest.fixture
    def make_app(self, dynamodb_local: DynamoDBLocal) -> MakeApp:
        env = dynamodb_env()  # one table per test

        def make(gateway: SimulatedGateway) -> Ticketing:
            app = application(env=env, gateway=gateway)
            assert isinstance(app.factory, DynamoDBFactory)
            return app

        return make
