"""The stream poller against DynamoDB Local's real stream of committed saves."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import Environment

from infra.dynamodb import DynamoDBFactory
from infra.dynamodb.items import aggregate_pk
from infra.dynamodb.recorders import DynamoDBApplicationRecorder
from infra.dynamodb.stream import committed
from local.dynamodb import DynamoDBLocal
from local.runners.stream_poller import StreamPoller, latest_stream_arn, streams_client
from tests.conftest import fresh_table_name


@dataclass
class Ledger:
    recorder: DynamoDBApplicationRecorder
    stream_arn: str
    streams: Any
    originator: Any = field(default_factory=uuid4)
    saved: list[tuple[int, bytes]] = field(default_factory=list)

    def commit(self, count: int) -> None:
        """`count` saves of one aggregate: each writes its tip, and the next version."""
        for _ in range(count):
            version = len(self.saved) + 1
            state = f"state-{version}".encode()
            self.recorder.insert_events([StoredEvent(self.originator, version, "topic", state)])
            self.saved.append((version, state))


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch, dynamodb_local: DynamoDBLocal) -> Ledger:
    # DynamoDB Local serves the streams API on its one endpoint.
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", dynamodb_local.endpoint)
    table = fresh_table_name()
    env = Environment("Shop", {"DYNAMODB_TABLE": table, "CREATE_TABLE": "y"})
    recorder = DynamoDBFactory(env).application_recorder()
    assert isinstance(recorder, DynamoDBApplicationRecorder)
    return Ledger(recorder, latest_stream_arn(recorder.client, table), streams_client())


@dataclass
class Handler:
    """Records each invocation's versions saved; `answer` decides the response per call."""

    answer: Any = None
    calls: list[list[int]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.calls.append([version(r) for r in event["Records"]])
        return self.answer(event, len(self.calls)) if self.answer else None

    @property
    def delivered(self) -> list[int]:
        return [v for call in self.calls for v in call]


def version(record: dict[str, Any]) -> int:
    return int(record["dynamodb"]["NewImage"]["v"]["N"])


def fail_at(v: int, on_calls: set[int] | None = None) -> Any:
    def answer(event: dict[str, Any], call: int) -> Any:
        if on_calls is not None and call not in on_calls:
            return {"batchItemFailures": []}
        seqs = [r["dynamodb"]["SequenceNumber"] for r in event["Records"] if version(r) == v]
        return {"batchItemFailures": [{"itemIdentifier": s} for s in seqs]}

    return answer


def poller(ledger: Ledger, handler: Handler, path: Path, **options: Any) -> StreamPoller:
    return StreamPoller(ledger.streams, ledger.stream_arn, handler, path / "cp.json", **options)


def drain(p: StreamPoller, polls: int = 12) -> None:
    for _ in range(polls):
        p.poll_once()


def test_stream_poller_delivers_each_save_once_in_order(ledger: Ledger, tmp_path: Path) -> None:
    # GIVEN five saves and a handler that succeeds
    ledger.commit(5)
    handler = Handler()
    # WHEN polled in batches of two until caught up
    drain(poller(ledger, handler, tmp_path, batch_size=2))
    # THEN each save came once, in commit order
    assert handler.delivered == [1, 2, 3, 4, 5]
    assert all(len(call) <= 2 for call in handler.calls)
    # AND each event has Lambda's shape, binary attributes as base64
    for event in handler.events:
        DynamoDBStreamModel.model_validate(event)
        for record in event["Records"]:
            assert record["eventSource"] == "aws:dynamodb"
            assert record["eventSourceARN"] == ledger.stream_arn
            assert record["dynamodb"]["StreamViewType"] == "NEW_IMAGE"
            assert record["dynamodb"]["Keys"]["pk"] == {
                "S": aggregate_pk("Shop", ledger.originator)
            }
            assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], float)
    batches = [committed(r) for e in handler.events for r in e["Records"]]
    rows = [(e.originator_version, e.state) for b in batches if b for e in b[1].events]
    assert rows == ledger.saved


def invalid_identifier(event: dict[str, Any], call: int) -> Any:
    return {"batchItemFailures": [{"itemIdentifier": "unknown"}]} if call == 1 else None


