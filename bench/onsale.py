"""On-sale and hot-seat benchmarks through the application service, on DynamoDB Local.

`python -m bench.onsale` prints JSON and writes bench/results/onsale.json. Each client is its own
`Ticketing` application (as separate Lambda instances would be), so writers of one seat race
through the store's version checks. Hot seat: 200 buyers' requests spread over 16 applications
(instances), and all through one application, whose seat locks make its threads take turns.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError

from bench.store import percentiles
from domain.application import Ticketing
from domain.order import OrderStatus
from domain.runner import Runner
from infra.dynamodb.client import ensure_table, make_client
from infra.gateway import SimulatedGateway
from infra.mapping import STORAGE_ENV
from local.dynamodb import DynamoDBLocal

RESULTS = Path(__file__).parent / "results" / "onsale.json"
ORDERS = int(os.environ.get("BENCH_ONSALE_ORDERS", "2000"))
SEATS = int(os.environ.get("BENCH_ONSALE_SEATS", "1000"))
CLIENTS = int(os.environ.get("BENCH_ONSALE_CLIENTS", "16"))
HOT_BUYERS = int(os.environ.get("BENCH_HOT_BUYERS", "200"))
HOT_APPS = int(os.environ.get("BENCH_HOT_APPS", "16"))  # API instances the buyers' requests hit


def apps(table: str, n: int, gateway: SimulatedGateway, index: str = "stream") -> list[Ticketing]:
    """`n` applications (API instances) on one table. The on-sale writes as the ledger does
    (index built from the stream, not here); the hot seat indexes inline, so that the
    in-process runner can follow the log to settle the orders."""
    env = {"PERSISTENCE_MODULE": "infra.dynamodb", "DYNAMODB_TABLE": table, "DYNAMODB_INDEX": index}
    return [Ticketing({**STORAGE_ENV, **env}, gateway=gateway) for _ in range(n)]


def show_of(app: Ticketing, seats: int) -> tuple[uuid.UUID, list[str]]:
    rows = [f"R{i}" for i in range(max(1, seats // 50))]
    per_row = max(1, seats // len(rows))
    show = app.create_show(
        uuid.uuid4(),
        "Bench",
        sections=[{"name": "all", "rows": rows, "seats_per_row": per_row, "price_cents": 1000}],
    )
    return show, [f"all-{r}-{n}" for r in rows for n in range(1, per_row + 1)]


def on_sale(table: str) -> dict[str, Any]:
    clients = apps(table, CLIENTS, SimulatedGateway())
    show, labels = show_of(clients[0], SEATS)
    rng = random.Random(1)
    work = [(i, rng.choice(labels)) for i in range(ORDERS)]
    latencies: list[float] = []
    lock = threading.Lock()

    def place(job: tuple[int, str]) -> None:
        i, label = job
        started = time.perf_counter()
        clients[i % CLIENTS].place_order(show, f"c{i}", [label], "k", "tok_visa")
        with lock:
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(place, work))
    seconds = time.perf_counter() - started
    return {
        "orders": ORDERS,
        "seats": len(labels),
        "clients": CLIENTS,
        "orders_per_s": round(ORDERS / seconds, 1),
        "placement": percentiles(latencies),
        "conflict_retries": sum(c.conflicts for c in clients),
    }


def hot_seat(table: str, one_process: bool) -> dict[str, Any]:
    gateway = SimulatedGateway()
    buyers = apps(table, 1 if one_process else HOT_APPS, gateway, index="inline")
    show, labels = show_of(buyers[0], 1)
    barrier = threading.Barrier(HOT_BUYERS)

    def buy(i: int) -> uuid.UUID:
        barrier.wait()
        while True:  # as a client would after a 503: again, with the same key
            try:
                app = buyers[i % len(buyers)]
                return app.place_order(show, f"fan{i}", labels[:1], "k", "tok_visa")
            except IntegrityError:
                continue

    started = time.perf_counter()
    with ThreadPoolExecutor(HOT_BUYERS) as pool:
        orders = list(pool.map(buy, range(HOT_BUYERS)))
    placed = time.perf_counter() - started
    Runner(buyers[0]).run_until_quiet()
    seconds = time.perf_counter() - started
    statuses = [buyers[0].get_order(o).status for o in orders]
    return {
        "buyers": HOT_BUYERS,
        "applications": len(buyers),
        "seconds_until_all_final": round(seconds, 2),
        "seconds_placing": round(placed, 2),
        "conflict_retries": sum(b.conflicts for b in buyers),
        "confirmed": statuses.count(OrderStatus.CONFIRMED),
        "rejected": statuses.count(OrderStatus.REJECTED),
        "captured_charges": sum(c.result.value == "captured" for c in gateway.charges()),
    }


def main() -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(key, value)
    server = DynamoDBLocal().start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = server.endpoint
    client = make_client(server.endpoint, "us-east-1")
    try:
        figures: dict[str, Any] = {}
        for name, run in (
            ("on_sale", lambda t: on_sale(t)),
            ("hot_seat_one_process", lambda t: hot_seat(t, True)),
            ("hot_seat", lambda t: hot_seat(t, False)),
        ):
            table = f"bench-{name}-{uuid.uuid4().hex[:6]}"
            ensure_table(client, table)
            figures[name] = run(table)
            print(name, json.dumps(figures[name]), flush=True)
    finally:
        server.stop()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
