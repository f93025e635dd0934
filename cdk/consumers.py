"""One rule consumer: its SQS queue, dead-letter queue, and queue-handler function."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from cdk.access import grant_tables
from cdk.functions import LambdaCode, ServiceFunction
from cdk.queues import secure_queue
from cdk.storage import Storage
from infra.rules import RuleSpec
from infra.settings import ENV_VARS

TIMEOUT = Duration.seconds(60)
BATCH_WINDOW = Duration.seconds(1)
# AWS's rule for SQS event sources: at least six times the function timeout, plus the window.
VISIBILITY = Duration.seconds(6 * TIMEOUT.to_seconds() + BATCH_WINDOW.to_seconds())


class RuleConsumer(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        spec: RuleSpec,
        code: LambdaCode,
        storage: Storage,
        environment: Mapping[str, str],
    ) -> None:
        super().__init__(scope, id)
        if not spec.handler:
            raise ValueError(f"rule {spec.name!r} names no handler")
        self.spec = spec
        self.dead_letters = secure_queue(self, "DeadLetters")
        self.queue = secure_queue(
            self, "Queue", visibility_timeout=VISIBILITY, dead_letters=self.dead_letters
        )
        self.handler = ServiceFunction(
            self,
            "Handler",
            code=code,
            handler=spec.handler,
            service=spec.name,
            environment={
                **environment,
                ENV_VARS["dead_letter_queue_url"]: self.dead_letters.queue_url,
            },
            timeout=TIMEOUT,
        )
        fn = self.handler.function
        fn.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=10,
                max_batching_window=BATCH_WINDOW,
                report_batch_item_failures=True,
            )
        )
        grant_tables(storage, spec.handler, self.handler)
        self.dead_letters.grant_send_messages(fn)
