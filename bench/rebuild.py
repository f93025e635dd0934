"""Rebuild benchmark: rebuilding every read model from 100,000 stored events.

`python -m bench.rebuild` -> bench/results/rebuild.json. The events are real ticketing events: an
in-memory application sells a show, then its log is copied into DynamoDB Local. The rebuild
(`infra.readmodels.rebuild`) is compared with a bare paginated Query of the same index pages on the
same server, and with the library's SQLite recorder read and folded by the same views.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import Environment

from domain.application import Ticketing
from domain.runner import Runner
from infra.dynamodb import DynamoDBFactory
from infra.dynamodb.reads import paged_items
from infra.gateway import SimulatedGateway
from infra.mapping import STORAGE_ENV, PydanticMapper
from infra.pipeline.follower import readers_of
from infra.pipeline.source import StoreSource, fact_of_stored
from infra.readmodels.catalog import Catalog
from infra.readmodels.projector import fold
from infra.readmodels.rebuild import Rebuilder
from infra.settings import Settings
from infra.tables import TABLES, create_request, ensure_tables
from local.dynamodb import DynamoDBLocal
from projections.views import VIEWS

RESULTS = Path(__file__).parent / "results" / "rebuild.json"
EVENTS = int(os.environ.get("BENCH_REBUILD_EVENTS", "100000"))
COPY_BATCH = 40  # events per save when copying: at most 40 aggregates, under the store's 49


def sell(events: int) -> Ticketing:
    """An in-memory on-sale with failures until its log holds `events` events."""
    app = Ticketing(STORAGE_ENV, gateway=SimulatedGateway())
    rng = random.Random(3)
    runner, i = Runner(app), 0
    while (app.recorder.max_notification_id() or 0) < events:
        show = app.create_show(
            uuid.uuid4(),
            "Rebuild",
            sections=[
                {
                    "name": "all",
                    "rows": [f"R{r}" for r in range(20)],
                    "seats_per_row": 25,
                    "price_cents": 1500,
                }
            ],
        )
        for _ in range(700):
            seats = [f"all-R{rng.randrange(20)}-{rng.randrange(1, 26)}"]
            token = rng.choice(["tok_visa", "tok_visa", "tok_chargeDeclined", "tok_timeoutOnce"])
            app.place_order(show, f"c{i}", seats, "k", token)
            i += 1
        runner.run_until_quiet()
    return app


def copy_log(source: Ticketing, target: Any, limit: int) -> int:
    notifications = source.recorder.select_notifications(start=1, limit=limit)
    for start in range(0, len(notifications), COPY_BATCH):
        target.insert_events(notifications[start : start + COPY_BATCH])
    return len(notifications)


def bare_read(client: Any, table: str, app: str) -> float:
    """A paginated read of every page of the index, and nothing else."""
    started, kwargs, pages = (
        time.perf_counter(),
        {
            "TableName": table,
            "ConsistentRead": True,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": f"{app}#X#0"}},
        },
        0,
    )
    while True:
        page = client.query(**kwargs)
        pages += len(page["Items"])
        if "LastEvaluatedKey" not in page:
            return time.perf_counter() - started
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def bare_write(client: Any, settings: Settings, tables: list[str]) -> tuple[int, float]:
    """The rebuilt views' items written again with BatchWriteItem (25 per request, 8 at once)
    into copies of their tables: the least a rebuild must write, and nothing else."""
    requests = []
    for table in tables:
        items = list(paged_items(client.scan, TableName=table))
        copy = f"{table}-copy"
        spec = next(spec for spec in TABLES if spec.name(settings) == table)
        client.create_table(**create_request(spec, copy))
        client.get_waiter("table_exists").wait(TableName=copy)
        requests += [(copy, items[i : i + 25]) for i in range(0, len(items), 25)]

    def write(request: tuple[str, list[Any]]) -> None:
        table, chunk = request
        pending: dict[str, Any] = {table: [{"PutRequest": {"Item": i}} for i in chunk]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, requests))
    return sum(len(chunk) for _, chunk in requests), time.perf_counter() - started


def sqlite_rebuild(source: Ticketing, count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = Environment("Ticketing", {"SQLITE_DBNAME": str(Path(tmp) / "r.db")})
        recorder = SQLiteFactory(env).application_recorder()
        started = time.perf_counter()
        copied = copy_log(source, recorder, count)
        append_s = time.perf_counter() - started
        mapper = cast(PydanticMapper, source.mapper)
        started = time.perf_counter()
        items: dict[str, Any] = {}
        position = 0
        while batch := recorder.select_notifications(position + 1, 2000):
            for notification in batch:
                fact = fact_of_stored(mapper, notification)
                for view in VIEWS:  # the same fold as the DynamoDB rebuild, one pass
                    if fact.detail_type in view.detail_types:
                        key = view.key(fact)
                        items[key] = fold(view, items.get(key), [fact])
            position = batch[-1].id
        rebuild_s = time.perf_counter() - started
    return {
        "append_events_per_s": round(copied / append_s),
        "rebuild_events_per_s": round(copied / rebuild_s),
    }


def main() -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(key, value)
    print(f"selling in memory until the log holds {EVENTS} events...", flush=True)
    source = sell(EVENTS)
    server = DynamoDBLocal().start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = server.endpoint
    try:
        from infra.wiring import dynamodb, ticketing

        name = f"bench-rebuild-{uuid.uuid4().hex[:6]}"
        settings = Settings.of(event_table=name, index_table=f"{name}-index")
        target = ticketing(settings)
        ensure_tables(dynamodb(), settings)
        # Copied with the index built inline, so it is complete when the copy returns.
        inline = DynamoDBFactory(
            Environment("Ticketing", {"DYNAMODB_TABLE": name, "DYNAMODB_INDEX": "inline"})
        ).application_recorder()
        started = time.perf_counter()
        copied = copy_log(source, inline, EVENTS)
        append_s = time.perf_counter() - started
        print(f"copied {copied} events; rebuilding every view...", flush=True)
        bare_s = bare_read(dynamodb(), settings.index_table, target.name)
        rebuilder = Rebuilder(
            dynamodb(),
            Catalog(dynamodb(), settings),
            readers_of(dynamodb(), settings.index_table, target.name, 1),
            StoreSource(target.recorder, target.name, target.mapper),
            settle_seconds=0,
        )
        started = time.perf_counter()
        results = rebuilder.rebuild(list(VIEWS))
        rebuild_s = time.perf_counter() - started
        items, write_s = bare_write(dynamodb(), settings, [r.new_table for r in results])
    finally:
        server.stop()
    figures = {
        "events": copied,
        "dynamodb_local": {
            "append_events_per_s": round(copied / append_s),
            "rebuild_events_per_s": round(copied / rebuild_s),
            "bare_index_read_events_per_s": round(copied / bare_s),
            "rebuild_vs_bare_read": round(bare_s / rebuild_s, 3),
            "view_items": items,
            "bare_bulk_write_items_per_s": round(items / write_s),
            "bare_read_plus_write_s": round(bare_s + write_s, 2),
            "rebuild_s": round(rebuild_s, 2),
            "rebuild_vs_bare_read_plus_write": round((bare_s + write_s) / rebuild_s, 2),
        },
        "sqlite_file": sqlite_rebuild(source, EVENTS),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
