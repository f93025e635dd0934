"""What the library's suites do not cover: faults, retries, limits and the tip/archive layout."""

from __future__ import annotations

import os
from typing import Any
from uuid import uuid4

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    OperationalError,
    StoredEvent,
    Tracking,
)
from eventsourcing.utils import Environment

from infra.dynamodb import DynamoDBFactory
from infra.dynamodb.items import TIP_LIMIT, aggregate_pk, index_pk
from infra.dynamodb.recorders import DynamoDBApplicationRecorder, _shared_indexer
from tests.conftest import fresh_table_name
from tests.integration.faults import cancelled, error_response, inject, read_timeout


def app_recorder(table: str | None = None, name: str = "Shop") -> DynamoDBApplicationRecorder:
    env = Environment(name, {"DYNAMODB_TABLE": table or fresh_table_name(), "CREATE_TABLE": "y"})
    recorder = DynamoDBFactory(env).application_recorder()
    assert isinstance(recorder, DynamoDBApplicationRecorder)
    return recorder


def event(originator_id: Any, version: int, state: bytes = b"{}") -> StoredEvent:
    return StoredEvent(originator_id, version, "topic", state)


def index_ids(recorder: DynamoDBApplicationRecorder) -> list[tuple[Any, int, int]]:
    return [
        (n.originator_id, n.originator_version, n.id)
        for n in recorder.select_notifications(None, 1000)
    ]


def test_store_rejects_version_inside_earlier_batch() -> None:
    # GIVEN versions 1-3 saved in one call (held together in the aggregate's tip)
    recorder = app_recorder()
    a = uuid4()
    recorder.insert_events([event(a, 1), event(a, 2), event(a, 3)])
    # WHEN a writer tries to append version 2 again, or to fill a gap below the head
    with pytest.raises(IntegrityError):
        recorder.insert_events([event(a, 2)])
    with pytest.raises(IntegrityError):
        recorder.insert_events([event(uuid4(), 1), event(a, 3)])
    # THEN nothing was written by the failed calls
    assert [e.originator_version for e in recorder.select_events(a)] == [1, 2, 3]
    assert [n[2] for n in index_ids(recorder)] == [1, 2, 3]


def test_store_retries_throttling_then_commits_once() -> None:
    recorder = app_recorder()
    a, b = uuid4(), uuid4()
    with inject(recorder.client, "PutItem", [lambda: error_response("ThrottlingException")] * 3):
        assert recorder.insert_events([event(a, 1)]) == [1]
    faults = [lambda: error_response("ThrottlingException")] * 3
    faults += [lambda: cancelled("None", "TransactionConflict")]
    with inject(recorder.client, "TransactWriteItems", faults) as hits:
        ids = recorder.insert_events([event(a, 2), event(b, 1)])
    assert len(hits) == 4
    assert ids == [2, 3]
    assert index_ids(recorder) == [(a, 1, 1), (a, 2, 2), (b, 1, 3)]


def test_store_gives_up_after_bounded_throttling() -> None:
    recorder = app_recorder()
    faults = [lambda: error_response("ThrottlingException")] * 50
    with (
        inject(recorder.client, "PutItem", faults) as hits,
        pytest.raises(OperationalError),
    ):
        recorder.insert_events([event(uuid4(), 1)])
    assert len(hits) == recorder.backoff.attempts
    assert recorder.max_notification_id() is None


def test_store_reads_retry_throttling() -> None:
    recorder = app_recorder()
    a = uuid4()
    recorder.insert_events([event(a, 1)])
    with inject(recorder.client, "Query", [lambda: error_response("ThrottlingException")] * 2):
        assert [e.originator_version for e in recorder.select_events(a)] == [1]


def test_store_write_applied_but_answer_lost_is_not_duplicated() -> None:
    # GIVEN a transaction that DynamoDB applied but whose answer timed out
    recorder = app_recorder()
    a = uuid4()
    with inject(recorder.client, "PutItem", [read_timeout], stage="after-call") as hits:
        ids = recorder.insert_events([event(a, 1), event(a, 2)])
    # THEN the retry's conflict is recognised as our own write, and the events exist once
    assert hits == ["PutItem"]
    assert ids == [1, 2]
    assert index_ids(recorder) == [(a, 1, 1), (a, 2, 2)]
    assert recorder.insert_events([event(a, 3)]) == [3]


def test_store_unknown_outcome_without_log_is_rechecked() -> None:
    # GIVEN a plain aggregate recorder (no log) whose applied write lost its answer
    env = Environment("Shop", {"DYNAMODB_TABLE": fresh_table_name(), "CREATE_TABLE": "y"})
    recorder = DynamoDBFactory(env).aggregate_recorder()
    a = uuid4()
    client = recorder.client  # type: ignore[attr-defined]
    b = uuid4()
    with inject(client, "TransactWriteItems", [read_timeout], stage="after-call") as hits:
        recorder.insert_events([event(a, 1), event(a, 2), event(b, 1)])
    # THEN the retry's conflict is recognised as our own write
    assert hits == ["TransactWriteItems"]
    assert [e.originator_version for e in recorder.select_events(a)] == [1, 2]
    # AND a real conflict is still reported after an unknown outcome
    with (
        inject(client, "UpdateItem", [read_timeout], stage="after-call"),
        pytest.raises(IntegrityError),
    ):
        recorder.insert_events([event(a, 2, b"other")])


def test_store_unknown_outcome_of_tracking_only_write_is_rechecked() -> None:
    env = Environment("Proj", {"DYNAMODB_TABLE": fresh_table_name(), "CREATE_TABLE": "y"})
    recorder = DynamoDBFactory(env).process_recorder()
    client = recorder.client  # type: ignore[attr-defined]
    with inject(client, "TransactWriteItems", [read_timeout], stage="after-call"):
        recorder.insert_events([], tracking=Tracking("Upstream", 7))
    assert recorder.max_tracking_id("Upstream") == 7


