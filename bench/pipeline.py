"""Pipeline benchmark: commit -> read model latency on the local stack.

`python -m bench.pipeline` -> bench/results/pipeline.json. Runs DynamoDB Local (in memory) and
moto with the pipeline's pollers in background threads of this process, places orders at a
steady rate and times each from the commit (place_order returning) to its order appearing in
the orders view (polled every 5 ms, so figures are rounded up by at most that).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.store import percentiles
from infra.settings import Settings
from infra.wiring import dynamodb, ticketing
from local.aws import local_aws
from local.dynamodb import DynamoDBLocal
from local.pipeline import LocalPipeline, provision_all

LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",  # as measured before: no line per event
    "POWERTOOLS_TRACE_DISABLED": "true",
}
RESULTS = Path(__file__).parent / "results" / "pipeline.json"
ORDERS = int(os.environ.get("BENCH_PIPELINE_ORDERS", "150"))
RATE = float(os.environ.get("BENCH_PIPELINE_RATE", "3"))  # orders per second


def main() -> None:
    for key, value in LOCAL_ENV.items():
        os.environ.setdefault(key, value)
    server = DynamoDBLocal().start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = server.endpoint
    os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = server.endpoint
    settings = Settings.of()
    try:
        with local_aws(settings.event_bus) as aws, tempfile.TemporaryDirectory() as tmp:
            resources = provision_all(dynamodb(), aws.events, aws.sqs, settings)
            pipeline = LocalPipeline(settings, resources, Path(tmp), aws.sqs).start()
            try:
                figures = run(settings)  # the on-sale through the whole stack: bench.scale
            finally:
                pipeline.stop()
    finally:
        server.stop()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


def run(
    settings: Settings, clients: int = 1, orders: int = ORDERS, rate: float | None = RATE
) -> dict[str, Any]:
    """Orders at a steady `rate` from one client, or from `clients` as fast as they can."""
    app = ticketing(settings)
    show = app.create_show(
        uuid.uuid4(),
        "Bench",
        sections=[
            {
                "name": "floor",
                "rows": [f"R{i}" for i in range(10)],
                "seats_per_row": 10,
                "price_cents": 1000,
            }
        ],
    )
    committed: dict[str, float] = {}
    latencies: list[float] = []
    done = threading.Event()

    def watch() -> None:
        client = dynamodb()
        while not done.is_set() or committed:
            keys = list(committed)[:100]
            if keys:
                answer = client.batch_get_item(
                    RequestItems={
                        settings.orders_table: {"Keys": [{"pk": {"S": f"order#{k}"}} for k in keys]}
                    }
                )
                now = time.perf_counter()
                for item in answer["Responses"].get(settings.orders_table, []):
                    order = item["order_id"]["S"]
                    latencies.append(now - committed.pop(order))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    start = time.perf_counter()
    steady = clients == 1 and rate is not None

    def place(i: int) -> None:
        if steady:
            assert rate is not None
            time.sleep(max(0.0, start + i / rate - time.perf_counter()))
        seat = f"floor-R{(i // 10) % 10}-{i % 10 + 1}"
        order = app.place_order(show, f"c{i}", [seat], "k", "tok_visa")
        committed[str(order)] = time.perf_counter()

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(place, range(orders)))
    placing = time.perf_counter() - start
    done.set()
    watcher.join(timeout=900)
    return {
        "orders": orders,
        "clients": clients,
        "rate_per_s": rate if steady else round(orders / placing, 1),
        "commit_to_read_model_ms": percentiles(latencies),
        "mean_ms": round(statistics.mean(latencies) * 1000, 1),
        "missing": len(committed),
    }


if __name__ == "__main__":
    main()
