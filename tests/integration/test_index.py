"""The write path touches only its aggregates; the indexer builds the ordered index afterwards."""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any
from uuid import UUID, uuid4

import boto3
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import Environment

from infra.dynamodb import DynamoDBFactory
from infra.dynamodb.index import Committed, Indexer
from infra.dynamodb.index_reader import IndexReader
from infra.dynamodb.recorders import DynamoDBApplicationRecorder
from infra.dynamodb.stream import committed
from local.runners.stream_poller import lambda_record, latest_stream_arn
from tests.conftest import fresh_table_name
from tests.integration.faults import inject, read_timeout


def stream_recorder(partitions: int = 1) -> DynamoDBApplicationRecorder:
    env = Environment(
        "Shop",
        {
            "DYNAMODB_TABLE": fresh_table_name(),
            "DYNAMODB_INDEX": "stream",
            "DYNAMODB_INDEX_PARTITIONS": str(partitions),
        },
    )
    recorder = DynamoDBFactory(env).application_recorder()
    assert isinstance(recorder, DynamoDBApplicationRecorder)
    return recorder


def event(originator_id: Any, version: int) -> StoredEvent:
    return StoredEvent(originator_id, version, "topic", f"{originator_id}:{version}".encode())


def stream_batches(recorder: DynamoDBApplicationRecorder) -> list[Committed]:
    """Every save's batch, read from the table's stream as the indexer Lambda gets them."""
    streams = boto3.client("dynamodbstreams", endpoint_url=recorder.client.meta.endpoint_url)
    arn = latest_stream_arn(recorder.client, recorder.table)
    found: list[Committed] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator)
            for record in page["Records"]:
                decoded = committed(lambda_record(record, arn))
                if decoded is not None:
                    found.append(decoded[1])
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return found


def indexer(recorder: DynamoDBApplicationRecorder, **options: Any) -> Indexer:
    return Indexer(
        recorder.client,
        recorder.table,
        recorder.index_table,
        recorder.app,
        partitions=recorder.partitions,
        **options,
    )


def index_of(recorder: DynamoDBApplicationRecorder, partition: int = 0) -> list[tuple[Any, int]]:
    reader = IndexReader(recorder.client, recorder.index_table, recorder.app, partition)
    notifications = reader.select_notifications(None, 100_000)
    assert [n.id for n in notifications] == list(range(1, len(notifications) + 1)), "not dense"
    return [(n.originator_id, n.originator_version) for n in notifications]


def assert_each_once_in_version_order(indexed: list[tuple[Any, int]], saved: set[Any]) -> None:
    assert Counter(indexed) == Counter(saved)
    versions: dict[Any, list[int]] = {}
    for originator_id, version in indexed:
        versions.setdefault(originator_id, []).append(version)
    assert all(v == sorted(v) for v in versions.values())


def operations(client: Any) -> tuple[list[tuple[str, dict[str, Any]]], Any]:
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, params))

    client.meta.events.register("provide-client-params.dynamodb.*", record)
    return seen, record


def test_a_save_writes_only_its_aggregates_one_conditional_write_for_one() -> None:
    recorder = stream_recorder()
    a, b, c = uuid4(), uuid4(), uuid4()
    seen, hook = operations(recorder.client)
    try:
        assert recorder.insert_events([event(a, 1), event(a, 2)]) is None
        recorder.insert_events([event(a, 3)])
        recorder.insert_events([event(a, 4), event(b, 1), event(c, 1)])
    finally:
        recorder.client.meta.events.unregister("provide-client-params.dynamodb.*", hook)
    assert [op for op, _ in seen] == ["PutItem", "UpdateItem", "TransactWriteItems"]
    assert "ConditionExpression" in seen[0][1] and "ConditionExpression" in seen[1][1]
    keys = [
        next(iter(i.values()))["Key" if "Update" in i else "Item"]["pk"]["S"]
        for i in seen[2][1]["TransactItems"]
    ]
    assert keys == [f"Shop#E#{x}" for x in (a, b, c)]  # no log head, no counter: nothing shared
    assert recorder.max_notification_id() is None  # nothing indexed until the indexer runs