def test_store_write_not_sent_is_retried() -> None:
    recorder = app_recorder()
    a = uuid4()

    def unreachable() -> None:
        raise EndpointConnectionError(endpoint_url="http://fault")

    with inject(recorder.client, "PutItem", [unreachable, read_timeout]):
        assert recorder.insert_events([event(a, 1)]) == [1]
    assert index_ids(recorder) == [(a, 1, 1)]


def test_store_corrects_stale_index_head_from_another_writer() -> None:
    # GIVEN two inline writers of one index that share no cache, as two processes would not
    table = fresh_table_name()
    first = app_recorder(table)
    other_client = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
    second = DynamoDBApplicationRecorder(other_client, table, "Shop")
    assert _shared_indexer(first) is not _shared_indexer(second)
    a, b, c = uuid4(), uuid4(), uuid4()
    assert first.insert_events([event(a, 1)]) == [1]
    assert second.insert_events([event(b, 1), event(b, 2), event(b, 3)]) == [2, 3, 4]
    # WHEN the first writes again with its cached head (next id 2, now taken)
    assert first.insert_events([event(c, 1)]) == [5]
    # THEN ids stay dense and in commit order
    assert [n[2] for n in index_ids(first)] == [1, 2, 3, 4, 5]


def test_store_inline_writers_of_one_index_in_one_process_share_the_head() -> None:
    table = fresh_table_name()
    first, second = app_recorder(table), app_recorder(table)
    assert _shared_indexer(first) is _shared_indexer(second)
    first.insert_events([event(uuid4(), 1)])
    # No cancelled transaction: the second writer starts from the id the first left.
    statuses: list[int] = []

    def record(http_response: Any, **_: Any) -> None:
        statuses.append(http_response.status_code)

    first.client.meta.events.register("after-call.dynamodb.TransactWriteItems", record)
    try:
        assert second.insert_events([event(uuid4(), 1)]) == [2]
    finally:
        first.client.meta.events.unregister("after-call.dynamodb.TransactWriteItems", record)
    assert statuses == [200]


def test_store_refuses_oversized_event_and_too_many_aggregates() -> None:
    recorder = app_recorder()
    with pytest.raises(DataError, match="400 KB"):
        recorder.insert_events([event(uuid4(), 1, b"x" * 450_000)])
    with pytest.raises(DataError, match="aggregates"):
        recorder.insert_events([event(uuid4(), 1) for _ in range(60)])
    assert recorder.max_notification_id() is None
    # 49 aggregates in one save is within the documented limit
    assert len(recorder.insert_events([event(uuid4(), 1) for _ in range(49)])) == 49


def test_store_large_save_spans_several_index_pages() -> None:
    recorder = app_recorder()
    a, b = uuid4(), uuid4()
    state = b"y" * 1000
    events = [event(a, v, state) for v in range(350)] + [event(b, v, state) for v in range(350)]
    ids = recorder.insert_events(events)
    assert ids == list(range(1, 701))
    pages = recorder.client.query(
        TableName=recorder.index_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": index_pk("Shop", 0)}},
        Select="COUNT",
    )["Count"]
    assert pages >= 3
    # Reading from inside a page and across page boundaries returns exactly the ids asked for
    assert [n.id for n in recorder.select_notifications(250, 300)] == list(range(250, 550))
    assert recorder.max_notification_id() == 700


def test_store_moves_full_tip_to_archive_and_reads_back_in_order() -> None:
    # GIVEN an aggregate whose events outgrow one tip item across many saves
    recorder = app_recorder()
    a = uuid4()
    state = b"z" * 2000
    saves = 0
    version = 0
    while version * 2000 < 3 * TIP_LIMIT:
        batch = [event(a, version + i, state + bytes([i])) for i in range(1 + saves % 3)]
        recorder.insert_events(batch)
        version += len(batch)
        saves += 1
    items = recorder.client.query(
        TableName=recorder.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": aggregate_pk("Shop", a)}},
    )["Items"]
    assert len(items) >= 3  # archives plus the tip
    # THEN every read shape returns exactly the events written, in version order
    everything = recorder.select_events(a)
    assert [e.originator_version for e in everything] == list(range(version))
    assert recorder.select_events(a, desc=True, limit=1)[0].originator_version == version - 1
    assert [e.originator_version for e in recorder.select_events(a, gt=10, lte=40)] == list(
        range(11, 41)
    )
    assert [e.originator_version for e in recorder.select_events(a, limit=5)] == list(range(5))
    assert [e.originator_version for e in recorder.select_events(a, lte=7, desc=True, limit=3)] == [
        7,
        6,
        5,
    ]
    with pytest.raises(IntegrityError):
        recorder.insert_events([event(a, version - 1)])


def test_store_reads_are_strongly_consistent() -> None:
    # DynamoDB Local is always consistent, so check what is asked of AWS: every read of the
    # store's state must be a strongly consistent one.
    recorder = app_recorder()
    a = uuid4()
    seen: list[tuple[str, Any]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, params.get("ConsistentRead")))

    recorder.client.meta.events.register("provide-client-params.dynamodb.*", record)
    try:
        recorder.insert_events([event(a, 1)])
        recorder.select_events(a)
        recorder.select_notifications(1, 10)
        recorder.max_notification_id()
    finally:
        recorder.client.meta.events.unregister("provide-client-params.dynamodb.*", record)
    reads = [(op, c) for op, c in seen if op in {"Query", "GetItem"}]
    assert reads and all(consistent is True for _, consistent in reads)
