"""The `eventsourcing` library's own recorder and application suites, on DynamoDB Local.

Each test gets a fresh table, as the library's SQLite and PostgreSQL suites get a fresh database.
"""

from __future__ import annotations

import os
from typing import Any

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.tests.application import ApplicationTestCase, ExampleApplicationTestCase
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
    InfrastructureFactoryTestCase,
    NonInterleavingNotificationIDsBaseCase,
    ProcessRecorderTestCase,
    TrackingRecorderTestCase,
)
from eventsourcing.tests.projection import EventSourcedProjectionTestCase
from eventsourcing.utils import Environment

from infra.dynamodb import DynamoDBFactory
from infra.dynamodb.recorders import (
    DynamoDBAggregateRecorder,
    DynamoDBApplicationRecorder,
    DynamoDBProcessRecorder,
    DynamoDBSnapshotRecorder,
    DynamoDBTrackingRecorder,
)
from tests.conftest import fresh_table_name


def factory(name: str = "TestApp") -> DynamoDBFactory:
    env = Environment(name, {"DYNAMODB_TABLE": fresh_table_name(), "CREATE_TABLE": "y"})
    return DynamoDBFactory(env)


class TestAggregateRecorder(AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return factory().aggregate_recorder()


class TestSnapshotRecorder(AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        recorder = factory().aggregate_recorder("snapshots")
        assert isinstance(recorder, DynamoDBSnapshotRecorder)
        return recorder


class TestApplicationRecorder(ApplicationRecorderTestCase[ApplicationRecorder]):
    def create_recorder(self) -> ApplicationRecorder:
        return factory().application_recorder()

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestTrackingRecorder(TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        return factory().tracking_recorder()


class TestProcessRecorder(ProcessRecorderTestCase):
    def create_recorder(self) -> ProcessRecorder:
        return factory().process_recorder()


class TestNonInterleavingNotificationIDs(NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        return factory().application_recorder()


class _Subclass(DynamoDBTrackingRecorder):
    pass


class TestInfrastructureFactory(InfrastructureFactoryTestCase[DynamoDBFactory]):
    def setUp(self) -> None:
        self.env = Environment(
            "TestCase",
            {
                "PERSISTENCE_MODULE": "infra.dynamodb",
                "DYNAMODB_TABLE": fresh_table_name(),
                "CREATE_TABLE": "y",
            },
        )
        super().setUp()

    def expected_factory_class(self) -> type[DynamoDBFactory]:
        return DynamoDBFactory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return DynamoDBAggregateRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return DynamoDBApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return DynamoDBTrackingRecorder

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return _Subclass

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        return DynamoDBProcessRecorder


class _InEnvironment:
    """Selects this persistence module and a fresh table through os.environ, as a user would."""

    _saved: dict[str, Any]

    def setUp(self) -> None:
        settings = {
            "PERSISTENCE_MODULE": "infra.dynamodb",
            "DYNAMODB_TABLE": fresh_table_name(),
            "CREATE_TABLE": "y",
        }
        self._saved = {k: os.environ.get(k) for k in settings}
        os.environ.update(settings)
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class TestExampleApplication(_InEnvironment, ExampleApplicationTestCase):
    expected_factory_topic = "infra.dynamodb:DynamoDBFactory"


class TestApplication(_InEnvironment, ApplicationTestCase):
    pass


class TestEventSourcedProjection(_InEnvironment, EventSourcedProjectionTestCase):
    env = {"PERSISTENCE_MODULE": "infra.dynamodb"}

    def setUp(self) -> None:
        super().setUp()
        type(self).env = {**type(self).env, "DYNAMODB_TABLE": os.environ["DYNAMODB_TABLE"]}


del AggregateRecorderTestCase
del ApplicationRecorderTestCase
del TrackingRecorderTestCase
del ProcessRecorderTestCase
del NonInterleavingNotificationIDsBaseCase
del InfrastructureFactoryTestCase
del ExampleApplicationTestCase
del ApplicationTestCase
del EventSourcedProjectionTestCase