def powertools(event: dict[str, Any], call: int) -> Any:
    """A Powertools partial-batch handler whose record handler fails save 3 on the first call."""

    def handle(record: DynamoDBRecord) -> None:  # Powertools passes it as `record=`
        if call == 1 and record.dynamodb and record.dynamodb.new_image["v"] == 3:
            raise ValueError("save 3 failed")

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return process_partial_response(event, handle, processor, None)


def raises(event: dict[str, Any], call: int) -> Any:
    if call == 1:
        raise RuntimeError("handler failed")


@pytest.mark.parametrize(
    ("answer", "retried"),
    [
        (fail_at(3, on_calls={1}), [3, 4, 5]),
        (invalid_identifier, [1, 2, 3, 4, 5]),
        (raises, [1, 2, 3, 4, 5]),
        (powertools, [3, 4, 5]),
    ],
    ids=["reports-record-3", "invalid-identifier", "raises", "powertools"],
)
def test_stream_poller_retries_from_the_failed_record(
    ledger: Ledger, tmp_path: Path, answer: Any, retried: list[int]
) -> None:
    # GIVEN a handler that fails its first invocation (one record, or the whole batch)
    ledger.commit(5)
    handler = Handler(answer)
    # WHEN polled until caught up
    drain(poller(ledger, handler, tmp_path))
    # THEN the retry starts at the failed record (whole batch: at the first); nothing is lost
    assert handler.calls == [[1, 2, 3, 4, 5], retried]


def test_stream_poller_skips_a_batch_after_bounded_retries(ledger: Ledger, tmp_path: Path) -> None:
    # GIVEN a record that always fails, and two retries allowed
    ledger.commit(4)
    handler = Handler(fail_at(2))
    skipped: list[tuple[dict[str, Any], dict[str, Any]]] = []
    p = poller(
        ledger, handler, tmp_path, max_retries=2, on_failure=lambda i, e: skipped.append((i, e))
    )
    drain(p)
    # THEN one call plus two retries, then the retried batch goes to on_failure and is skipped
    assert handler.calls == [[1, 2, 3, 4], [2, 3, 4], [2, 3, 4]]
    info, event = skipped[0]
    assert len(skipped) == 1 and info["DDBStreamBatchInfo"]["batchSize"] == 3
    assert (
        info["DDBStreamBatchInfo"]["startSequenceNumber"]
        == event["Records"][0]["dynamodb"]["SequenceNumber"]
    )
    assert [version(r) for r in event["Records"]] == [2, 3, 4]
    # AND later records flow again
    ledger.commit(1)
    drain(p, polls=2)
    assert handler.calls[-1] == [5]


def test_stream_poller_resumes_from_its_checkpoint_after_a_restart(
    ledger: Ledger, tmp_path: Path
) -> None:
    # GIVEN a poller that processed save 1 and keeps failing save 2, then stops
    ledger.commit(3)
    first = Handler(fail_at(2))
    drain(poller(ledger, first, tmp_path, max_retries=-1), polls=3)
    assert first.calls == [[1, 2, 3], [2, 3], [2, 3]]
    saved = json.loads((tmp_path / "cp.json").read_text())
    # WHEN a new poller starts on the same checkpoint file, with more saves committed
    ledger.commit(2)
    second = Handler()
    again = poller(ledger, second, tmp_path)
    drain(again)
    # THEN it starts at save 2: nothing skipped, nothing before it handed on again
    assert second.delivered == [2, 3, 4, 5]
    assert saved != json.loads((tmp_path / "cp.json").read_text())
    # AND a third start has nothing left to deliver
    third = Handler()
    drain(poller(ledger, third, tmp_path), polls=2)
    assert third.calls == []


def test_stream_poller_run_delivers_until_stopped(ledger: Ledger, tmp_path: Path) -> None:
    handler = Handler()
    stop = threading.Event()
    thread = threading.Thread(
        target=poller(ledger, handler, tmp_path, poll_interval=0.05).run, args=(stop,)
    )
    thread.start()
    try:
        ledger.commit(3)
        deadline = time.monotonic() + 10
        while handler.delivered != [1, 2, 3] and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert handler.delivered == [1, 2, 3] and not thread.is_alive()
