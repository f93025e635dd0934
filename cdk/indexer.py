"""The indexer: event table stream -> the ordered index table, every event, one writer."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from constructs import Construct

from cdk.access import grant_tables
from cdk.functions import LambdaCode, ServiceFunction
from cdk.queues import secure_queue
from cdk.storage import Storage
from cdk.streams import read_tips
from infra.settings import ENV_VARS

HANDLER = "handlers.indexer.handler"
TIMEOUT = Duration.seconds(120)  # a full batch, with gap fills and throttled writes retried


class Indexer(Construct):
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
        # The handler parks undecodable records here; Lambda never does, as it never gives up.
        self.on_failure = secure_queue(self, "OnFailure")
        self.handler = ServiceFunction(
            self,
            "Handler",
            code=code,
            handler=HANDLER,
            service="indexer",
            environment={
                **environment,
                ENV_VARS["dead_letter_queue_url"]: self.on_failure.queue_url,
            },
            timeout=TIMEOUT,
            # One writer per index partition. Concurrent writers would still be correct (pages
            # are written only if absent, marks only from their previous value) but would race.
            reserved_concurrency=1,
        )
        read_tips(
            self.handler,
            storage.events,
            self.on_failure,
            batch_size=1000,
            parallelization_factor=1,
            # The index must hold every event, so a failing batch is retried until it succeeds,
            # never skipped or aged out (the iterator age alarm tells; fix it within the stream's
            # 24 hours). A batch retried is harmless: per-aggregate marks drop what is indexed.
            retry_attempts=-1,
            max_record_age=None,  # the default, -1: infinite
        )
        grant_tables(storage, HANDLER, self.handler)
        self.on_failure.grant_send_messages(self.handler.function)
