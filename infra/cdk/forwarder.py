"""The stream forwarder: event table stream -> EventBridge, with an on-failure queue."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from infra.cdk.access import grant_tables
from infra.cdk.functions import LambdaCode, ServiceFunction
from infra.cdk.nag import suppress
from infra.cdk.queues import secure_queue
from infra.cdk.storage import Storage

HANDLER = "handlers.stream_forwarder.handler"
# Only notification-log pages carry events for the bus; aggregate items are skipped by Lambda.
LOG_RECORDS = {"dynamodb": {"NewImage": {"kind": {"S": lambda_.FilterRule.is_equal("log")}}}}
TIMEOUT = Duration.seconds(60)


class StreamForwarder(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        code: LambdaCode,
        storage: Storage,
        bus: events.IEventBus,
        environment: Mapping[str, str],
    ) -> None:
        super().__init__(scope, id)
        # Where Lambda parks batches it gave up on, and the handler parks undecodable records.
        self.on_failure = secure_queue(self, "OnFailure")
        self.handler = ServiceFunction(
            self,
            "Handler",
            code=code,
            handler=HANDLER,
            service="stream-forwarder",
            environment={**environment, "DEAD_LETTER_QUEUE_URL": self.on_failure.queue_url},
            timeout=TIMEOUT,
        )
        fn = self.handler.function
        fn.add_event_source(
            sources.DynamoEventSource(
                storage.events,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                parallelization_factor=1,  # keep each shard's records in commit order
                report_batch_item_failures=True,
                bisect_batch_on_error=True,
                retry_attempts=10,
                # Consumers fill gaps from the log, so a record given up on is late, not lost;
                # past this age a stuck record stops blocking its shard.
                max_record_age=Duration.hours(6),
                on_failure=sources.SqsDlq(self.on_failure),
                filters=[lambda_.FilterCriteria.filter(LOG_RECORDS)],
            )
        )
        grant_tables(storage, HANDLER, self.handler)
        bus.grant_put_events_to(fn)
        self.on_failure.grant_send_messages(fn)
        suppress(
            self.handler.role,
            "IAM5",
            "dynamodb:ListStreams supports no resource-level permissions; the stream reads "
            "themselves are scoped to the event table's stream ARN.",
            "Resource::*",
        )
        suppress(
            self.on_failure,
            "SQS3",
            "This queue is itself the forwarder's terminal failure destination; it has no "
            "consumer to retry from, so a dead-letter queue behind it would never fill.",
        )
