"""The stream forwarder: event table stream -> EventBridge, with an on-failure queue."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_events as events
from constructs import Construct

from cdk.access import grant_tables
from cdk.functions import LambdaCode, ServiceFunction
from cdk.queues import secure_queue
from cdk.storage import Storage
from cdk.streams import read_tips
from infra.settings import ENV_VARS

HANDLER = "handlers.stream_forwarder.handler"
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
            environment={
                **environment,
                ENV_VARS["dead_letter_queue_url"]: self.on_failure.queue_url,
            },
            timeout=TIMEOUT,
        )
        read_tips(
            self.handler,
            storage.events,
            self.on_failure,
            batch_size=100,
            # Order matters per aggregate only, i.e. per tip item, and a parallelized shard
            # still delivers each item's records in order.
            parallelization_factor=10,
            retry_attempts=10,
            # A record given up on is parked (its shard position) and alarms; consumers fill an
            # aggregate's gap from the event table with its next event. Past this age a stuck
            # record stops blocking its shard.
            max_record_age=Duration.hours(6),
        )
        grant_tables(storage, HANDLER, self.handler)
        bus.grant_put_events_to(self.handler.function)
        self.on_failure.grant_send_messages(self.handler.function)
