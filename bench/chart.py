"""The latency chart: a cumulative distribution per figure, from the quantiles benches save."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: write a file
import matplotlib.pyplot as plt  # noqa: E402

LEVELS = [q / 100 for q in range(0, 100, 5)] + [0.99, 1.0]


def draw(results: dict[str, Any], path: Path) -> None:
    single = results["store"]["dynamodb_local"]["single_append"]
    series = {
        "append (recorder)": single["recorder_append"],
        "bare PutItem": single["bare_put_item"],
        "on-sale placement": results["onsale"]["on_sale"]["placement"],
        "commit -> read model (3 orders/s)": results["pipeline"]["commit_to_read_model_ms"],
        "commit -> read model (on-sale)": results["scale"]["shows_1"]["commit_to_view"],
    }
    figure, axis = plt.subplots(figsize=(8, 4.5))
    for label, figures in series.items():
        axis.plot(figures["quantiles_ms"], LEVELS, marker=".", label=label)
    axis.set_xscale("log")
    axis.set_xlabel("latency (ms, log scale)")
    axis.set_ylabel("fraction of requests at or below")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    axis.set_title("seatledger latencies on DynamoDB Local (2 cores)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
