"""`make up`: the ledger on this machine, no AWS account and no Docker.

Starts DynamoDB Local with its data under `.seatledger/dynamodb` (kept across runs), creates the
event table when missing, prints one line when ready, and stops what it started on Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType

from infra.dynamodb import DEFAULT_TABLE
from infra.dynamodb.client import ensure_table, make_client
from infra.dynamodb_local import PROJECT_ROOT, DynamoDBLocal

DATA_DIR = PROJECT_ROOT / ".seatledger"
DYNAMODB_PORT = int(os.environ.get("SEATLEDGER_DYNAMODB_PORT", "8000"))

log = logging.getLogger("seatledger")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for key, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(key, value)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    dynamodb = DynamoDBLocal(
        port=DYNAMODB_PORT, db_path=DATA_DIR / "dynamodb", log_path=DATA_DIR / "dynamodb.log"
    )
    log.info("starting DynamoDB Local (data in %s)", DATA_DIR / "dynamodb")
    dynamodb.start()
    try:
        table = os.environ.get("DYNAMODB_TABLE", DEFAULT_TABLE)
        ensure_table(make_client(dynamodb.endpoint, "us-east-1"), table)
        print(
            f"seatledger ready: event store {dynamodb.endpoint} (table {table}); Ctrl-C stops",
            flush=True,
        )
        stop.wait()
    finally:
        log.info("stopping")
        dynamodb.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