def test_the_indexer_indexes_the_stream_once_in_version_order_whatever_the_delivery() -> None:
    # GIVEN saves of several aggregates, read back from the table's stream
    recorder = stream_recorder()
    ids = [uuid4() for _ in range(5)]
    saved: set[tuple[UUID, int]] = set()
    for version in range(1, 5):
        for originator_id in ids:
            recorder.insert_events([event(originator_id, version)])
            saved.add((originator_id, version))
    recorder.insert_events([event(ids[0], 5), event(ids[1], 5)])
    saved |= {(ids[0], 5), (ids[1], 5)}
    batches = stream_batches(recorder)
    assert len(batches) == 22 and all(
        b.starts == (b.events[0].originator_version == 1) for b in batches
    )
    # WHEN an indexer gets them in batches, some twice (a retried Lambda batch)
    first = indexer(recorder)
    first.index(batches[:12])
    first.index(batches[8:])
    # AND a second indexer with nothing cached gets everything again, shuffled
    shuffled = list(batches)
    random.Random(7).shuffle(shuffled)
    indexer(recorder).index(shuffled)
    # THEN every event is indexed once, densely, each aggregate's in version order
    assert_each_once_in_version_order(index_of(recorder), saved)


def test_the_indexer_fills_a_gap_from_the_store() -> None:
    # GIVEN an aggregate whose first save's stream record never reaches the indexer
    recorder = stream_recorder()
    a = uuid4()
    recorder.insert_events([event(a, 1), event(a, 2)])
    recorder.insert_events([event(a, 3)])
    batches = stream_batches(recorder)
    # WHEN only the later batch is indexed, then the earlier one arrives late
    indexer(recorder).index(batches[1:])
    indexer(recorder).index(batches[:1])
    # THEN the missing versions were read from the store and indexed first, each once
    assert index_of(recorder) == [(a, 1), (a, 2), (a, 3)]


def test_racing_indexers_index_each_event_once_with_dense_ids() -> None:
    recorder = stream_recorder()
    saved = set()
    for originator_id in [uuid4() for _ in range(40)]:
        recorder.insert_events([event(originator_id, 1), event(originator_id, 2)])
        recorder.insert_events([event(originator_id, 3)])
        saved |= {(originator_id, v) for v in (1, 2, 3)}
    batches = stream_batches(recorder)
    errors: list[Exception] = []

    def run(seed: int) -> None:
        mine = list(batches)
        random.Random(seed).shuffle(mine)
        try:
            for start in range(0, len(mine), 7):
                indexer(recorder).index(mine[start : start + 7])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert_each_once_in_version_order(index_of(recorder), saved)


def test_partitions_split_aggregates_each_with_dense_ids() -> None:
    recorder = stream_recorder(partitions=4)
    saved = set()
    for originator_id in [uuid4() for _ in range(30)]:
        recorder.insert_events([event(originator_id, 1)])
        recorder.insert_events([event(originator_id, 2)])
        saved |= {(originator_id, 1), (originator_id, 2)}
    indexer(recorder).index(stream_batches(recorder))
    parts = [index_of(recorder, p) for p in range(4)]
    assert sum(1 for part in parts if part) >= 2
    owners = [{o for o, _ in part} for part in parts]
    assert all(not (x & y) for i, x in enumerate(owners) for y in owners[i + 1 :])
    assert_each_once_in_version_order([e for part in parts for e in part], saved)


def test_the_indexer_fills_a_gap_inside_one_delivery() -> None:
    # GIVEN saves v1-2, v3 and v4 of an aggregate, and v3's record missing from a batch
    recorder = stream_recorder()
    a = uuid4()
    recorder.insert_events([event(a, 1), event(a, 2)])
    recorder.insert_events([event(a, 3)])
    recorder.insert_events([event(a, 4)])
    first, _, last = stream_batches(recorder)
    # WHEN the batch is indexed
    indexer(recorder).index([first, last])
    # THEN v3 was read from the store: nothing skipped, in version order
    assert index_of(recorder) == [(a, 1), (a, 2), (a, 3), (a, 4)]


def test_an_index_write_whose_answer_was_lost_is_recognised_not_repeated() -> None:
    recorder = stream_recorder()
    a, b = uuid4(), uuid4()
    recorder.insert_events([event(a, 1)])
    recorder.insert_events([event(b, 1), event(b, 2)])
    batches = stream_batches(recorder)
    writer = indexer(recorder)
    # WHEN the index transaction is applied but its answer is lost
    with inject(writer.client, "TransactWriteItems", [read_timeout], stage="after-call") as hits:
        positions = writer.index(batches)
    # THEN the indexer recognised its own page: every event once, positions as written
    assert hits == ["TransactWriteItems"]
    assert index_of(recorder) == [(a, 1), (b, 1), (b, 2)]
    assert positions == {(a, 1): (0, 1), (b, 1): (0, 2), (b, 2): (0, 3)}
    # AND indexing the same batches again adds nothing
    assert indexer(recorder).index(batches) == {}
    assert index_of(recorder) == [(a, 1), (b, 1), (b, 2)]
