"""Event store benchmark: `make bench-store` -> bench/results/store.json.

Runs against its own in-memory DynamoDB Local, warmed up first (the JVM compiles hot paths), and
compares each figure with a bare boto3 call on the same server, and with the library's SQLite
recorder on the same workload.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import Environment

from infra.dynamodb import DynamoDBFactory
from infra.dynamodb.client import ensure_table, make_client
from local.dynamodb import DynamoDBLocal

RESULTS = Path(__file__).parent / "results" / "store.json"
SINGLE = int(os.environ.get("BENCH_SINGLE", "1000"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "1500"))
BATCH = 100
BATCHES = int(os.environ.get("BENCH_BATCHES", "50"))
WRITERS = 8
COMMITS_PER_WRITER = int(os.environ.get("BENCH_COMMITS", "100"))


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000, 3)

    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": at(0.99),
        "n": len(ordered),
        "quantiles_ms": [at(q / 100) for q in range(0, 100, 5)] + [at(0.99), at(1.0)],
    }


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def one_event() -> list[StoredEvent]:
    return [StoredEvent(uuid.uuid4(), 1, "bench.Created", b'{"seat":"A-12"}')]


def dynamodb_recorder(table: str, app: str, index: str = "stream") -> ApplicationRecorder:
    """The ledger's write path (`stream`: the index is built after the commit), or the
    library-compatible one (`inline`: each writer indexes its own events before returning)."""
    env = Environment(app, {"DYNAMODB_TABLE": table, "DYNAMODB_INDEX": index})
    return DynamoDBFactory(env).application_recorder()


def sqlite_recorder(path: str, app: str) -> ApplicationRecorder:
    env = Environment(app, {"SQLITE_DBNAME": path, "SQLITE_LOCK_TIMEOUT": "30"})
    return SQLiteFactory(env).application_recorder()


def single_append(client: Any, table: str) -> dict[str, Any]:
    recorder = dynamodb_recorder(table, "bench-single")

    def bare_put() -> None:
        client.put_item(
            TableName=table,
            Item={
                "pk": {"S": f"bare#{uuid.uuid4()}"},
                "sk": {"N": "1"},
                "s": {"B": b'{"seat":"A-12"}'},
            },
            ConditionExpression="attribute_not_exists(pk)",
        )

    def append() -> None:
        recorder.insert_events(one_event())

    for _ in range(WARMUP):
        bare_put()
        append()
    # Interleave rounds so drift on the shared server affects both alike.
    bare: list[float] = []
    ours: list[float] = []
    for _ in range(5):
        bare += timed(bare_put, SINGLE // 5)
        ours += timed(append, SINGLE // 5)
    result = {"bare_put_item": percentiles(bare), "recorder_append": percentiles(ours)}
    result["ratio_p50"] = round(
        result["recorder_append"]["p50_ms"] / result["bare_put_item"]["p50_ms"], 2
    )
    result["ratio_p99"] = round(
        result["recorder_append"]["p99_ms"] / result["bare_put_item"]["p99_ms"], 2
    )
    return result


def batched(recorder: ApplicationRecorder) -> float:
    def save() -> None:
        a = uuid.uuid4()
        recorder.insert_events([StoredEvent(a, v, "bench.Event", b'{"n":1}') for v in range(BATCH)])

    for _ in range(5):
        save()
    started = time.perf_counter()
    for _ in range(BATCHES):
        save()
    return round(BATCH * BATCHES / (time.perf_counter() - started))


def concurrent_commits(make: Callable[[int], ApplicationRecorder], logs: int) -> float:
    recorders = [make(i % logs) for i in range(WRITERS)]
    barrier = threading.Barrier(WRITERS + 1)

    def writer(recorder: ApplicationRecorder) -> None:
        barrier.wait()
        for _ in range(COMMITS_PER_WRITER):
            recorder.insert_events(one_event())

    threads = [threading.Thread(target=writer, args=(r,)) for r in recorders]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return round(WRITERS * COMMITS_PER_WRITER / (time.perf_counter() - started))


def sqlite_figures() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        recorder = sqlite_recorder(db, "single")
        for _ in range(200):
            recorder.insert_events(one_event())
        single = percentiles(timed(lambda: recorder.insert_events(one_event()), SINGLE))
        return {
            "single_append": single,
            "batched_events_per_s": batched(sqlite_recorder(db, "batched")),
            "commits_per_s_8_writers": concurrent_commits(
                lambda i: sqlite_recorder(db, "one-log"), 1
            ),
        }


def main() -> int:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    with_server = DynamoDBLocal().start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = with_server.endpoint
    try:
        table = "bench-store"
        client = make_client(with_server.endpoint, "us-east-1")
        ensure_table(client, table)
        print("single-event append (warming up DynamoDB Local first)...", flush=True)
        dynamo = {"single_append": single_append(client, table)}
        print("batched and concurrent...", flush=True)
        dynamo["batched_events_per_s"] = batched(dynamodb_recorder(table, "bench-batched"))
        dynamo["commits_per_s_8_writers"] = concurrent_commits(
            lambda i: dynamodb_recorder(table, "bench-writers"), 1
        )
        dynamo["commits_per_s_8_writers_inline_index"] = concurrent_commits(
            lambda i: dynamodb_recorder(table, "bench-inline", "inline"), 1
        )
    finally:
        with_server.stop()
    print("sqlite reference...", flush=True)
    results = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "dynamodb_local": dynamo,
        "sqlite_file": sqlite_figures(),
        "target": "recorder single-append p50 <= 1.2x bare conditional PutItem",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
