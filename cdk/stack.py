"""The seatledger stack: storage, indexer, forwarder, bus, consumers, catch-up, users, API,
alarms."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from constructs import Construct

from cdk.api import Api
from cdk.bus import Bus
from cdk.catch_up import CatchUp
from cdk.consumers import RuleConsumer
from cdk.dashboard import Dashboard
from cdk.deadlines import Deadlines
from cdk.environment import ENV_VARS
from cdk.forwarder import StreamForwarder
from cdk.functions import LambdaCode
from cdk.indexer import Indexer
from cdk.observability import Alarms
from cdk.storage import Storage
from cdk.users import Users
from cdk.variant import CODE_INCLUDE, LocalStackVariant
from cdk.waf import ApiFirewall
from infra.rules import RuleSpec
from infra.settings import Settings

ITERATOR_AGE_LIMIT = Duration.minutes(1)
INDEX_PARTITIONS = 1  # as the local stack runs it: one sequence of dense ids
GATEWAY_LATENCY_MS = 0  # the simulated gateway answers at once; latency is for benchmarks


class SeatLedgerStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        deps_dir: Path,
        rules: Sequence[RuleSpec],
        variant: LocalStackVariant | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        extra = CODE_INCLUDE if variant else []
        code = LambdaCode(self, "Code", deps_dir=deps_dir, include=extra)
        self.storage = Storage(self, "Storage")
        self.bus = Bus(self, "Events", archive=not variant)
        self.alarms = Alarms(self, "Alarms")
        environment = self._environment()

        self.indexer = Indexer(
            self, "Indexer", code=code, storage=self.storage, environment=environment
        )
        self.alarms.dead_letters("indexer-on-failure", self.indexer.on_failure)
        self.alarms.iterator_age(
            "indexer-iterator-age", self.indexer.handler.function, ITERATOR_AGE_LIMIT
        )

        self.forwarder = StreamForwarder(
            self,
            "StreamForwarder",
            code=code,
            storage=self.storage,
            bus=self.bus.bus,
            environment=environment,
        )
        self.alarms.dead_letters("stream-forwarder-on-failure", self.forwarder.on_failure)
        self.alarms.iterator_age(
            "stream-forwarder-iterator-age", self.forwarder.handler.function, ITERATOR_AGE_LIMIT
        )

        self.consumers: list[RuleConsumer] = []
        for spec in rules:
            consumer = RuleConsumer(
                self,
                spec.name,
                spec=spec,
                code=code,
                storage=self.storage,
                environment=environment,
            )
            self.bus.route(spec, consumer.queue, consumer.dead_letters)
            self.alarms.dead_letters(f"{spec.name}-dead-letters", consumer.dead_letters)
            self.consumers.append(consumer)

        self.catch_up = CatchUp(
            self, "CatchUp", code=code, storage=self.storage, environment=environment
        )
        self.alarms.dead_letters("catch-up-dead-letters", self.catch_up.dead_letters)
        by_name = {consumer.spec.name: consumer for consumer in self.consumers}
        self.deadlines = Deadlines(
            self,
            "Deadlines",
            queue=by_name["reallocation"].queue,
            deferring=[by_name["reallocation"].handler, self.catch_up.handler],
        )

        # The LocalStack variant has neither (cdk/variant.py): its API checks tokens.
        self.users = None if variant else Users(self, "Users")
        self.api = Api(
            self,
            "Api",
            code=code,
            storage=self.storage,
            users=self.users,
            variant=variant,
            environment=environment,
        )
        if not variant:  # LocalStack core has no WAF, and no CloudWatch dashboards
            stage = self.api.rest_api.deployment_stage
            ApiFirewall(self, "ApiFirewall", stage_arn=stage.stage_arn)
            self.dashboard = Dashboard(
                self,
                "Dashboard",
                api=self.api.rest_api,
                stream_consumers=[self.indexer.handler.function, self.forwarder.handler.function],
                queues={c.spec.name: (c.queue, c.dead_letters) for c in self.consumers},
            )

        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url)
        if self.users:
            CfnOutput(self, "UserPoolId", value=self.users.pool.user_pool_id)
            CfnOutput(self, "UserPoolClientId", value=self.users.client.user_pool_client_id)
        CfnOutput(self, "AlarmTopicArn", value=self.alarms.topic.topic_arn)
        CfnOutput(self, "EventTableName", value=self.storage.events.table_name)
        CfnOutput(self, "IndexTableName", value=self.storage.index.table_name)
        CfnOutput(self, "EventBusName", value=self.bus.bus.event_bus_name)
        CfnOutput(self, "Queues", value=self.to_json_string(self._queues()))

    def _queues(self) -> dict[str, dict[str, str]]:
        """Each consumer's queue and dead-letter queue, for `seatledger dlq` and `status`."""
        queues = {
            c.spec.name: {"queue": c.queue.queue_url, "dead_letters": c.dead_letters.queue_url}
            for c in self.consumers
        }
        queues["stream-forwarder"] = {"dead_letters": self.forwarder.on_failure.queue_url}
        queues["indexer"] = {"dead_letters": self.indexer.on_failure.queue_url}
        queues["catch-up"] = {"dead_letters": self.catch_up.dead_letters.queue_url}
        return queues

    def _environment(self) -> dict[str, str]:
        """Every table, the bus, the index's shape and the payment deadline by the names
        `Settings.from_env` reads (each function adds its own dead-letter queue; those that put
        deliveries off, the deadline queue and the scheduler's role)."""
        names = {
            "event_table": self.storage.events.table_name,
            "index_table": self.storage.index.table_name,
            "index_partitions": str(INDEX_PARTITIONS),
            "gateway_latency_ms": str(GATEWAY_LATENCY_MS),
            "payment_deadline_seconds": str(Settings.of().payment_deadline_seconds),
            "scheduler_group": Settings.of().scheduler_group,
        }
        names |= {role: table.table_name for role, table in self.storage.by_role.items()}
        names["event_bus"] = self.bus.bus.event_bus_name
        return {ENV_VARS[field]: value for field, value in names.items()}
