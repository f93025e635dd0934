"""One local function per process, as Lambda runs each function apart from the others.

    python -m local.functions moto PORT        EventBridge and SQS (moto's server)
    python -m local.functions api              the API, on the listening socket it inherits
    python -m local.functions catch-up         the scheduled catch-up, every 30 seconds
    python -m local.functions FUNCTION         stream-forwarder, indexer, or a rule's queue

`make up` (`local.stack`) starts these and stops them. Each prints one line, "ready", on
its standard output once it serves, and nothing else there: whatever else writes to standard
output (Powertools loggers do) goes to standard error with the logs. SIGINT or SIGTERM stops it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import warnings
from pathlib import Path
from types import FrameType

from local.settings import StackSettings

RESOURCES = "resources.json"  # in the data directory: what the stack provisioned
CATCH_UP_SECONDS = 30.0
_ready_line = sys.stdout  # replaced in main() by a descriptor of its own


def announce_ready() -> None:
    _ready_line.write("ready\n")
    _ready_line.flush()


def serve(name: str, args: list[str], stop: threading.Event, data_dir: Path) -> None:
    if name == "moto":
        from moto.server import ThreadedMotoServer

        from local.aws import speed_up_moto

        speed_up_moto()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(args[0]), verbose=False)
        server.start()
        _ready_until(stop)
        server.stop()
        return
    if name == "api":
        from handlers.api import handler
        from local.api import LocalApi
        from local.auth import Verifier

        listener = socket.socket(fileno=StackSettings().api_fd)
        api = LocalApi(handler, Verifier.of(data_dir), sock=listener).start()
        _ready_until(stop)
        api.stop()
        return
    if name == "catch-up":
        _catch_up_every(CATCH_UP_SECONDS, stop)
        return
    import boto3

    from infra.settings import Settings
    from local.pipeline import LocalPipeline, Resources

    resources = Resources.from_json((data_dir / RESOURCES).read_text())
    workers = StackSettings().queue_workers
    pipeline = LocalPipeline(
        Settings.from_env(),
        resources,
        data_dir / "checkpoints",
        boto3.client("sqs"),
        workers=workers,
    ).start(only={name})
    _ready_until(stop)
    pipeline.stop()


def _catch_up_every(seconds: float, stop: threading.Event) -> None:
    """As a schedule would invoke the function: the first time right away, nothing left out
    (after downtime, nothing is in flight on the bus)."""
    from handlers.catch_up import handler
    from local.runners.lambda_runtime import LocalContext

    announce_ready()
    event: dict[str, float] = {"grace_seconds": 0}
    while not stop.is_set():
        try:
            handler(event, LocalContext("catch-up", timeout_seconds=300))  # it logs what it did
        except Exception as e:  # the store is unreachable: try again next time
            logging.getLogger("seatledger").warning("catch-up failed: %r", e)
        event = {}
        stop.wait(seconds)


def _ready_until(stop: threading.Event) -> None:
    announce_ready()
    stop.wait()


def stopped_by_signals() -> threading.Event:
    """Logging as the stack's processes log, and an event that SIGINT or SIGTERM sets."""
    from infra.logs import CorrelatedText

    text = logging.StreamHandler()
    text.setFormatter(CorrelatedText("%(asctime)s %(name)s%(correlated)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[text])
    # Powertools' Metrics share one metric set per process: a queue's worker threads flush each
    # other's, and the one left with none warns. One function per process on Lambda: no matter.
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return stop


def main() -> int:
    global _ready_line
    # A log line read as the answer to "ready?" made `make up` fail to start (a payment that
    # timed out while the payment function started): only "ready" goes to the real stdout.
    _ready_line = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    stop = stopped_by_signals()
    data_dir = StackSettings().data_dir
    serve(sys.argv[1], sys.argv[2:], stop, data_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
