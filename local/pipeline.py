"""The AWS pipeline on this machine: what Lambda's event source mappings do, run by threads.

    stream of the event table --StreamPoller--> stream forwarder --PutEvents--> bus (moto)
                              --StreamPoller--> indexer --> the ordered index
    bus rules (`infra.rules`) --> SQS queues (moto) --SqsPoller x workers--> queue handlers

Handlers are the Lambda handlers themselves; each handler module is configured with its own
settings (`infra.configured`), because all of them share this process's environment. Each
queue has several workers, as Lambda runs several instances of a function. Stream checkpoints
are kept in files, so a restart resumes.

Long: it provisions and wires every local function, the one place that mirrors the CDK stack.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import boto3

from infra.dynamodb.client import ensure_table
from infra.rules import RULES
from infra.settings import Settings
from infra.tables import ensure_tables
from local.aws import Provisioned, QueueRef, provision
from local.runners.lambda_runtime import Handler
from local.runners.scheduler import LocalScheduler
from local.runners.sqs_poller import SqsPoller
from local.runners.stream_poller import StreamPoller, latest_stream_arn, streams_client

FORWARDER_DLQ = "seatledger-stream-forwarder-dlq"
LOCAL_SCHEDULER_ROLE = "arn:aws:iam::000000000000:role/seatledger-scheduler"  # moto checks none
INDEXER_DLQ = "seatledger-indexer-dlq"
Wrap = Callable[[str, Handler], Handler]  # (function name, handler) -> handler, for fault tests


@dataclass(frozen=True)
class Resources:
    provisioned: Provisioned
    forwarder_dlq_url: str
    indexer_dlq_url: str
    stream_arn: str

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Resources:
        data = json.loads(text)
        raw = data.pop("provisioned")
        queues = {name: QueueRef(**q) for name, q in raw.pop("queues").items()}
        return cls(Provisioned(**raw, queues=queues), **data)


def provision_all(
    dynamodb: Any, events: Any, sqs: Any, settings: Settings, **options: Any
) -> Resources:
    """Create every table, the bus, its rules and queues when missing (idempotent)."""
    ensure_table(dynamodb, settings.event_table)
    ensure_table(dynamodb, settings.index_table, stream=False)
    ensure_tables(dynamodb, settings)
    provisioned = provision(events, sqs, settings.event_bus, RULES, **options)
    dlq_url = sqs.create_queue(QueueName=FORWARDER_DLQ)["QueueUrl"]
    indexer_dlq_url = sqs.create_queue(QueueName=INDEXER_DLQ)["QueueUrl"]
    stream_arn = latest_stream_arn(dynamodb, settings.event_table)
    return Resources(provisioned, dlq_url, indexer_dlq_url, stream_arn)


def _queue_handler(rule_handler: str, settings: Settings) -> Handler:
    module = importlib.import_module(rule_handler.rsplit(".", 1)[0])
    module.consumer.configure(settings)
    return module.handler  # type: ignore[no-any-return]


@dataclass
class LocalPipeline:
    settings: Settings
    resources: Resources
    checkpoint_dir: Path
    sqs: Any
    events: Any | None = None  # the forwarder's EventBridge client (tests inject faults here)
    wrap: Wrap | None = None
    poll_interval: float = 0.1
    workers: int = 1  # threads per queue, as Lambda's concurrent instances
    stream: StreamPoller = field(init=False)
    index: StreamPoller = field(init=False)
    queues: dict[str, SqsPoller] = field(init=False, default_factory=dict)
    scheduler: LocalScheduler = field(init=False)
    _stop: threading.Event = field(init=False, default_factory=threading.Event)
    _threads: list[threading.Thread] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        from handlers import indexer, stream_forwarder

        wrap = self.wrap or (lambda name, handler: handler)
        forwarder_settings = self.settings.with_(
            dead_letter_queue_url=self.resources.forwarder_dlq_url
        )
        stream_forwarder.forwarder.configure(forwarder_settings, events=self.events)
        self.stream = StreamPoller(
            streams_client(),
            self.resources.stream_arn,
            wrap("stream-forwarder", stream_forwarder.handler),
            self.checkpoint_dir / "stream-forwarder.json",
            max_retries=10,
            on_failure=self._on_stream_failure,
            function_name="stream-forwarder",
            poll_interval=self.poll_interval,
        )
        indexer_settings = self.settings.with_(dead_letter_queue_url=self.resources.indexer_dlq_url)
        indexer.stream_indexer.configure(indexer_settings)
        self.index = StreamPoller(
            streams_client(),
            self.resources.stream_arn,
            wrap("indexer", indexer.handler),
            self.checkpoint_dir / "indexer.json",
            max_retries=-1,  # the index must hold everything: never skip a batch
            function_name="indexer",
            poll_interval=self.poll_interval,
        )
        # Deadlines go back to the reallocation queue; the scheduler here is moto's.
        self.settings = self.settings.with_(
            deadline_queue_arn=self.resources.provisioned.queues["reallocation"].arn,
            scheduler_role_arn=LOCAL_SCHEDULER_ROLE,
        )
        self.scheduler = LocalScheduler(
            boto3.client("scheduler"), self.sqs, self.settings.scheduler_group
        )
        for rule in RULES:
            queue = self.resources.provisioned.queues[rule.name]
            settings = self.settings.with_(dead_letter_queue_url=queue.dlq_url)
            handler = _queue_handler(rule.handler, settings)
            self.queues[rule.name] = SqsPoller(
                self.sqs, queue.url, wrap(rule.name, handler), function_name=rule.name
            )

    def _on_stream_failure(self, info: dict[str, Any], event: dict[str, Any]) -> None:
        self.sqs.send_message(
            QueueUrl=self.resources.forwarder_dlq_url, MessageBody=json.dumps(info)
        )

    def start(self, only: Collection[str] | None = None) -> LocalPipeline:
        """Run every function's pollers in threads (or `only` the functions named)."""
        queues = [poller for poller in self.queues.values() for _ in range(self.workers)]
        runners: list[Any] = [self.stream, self.index, *queues, self.scheduler]
        for runner in runners:
            if only is not None and runner.function_name not in only:
                continue
            thread = threading.Thread(
                target=runner.run,
                args=(self._stop,),
                daemon=True,
                name=f"poller-{runner.function_name}",
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()

    def in_flight(self) -> int:
        """Messages waiting or in flight on the rule queues."""
        total = 0
        for poller in self.queues.values():
            attrs = self.sqs.get_queue_attributes(
                QueueUrl=poller.queue_url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            total += int(attrs["ApproximateNumberOfMessages"])
            total += int(attrs["ApproximateNumberOfMessagesNotVisible"])
        return total

    def drain_index(self) -> int:
        """Index everything the stream holds now (before consumers catch up from the index);
        returns the records read. Empty pages do not end it: three in a row do."""
        total, empty = 0, 0
        while empty < 3:
            moved = self.index.poll_once()
            total, empty = total + moved, 0 if moved else empty + 1
        return total

    def run_until_quiet(
        self, timeout: float = 120.0, quiet_rounds: int = 3, index: bool = True
    ) -> None:
        """Poll every runner in this thread until nothing moves (tests; not with `start`);
        the indexer too unless `index` is False (a test of an index that lags)."""
        deadline, quiet = time.monotonic() + timeout, 0
        while quiet < quiet_rounds:
            if time.monotonic() > deadline:
                raise TimeoutError(f"pipeline still busy after {timeout}s")
            moved = self.stream.poll_once() + (self.index.poll_once() if index else 0)
            moved += self.scheduler.poll_once()
            moved += sum(p.poll_once().received for p in self.queues.values())
            if moved == 0 and self.in_flight() == 0:
                quiet += 1
            else:
                quiet = 0
                if moved == 0:
                    time.sleep(0.2)  # a failed message is invisible until its timeout ends


def redeliver_deadlines(settings: Settings, queue_url: str, sqs: Any) -> int:
    """moto keeps EventBridge Scheduler's schedules in memory: after a restart, each order still
    waiting for its payment gets its `OrderAllocated` delivered again to the deadline queue,
    where the reallocation consumer schedules its deadline anew (or expires it, if past).
    The orders are found in the ordered index (complete once drained; a view may lag) and
    checked in the store; returns how many were sent."""
    from domain.contract import to_detail
    from domain.events import OrderAllocated
    from domain.order import Order, OrderStatus
    from infra.pipeline.deferrals import bus_event_body
    from infra.pipeline.follower import readers_of
    from infra.wiring import dynamodb, ticketing

    app = ticketing(settings)
    topic = f"{OrderAllocated.__module__}:{OrderAllocated.__name__}"
    readers = readers_of(dynamodb(), settings.index_table, app.name, settings.index_partitions)
    allocated: set[UUID] = set()
    for reader in readers:
        position = 0
        while page := reader.select_notifications(position + 1, 1000, topics=[topic]):
            allocated |= {UUID(str(n.originator_id)) for n in page}
            position = page[-1].id
    sent = 0
    for order_id in allocated:
        order: object = app.repository.get(order_id)
        if not isinstance(order, Order) or order.status != OrderStatus.ALLOCATED:
            continue
        event = [e for e in app.events.get(order_id) if isinstance(e, OrderAllocated)][-1]
        sqs.send_message(QueueUrl=queue_url, MessageBody=bus_event_body(to_detail(app.name, event)))
        sent += 1
    return sent
