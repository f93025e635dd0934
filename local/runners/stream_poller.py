"""Lambda's DynamoDB stream event source mapping, run locally (for DynamoDB Local).

As in AWS (with ``ReportBatchItemFailures``, no bisecting): shards are read parents first;
records a filter drops count as processed; after a partial failure the batch is retried from
the lowest failed sequence number; a handler error or an invalid response fails the whole
batch; after ``max_retries`` retries the batch is passed to ``on_failure`` and skipped.

Long: one poller: the shard walk, its checkpoints and its retries are one state machine, read
together.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.dynamodb.stream import is_tip
from local.runners.checkpoints import ShardCheckpoints
from local.runners.lambda_runtime import Handler, WholeBatchFailure, failed_items, invoke

Record = dict[str, Any]
SHARD_LISTING_SECONDS = 5.0
OnFailure = Callable[[dict[str, Any], dict[str, Any]], None]

logger = logging.getLogger(__name__)


def streams_client() -> Any:
    """Endpoint from ``AWS_ENDPOINT_URL_DYNAMODB_STREAMS`` (boto3's own setting)."""
    return boto3.client("dynamodbstreams")


def latest_stream_arn(dynamodb: Any, table: str) -> str:
    return str(dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"])


def _seq(record: Record) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _as_json(value: Any) -> Any:
    # boto3 decodes B/BS to bytes and the timestamp to datetime; Lambda sends base64 and epoch.
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value


def lambda_record(record: Record, stream_arn: str) -> Record:
    """One GetRecords record as it appears in a Lambda event."""
    return {**_as_json(record), "eventSourceARN": stream_arn}


@dataclass
class StreamPoller:
    streams: Any
    stream_arn: str
    handler: Handler
    checkpoint_path: Path
    record_filter: Callable[[Record], bool] | None = is_tip
    batch_size: int = 100
    max_retries: int = 3  # -1: retry until the handler succeeds
    on_failure: OnFailure | None = None
    function_name: str = "stream-handler"
    poll_interval: float = 0.5
    checkpoints: ShardCheckpoints = field(init=False)
    _iterators: dict[str, str] = field(init=False, default_factory=dict)
    _failures: dict[str, tuple[str, int]] = field(init=False, default_factory=dict)
    _listing: tuple[float, list[dict[str, Any]] | None] = field(init=False, default=(0.0, None))

    def __post_init__(self) -> None:
        self.checkpoints = ShardCheckpoints(self.checkpoint_path)

    def run(self, stop: threading.Event) -> None:
        failing = False  # logged when it starts failing and when it recovers, not every poll
        while not stop.is_set():
            try:
                if self.poll_once() == 0:
                    stop.wait(self.poll_interval)
                if failing:
                    failing = False
                    logger.warning("%s: stream polls work again", self.function_name)
            except (
                Exception
            ) as e:  # the service is down or restarting: keep polling, as Lambda does
                if not stop.is_set() and not failing:  # services stopping with us: not news
                    failing = True
                    logger.warning("%s: stream poll failed, retrying: %r", self.function_name, e)
                self._iterators.clear()
                stop.wait(max(self.poll_interval, 1.0))

    def poll_once(self) -> int:
        """One GetRecords (and at most one invocation) per ready shard; records processed."""
        return sum([self._poll_shard(shard) for shard in self._ready_shards()])

    def _shards(self) -> list[dict[str, Any]]:
        """The stream's shards, listed again every few seconds or when one closes (as Lambda
        discovers shards): listing on every poll costs more than the records."""
        at, shards = self._listing
        if shards is not None and time.monotonic() - at < SHARD_LISTING_SECONDS:
            return shards
        shards, start = [], None
        while True:
            page: dict[str, str] = {"ExclusiveStartShardId": start} if start else {}
            desc = self.streams.describe_stream(StreamArn=self.stream_arn, **page)
            shards += desc["StreamDescription"]["Shards"]
            start = desc["StreamDescription"].get("LastEvaluatedShardId")
            if not start:
                break
        self._listing = (time.monotonic(), shards)
        return shards

    def _ready_shards(self) -> list[str]:
        shards = self._shards()
        listed = {s["ShardId"] for s in shards}
        # A child waits for its parent to be drained; a parent past retention is not listed.
        return [
            s["ShardId"]
            for s in shards
            if not self.checkpoints.drained(s["ShardId"])
            and (
                s.get("ParentShardId") not in listed or self.checkpoints.drained(s["ParentShardId"])
            )
        ]

    def _iterator(self, shard: str, kind: str | None = None, seq: str | None = None) -> str:
        if kind is None:
            seq = self.checkpoints.position(shard)
            kind = "AFTER_SEQUENCE_NUMBER" if seq else "TRIM_HORIZON"
        at = {"SequenceNumber": seq} if seq else {}
        answer = self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType=kind, **at
        )
        return str(answer["ShardIterator"])

    def _poll_shard(self, shard: str) -> int:
        iterator = self._iterators.get(shard) or self._iterator(shard)
        try:
            page = self.streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "ExpiredIteratorException":
                raise
            self._iterators.pop(shard, None)  # start again from the checkpoint next time
            return 0
        records, after = page["Records"], page.get("NextShardIterator")
        batch = [r for r in records if self.record_filter is None or self.record_filter(r)]
        if not batch:
            self._advance(shard, records, after)
            return 0
        event = {"Records": [lambda_record(r, self.stream_arn) for r in batch]}
        seqs = [_seq(r) for r in batch]
        try:
            failed = failed_items(invoke(self.handler, event, self.function_name), seqs)
            reason = f"batch item failures: {sorted(failed, key=int)}"
        except WholeBatchFailure as e:
            failed, reason = {seqs[0]}, str(e)
        if not failed:
            self._advance(shard, records, after)
            return len(batch)
        lowest = min(failed, key=int)
        self._retry_or_skip(shard, records, after, event, lowest, reason)
        return sum(1 for s in seqs if int(s) < int(lowest))

    def _advance(self, shard: str, records: list[Record], after: str | None) -> None:
        if records:
            self.checkpoints.advance(shard, _seq(records[-1]))
        self._failures.pop(shard, None)
        if after is None:  # a closed shard, read to its end: its children may start
            self.checkpoints.drain(shard)
            self._listing = (0.0, None)
            self._iterators.pop(shard, None)
        else:
            self._iterators[shard] = after

    def _retry_or_skip(
        self,
        shard: str,
        records: list[Record],
        after: str | None,
        event: dict[str, Any],
        lowest: str,
        reason: str,
    ) -> None:
        done = [r for r in records if int(_seq(r)) < int(lowest)]
        if done:
            self.checkpoints.advance(shard, _seq(done[-1]))
        previous, attempts = self._failures.get(shard, ("", 0))
        attempts = attempts + 1 if previous == lowest else 1
        if 0 <= self.max_retries < attempts:
            rest = [
                r for r in event["Records"] if int(r["dynamodb"]["SequenceNumber"]) >= int(lowest)
            ]
            self._give_up(shard, {"Records": rest}, attempts, reason)
            self._advance(shard, records, after)
        else:
            self._failures[shard] = (lowest, attempts)
            self._iterators[shard] = self._iterator(shard, "AT_SEQUENCE_NUMBER", lowest)

    def _give_up(self, shard: str, event: dict[str, Any], attempts: int, reason: str) -> None:
        first, last = event["Records"][0]["dynamodb"], event["Records"][-1]["dynamodb"]
        info = {
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
            "reason": reason,
            "DDBStreamBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": first.get("ApproximateCreationDateTime"),
                "approximateArrivalOfLastRecord": last.get("ApproximateCreationDateTime"),
                "batchSize": len(event["Records"]),
                "streamArn": self.stream_arn,
            },
        }
        if self.on_failure is None:
            logger.error("skipping stream records after %d attempts: %s", attempts, info)
        else:
            self.on_failure(info, event)
