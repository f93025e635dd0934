"""`make bench`: every benchmark, then bench/results/latest.json, a chart and the README table.

Each figure sits next to a limit measured in the same run on the same machine (a bare DynamoDB
call, a bare read of the log, or the library's SQLite recorder).
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

from bench import onsale, pipeline, rebuild, scale, store
from bench.chart import draw

ROOT = Path(__file__).parent.parent
RESULTS = Path(__file__).parent / "results"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def scale_rows(sc: dict[str, Any]) -> list[tuple[str, str, str]]:
    bare, setup = sc["bare"], sc["setup"]
    rows = []
    for key in ("shows_1", "shows_8"):
        run = sc[key]
        c2v = run["commit_to_view"]
        rows += [
            (
                f"scale: on-sale through the whole stack, {run['orders']} orders, "
                f"{run['seats']} seats, {run['shows']} show(s), {setup['client_processes']} x "
                f"{setup['threads_each']} clients, {setup['dynamodb_delay_ms']} ms per DynamoDB "
                f"call, {setup['gateway_ms']} ms card network",
                f"{run['placements_per_s']} placements/s; {run['confirmed_per_s']} confirmed/s "
                f"({run['confirmed']} confirmed, {run['rejected']} rejected); up to "
                f"{run.get('charges_at_once_peak', '?')} charges at once; commit -> read "
                f"model p50 / p99 {c2v['p50_ms'] / 1000:.1f} / {c2v['p99_ms'] / 1000:.1f} s",
                f"bare ceiling {bare['placements_per_s']}/s: {run['placements_vs_bare']}x; "
                f"confirmed_vs_placements {run['confirmed_vs_placements']}; machine busy "
                f"{run['cpu']['machine_busy']:.0%}, DynamoDB Local "
                f"{run['cpu']['dynamodb_local_cpu_ms_per_order']} ms CPU per order (bare: "
                f"{bare['cpu']['dynamodb_local_cpu_ms_per_order']})",
            )
        ]
    return rows


def table(r: dict[str, Any]) -> str:
    s, o, p, rp = r["store"]["dynamodb_local"], r["onsale"], r["pipeline"], r["rebuild"]
    one, hot, sq = o["hot_seat_one_process"], o["hot_seat"], r["store"]["sqlite_file"]
    a = s["single_append"]
    rows = [
        (
            "append: one event, p50 / p99",
            f"{a['recorder_append']['p50_ms']} / {a['recorder_append']['p99_ms']} ms",
            f"bare conditional PutItem {a['bare_put_item']['p50_ms']} / "
            f"{a['bare_put_item']['p99_ms']} ms: {a['ratio_p50']}x / {a['ratio_p99']}x; "
            f"SQLite {sq['single_append']['p50_ms']} ms",
        ),
        (
            "commits/s, 8 writers, one application",
            f"{s['commits_per_s_8_writers']} (the index built from the stream)",
            f"{s['commits_per_s_8_writers_inline_index']} with the index built inline, each "
            f"writer taking the next id; SQLite {sq['commits_per_s_8_writers']}",
        ),
        *scale_rows(r["scale"]),
        (
            f"on-sale, store only: {o['on_sale']['orders']} orders, {o['on_sale']['seats']} seats, "
            f"{o['on_sale']['clients']} clients",
            f"{o['on_sale']['orders_per_s']} orders/s; placement p50 / p99 "
            f"{o['on_sale']['placement']['p50_ms']:.0f} / "
            f"{o['on_sale']['placement']['p99_ms']:.0f} ms",
            f"{o['on_sale']['conflict_retries']} conflict retries",
        ),
        (
            f"hot seat: {hot['buyers']} buyers over {hot['applications']} applications",
            f"{hot['seconds_until_all_final']} s until all final",
            f"{hot['conflict_retries']} conflict retries; {hot['confirmed']} sold, "
            f"{hot['captured_charges']} charged",
        ),
        (
            f"hot seat: {one['buyers']} buyers, one application",
            f"{one['seconds_until_all_final']} s until all final",
            f"{one['conflict_retries']} conflict retries; {one['confirmed']} sold, "
            f"{one['captured_charges']} charged",
        ),
        (
            f"pipeline: commit -> read model, {p['orders']} orders at {p['rate_per_s']}/s",
            f"p50 / p99 {p['commit_to_read_model_ms']['p50_ms']:.0f} / "
            f"{p['commit_to_read_model_ms']['p99_ms']:.0f} ms",
            "DynamoDB Local + moto, 2 cores",
        ),
        (
            f"rebuild: every view from {rp['events']} events",
            f"{rp['dynamodb_local']['rebuild_events_per_s']} events/s "
            f"({rp['dynamodb_local']['rebuild_s']} s, {rp['dynamodb_local']['view_items']} items)",
            f"bare paginated read of the index "
            f"{rp['dynamodb_local']['bare_index_read_events_per_s']} events/s: "
            f"{rp['dynamodb_local']['rebuild_vs_bare_read']}x; bare read plus a bare "
            f"BatchWriteItem of the same items "
            f"({rp['dynamodb_local']['bare_bulk_write_items_per_s']} items/s) "
            f"{rp['dynamodb_local']['bare_read_plus_write_s']} s: "
            f"{rp['dynamodb_local']['rebuild_vs_bare_read_plus_write']}x; SQLite rebuild "
            f"{rp['sqlite_file']['rebuild_events_per_s']} events/s",
        ),
    ]
    lines = ["| figure | value | limit or reference, same run |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


BENCHES = {
    "store": store,
    "onsale": onsale,
    "pipeline": pipeline,
    "rebuild": rebuild,
    "scale": scale,
}


def main() -> None:
    """Every benchmark; with `--table`, none: the table and chart from the saved results (after
    running one benchmark alone, e.g. `make bench-scale`)."""
    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}
    }
    for name, module in BENCHES.items():
        if "--table" not in sys.argv:
            print(f"== {name}", flush=True)
            module.main()
        results[name] = json.loads(module.RESULTS.read_text())
    results["seconds"] = round(time.perf_counter() - started)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    draw(results, RESULTS / "latency.png")
    text = README.read_text()
    block = (
        f"{BEGIN}\n{table(results)}\n\n![latency distributions](bench/results/latency.png)\n{END}"
    )
    README.write_text(re.sub(f"{BEGIN}.*?{END}", lambda _: block, text, flags=re.S))
    print(f"bench done in {results['seconds']} s: bench/results/latest.json, README updated")


if __name__ == "__main__":
    main()
