"""Shard lineage, which DynamoDB Local never produces (it keeps one shard per stream).

A small in-memory stand-in for the streams API plays a parent shard that split into a child,
listed child first and one shard per DescribeStream page, as AWS may.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.runners.stream_poller import StreamPoller

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024-01-01T00:00:00.000"


def record(seq: str) -> dict[str, Any]:
    return {
        "eventID": f"id-{seq}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2024, 1, 1, tzinfo=UTC),
            "Keys": {"pk": {"S": f"Shop#E#{seq}"}, "sk": {"N": "1"}},
            "NewImage": {"pk": {"S": f"Shop#E#{seq}"}, "sk": {"N": "1"}, "kind": {"S": "tip"}},
            "SequenceNumber": seq,
            "SizeBytes": 10,
            "StreamViewType": "NEW_IMAGE",
        },
    }


class FakeStreams:
    """Shards: id -> (parent id, sequence numbers, closed)."""

    def __init__(self, shards: dict[str, tuple[str | None, list[str], bool]]) -> None:
        self.shards = shards

    def describe_stream(self, StreamArn: str, ExclusiveStartShardId: str = "") -> Any:  # noqa: N803
        ids = list(self.shards)
        start = ids.index(ExclusiveStartShardId) + 1 if ExclusiveStartShardId else 0
        shard_id = ids[start]
        shard: dict[str, Any] = {"ShardId": shard_id}
        if self.shards[shard_id][0]:
            shard["ParentShardId"] = self.shards[shard_id][0]
        more = {"LastEvaluatedShardId": shard_id} if start + 1 < len(ids) else {}
        return {"StreamDescription": {"Shards": [shard], **more}}

    def get_shard_iterator(
        self, StreamArn: str, ShardId: str, ShardIteratorType: str, **at: str
    ) -> Any:  # noqa: N803
        seqs = self.shards[ShardId][1]
        position = {
            "TRIM_HORIZON": 0,
            "AT_SEQUENCE_NUMBER": seqs.index(at.get("SequenceNumber", "")) if at else 0,
            "AFTER_SEQUENCE_NUMBER": seqs.index(at.get("SequenceNumber", "")) + 1 if at else 0,
        }[ShardIteratorType]
        return {"ShardIterator": f"{ShardId}|{position}"}

    def get_records(self, ShardIterator: str, Limit: int) -> Any:  # noqa: N803
        shard_id, position = ShardIterator.split("|")
        _, seqs, closed = self.shards[shard_id]
        end = min(int(position) + Limit, len(seqs))
        page: dict[str, Any] = {"Records": [record(s) for s in seqs[int(position) : end]]}
        if end < len(seqs) or not closed:
            page["NextShardIterator"] = f"{shard_id}|{end}"
        return page


def test_stream_poller_drains_a_parent_shard_before_its_child(tmp_path: Path) -> None:
    # GIVEN a closed parent and its open child, listed child first; sequence numbers grow
    # in width (9 < 10), as AWS's do
    streams = FakeStreams(
        {
            "child": ("parent", ["9", "10"], False),
            "parent": ("gone", ["7", "8"], True),  # its own parent aged out of the stream
        }
    )
    delivered: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        delivered.extend(r["dynamodb"]["SequenceNumber"] for r in event["Records"])

    # WHEN polled one record at a time
    poller = StreamPoller(streams, ARN, handler, tmp_path / "cp.json", batch_size=1)
    for _ in range(6):
        poller.poll_once()
    # THEN every parent record came before any child record
    assert delivered == ["7", "8", "9", "10"]
    assert poller.checkpoints.drained("parent") and not poller.checkpoints.drained("child")
    # AND a restart resumes after the last record of each shard
    streams.shards["child"][1].append("11")
    delivered.clear()
    restarted = StreamPoller(streams, ARN, handler, tmp_path / "cp.json")
    restarted.poll_once()
    assert delivered == ["11"]
