"""Scale benchmark: an on-sale through the whole local pipeline, beside the bare ceiling.

`python -m bench.scale` (`make bench-scale`) prints figures and writes bench/results/scale.json.

- The stack is `make up`'s (`local.stack`: DynamoDB Local, moto, each function in its own
  processes), with a card network that takes 300 ms a charge.
- Every process of the stack and of the clients adds 10 ms to each DynamoDB call, as a round
  trip in a region would (a botocore hook in `bench/latency/sitecustomize.py`, on PYTHONPATH for
  this benchmark's processes only).
- Clients: 8 processes x 4 threads, each process its own application (as API instances are),
  placing 2,000 orders over 1,000 seats (random seats, so some orders lose), paid `tok_visa`.
- Bare ceiling, same run: the same processes and threads making the same round trips per order
  (two queries, one two-item conditional transaction) on items nobody else writes.
- The same on-sale over 8 shows of 125 seats each.

Figures: placements/s; confirmed orders/s; `confirmed_vs_placements`: placing time over the
time until the last order is confirmed (1.0 means payments keep pace with placements; a ratio of
raw rates would be capped by the share of orders that can win a seat); commit-to-read-model
latency (place_order returning -> the order in the orders view, seen within about 0.2 s),
p50/p99. The figures of each run come with the machine's CPU use and DynamoDB Local's.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.store import percentiles

ROOT = Path(__file__).parent.parent
RESULTS = Path(__file__).parent / "results" / "scale.json"
ORDERS = int(os.environ.get("BENCH_SCALE_ORDERS", "2000"))
SEATS = int(os.environ.get("BENCH_SCALE_SEATS", "1000"))
PROCESSES, THREADS = 8, 4
DELAY_MS, GATEWAY_MS = 10, 300
FINAL = {"CONFIRMED", "REJECTED", "PAYMENT_FAILED"}
Job = tuple[str, list[tuple[int, str, str]]]  # kind, [(order number, show id, seat label)]


def place_all(job: Job, barrier: Any, commits: Any) -> int:
    """One client process: its application, then its share of the orders from 4 threads."""
    kind, work = job
    if kind == "bare":
        place = bare_placer()
    else:
        from infra.settings import Settings
        from infra.wiring import ticketing

        app = ticketing(Settings.from_env())

        def place(i: int, show: str, label: str) -> str:
            return str(app.place_order(uuid.UUID(show), f"c{i}", [label], "k", "tok_visa"))

    barrier.wait()

    def one(item: tuple[int, str, str]) -> None:
        order = place(*item)
        commits.put((order, time.time()))

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, work))
    return len(work)


def bare_placer() -> Any:
    """The round trips of placing a one-seat order, on items nobody else writes."""
    from infra.dynamodb.client import make_client

    client = make_client(os.environ["AWS_ENDPOINT_URL_DYNAMODB"], "us-east-1")
    table = os.environ["BENCH_BARE_TABLE"]

    def place(i: int, show: str, label: str) -> str:
        keys = [f"bare#{uuid.uuid4()}" for _ in range(2)]
        for key in keys:  # the order's and the seat's reads
            client.query(
                TableName=table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": key}},
                ConsistentRead=True,
            )
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": key}, "sk": {"N": "1"}, "v": {"N": "1"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for key in keys
            ]
        )
        return keys[0]

    return place


class Watcher:
    """Times each order from its commit to the orders view, and until it is final."""

    def __init__(self, table: str, commits: Any) -> None:
        from infra.dynamodb.client import make_client

        self.client = make_client(os.environ["AWS_ENDPOINT_URL_DYNAMODB"], "us-east-1")
        self.table, self.commits = table, commits
        self.committed: dict[str, float] = {}
        self.seen: dict[str, float] = {}
        self.final: dict[str, tuple[str, float]] = {}

    def drain_commits(self) -> None:
        while not self.commits.empty():
            order, at = self.commits.get()
            self.committed[order] = at

    def poll(self, keys: list[str], final: bool) -> None:
        for start in range(0, len(keys), 100):
            answer = self.client.batch_get_item(
                RequestItems={
                    self.table: {
                        "Keys": [{"pk": {"S": f"order#{k}"}} for k in keys[start : start + 100]],
                        "ProjectionExpression": "order_id, #s",
                        "ExpressionAttributeNames": {"#s": "status"},
                    }
                }
            )
            now = time.time()
            for item in answer["Responses"].get(self.table, []):
                order = item["order_id"]["S"]
                self.seen.setdefault(order, now)
                if final and item["status"]["S"] in FINAL:
                    self.final[order] = (item["status"]["S"], now)

    def run(self, expected: int, timeout: float = 1800) -> None:
        """Every 0.2 s, the 300 oldest orders not seen yet (views apply roughly in commit
        order); every 2 s, every order not final. Light enough not to load the server much."""
        deadline, last_final_poll = time.time() + timeout, 0.0
        while len(self.final) < expected and time.time() < deadline:
            self.drain_commits()
            unseen = [o for o in self.committed if o not in self.seen]
            self.poll(unseen[:300], final=False)
            if time.time() - last_final_poll > 2.0:
                last_final_poll = time.time()
                self.poll([o for o in self.committed if o not in self.final], final=True)
            time.sleep(0.2)


class Cpu:
    """CPU use over a phase: the machine's (busy share of all cores) and DynamoDB Local's."""

    def __init__(self) -> None:
        port = os.environ["AWS_ENDPOINT_URL_DYNAMODB"].rsplit(":", 1)[1]
        self.jvm = next(
            pid
            for pid in os.listdir("/proc")
            if pid.isdigit()
            and "DynamoDBLocal.jar" in _cmdline(pid)
            and f"-port\0{port}\0" in _cmdline(pid)
        )
        self.start = (self._machine(), self._jvm())

    def _machine(self) -> tuple[float, float]:
        fields = [float(x) for x in Path("/proc/stat").read_text().split()[1:9]]
        idle = fields[3] + fields[4]
        return sum(fields), idle

    def _jvm(self) -> float:
        stat = Path(f"/proc/{self.jvm}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    def figures(self, orders: int) -> dict[str, float]:
        (total0, idle0), jvm0 = self.start
        total, idle = self._machine()
        jvm = self._jvm() - jvm0
        return {
            "machine_busy": round(1 - (idle - idle0) / (total - total0), 2),
            "dynamodb_local_cpu_s": round(jvm, 1),
            "dynamodb_local_cpu_ms_per_order": round(1000 * jvm / orders, 1),
        }


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


def run_clients(kind: str, work: list[tuple[int, str, str]], table: str = "") -> dict[str, Any]:
    context = get_context("spawn")
    with context.Manager() as manager:
        barrier, commits = manager.Barrier(PROCESSES + 1), manager.Queue()
        shares = [work[p::PROCESSES] for p in range(PROCESSES)]
        with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
            futures = [pool.submit(place_all, (kind, s), barrier, commits) for s in shares]
            barrier.wait()
            started, cpu = time.time(), Cpu()
            watcher = Watcher(table, commits) if table else None
            thread = threading.Thread(target=watcher.run, args=(len(work),)) if watcher else None
            if thread:
                thread.start()
            placed = sum(f.result() for f in futures)
            placing = time.time() - started
            if thread:
                thread.join()
        figures: dict[str, Any] = {
            "orders": placed,
            "placing_seconds": round(placing, 2),
            "placements_per_s": round(placed / placing, 1),
            "cpu": cpu.figures(placed),
        }
        if watcher is None:
            return figures
    return {**figures, **outcome(watcher, started, placing)}


def outcome(watcher: Watcher, started: float, placing: float) -> dict[str, Any]:
    statuses = [status for status, _ in watcher.final.values()]
    confirmed_at = [at for status, at in watcher.final.values() if status == "CONFIRMED"]
    last_confirmed = max(confirmed_at) - started if confirmed_at else float("nan")
    lags = [watcher.seen[o] - at for o, at in watcher.committed.items() if o in watcher.seen]
    return {
        "confirmed": statuses.count("CONFIRMED"),
        "rejected": statuses.count("REJECTED"),
        "payment_failed": statuses.count("PAYMENT_FAILED"),
        "not_final": len(watcher.committed) - len(watcher.final),
        "seconds_until_all_final": round(max(at for _, at in watcher.final.values()) - started, 2),
        "seconds_until_last_confirmed": round(last_confirmed, 2),
        "confirmed_per_s": round(len(confirmed_at) / last_confirmed, 1),
        "charges_at_once_peak": charges_at_once(started),
        "confirmed_vs_placements": round(placing / last_confirmed, 2),
        "commit_to_view": percentiles(lags),
    }


def charges_at_once(since: float) -> int:
    """The most card charges answered within one charge's latency of each other: more than 1
    means charges overlap (a serial payment reaction would show 1)."""
    from infra.dynamodb.reads import paged_items
    from infra.settings import Settings

    table = Settings.from_env().charges_table
    stamps = [int(i["at"]["N"]) / 1e9 for i in paged_items(_client().scan, TableName=table)]
    times = sorted(at for at in stamps if at >= since)
    window, peak, first = GATEWAY_MS / 1000, 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


def _client() -> Any:
    from infra.dynamodb.client import make_client

    return make_client(os.environ["AWS_ENDPOINT_URL_DYNAMODB"], "us-east-1")


def on_sale(shows: int) -> dict[str, Any]:
    from infra.settings import Settings
    from infra.wiring import ticketing

    app = ticketing(Settings.from_env())
    per_show = SEATS // shows
    rows = max(1, per_show // 25)
    labels = [f"all-R{r}-{n}" for r in range(rows) for n in range(1, per_show // rows + 1)]
    ids = [
        str(
            app.create_show(
                uuid.uuid4(),
                f"Scale {s}",
                sections=[
                    {
                        "name": "all",
                        "rows": [f"R{r}" for r in range(rows)],
                        "seats_per_row": per_show // rows,
                        "price_cents": 4000,
                    }
                ],
            )
        )
        for s in range(shows)
    ]
    rng = random.Random(shows)
    work = [(i, ids[i % shows], rng.choice(labels)) for i in range(ORDERS)]
    figures = run_clients("ledger", work, Settings.from_env().orders_table)
    return {"shows": shows, "seats": len(labels) * shows, **figures}


def start_stack(data: Path) -> subprocess.Popen[str]:
    from local.dynamodb import free_port

    env = {
        **os.environ,
        "SEATLEDGER_DATA_DIR": str(data),
        "SEATLEDGER_API_PORT": str(free_port()),
        "SEATLEDGER_DYNAMODB_PORT": str(free_port()),
        "SEATLEDGER_GATEWAY_LATENCY_MS": str(GATEWAY_MS),
        "POWERTOOLS_LOG_LEVEL": "WARNING",  # as measured before: no line per event
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "local.stack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(data / "stack.log").open("w"),  # noqa: SIM115 - lives as long as the stack
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("seatledger ready"):
        raise RuntimeError(f"the stack did not start: {(data / 'stack.log').read_text()[-2000:]}")
    for name, value in json.loads((data / "stack.json").read_text())["env"].items():
        os.environ[name] = value
    return process


def main() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_METRICS_DISABLED": "true",
            # Every process started from here on (stack and clients) gets the latency hook.
            "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent / "latency"), str(ROOT)]),
            "BENCH_DYNAMODB_DELAY_MS": str(DELAY_MS),
        }
    )
    with tempfile.TemporaryDirectory(prefix="seatledger-scale-") as tmp:
        stack = start_stack(Path(tmp))
        try:
            from infra.dynamodb.client import ensure_table, make_client

            table = f"bench-bare-{uuid.uuid4().hex[:6]}"
            ensure_table(make_client(os.environ["AWS_ENDPOINT_URL_DYNAMODB"], "us-east-1"), table)
            os.environ["BENCH_BARE_TABLE"] = table
            bare = run_clients("bare", [(i, "", "") for i in range(ORDERS)])
            print("bare ceiling", json.dumps(bare), flush=True)
            figures: dict[str, Any] = {"bare": bare}
            for shows in (1, 8):
                run = on_sale(shows)
                run["placements_vs_bare"] = round(
                    run["placements_per_s"] / bare["placements_per_s"], 2
                )
                figures[f"shows_{shows}"] = run
                print(f"on-sale over {shows} show(s)", json.dumps(run), flush=True)
        finally:
            stack.send_signal(signal.SIGINT)
            stack.wait(timeout=60)
    one = figures["shows_1"]
    figures.update(
        {
            "setup": {
                "orders": ORDERS,
                "seats": SEATS,
                "client_processes": PROCESSES,
                "threads_each": THREADS,
                "dynamodb_delay_ms": DELAY_MS,
                "gateway_ms": GATEWAY_MS,
                "cores": os.cpu_count(),
            },
            "placements_vs_bare": one["placements_vs_bare"],
            "confirmed_vs_placements": one["confirmed_vs_placements"],
            "commit_to_view_p99_ms": one["commit_to_view"]["p99_ms"],
        }
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(
        json.dumps(
            {
                k: figures[k]
                for k in ("placements_vs_bare", "confirmed_vs_placements", "commit_to_view_p99_ms")
            }
        )
    )


if __name__ == "__main__":
    main()
