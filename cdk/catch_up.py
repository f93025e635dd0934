"""The catch-up: every minute, each consumer follows the index from its own positions."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from cdk.access import grant_tables
from cdk.functions import LambdaCode, ServiceFunction
from cdk.nag import suppress
from cdk.queues import secure_queue
from cdk.storage import Storage

HANDLER = "handlers.catch_up.handler"
RATE = Duration.minutes(1)
# Longer than the rate, so a backlog drains in one run; positions move page by page, so a run
# cut short loses nothing. Ticks meanwhile are throttled (one run at a time) and expire.
TIMEOUT = Duration.minutes(5)
# A tick not run within this is pointless: the next one catches up the same.
TICK_AGE = Duration.minutes(1)


class CatchUp(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        code: LambdaCode,
        storage: Storage,
        environment: Mapping[str, str],
    ) -> None:
        super().__init__(scope, id)
        # It parks nothing itself (a consumer that fails resumes next run): no queue URL.
        self.handler = ServiceFunction(
            self,
            "Handler",
            code=code,
            handler=HANDLER,
            service="catch-up",
            environment=environment,
            timeout=TIMEOUT,
            # Two runs would race on the same positions: correct, but wasted work.
            reserved_concurrency=1,
        )
        fn = self.handler.function
        # Lambda would otherwise retry a failed or throttled tick for up to 6 hours.
        fn.configure_async_invoke(retry_attempts=0, max_event_age=TICK_AGE)
        grant_tables(storage, HANDLER, self.handler)
        # EventBridge could not invoke the function (permission, quota): a person must look.
        self.dead_letters = secure_queue(self, "DeadLetters")
        suppress(
            self.dead_letters,
            "SQS3",
            "This queue is itself the schedule's dead-letter queue for failed invocations; "
            "nothing consumes it, so a dead-letter queue behind it would never fill.",
        )
        # A rule rather than EventBridge Scheduler: a fixed rate needs none of Scheduler's
        # features, and a rule invokes through the function's resource policy, with no role.
        self.schedule = events.Rule(
            self,
            "Schedule",
            description=f"seatledger catch-up: {HANDLER} every minute",
            schedule=events.Schedule.rate(RATE),
            targets=[
                targets.LambdaFunction(
                    fn,
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=2,
                    max_event_age=TICK_AGE,
                )
            ],
        )
