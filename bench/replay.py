"""Replay benchmark: rebuilding every read model from 100,000 stored events.

`python -m bench.replay` -> bench/results/replay.json. The events are real ticketing events: an
in-memory application sells a show, then its log is copied into DynamoDB Local. The replay
(`infra.readmodels.replay`) is compared with a bare paginated Query of the same log pages on the
same server, and with the library's SQLite recorder read and folded by the same views.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import Environment

from domain.application import Ticketing
from domain.runner import Runner
from infra.dynamodb_local import DynamoDBLocal
from infra.gateway import SimulatedGateway
from infra.pipeline.log import LogReader
from infra.readmodels.catalog import Catalog
from infra.readmodels.replay import Replayer
from infra.settings import Settings
from infra.tables import ensure_tables
from projections.views import VIEWS

RESULTS = Path(__file__).parent / "results" / "replay.json"
EVENTS = int(os.environ.get("BENCH_REPLAY_EVENTS", "100000"))
COPY_BATCH = 40  # events per save when copying: at most 40 aggregates, under the store's 49


def sell(events: int) -> Ticketing:
    """An in-memory on-sale with failures until its log holds `events` events."""
    app = Ticketing(gateway=SimulatedGateway())
    rng = random.Random(3)
    runner, i = Runner(app), 0
    while (app.recorder.max_notification_id() or 0) < events:
        show = app.create_show(
            uuid.uuid4(),
            "Replay",
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
            seats = [f"R{rng.randrange(20)}-{rng.randrange(1, 26)}"]
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
    started, kwargs, pages = (
        time.perf_counter(),
        {
            "TableName": table,
            "ConsistentRead": True,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": f"{app}#L"}},
        },
        0,
    )
    while True:
        page = client.query(**kwargs)
        pages += len(page["Items"])
        if "LastEvaluatedKey" not in page:
            return time.perf_counter() - started
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def sqlite_replay(source: Ticketing, count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = Environment("Ticketing", {"SQLITE_DBNAME": str(Path(tmp) / "r.db")})
        recorder = SQLiteFactory(env).application_recorder()
        started = time.perf_counter()
        copied = copy_log(source, recorder, count)
        append_s = time.perf_counter() - started
        reader = LogReader(recorder, "Ticketing", source.mapper)
        started = time.perf_counter()
        for view in VIEWS:
            items: dict[str, Any] = {}
            position = 0
            while batch := reader.after(position, view.detail_types, 500):
                for detail in batch:
                    key = view.key(detail)
                    items[key] = view.apply(items.get(key), detail)
                position = batch[-1].notification_id
        replay_s = time.perf_counter() - started
    return {
        "append_events_per_s": round(copied / append_s),
        "replay_events_per_s": round(copied / replay_s),
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

        settings = Settings(event_table=f"bench-replay-{uuid.uuid4().hex[:6]}")
        target = ticketing(settings)
        ensure_tables(dynamodb(), settings)
        started = time.perf_counter()
        copied = copy_log(source, target.recorder, EVENTS)
        append_s = time.perf_counter() - started
        print(f"copied {copied} events; replaying every view...", flush=True)
        bare_s = bare_read(dynamodb(), settings.event_table, target.name)
        replayer = Replayer(
            dynamodb(),
            Catalog(dynamodb(), settings),
            LogReader(target.recorder, target.name),
            settle_seconds=0,
        )
        started = time.perf_counter()
        for view in VIEWS:
            replayer.replay(view)
        replay_s = time.perf_counter() - started
    finally:
        server.stop()
    figures = {
        "events": copied,
        "dynamodb_local": {
            "append_events_per_s": round(copied / append_s),
            "replay_events_per_s": round(copied / replay_s),
            "bare_log_read_events_per_s": round(copied / bare_s),
            "replay_vs_bare_read": round(bare_s / replay_s, 3),
        },
        "sqlite_file": sqlite_replay(source, EVENTS),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
